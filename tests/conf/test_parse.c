/* conf/parse.c: lines, comments, sections, and where errors are reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"

static dsk_conf *parse_ok(const char *text)
{
    dsk_conf *c = NULL;
    dsk_error e = {0};
    dsk_status st = dsk_conf_parse(text, "dir/p.conf", &c, &e);
    if (st != DSK_OK)
        fail_msg("unexpected error: %s", e.msg);
    assert_non_null(c);
    return c;
}

static void expect_error(const char *text, const char *msg)
{
    dsk_conf *c = (dsk_conf *)1;
    dsk_error e = {0};
    assert_int_equal(dsk_conf_parse(text, "dir/p.conf", &c, &e), DSK_E_CONFIG);
    assert_null(c);
    assert_string_equal(e.msg, msg);
}

static void empty_and_comment_only(void **state)
{
    (void)state;
    dsk_conf *c = parse_ok("");
    assert_int_equal(c->nkeys, 0);
    assert_string_equal(c->token_label, "dstack");
    assert_string_equal(c->file, "dir/p.conf");
    assert_null(c->missing_file);
    dsk_conf_free(c);
    c = parse_ok("# a comment\n; another\n\n   \n\t# indented comment\n");
    assert_int_equal(c->nkeys, 0);
    dsk_conf_free(c);
}

static void the_reference_example(void **state)
{
    (void)state;
    dsk_conf *c =
        parse_ok("# comments with # or ;\n"
                 "[token]\n"
                 "label = dstack                 ; default token label\n"
                 "endpoint = /var/run/dstack.sock ; or http://127.0.0.1:8090; default: discovery\n"
                 "connect_timeout_ms = 1000\n"
                 "timeout_ms = 5000\n"
                 "log_level = info              ; none|error|warning|info|debug\n"
                 "pin = 1234                     ; optional user PIN\n"
                 "\n"
                 "[key web]                      ; key label\n"
                 "path = /my-app/tls             ; getKey path\n"
                 "type = ec-p256                 ; secp256k1 ed25519 ...\n"
                 "purpose = signing              ; default \"\"\n"
                 "usage = sign, derive           ; sign, decrypt, derive\n"
                 "id = 01a2                      ; optional CKA_ID\n"
                 "token = other-token            ; optional\n"
                 "[key wallet]\n"
                 "type = secp256k1\n");
    assert_string_equal(c->token_label, "dstack");
    assert_string_equal(c->endpoint, "/var/run/dstack.sock");
    assert_int_equal(c->log_level, 3);
    assert_string_equal(c->user_pin, "1234");
    assert_int_equal(c->nkeys, 2);
    const dsk_key_entry *k = dsk_conf_find(c, "web");
    assert_ptr_equal(k, &c->keys[0]);
    assert_string_equal(k->path, "/my-app/tls");
    assert_string_equal(k->purpose, "signing");
    assert_string_equal(k->token, "other-token");
    assert_int_equal(k->line, 10);
    k = dsk_conf_find(c, "wallet");
    assert_int_equal(k->type, DSK_KEY_SECP256K1);
    assert_int_equal(k->line, 17);
    dsk_conf_free(c);
}

static void indentation_crlf_bom_and_hash_comments(void **state)
{
    (void)state;
    /* Indented settings must not become continuation lines of the value
     * before them (inih's multi-line values). */
    dsk_conf *c = parse_ok("\xEF\xBB\xBF[key a]\r\n"
                           "    path = /p\r\n"
                           "    type = ed25519   # hash comment after a value\r\n"
                           "\t[key b]  # comment after a header\r\n"
                           "  purpose = x#y\r\n");
    assert_int_equal(c->nkeys, 2);
    assert_string_equal(c->keys[0].path, "/p");
    assert_int_equal(c->keys[0].type, DSK_KEY_ED25519);
    assert_string_equal(c->keys[1].label, "b");
    assert_int_equal(c->keys[1].line, 4);
    assert_string_equal(c->keys[1].purpose, "x#y");
    dsk_conf_free(c);
}

static void labels(void **state)
{
    (void)state;
    /* Spaces inside a label are kept, around it dropped; long labels are
     * not cut (inih alone would cut section names at 50 bytes). */
    char text[300], label[151];
    memset(label, 'l', 150);
    label[150] = '\0';
    snprintf(text, sizeof text, "[ key   my web key  ]\n[key %s]\n[key caf\xc3\xa9]\n", label);
    dsk_conf *c = parse_ok(text);
    assert_int_equal(c->nkeys, 3);
    assert_string_equal(c->keys[0].label, "my web key");
    assert_string_equal(c->keys[0].path, "my web key");
    assert_string_equal(c->keys[1].label, label);
    assert_string_equal(c->keys[2].label, "caf\xc3\xa9");
    assert_null(dsk_conf_find(c, "my"));
    assert_null(dsk_conf_find(c, NULL));
    assert_null(dsk_conf_find(NULL, "my web key"));
    dsk_conf_free(c);
}

static void section_errors(void **state)
{
    (void)state;
    expect_error("[token]\n[keys web]\n",
                 "dir/p.conf:2: unknown section [keys web]: valid sections are [token] and "
                 "[key LABEL]");
    expect_error("\n\n[Token]\n",
                 "dir/p.conf:3: unknown section [Token]: valid sections are [token] and "
                 "[key LABEL]");
    expect_error("[key]\n", "dir/p.conf:1: [key] section without a label: write [key LABEL], "
                            "e.g. [key web]");
    expect_error("[key    ]\n", "dir/p.conf:1: [key] section without a label: write "
                                "[key LABEL], e.g. [key web]");
    expect_error("[key web\n", "dir/p.conf:1: section header without ']': write [token] or "
                               "[key LABEL]");
    expect_error("[key web] path = x\n", "dir/p.conf:1: text after ']' of a section header: "
                                         "only a comment (';' or '#') may follow");
    expect_error("[key a]\n[key b]\n\n[key a]\n",
                 "dir/p.conf:4: duplicate key label 'a' (first defined at line 1): labels must "
                 "be unique");
    expect_error("[key \xff]\n", "dir/p.conf:1: key label is not valid UTF-8");
}

static void syntax_errors(void **state)
{
    (void)state;
    expect_error("[token]\nlabel = a\njust some words\n",
                 "dir/p.conf:3: expected 'name = value', a [section] or a comment");
    /* The first error wins, whoever found it. */
    expect_error("[token]\nnonsense\nbogus = 1\n",
                 "dir/p.conf:2: expected 'name = value', a [section] or a comment");
    expect_error("[token]\nbogus = 1\nnonsense\n",
                 "dir/p.conf:2: unknown setting 'bogus' in [token]: valid settings are label, "
                 "endpoint, connect_timeout_ms, timeout_ms, log_level, pin, secure_heap, api, "
                 "kms_root, app_id, verify, inline_keys, agent_uid");
    expect_error("[token]\nnonsense\n[nope]\n",
                 "dir/p.conf:2: expected 'name = value', a [section] or a comment");
}

static void long_lines(void **state)
{
    (void)state;
    char text[600];
    /* 198 characters fit in inih's 200-byte buffer with '\n' and NUL... */
    char path[200];
    memset(path, 'p', sizeof path);
    path[198 - 7] = '\0'; /* "path = " + 191 */
    snprintf(text, sizeof text, "[key a]\npath = %s\n", path);
    dsk_conf *c = parse_ok(text);
    assert_int_equal(strlen(c->keys[0].path), 191);
    dsk_conf_free(c);
    /* ...one more does not, and is refused rather than split in two. */
    path[198 - 7] = 'p';
    path[199 - 7] = '\0';
    snprintf(text, sizeof text, "[key a]\npath = %s\n", path);
    expect_error(text, "dir/p.conf:2: line too long (199 characters; at most 198)");
    /* Leading blanks do not count. */
    snprintf(text, sizeof text, "[key a]\n      path = %.191s\n", path);
    c = parse_ok(text);
    dsk_conf_free(c);
}

static void usage_checked_when_key_ends(void **state)
{
    (void)state;
    /* The check runs at the next header, at the end of the file, and is
     * reported at the usage line either way. */
    expect_error("[key a]\nusage = decrypt\n\n[token]\n",
                 "dir/p.conf:2: key 'a': usage 'decrypt' is not supported by type ec-p256 (it "
                 "supports: sign, derive)");
    expect_error("[key a]\nusage = decrypt\n",
                 "dir/p.conf:2: key 'a': usage 'decrypt' is not supported by type ec-p256 (it "
                 "supports: sign, derive)");
}

static void name_in_messages(void **state)
{
    (void)state;
    dsk_conf *c = (dsk_conf *)1;
    dsk_error e = {0};
    assert_int_equal(dsk_conf_parse("[x]\n", NULL, &c, &e), DSK_E_CONFIG);
    assert_string_equal(e.msg, "<string>:1: unknown section [x]: valid sections are [token] and "
                               "[key LABEL]");
    assert_null(c);
    assert_int_equal(dsk_conf_parse("", NULL, &c, NULL), DSK_OK);
    assert_null(c->file);
    dsk_conf_free(c);
    /* No error struct: the status still tells what went wrong. */
    assert_int_equal(dsk_conf_parse("[key a]\ncertificate = /nonexistent/x\n", NULL, &c, NULL),
                     DSK_E_IO);
    assert_int_equal(dsk_conf_parse(NULL, "x", &c, &e), DSK_E_ARGS);
    assert_int_equal(dsk_conf_parse("", "x", NULL, &e), DSK_E_ARGS);
}

/* Random files built from the format's own pieces: whatever comes out, the
 * result is a configuration or an error that names a line of the text. */
static void random_files_name_a_line(void **state)
{
    (void)state;
    static const char *const good[] = {
        "[key a]",
        "[key b]",
        "[token]",
        "path = /p",
        "type = rsa-2048",
        "type = ed25519",
        "usage = sign",
        "id = 01",
        "pin = 1",
        "label = t",
        "token = t2",
        "timeout_ms = 7",
        "log_level = info",
        "; c",
        "# c",
        " ",
        "\t",
        "\r",
        "caf\xc3\xa9",
        "[key c]",
    };
    static const char *const bad[] = {
        "[key]",
        "[x",
        "=",
        "nonsense",
        "\xc3",
        "\xff",
        "id = zz",
        "usage = decrypt",
        "certificate = /nonexistent",
        "[key a] x",
    };
    unsigned long seed = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        char text[2048] = "";
        size_t used = 0;
        int lines = 1;
        int n = (int)(seed % 12);
        for (int i = 0; i < n; i++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            const char *piece = (seed >> 40) % 16 == 0
                                    ? bad[(seed >> 33) % (sizeof bad / sizeof bad[0])]
                                    : good[(seed >> 33) % (sizeof good / sizeof good[0])];
            const char *sep = (seed >> 20) & 1 ? "\n" : " ";
            int w = snprintf(text + used, sizeof text - used, "%s%s", piece, sep);
            assert_true(w > 0 && (size_t)w < sizeof text - used);
            used += (size_t)w;
            lines += sep[0] == '\n';
        }
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        dsk_conf *c = NULL;
        dsk_error e = {0};
        dsk_status st = dsk_conf_parse(text, NULL, &c, &e);
        if (st == DSK_OK) {
            assert_non_null(c);
            for (size_t k = 0; k < c->nkeys; k++) {
                assert_non_null(c->keys[k].path);
                assert_int_equal(c->keys[k].usage & ~dsk_key_type_usages(c->keys[k].type), 0);
                assert_int_not_equal(c->keys[k].usage, 0);
            }
            dsk_conf_free(c);
            continue;
        }
        assert_null(c);
        assert_true(st == DSK_E_CONFIG || st == DSK_E_IO);
        int line = 0, off = 0;
        if (sscanf(e.msg, "<string>:%d: %n", &line, &off) != 1 || off == 0)
            fail_msg("no file:line in '%s' for '%s'", e.msg, text);
        assert_in_range(line, 1, lines);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_and_comment_only),
        cmocka_unit_test(the_reference_example),
        cmocka_unit_test(indentation_crlf_bom_and_hash_comments),
        cmocka_unit_test(labels),
        cmocka_unit_test(section_errors),
        cmocka_unit_test(syntax_errors),
        cmocka_unit_test(long_lines),
        cmocka_unit_test(usage_checked_when_key_ends),
        cmocka_unit_test(name_in_messages),
        cmocka_unit_test(random_files_name_a_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
