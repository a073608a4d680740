/* The allocation-free JSON check: RFC 8259 syntax, and never more lenient
 * than cJSON (whatever it accepts, cJSON parses whole). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <string.h>

#include "internal.h"

/* cJSON parses text[0..len) whole (trailing whitespace allowed). */
static int cjson_whole(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    int ok = j != NULL;
    while (ok && end < text + len && strchr(" \t\r\n", *end) && *end)
        end++;
    ok = ok && end == text + len;
    cJSON_Delete(j);
    return ok;
}

static void test_valid(void **state)
{
    (void)state;
    const char *ok[] = {
        "{}",
        "[]",
        " {\"a\" : [ 1 , -0.5e+3, 2E-2, 0, true, false, null ] }\r\n",
        "\"s\"",
        "0",
        "-0",
        "1E5",
        "{\"k\":\"\\u00e9\\ud83d\\udd11\\n\\t\\\"\\\\\\/\\b\\f\\r\"}",
        "{\"a\":{\"b\":{\"c\":[[[]]]}}}",
        "{\"a\":1,\"a\":2}",
        "\"\xc3\xa9 raw UTF-8\"",
        "123456789012345678901234567890123456789012345678901234567890123",
        "\"\\u0000\"",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (!dsk_json_check(ok[i], strlen(ok[i])))
            fail_msg("refused valid JSON: %s", ok[i]);
        assert_true(cjson_whole(ok[i], strlen(ok[i])));
    }
}

/* \u0000 is valid JSON, but flagged: cJSON would keep a string cut short. */
static void test_nul_flag(void **state)
{
    (void)state;
    int nul = 7;
    assert_true(dsk_json_check_nul("{\"k\":\"ab\\u0000cd\"}", strlen("{\"k\":\"ab\\u0000cd\"}"), &nul));
    assert_int_equal(nul, 1);
    assert_true(dsk_json_check_nul("{\"k\":\"ab\\\\u0000\"}", strlen("{\"k\":\"ab\\\\u0000\"}"), &nul));
    assert_int_equal(nul, 0); /* an escaped backslash, then text */
    assert_true(dsk_json_check_nul("{\"\\u0000\":1}", strlen("{\"\\u0000\":1}"), &nul));
    assert_int_equal(nul, 1);
    assert_false(dsk_json_check_nul("{\"k\":", strlen("{\"k\":"), &nul));
}

static void test_invalid(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        " ",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{,}",
        "[1,]",
        "{\"a\":1,}",
        "{a:1}",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "+1",
        "\"\x01\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"\\q\"",
        "\"\\u12g4\"",
        "tru",
        "nul",
        "True",
        "{\"a\":1}x",
        "{\"a\":1}{}",
        "[1 2]",
        "\"open",
        "'single'",
        "[\"a\":1]",
        "1234567890123456789012345678901234567890123456789012345678901234",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dsk_json_check(bad[i], strlen(bad[i])))
            fail_msg("accepted invalid JSON: %s", bad[i]);
    assert_false(dsk_json_check(NULL, 0));
    assert_false(dsk_json_check("{}\0", 3)); /* a NUL is not whitespace */
    assert_false(dsk_json_check("\"a\0b\"", 5));
}

static void test_depth(void **state)
{
    (void)state;
    char deep[200];
    for (int n = 30; n <= 34; n++) {
        for (int i = 0; i < n; i++) {
            deep[i] = '[';
            deep[2 * n - 1 - i] = ']';
        }
        /* dstack replies nest 2 levels; the limit is 32. */
        assert_int_equal(dsk_json_check(deep, 2 * (size_t)n), n <= 32);
    }
}

/* Single-byte mutations and truncations of a GetKey-like reply: whenever
 * the check accepts, cJSON parses whole. */
static void test_never_laxer_than_cjson(void **state)
{
    (void)state;
    static const char good[] =
        "{\"key\":\"143a1b5adb60fb8a\",\"signature_chain\":[\"14810d\",\"\"],"
        "\"n\":-1.5e3,\"u\":\"\\ud83d\\udd11\",\"b\":[true,false,null]}";
    const char subst[] = {'\0', '"', '}',  ']', '{', '[', ',',    ':',    'g', '0', '-', '.',
                          'e',  ' ', '\\', 'u', 'd', '8', '\x01', '\xff', 't', 'n', '\n'};
    char buf[sizeof good];
    size_t accepted = 0, refused = 0, stricter = 0;
    for (size_t pos = 0; pos < sizeof good - 1; pos++) {
        for (size_t k = 0; k <= sizeof subst; k++) {
            size_t len = sizeof good - 1;
            memcpy(buf, good, sizeof good);
            if (k == sizeof subst)
                len = pos;
            else
                buf[pos] = subst[k];
            if (dsk_json_check(buf, len)) {
                accepted++;
                if (!cjson_whole(buf, len))
                    fail_msg("accepted what cJSON refuses: %.*s", (int)len, buf);
            } else {
                refused++;
                stricter += cjson_whole(buf, len);
            }
        }
    }
    print_message("%zu accepted, %zu refused (%zu of them accepted by cJSON)\n", accepted, refused,
                  stricter);
    assert_true(accepted > 100 && refused > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_nul_flag),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_never_laxer_than_cjson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
