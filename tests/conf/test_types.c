/* conf/types.c: key type names, usages, UTF-8 check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "internal.h"

static void type_names_round_trip(void **state)
{
    (void)state;
    static const char *const expect[DSK_KEY_TYPE_COUNT] = {
        "secp256k1", "ed25519",  "ec-p256",  "ec-p384",
        "rsa-2048",  "rsa-3072", "rsa-4096", "tappd-p256",
    };
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
        assert_string_equal(dsk_key_type_name((dsk_key_type)t), expect[t]);
        dsk_key_type got = DSK_KEY_TYPE_COUNT;
        assert_int_equal(dsk_key_type_parse(expect[t], &got, NULL), DSK_OK);
        assert_int_equal(got, t);
    }
    assert_null(dsk_key_type_name(DSK_KEY_TYPE_COUNT));
    assert_null(dsk_key_type_name((dsk_key_type)-1));
}

static void type_parse_ignores_case(void **state)
{
    (void)state;
    dsk_key_type t;
    assert_int_equal(dsk_key_type_parse("EC-P384", &t, NULL), DSK_OK);
    assert_int_equal(t, DSK_KEY_EC_P384);
    assert_int_equal(dsk_key_type_parse("Ed25519", &t, NULL), DSK_OK);
    assert_int_equal(t, DSK_KEY_ED25519);
}

static void type_parse_unknown_lists_valid(void **state)
{
    (void)state;
    dsk_key_type t = DSK_KEY_RSA_2048;
    dsk_error e = {0};
    assert_int_equal(dsk_key_type_parse("ec-p521", &t, &e), DSK_E_CONFIG);
    assert_int_equal(e.code, DSK_E_CONFIG);
    assert_string_equal(e.msg, "unknown key type 'ec-p521': valid types are secp256k1, ed25519, "
                               "ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, tappd-p256");
    assert_int_equal(t, DSK_KEY_RSA_2048); /* untouched on failure */
    assert_int_equal(dsk_key_type_parse("", &t, &e), DSK_E_CONFIG);
    assert_int_equal(dsk_key_type_parse("ec-p256 ", &t, &e), DSK_E_CONFIG);
    assert_int_equal(dsk_key_type_parse(NULL, &t, &e), DSK_E_ARGS);
}

static void type_usages(void **state)
{
    (void)state;
    assert_int_equal(dsk_key_type_usages(DSK_KEY_SECP256K1), DSK_USAGE_SIGN | DSK_USAGE_DERIVE);
    assert_int_equal(dsk_key_type_usages(DSK_KEY_EC_P256), DSK_USAGE_SIGN | DSK_USAGE_DERIVE);
    assert_int_equal(dsk_key_type_usages(DSK_KEY_EC_P384), DSK_USAGE_SIGN | DSK_USAGE_DERIVE);
    assert_int_equal(dsk_key_type_usages(DSK_KEY_ED25519), DSK_USAGE_SIGN);
    assert_int_equal(dsk_key_type_usages(DSK_KEY_RSA_2048), DSK_USAGE_SIGN | DSK_USAGE_DECRYPT);
    assert_int_equal(dsk_key_type_usages(DSK_KEY_RSA_3072), DSK_USAGE_SIGN | DSK_USAGE_DECRYPT);
    assert_int_equal(dsk_key_type_usages(DSK_KEY_RSA_4096), DSK_USAGE_SIGN | DSK_USAGE_DECRYPT);
    assert_int_equal(dsk_key_type_usages(DSK_KEY_TYPE_COUNT), 0);
}

static void usage_parse_lists(void **state)
{
    (void)state;
    unsigned u = 0;
    assert_int_equal(dsk_key_usage_parse("sign", &u, NULL), DSK_OK);
    assert_int_equal(u, DSK_USAGE_SIGN);
    assert_int_equal(dsk_key_usage_parse("sign, derive", &u, NULL), DSK_OK);
    assert_int_equal(u, DSK_USAGE_SIGN | DSK_USAGE_DERIVE);
    assert_int_equal(dsk_key_usage_parse("DECRYPT,sign", &u, NULL), DSK_OK);
    assert_int_equal(u, DSK_USAGE_SIGN | DSK_USAGE_DECRYPT);
    assert_int_equal(dsk_key_usage_parse(" derive  sign ,, decrypt ", &u, NULL), DSK_OK);
    assert_int_equal(u, DSK_USAGE_SIGN | DSK_USAGE_DECRYPT | DSK_USAGE_DERIVE);
    assert_int_equal(dsk_key_usage_parse("sign,sign", &u, NULL), DSK_OK);
    assert_int_equal(u, DSK_USAGE_SIGN);
}

static void usage_parse_errors(void **state)
{
    (void)state;
    unsigned u = 77;
    dsk_error e = {0};
    assert_int_equal(dsk_key_usage_parse("sign, encrypt", &u, &e), DSK_E_CONFIG);
    assert_string_equal(e.msg, "unknown usage 'encrypt': valid usages are sign, decrypt, derive "
                               "(separated by commas)");
    assert_int_equal(u, 77);
    assert_int_equal(dsk_key_usage_parse("signs", &u, &e), DSK_E_CONFIG);
    assert_string_equal(e.msg, "unknown usage 'signs': valid usages are sign, decrypt, derive "
                               "(separated by commas)");
    assert_int_equal(dsk_key_usage_parse(" , ", &u, &e), DSK_E_CONFIG);
    assert_string_equal(e.msg, "empty usage: write one or more of sign, decrypt, derive (or "
                               "leave the setting out for all the type supports)");
    assert_int_equal(dsk_key_usage_parse("", &u, &e), DSK_E_CONFIG);
    assert_int_equal(u, 77);
}

static void usage_format(void **state)
{
    (void)state;
    char buf[64];
    dsk_key_usage_format(DSK_USAGE_DERIVE | DSK_USAGE_SIGN, buf, sizeof buf);
    assert_string_equal(buf, "sign, derive");
    dsk_key_usage_format(DSK_USAGE_SIGN | DSK_USAGE_DECRYPT | DSK_USAGE_DERIVE, buf, sizeof buf);
    assert_string_equal(buf, "sign, decrypt, derive");
    dsk_key_usage_format(0, buf, sizeof buf);
    assert_string_equal(buf, "");
    char small[7];
    dsk_key_usage_format(DSK_USAGE_SIGN | DSK_USAGE_DECRYPT, small, sizeof small);
    assert_string_equal(small, "sign, ");
}

static void utf8(void **state)
{
    (void)state;
    assert_true(dsk_conf_utf8_valid("", 0));
    assert_true(dsk_conf_utf8_valid("plain/ascii", 11));
    assert_true(dsk_conf_utf8_valid("caf\xc3\xa9", 5));
    assert_true(dsk_conf_utf8_valid("\xe2\x82\xac", 3));      /* euro sign */
    assert_true(dsk_conf_utf8_valid("\xf0\x9f\x94\x91", 4));  /* key emoji */
    assert_false(dsk_conf_utf8_valid("\xc3", 1));             /* cut short */
    assert_false(dsk_conf_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(dsk_conf_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(dsk_conf_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(dsk_conf_utf8_valid("\xff", 1));
    assert_false(dsk_conf_utf8_valid("a\x80", 2)); /* lone continuation */
    assert_false(dsk_conf_utf8_valid("\xe2\x82"
                                     "a",
                                     3)); /* bad continuation */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_names_round_trip),
        cmocka_unit_test(type_parse_ignores_case),
        cmocka_unit_test(type_parse_unknown_lists_valid),
        cmocka_unit_test(type_usages),
        cmocka_unit_test(usage_parse_lists),
        cmocka_unit_test(usage_parse_errors),
        cmocka_unit_test(usage_format),
        cmocka_unit_test(utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
