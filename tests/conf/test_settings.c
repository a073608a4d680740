/* conf/settings.c: every setting of [token] and [key LABEL], good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "helpers.h"
#include "log.h"

static dsk_conf *parse_ok(const char *text)
{
    dsk_conf *c = NULL;
    dsk_error e = {0};
    dsk_status st = dsk_conf_parse(text, "t.conf", &c, &e);
    if (st != DSK_OK)
        fail_msg("unexpected error: %s", e.msg);
    assert_non_null(c);
    return c;
}

static void expect_error(const char *text, dsk_status code, const char *msg)
{
    dsk_conf *c = (dsk_conf *)1;
    dsk_error e = {0};
    assert_int_equal(dsk_conf_parse(text, "t.conf", &c, &e), code);
    assert_null(c);
    assert_int_equal(e.code, code);
    assert_string_equal(e.msg, msg);
}

static void token_every_setting(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("[token]\n"
                           "label = my token\n"
                           "endpoint = /run/dstack.sock\n"
                           "connect_timeout_ms = 250\n"
                           "timeout_ms = 3600000\n"
                           "log_level = debug\n"
                           "pin = 12 34\n");
    assert_string_equal(c->token_label, "my token");
    assert_string_equal(c->endpoint, "/run/dstack.sock");
    assert_int_equal(c->connect_timeout_ms, 250);
    assert_int_equal(c->timeout_ms, 3600000);
    assert_int_equal(c->log_level, DSK_LOG_DEBUG);
    assert_string_equal(c->user_pin, "12 34");
    assert_int_equal(c->nkeys, 0);
    dsk_conf_free(c);
}

static void token_defaults(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("[token]\n");
    assert_string_equal(c->token_label, "dstack");
    assert_null(c->endpoint);
    assert_int_equal(c->connect_timeout_ms, 0);
    assert_int_equal(c->timeout_ms, 0);
    assert_int_equal(c->log_level, DSK_LOG_WARNING);
    assert_null(c->user_pin);
    dsk_conf_free(c);
}

static void token_endpoint_forms(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("[token]\nendpoint = http://127.0.0.1:8090\n");
    assert_string_equal(c->endpoint, "http://127.0.0.1:8090");
    dsk_conf_free(c);
    c = parse_ok("[token]\nendpoint = https://agent.example:443/x\n");
    assert_string_equal(c->endpoint, "https://agent.example:443/x");
    dsk_conf_free(c);
    c = parse_ok("[token]\nendpoint = HTTP://127.0.0.1:8090\n"); /* as socket/ reads it */
    assert_string_equal(c->endpoint, "HTTP://127.0.0.1:8090");
    dsk_conf_free(c);
    char text[256], sock[120];
    memset(sock, 's', sizeof sock);
    sock[0] = '/';
    sock[107] = '\0'; /* sun_path holds 107 bytes and a NUL */
    snprintf(text, sizeof text, "[token]\nendpoint = %s\n", sock);
    c = parse_ok(text);
    assert_string_equal(c->endpoint, sock);
    dsk_conf_free(c);
    sock[107] = 's';
    sock[108] = '\0';
    snprintf(text, sizeof text, "[token]\nendpoint = %s\n", sock);
    expect_error(text, DSK_E_CONFIG,
                 "t.conf:2: endpoint socket path is 108 bytes long: unix sockets allow at most "
                 "107");
    c = parse_ok("[token]\nendpoint = \"\"\n"); /* empty: discover */
    assert_null(c->endpoint);
    dsk_conf_free(c);
    expect_error("[token]\nendpoint = dstack.sock\n", DSK_E_CONFIG,
                 "t.conf:2: endpoint 'dstack.sock' is neither an absolute socket path "
                 "(/var/run/dstack.sock) nor an http:// or https:// URL");
}

static void token_log_levels(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int level;
    } cases[] = {{"none", DSK_LOG_NONE}, {"error", DSK_LOG_ERROR}, {"warning", DSK_LOG_WARNING},
                 {"info", DSK_LOG_INFO}, {"DEBUG", DSK_LOG_DEBUG}, {"3", DSK_LOG_INFO}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "[token]\nlog_level = %s\n", cases[i].text);
        dsk_conf *c = parse_ok(text);
        assert_int_equal(c->log_level, cases[i].level);
        dsk_conf_free(c);
    }
    expect_error("[token]\nlog_level = verbose\n", DSK_E_CONFIG,
                 "t.conf:2: unknown log_level 'verbose': valid levels are none, error, warning, "
                 "info, debug");
}

static void token_bad_numbers(void **state)
{
    (void)state;
    expect_error("[token]\ntimeout_ms = 5s\n", DSK_E_CONFIG,
                 "t.conf:2: timeout_ms '5s' is not a number of milliseconds: write e.g. "
                 "timeout_ms = 5000");
    expect_error("[token]\n\nconnect_timeout_ms = -5\n", DSK_E_CONFIG,
                 "t.conf:3: connect_timeout_ms must be between 1 and 3600000 milliseconds, "
                 "not -5");
    expect_error("[token]\ntimeout_ms = 0\n", DSK_E_CONFIG,
                 "t.conf:2: timeout_ms must be between 1 and 3600000 milliseconds, not 0");
    expect_error("[token]\ntimeout_ms = 3600001\n", DSK_E_CONFIG,
                 "t.conf:2: timeout_ms must be between 1 and 3600000 milliseconds, not 3600001");
    expect_error("[token]\ntimeout_ms = 99999999999999999999999\n", DSK_E_CONFIG,
                 "t.conf:2: timeout_ms must be between 1 and 3600000 milliseconds, not "
                 "99999999999999999999999");
    expect_error("[token]\ntimeout_ms =\n", DSK_E_CONFIG,
                 "t.conf:2: timeout_ms '' is not a number of milliseconds: write e.g. "
                 "timeout_ms = 5000");
    expect_error("[token]\ntimeout_ms = 0x10\n", DSK_E_CONFIG,
                 "t.conf:2: timeout_ms '0x10' is not a number of milliseconds: write e.g. "
                 "timeout_ms = 5000");
}

/* secure_heap: a power of two of bytes in range, or no; anything else is an
 * error naming the rule. */
static void token_secure_heap(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t size;
    } ok[] = {{"65536", 65536}, {"4096", 4096}, {"67108864", 67108864}, {"no", 0}, {"0", 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "[token]\nsecure_heap = %s\n", ok[i].text);
        dsk_conf *c = parse_ok(text);
        assert_int_equal(c->secure_heap, ok[i].size);
        dsk_conf_free(c);
    }
    dsk_conf *c = parse_ok("[token]\n");
    assert_int_equal(c->secure_heap, 0);
    dsk_conf_free(c);
    static const char *const bad[] = {"1000", "2048", "134217728", "64k", "", "-4096", "yes"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[64], want[256];
        snprintf(text, sizeof text, "[token]\nsecure_heap = %s\n", bad[i]);
        snprintf(want, sizeof want,
                 "t.conf:2: secure_heap '%s' must be a power of two of bytes between 4096 and "
                 "67108864 (e.g. secure_heap = 65536), or no",
                 bad[i]);
        expect_error(text, DSK_E_CONFIG, want);
    }
}

static void token_label_rules(void **state)
{
    (void)state;
    expect_error("[token]\nlabel =\n", DSK_E_CONFIG,
                 "t.conf:2: empty token label: write a token label or leave the setting out");
    dsk_conf *c = parse_ok("[token]\nlabel = 12345678901234567890123456789012\n");
    assert_string_equal(c->token_label, "12345678901234567890123456789012");
    dsk_conf_free(c);
    expect_error("[token]\nlabel = 123456789012345678901234567890123\n", DSK_E_CONFIG,
                 "t.conf:2: token label '123456789012345678901234567890123' is 33 bytes long: "
                 "a PKCS#11 token label has at most 32");
    expect_error("[token]\nlabel = bad\xff\n", DSK_E_CONFIG,
                 "t.conf:2: token label is not valid UTF-8");
}

static void token_pin_is_not_echoed(void **state)
{
    (void)state;
    expect_error("[token]\npin =\n", DSK_E_CONFIG,
                 "t.conf:2: empty pin: leave the setting out for a token without login");
    expect_error("[token]\npin = s3cret\npin = s3cret\n", DSK_E_CONFIG,
                 "t.conf:3: setting 'pin' given twice in [token] (first at line 2)");
}

static void key_every_setting(void **state)
{
    const char *dir = *state;
    char *cert = test_write(dir, "web.crt", test_cert_pem, strlen(test_cert_pem));
    char text[1024];
    snprintf(text, sizeof text,
             "[key web]\n"
             "path = /my-app/tls\n"
             "type = ec-p384\n"
             "purpose = signing\n"
             "usage = sign\n"
             "certificate = %s\n"
             "id = 01A2ff\n"
             "token = other\n",
             cert);
    dsk_conf *c = parse_ok(text);
    assert_int_equal(c->nkeys, 1);
    const dsk_key_entry *k = &c->keys[0];
    assert_string_equal(k->label, "web");
    assert_string_equal(k->path, "/my-app/tls");
    assert_int_equal(k->type, DSK_KEY_EC_P384);
    assert_string_equal(k->purpose, "signing");
    assert_int_equal(k->usage, DSK_USAGE_SIGN);
    assert_string_equal(k->cert_file, cert);
    assert_int_equal(k->cert_len, strlen(test_cert_pem));
    assert_memory_equal(k->cert, test_cert_pem, k->cert_len);
    assert_int_equal(k->id_len, 3);
    assert_memory_equal(k->id, "\x01\xa2\xff", 3);
    assert_string_equal(k->token, "other");
    assert_int_equal(k->line, 1);
    dsk_conf_free(c);
    free(cert);
}

static void key_defaults(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("[key web]\n[key ssh]\ntype = ed25519\n[key rsa]\ntype=rsa-3072\n");
    assert_int_equal(c->nkeys, 3);
    const dsk_key_entry *k = &c->keys[0];
    assert_string_equal(k->path, "web");
    assert_int_equal(k->type, DSK_KEY_EC_P256);
    assert_string_equal(k->purpose, "");
    assert_int_equal(k->usage, DSK_USAGE_SIGN | DSK_USAGE_DERIVE);
    assert_null(k->token);
    assert_null(k->cert_file);
    assert_null(k->cert);
    assert_int_equal(k->cert_len, 0);
    assert_int_equal(k->id_len, 0);
    assert_int_equal(c->keys[1].usage, DSK_USAGE_SIGN);
    assert_string_equal(c->keys[1].path, "ssh");
    /* RSA decrypts only when asked (issue 13, item 14). */
    assert_int_equal(c->keys[2].usage, DSK_USAGE_SIGN);
    assert_int_equal(c->keys[2].line, 4);
    dsk_conf_free(c);
    c = parse_ok("[key rsa]\ntype=rsa-2048\nusage = sign, decrypt\n");
    assert_int_equal(c->keys[0].usage, DSK_USAGE_SIGN | DSK_USAGE_DECRYPT);
    dsk_conf_free(c);
}

/* inline_keys (issue 13, item 14) and agent_uid (item 4) in [token]. */
static void token_inline_keys_and_agent_uid(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("[token]\n");
    assert_int_equal(c->inline_keys, 1);
    assert_int_equal(c->agent_uid, 0);
    dsk_conf_free(c);
    c = parse_ok("[token]\ninline_keys = no\nagent_uid = 1000\n");
    assert_int_equal(c->inline_keys, 0);
    assert_int_equal(c->agent_uid, 1000);
    dsk_conf_free(c);
    c = parse_ok("[token]\ninline_keys = Yes\n");
    assert_int_equal(c->inline_keys, 1);
    dsk_conf_free(c);
    expect_error("[token]\ninline_keys = maybe\n", DSK_E_CONFIG,
                 "t.conf:2: inline_keys 'maybe' is not yes or no: write inline_keys = no to refuse "
                 "dstack:path=... URIs and reference files");
    expect_error("[token]\nagent_uid = dstack\n", DSK_E_CONFIG,
                 "t.conf:2: agent_uid 'dstack' is not a user id: write the number that `id -u` "
                 "prints for the agent's user, e.g. agent_uid = 1000");
    expect_error("[token]\nagent_uid = 99999999999\n", DSK_E_CONFIG,
                 "t.conf:2: agent_uid '99999999999' is not a user id: write the number that `id "
                 "-u` prints for the agent's user, e.g. agent_uid = 1000");
}

static void key_path_byte_for_byte(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("[key a]\npath = /caf\xc3\xa9/k=1;x #2\n"
                           "[key b]\npath = \"\"\n"
                           "[key c]\npath = a:b\n");
    /* " #2" starts a comment; ";x" without a blank before it does not. */
    assert_string_equal(c->keys[0].path, "/caf\xc3\xa9/k=1;x");
    assert_string_equal(c->keys[1].path, "");
    assert_string_equal(c->keys[2].path, "a:b");
    dsk_conf_free(c);
    expect_error("[key a]\npath = \xc3\x28\n", DSK_E_CONFIG,
                 "t.conf:2: key 'a': path is not valid UTF-8");
    expect_error("[key a]\npurpose = \xc3\n", DSK_E_CONFIG,
                 "t.conf:2: key 'a': purpose is not valid UTF-8");
}

/* A value is never silently emptied (issue 13, item 12): a path or purpose
 * that starts with ';' or '#' would be a comment, so quotes keep it, and an
 * unquoted empty value is an error. */
static void quoted_values(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("[key a]\npath = \";secret\"\n"
                           "[key b]\npath = \"#1 ; x\"  ; a comment\n"
                           "purpose = \"say \\\"hi\\\" \\\\ o/\" # another\n"
                           "[key c]\npath = \"\"\npurpose = \"\"\n"
                           "[token]\nendpoint = \"/run/x #1.sock\"\npin = \";pin\"\n");
    assert_string_equal(c->keys[0].path, ";secret");
    assert_string_equal(c->keys[1].path, "#1 ; x");
    assert_string_equal(c->keys[1].purpose, "say \"hi\" \\ o/");
    assert_string_equal(c->keys[2].path, "");
    assert_string_equal(c->keys[2].purpose, "");
    assert_string_equal(c->endpoint, "/run/x #1.sock");
    assert_string_equal(c->user_pin, ";pin");
    dsk_conf_free(c);
    expect_error("[key a]\npath = ;secret\n", DSK_E_CONFIG,
                 "t.conf:2: setting 'path' in [key a] has no value (';' or '#' after a blank "
                 "starts a comment): quote a value that holds them, e.g. path = \"#1\", and "
                 "write path = \"\" for an empty one");
    expect_error("[key a]\npath = # x\n", DSK_E_CONFIG,
                 "t.conf:2: setting 'path' in [key a] has no value (';' or '#' after a blank "
                 "starts a comment): quote a value that holds them, e.g. path = \"#1\", and "
                 "write path = \"\" for an empty one");
    expect_error("[key a]\npath =\n", DSK_E_CONFIG,
                 "t.conf:2: setting 'path' in [key a] has no value (';' or '#' after a blank "
                 "starts a comment): quote a value that holds them, e.g. path = \"#1\", and "
                 "write path = \"\" for an empty one");
    expect_error("[key a]\npurpose = ;x\n", DSK_E_CONFIG,
                 "t.conf:2: setting 'purpose' in [key a] has no value (';' or '#' after a blank "
                 "starts a comment): quote a value that holds them, e.g. purpose = \"#1\", and "
                 "write purpose = \"\" for an empty one");
    expect_error("[key a]\npath = \"/a\n", DSK_E_CONFIG,
                 "t.conf:2: quoted value without its closing '\"'");
    expect_error("[key a]\npath = \"/a\" b\n", DSK_E_CONFIG,
                 "t.conf:2: text after the closing '\"' of a quoted value: only a comment (';' "
                 "or '#') may follow");
    expect_error("[key a]\npath = \"/a\\n\"\n", DSK_E_CONFIG,
                 "t.conf:2: quoted value: write \\\\ for a backslash and \\\" for a quote");
}

static void key_bad_type(void **state)
{
    (void)state;
    expect_error("[key web]\npath = x\ntype = ec-p521\n", DSK_E_CONFIG,
                 "t.conf:3: key 'web': unknown key type 'ec-p521': valid types are secp256k1, "
                 "ed25519, ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, tappd-p256");
}

static void key_usage_against_type(void **state)
{
    (void)state;
    expect_error("[key web]\nusage = sign, decrypt\ntype = ec-p256\n", DSK_E_CONFIG,
                 "t.conf:2: key 'web': usage 'decrypt' is not supported by type ec-p256 (it "
                 "supports: sign, derive)");
    expect_error("[key ssh]\ntype = ed25519\nusage = derive\n[key next]\n", DSK_E_CONFIG,
                 "t.conf:3: key 'ssh': usage 'derive' is not supported by type ed25519 (it "
                 "supports: sign)");
    expect_error("[key r]\ntype = rsa-4096\nusage = derive, sign\n", DSK_E_CONFIG,
                 "t.conf:3: key 'r': usage 'derive' is not supported by type rsa-4096 (it "
                 "supports: sign, decrypt)");
    expect_error("[key w]\nusage = sign, bogus\n", DSK_E_CONFIG,
                 "t.conf:2: key 'w': unknown usage 'bogus': valid usages are sign, decrypt, "
                 "derive (separated by commas)");
    dsk_conf *c = parse_ok("[key r]\nusage = decrypt\ntype = rsa-2048\n"
                           "[key k]\ntype = secp256k1\nusage = derive\n");
    assert_int_equal(c->keys[0].usage, DSK_USAGE_DECRYPT);
    assert_int_equal(c->keys[1].usage, DSK_USAGE_DERIVE);
    dsk_conf_free(c);
}

static void key_ids(void **state)
{
    (void)state;
    char text[256], hex[129];
    for (int i = 0; i < 128; i++)
        hex[i] = "0123456789abcdef"[i % 16];
    hex[128] = '\0';
    snprintf(text, sizeof text, "[key a]\nid = 0x%s\n", hex);
    dsk_conf *c = parse_ok(text);
    assert_int_equal(c->keys[0].id_len, 64);
    assert_int_equal(c->keys[0].id[63], 0xef);
    dsk_conf_free(c);
    snprintf(text, sizeof text, "[key a]\nid = %s00\n", hex);
    expect_error(text, DSK_E_CONFIG, "t.conf:2: key 'a': id is 65 bytes long: at most 64");
    expect_error("[key a]\nid = 1g\n", DSK_E_CONFIG,
                 "t.conf:2: key 'a': id '1g' is not hex: write an even number of hex digits, "
                 "e.g. id = 01a2");
    expect_error("[key a]\nid = 123\n", DSK_E_CONFIG,
                 "t.conf:2: key 'a': id '123' is not hex: write an even number of hex digits, "
                 "e.g. id = 01a2");
    expect_error("[key a]\nid =\n", DSK_E_CONFIG,
                 "t.conf:2: key 'a': id '' is not hex: write an even number of hex digits, e.g. "
                 "id = 01a2");
}

static void key_duplicate_ids(void **state)
{
    (void)state;
    expect_error("[key a]\nid = 01\n[key b]\nid = 02\n[key c]\nid = 01\n", DSK_E_CONFIG,
                 "t.conf:5: key 'c': id 01 is also the id of key 'a' (line 1) in token "
                 "'dstack': ids must be unique within a token");
    /* The same id in two tokens is fine: Ed25519 keys have a token of their own. */
    dsk_conf *c = parse_ok("[key a]\nid = 01\n[key b]\nid = 01\ntype = ed25519\n"
                           "[key c]\nid = 01\ntoken = t2\n");
    assert_int_equal(c->nkeys, 3);
    dsk_conf_free(c);
    expect_error("[token]\nlabel = x\n[key a]\nid = 01\ntoken = y\n[key b]\nid = 01\n"
                 "token = y\n",
                 DSK_E_CONFIG,
                 "t.conf:6: key 'b': id 01 is also the id of key 'a' (line 3) in token 'y': "
                 "ids must be unique within a token");
}

static void key_token_setting(void **state)
{
    (void)state;
    expect_error("[key a]\ntoken =\n", DSK_E_CONFIG,
                 "t.conf:2: empty token: write a token label or leave the setting out");
    expect_error("[key a]\ntoken = 123456789012345678901234567890123\n", DSK_E_CONFIG,
                 "t.conf:2: token '123456789012345678901234567890123' is 33 bytes long: a "
                 "PKCS#11 token label has at most 32");
}

static void ed25519_token_label_length(void **state)
{
    (void)state;
    /* 24 + "-ed25519" = 32: fits. */
    dsk_conf *c = parse_ok("[token]\nlabel = 123456789012345678901234\n[key s]\ntype=ed25519\n");
    char t[DSK_CONF_TOKEN_LABEL_MAX + 1];
    assert_string_equal(dsk_conf_key_token(c, &c->keys[0], t), "123456789012345678901234-ed25519");
    dsk_conf_free(c);
    expect_error("[key s]\ntype=ed25519\n[token]\nlabel = 1234567890123456789012345\n",
                 DSK_E_CONFIG,
                 "t.conf:1: key 's': an ed25519 key goes into token "
                 "'1234567890123456789012345-ed25519', longer than 32 bytes: set 'token =' for "
                 "this key or shorten the token label (line 4) to at most 24 bytes");
    c = parse_ok("[token]\nlabel = 1234567890123456789012345\n[key s]\ntype=ed25519\n"
                 "token = ssh\n");
    assert_string_equal(dsk_conf_key_token(c, &c->keys[0], t), "ssh");
    dsk_conf_free(c);
}

static void key_certificate_errors(void **state)
{
    const char *dir = *state;
    char text[512], expect[1024];
    expect_error("[key a]\ncertificate =\n", DSK_E_CONFIG,
                 "t.conf:2: key 'a': empty certificate: write a file name or leave the setting "
                 "out");
    snprintf(text, sizeof text, "[key a]\n\ncertificate = %s/none.crt\n", dir);
    snprintf(expect, sizeof expect,
             "t.conf:3: key 'a': cannot read certificate %s/none.crt: No such file or directory",
             dir);
    expect_error(text, DSK_E_IO, expect);
    char *bad = test_write(dir, "bad.crt", "hello\n", 6);
    snprintf(text, sizeof text, "[key a]\ncertificate = %s\n", bad);
    snprintf(expect, sizeof expect,
             "t.conf:2: key 'a': certificate %s is neither PEM (no '-----BEGIN "
             "CERTIFICATE-----' line) nor DER (does not start with byte 0x30)",
             bad);
    expect_error(text, DSK_E_CONFIG, expect);
    free(bad);
}

static void unknown_and_duplicate_settings(void **state)
{
    (void)state;
    expect_error("[token]\nlabel = a\nlable = b\n", DSK_E_CONFIG,
                 "t.conf:3: unknown setting 'lable' in [token]: valid settings are label, "
                 "endpoint, connect_timeout_ms, timeout_ms, log_level, pin, secure_heap, api, "
                 "kms_root, app_id, verify, inline_keys, agent_uid");
    expect_error("[key web]\npaht = /x\n", DSK_E_CONFIG,
                 "t.conf:2: unknown setting 'paht' in [key web]: valid settings are path, type, "
                 "purpose, usage, certificate, id, token, api, domain");
    /* Token settings do not belong in a key section, and the reverse. */
    expect_error("[key web]\nendpoint = /x\n", DSK_E_CONFIG,
                 "t.conf:2: unknown setting 'endpoint' in [key web]: valid settings are path, "
                 "type, purpose, usage, certificate, id, token, api, domain");
    expect_error("[token]\npath = /x\n", DSK_E_CONFIG,
                 "t.conf:2: unknown setting 'path' in [token]: valid settings are label, "
                 "endpoint, connect_timeout_ms, timeout_ms, log_level, pin, secure_heap, api, "
                 "kms_root, app_id, verify, inline_keys, agent_uid");
    expect_error("[key web]\ntype = ec-p256\n; note\ntype = ec-p384\n", DSK_E_CONFIG,
                 "t.conf:4: setting 'type' given twice in [key web] (first at line 2)");
    /* A second [token] section continues the first. */
    expect_error("[token]\nlabel = a\n[key k]\n[token]\nlabel = b\n", DSK_E_CONFIG,
                 "t.conf:5: setting 'label' given twice in [token] (first at line 2)");
    /* Settings are per key: the same setting in two keys is fine. */
    dsk_conf *c = parse_ok("[key a]\ntype = ed25519\n[key b]\ntype = ed25519\n");
    assert_int_equal(c->nkeys, 2);
    dsk_conf_free(c);
    expect_error("label = a\n[token]\n", DSK_E_CONFIG,
                 "t.conf:1: setting 'label' outside any section: put it under [token] or "
                 "[key LABEL]");
    /* Names are case-sensitive, as the reference shows them. */
    expect_error("[key a]\nType = rsa-2048\n", DSK_E_CONFIG,
                 "t.conf:2: unknown setting 'Type' in [key a]: valid settings are path, type, "
                 "purpose, usage, certificate, id, token, api, domain");
}

static int setup(void **state)
{
    *state = test_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    test_rmtree(*state);
    return 0;
}

/* api = v0 | v1, in [token] and per key; v0 is the default; a v1 key is
 * named by domain (default its label); each side's settings are errors on
 * the other, at their line. */
static void api_and_domain(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("[key a]\npath = /p\n\n[key b]\napi = v1\ndomain = my/d\n"
                           "type = ed25519\n\n[key c]\napi = V1\n");
    assert_int_equal(c->api, DSK_API_V0);
    assert_int_equal(c->keys[0].api, DSK_API_V0);
    assert_string_equal(c->keys[0].path, "/p");
    assert_null(c->keys[0].domain);
    assert_int_equal(c->keys[1].api, DSK_API_V1);
    assert_string_equal(c->keys[1].domain, "my/d");
    assert_null(c->keys[1].path);
    assert_string_equal(c->keys[2].domain, "c"); /* the label */
    dsk_conf_free(c);

    /* [token] api = v1 is every key's default, even written after the key;
     * a key can still say v0. */
    c = parse_ok("[key a]\n\n[key b]\napi = v0\n\n[token]\napi = v1\n");
    assert_int_equal(c->api, DSK_API_V1);
    assert_int_equal(c->keys[0].api, DSK_API_V1);
    assert_string_equal(c->keys[0].domain, "a");
    assert_null(c->keys[0].path);
    assert_int_equal(c->keys[1].api, DSK_API_V0);
    assert_string_equal(c->keys[1].path, "b");
    dsk_conf_free(c);

    expect_error("[key a]\napi = v2\n", DSK_E_CONFIG,
                 "t.conf:2: key 'a': unknown api 'v2': write v0 (the unversioned dstack API, the "
                 "default) or v1 (dstack 0.6's /v1, different keys)");
    expect_error("[token]\napi = 1\n", DSK_E_CONFIG,
                 "t.conf:2: unknown api '1': write v0 (the unversioned dstack API, the default) "
                 "or v1 (dstack 0.6's /v1, different keys)");
    expect_error("[key a]\napi = v1\ntype = ec-p256\npath = /p\n", DSK_E_CONFIG,
                 "t.conf:4: key 'a': 'path' is a v0 setting, but the key uses api = v1: a v1 key "
                 "is named by 'domain =' (v1 has no path and no purpose), or set api = v0 for "
                 "this key");
    expect_error("[token]\napi = v1\n[key a]\n\npurpose = x\n", DSK_E_CONFIG,
                 "t.conf:5: key 'a': 'purpose' is a v0 setting, but the key uses api = v1 (from "
                 "[token]): a v1 key is named by 'domain =' (v1 has no path and no purpose), or "
                 "set api = v0 for this key");
    expect_error("[key a]\ndomain = d\n", DSK_E_CONFIG,
                 "t.conf:2: key 'a': 'domain' is a v1 setting, but the key uses api = v0 (the "
                 "default): set api = v1 for this key, or name a v0 key by 'path =' (and "
                 "'purpose =')");
    expect_error("[key a]\ntype = tappd-p256\napi = v1\n", DSK_E_CONFIG,
                 "t.conf:3: key 'a': type tappd-p256 is the key tappd derived from the v0 "
                 "GetKey bytes: it needs api = v0 (api is v1)");
    expect_error("[key a]\napi = v1\napi = v1\n", DSK_E_CONFIG,
                 "t.conf:3: setting 'api' given twice in [key a] (first at line 2)");
}

static void tappd_type(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("[key old]\npath = my-app/tls\ntype = tappd-p256\n");
    assert_int_equal(c->keys[0].type, DSK_KEY_TAPPD_P256);
    assert_int_equal(c->keys[0].usage, DSK_USAGE_SIGN | DSK_USAGE_DERIVE);
    dsk_conf_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_every_setting),
        cmocka_unit_test(token_secure_heap),
        cmocka_unit_test(token_defaults),
        cmocka_unit_test(token_endpoint_forms),
        cmocka_unit_test(token_log_levels),
        cmocka_unit_test(token_bad_numbers),
        cmocka_unit_test(token_label_rules),
        cmocka_unit_test(token_pin_is_not_echoed),
        cmocka_unit_test_setup_teardown(key_every_setting, setup, teardown),
        cmocka_unit_test(key_defaults),
        cmocka_unit_test(token_inline_keys_and_agent_uid),
        cmocka_unit_test(key_path_byte_for_byte),
        cmocka_unit_test(quoted_values),
        cmocka_unit_test(key_bad_type),
        cmocka_unit_test(key_usage_against_type),
        cmocka_unit_test(key_ids),
        cmocka_unit_test(key_duplicate_ids),
        cmocka_unit_test(key_token_setting),
        cmocka_unit_test(ed25519_token_label_length),
        cmocka_unit_test_setup_teardown(key_certificate_errors, setup, teardown),
        cmocka_unit_test(unknown_and_duplicate_settings),
        cmocka_unit_test(api_and_domain),
        cmocka_unit_test(tappd_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
