/* Reply validation on canned bodies: every shape the agent must not send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "internal.h"

#define KEY "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5"
#define SIG0                                                                                       \
    "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c"                             \
    "33798d20477d877040fe6d7d9ea7aa39b853a7a3e56c2c0e36bba3e8e12a65b000"
#define SIG1                                                                                       \
    "9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e59"                             \
    "4d2a283f843f34e8f39e4cc49a612496ce67223a12ac923f8efe330346dfc6c500"
#define W "/GetKey on unix socket /x.sock"

static dsk_status key(long status, const char *body, dsk_key_reply *r, dsk_error *e)
{
    memset(r, 0xa5, sizeof *r);
    memset(e, 0, sizeof *e);
    return dsk_reply_key(W, status, body, strlen(body), r, e);
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i])
            return 0;
    return 1;
}

static void test_key_ok(void **state)
{
    (void)state;
    dsk_key_reply r;
    dsk_error e;
    unsigned char want[65];
    assert_int_equal(
        key(200, "{\"key\":\"" KEY "\",\"signature_chain\":[\"" SIG0 "\",\"" SIG1 "\"]}", &r, &e),
        DSK_OK);
    assert_int_equal(dsk_hex_decode(KEY, 64, want, 32), 32);
    assert_memory_equal(r.key, want, 32);
    assert_int_equal(dsk_hex_decode(SIG0, 130, want, 65), 65);
    assert_memory_equal(r.chain[0], want, 65);
    assert_int_equal(dsk_hex_decode(SIG1, 130, want, 65), 65);
    assert_memory_equal(r.chain[1], want, 65);
    assert_int_equal(r.chain_len[0], 65);
    assert_int_equal(r.chain_len[1], 65);
    dsk_key_reply_clear(&r);
    assert_true(all_zero(&r, sizeof r));

    /* No KMS: chain[1] is empty; whitespace around the document is fine. */
    assert_int_equal(
        key(200, " {\"signature_chain\":[\"" SIG0 "\",\"\"],\"key\":\"" KEY "\"}\n", &r, &e),
        DSK_OK);
    assert_int_equal(r.chain_len[1], 0);
}

/* Every malformed GetKey body: DSK_E_MALFORMED, the output wiped, the
 * message names the call and never quotes the body. */
static void expect_bad_key(long status, const char *body, const char *why)
{
    dsk_key_reply r;
    dsk_error e;
    assert_int_equal(key(status, body, &r, &e), DSK_E_MALFORMED);
    assert_true(all_zero(&r, sizeof r));
    assert_int_equal(e.code, DSK_E_MALFORMED);
    assert_non_null(strstr(e.msg, W));
    if (!strstr(e.msg, why))
        fail_msg("body %.60s: message \"%s\" lacks \"%s\"", body, e.msg, why);
    assert_null(strstr(e.msg, "143a1b5a"));
    assert_null(strstr(e.msg, "dead"));
}

static void test_key_malformed(void **state)
{
    (void)state;
    const char *chain = ",\"signature_chain\":[\"" SIG0 "\",\"" SIG1 "\"]}";
    char body[1024];
    struct {
        const char *key, *why;
    } keys[] = {
        {"\"" KEY "00\"", "key has 66 hex digits, expected 64"},
        {"\"143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93c\"",
         "key has 62 hex digits, expected 64"},
        {"\"\"", "key has 0 hex digits"},
        {"\"0x3a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5\"", "not 64 hex"},
        {"\"143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cdz\"", "not 64 hex"},
        {"12", "\"key\" in the reply is not a string"},
        {"null", "\"key\" in the reply is not a string"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(body, sizeof body, "{\"key\":%s%s", keys[i].key, chain);
        expect_bad_key(200, body, keys[i].why);
    }
    expect_bad_key(200, "{\"signature_chain\":[\"" SIG0 "\",\"\"]}", "reply has no \"key\"");
    expect_bad_key(200, "{\"key\":\"" KEY "\"}", "not an array of two strings");
    expect_bad_key(200, "{\"key\":\"" KEY "\",\"signature_chain\":[\"" SIG0 "\"]}",
                   "not an array of two strings");
    expect_bad_key(200, "{\"key\":\"" KEY "\",\"signature_chain\":\"" SIG0 "\"}",
                   "not an array of two strings");
    expect_bad_key(200, "{\"key\":\"" KEY "\",\"signature_chain\":[\"\",\"\"]}",
                   "signature_chain[0] is 0 characters, expected 130");
    expect_bad_key(200, "{\"key\":\"" KEY "\",\"signature_chain\":[\"" SIG0 "\",\"dead\"]}",
                   "signature_chain[1] is 4 characters");
    expect_bad_key(200, "{\"key\":\"" KEY "\",\"signature_chain\":[\"" SIG0 "\",7]}",
                   "signature_chain[1] is not a string");
    /* Not JSON, truncated JSON, trailing bytes, not an object: the body may
     * hold the key, so only its size is told. */
    expect_bad_key(200, "{\"key\":\"" KEY "\",\"signa", "reply is not JSON (");
    expect_bad_key(200, "{\"key\":\"" KEY "\",\"signature_chain\":[\"" SIG0 "\",\"\"]} dead",
                   "not shown");
    expect_bad_key(200, "[\"" KEY "\"]", "reply is JSON but not an object");
    /* The key's length is its decoded length (issue 13, item 11). */
    expect_bad_key(200,
                   "{\"key\":\"" KEY "\\u0000anything\",\"signature_chain\":[\"" SIG0
                   "\",\"\"]}",
                   "a string of the reply holds \\u0000 (a NUL byte), which no dstack reply has");
    expect_bad_key(200,
                   "{\"key\":\"" KEY "\",\"signature_chain\":[\"" SIG0 "\",\"\"],\"x\":\"\\u0000\"}",
                   "holds \\u0000");
    expect_bad_key(200, "", "empty reply");
}

static void test_refused(void **state)
{
    (void)state;
    dsk_key_reply r;
    dsk_error e;
    assert_int_equal(key(400, "{\"error\":\"Unsupported algorithm\"}", &r, &e), DSK_E_REFUSED);
    assert_string_equal(e.msg, W ": the agent refused (HTTP 400): Unsupported algorithm");
    assert_true(all_zero(&r, sizeof r));
    /* Control bytes in the agent's text are shown escaped, long text cut. */
    char body[1200] = "{\"error\":\"bad\\u0001";
    memset(body + strlen(body), 'x', 900);
    strcat(body, "\"}");
    assert_int_equal(key(500, body, &r, &e), DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "(HTTP 500): bad\\x01xxx"));
    assert_non_null(strstr(e.msg, "..."));
    /* No error text: the status alone, and a GetKey body is never quoted. */
    assert_int_equal(key(502, "<html>bad gateway</html>", &r, &e), DSK_E_REFUSED);
    assert_string_equal(e.msg, W ": the agent answered HTTP 502 without an error text");
    assert_int_equal(key(404, "", &r, &e), DSK_E_REFUSED);
    /* Even a 200-looking key body with a wrong status is refused, not used. */
    assert_int_equal(
        key(201, "{\"key\":\"" KEY "\",\"signature_chain\":[\"" SIG0 "\",\"\"]}", &r, &e),
        DSK_E_REFUSED);
    assert_true(all_zero(&r, sizeof r));
}

#define INFO_OK                                                                                    \
    "{\"app_id\":\"5bb4ff9a3837357f19dc176407a5709c62eb6c56\",\"instance_id\":\"ab\","             \
    "\"app_name\":\"demo\",\"compose_hash\":\"cd\",\"tcb_info\":\"{\\\"a\\\":1}\"}"

static void test_info(void **state)
{
    (void)state;
    dsk_info in;
    dsk_error e;
    assert_int_equal(dsk_reply_info("/Info", 200, INFO_OK, strlen(INFO_OK), &in, &e), DSK_OK);
    assert_string_equal(in.app_id, "5bb4ff9a3837357f19dc176407a5709c62eb6c56");
    assert_string_equal(in.instance_id, "ab");
    assert_string_equal(in.app_name, "demo");
    assert_string_equal(in.compose_hash, "cd");
    assert_string_equal(in.tcb_info, "{\"a\":1}");
    assert_string_equal(in.json, INFO_OK);
    dsk_info_free(&in);
    assert_null(in.app_id);

    struct {
        const char *body, *why;
    } bad[] = {
        {"{\"app_id\":\"5bb4\"}", "app_id is 4 characters, expected 40 hex"},
        {"{\"instance_id\":\"ab\"}", "reply has no \"app_id\""},
        {"{\"app_id\":\"5bb4ff9a3837357f19dc176407a5709c62eb6c56\",\"app_name\":3}",
         "\"app_name\" in the reply is not a string"},
        {"{\"app_id\":\"5bb4ff9a3837357f19dc176407a5709c62eb6c56\",\"tcb_info\":\"{oops\"}",
         "tcb_info is not a JSON document"},
        {"Internal error", "reply is not JSON (first bytes: Internal error)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&in, 0, sizeof in);
        assert_int_equal(
            dsk_reply_info("/Info on x", 200, bad[i].body, strlen(bad[i].body), &in, &e),
            DSK_E_MALFORMED);
        if (!strstr(e.msg, bad[i].why))
            fail_msg("\"%s\" lacks \"%s\"", e.msg, bad[i].why);
        assert_null(in.app_id);
        assert_null(in.json);
    }
}

static void test_version(void **state)
{
    (void)state;
    char v[16], r[8];
    dsk_error e;
    const char *ok = "{\"version\":\"0.5.8\",\"rev\":\"abc1234\"}";
    assert_int_equal(
        dsk_reply_version("/Version", 200, ok, strlen(ok), v, sizeof v, r, sizeof r, &e), DSK_OK);
    assert_string_equal(v, "0.5.8");
    assert_string_equal(r, "abc1234");
    const char *lng = "{\"version\":\"0.5.8\",\"rev\":\"abc12345\"}";
    assert_int_equal(
        dsk_reply_version("/Version", 200, lng, strlen(lng), v, sizeof v, r, sizeof r, &e),
        DSK_E_BUFFER_TOO_SMALL);
    assert_non_null(strstr(e.msg, "\"rev\" needs a buffer of 9 bytes"));
    const char *old = "{\"error\":\"Method not found\"}";
    assert_int_equal(
        dsk_reply_version("/Version", 400, old, strlen(old), v, sizeof v, r, sizeof r, &e),
        DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "Method not found"));
    const char *num = "{\"version\":5}";
    assert_int_equal(
        dsk_reply_version("/Version", 200, num, strlen(num), v, sizeof v, r, sizeof r, &e),
        DSK_E_MALFORMED);
}

static void test_hex_field(void **state)
{
    (void)state;
    char *hex = NULL;
    dsk_error e;
    const char *ok = "{\"quote\":\"00ff\",\"event_log\":\"[]\"}";
    assert_int_equal(dsk_reply_hex_field("/GetQuote", 200, ok, strlen(ok), "quote", &hex, &e),
                     DSK_OK);
    assert_string_equal(hex, "00ff");
    free(hex);
    const char *bad[] = {"{\"quote\":\"0ff\"}", "{\"quote\":\"zz\"}", "{\"quote\":\"\"}",
                         "{\"attestation\":\"00\"}", "{\"quote\":[]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(
            dsk_reply_hex_field("/GetQuote", 200, bad[i], strlen(bad[i]), "quote", &hex, &e),
            DSK_E_MALFORMED);
        assert_null(hex);
        assert_non_null(strstr(e.msg, "quote"));
    }
}

static void test_printable(void **state)
{
    (void)state;
    char out[16];
    dsk_printable("ab\ncd", 5, 64, out, sizeof out);
    assert_string_equal(out, "ab\\x0acd");
    dsk_printable("abcdefghijklmnopqrstuvwxyz", 26, 64, out, sizeof out);
    assert_string_equal(out, "abcdefghijkl...");
    dsk_printable("abcdefgh", 8, 4, out, sizeof out);
    assert_string_equal(out, "abcd...");
    dsk_printable("\xff\xfe", 2, 64, out, sizeof out);
    assert_string_equal(out, "\\xff\\xfe");
}

/* Every single-byte mutation and every truncation of a good reply: never a
 * crash (run under ASan/valgrind), only OK or MALFORMED, and OK only with a
 * complete, fully decoded reply. */
static void test_key_mutations(void **state)
{
    (void)state;
    static const char good[] =
        "{\"key\":\"" KEY "\",\"signature_chain\":[\"" SIG0 "\",\"" SIG1 "\"]}";
    const char subst[] = {'\0', '"', '}', ']', ',', 'g', '0', ' ', '\\', '\xff'};
    char body[sizeof good];
    size_t oks = 0, bad = 0;
    for (size_t pos = 0; pos < sizeof good - 1; pos++) {
        for (size_t k = 0; k <= sizeof subst; k++) {
            memcpy(body, good, sizeof good);
            size_t len = sizeof good - 1;
            if (k == sizeof subst)
                len = pos; /* truncation */
            else
                body[pos] = subst[k];
            dsk_key_reply r;
            dsk_error e;
            memset(&r, 0xa5, sizeof r);
            dsk_status st = dsk_reply_key(W, 200, body, len, &r, &e);
            assert_true(st == DSK_OK || st == DSK_E_MALFORMED);
            if (st == DSK_OK) {
                assert_int_equal(r.chain_len[0], 65);
                oks++;
            } else {
                assert_true(all_zero(&r, sizeof r));
                assert_null(strstr(e.msg, "1b5adb60"));
                bad++;
            }
        }
    }
    print_message("%zu mutations accepted, %zu refused\n", oks, bad);
    /* Hex digit swaps inside the values still parse; most mutations do not. */
    assert_true(oks > 0 && bad > oks);
}

static void test_key_v1(void **state)
{
    (void)state;
    char body[600];
    const char *k = "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5";
    const char *sig = "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c"
                      "33798d20477d877040fe6d7d9ea7aa39b853a7a3e56c2c0e36bba3e8e12a65b000";
    const char *pub33 = "032eb32fe300c29e10f805c8bd345e5601b1c6d0e10d645d49f9d6aae8bb0664f7";
    dsk_key_reply r;
    dsk_error e = {0};
    snprintf(body, sizeof body,
             "{\"key\":\"%s\",\"public_key\":\"%s\",\"signature_chain\":[\"%s\",\"\"]}", k, pub33,
             sig);
    assert_int_equal(dsk_reply_key_v1("/v1/GetKey", 200, body, strlen(body), 33, &r, &e), DSK_OK);
    assert_int_equal(r.public_key_len, 33);
    assert_int_equal(r.public_key[0], 0x03);
    assert_int_equal(r.chain_len[1], 0);
    /* a 33-byte key where ed25519's 32 are expected, and a missing one */
    assert_int_equal(dsk_reply_key_v1("/v1/GetKey", 200, body, strlen(body), 32, &r, &e),
                     DSK_E_MALFORMED);
    assert_non_null(strstr(e.msg, "public_key is 66 characters, expected 64"));
    assert_true(all_zero(&r, sizeof r));
    snprintf(body, sizeof body, "{\"key\":\"%s\",\"signature_chain\":[\"%s\",\"\"]}", k, sig);
    assert_int_equal(dsk_reply_key_v1("/v1/GetKey", 200, body, strlen(body), 33, &r, &e),
                     DSK_E_MALFORMED);
    assert_non_null(strstr(e.msg, "no \"public_key\""));
}

static void test_v1_404(void **state)
{
    (void)state;
    dsk_error e = {0};
    const char *html = "<!DOCTYPE html><html><h1>404: Not Found</h1></html>";
    assert_int_equal(dsk_reply_v1_404("/v1/GetKey on x", "GetKey", html, strlen(html), &e),
                     DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "no /v1 API (HTTP 404): it predates dstack 0.6; use `api = v0`"));
    /* rocket's JSON 404 (when the client prefers JSON) is no mount either */
    const char *rj = "{\"error\":{\"code\":404,\"reason\":\"Not Found\"}}";
    assert_int_equal(dsk_reply_v1_404("/v1/GetKey on x", "GetKey", rj, strlen(rj), &e),
                     DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "predates dstack 0.6"));
    assert_int_equal(dsk_reply_v1_404("/v1/GetKey on x", "GetKey", "", 0, &e), DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "predates dstack 0.6"));
    const char *sn = "{\"error\":\"Service not found: GetKey\"}";
    assert_int_equal(dsk_reply_v1_404("/v1/GetKey on x", "GetKey", sn, strlen(sn), &e),
                     DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "has the v1 API but no method GetKey"));
    assert_null(strstr(e.msg, "predates"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_ok),    cmocka_unit_test(test_key_malformed),
        cmocka_unit_test(test_refused),   cmocka_unit_test(test_info),
        cmocka_unit_test(test_version),   cmocka_unit_test(test_hex_field),
        cmocka_unit_test(test_printable), cmocka_unit_test(test_key_mutations),
        cmocka_unit_test(test_key_v1),    cmocka_unit_test(test_v1_404),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
