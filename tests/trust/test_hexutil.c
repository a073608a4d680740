/* trust/hexutil.c: pinned roots and app ids from hex. */
#include "trusttest.h"

static void test_roots(void **state)
{
    unsigned char r[33];
    dsk_error e = {0};
    (void)state;
    assert_int_equal(dsk_trust_parse_root(TT_ROOT, r, &e), DSK_OK);
    tt_assert_hex(r, 33, TT_ROOT);
    assert_int_equal(dsk_trust_parse_root("0x" TT_ROOT, r, &e), DSK_OK);
    assert_int_equal(dsk_trust_parse_root("03abcd", r, &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "66 hex digits"));
    assert_int_equal(dsk_trust_parse_root(NULL, r, &e), DSK_E_CONFIG);
    /* uncompressed prefix, off-curve x */
    assert_int_equal(
        dsk_trust_parse_root("0421529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6", r, &e),
        DSK_E_CONFIG);
    assert_int_equal(
        dsk_trust_parse_root("02ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", r, &e),
        DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "point on the curve"));
    assert_int_equal(
        dsk_trust_parse_root("zz21529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6", r, &e),
        DSK_E_CONFIG);
}

static void test_app_ids(void **state)
{
    unsigned char id[20];
    dsk_error e = {0};
    (void)state;
    assert_int_equal(dsk_trust_parse_app_id(TT_APP_ID, id, &e), DSK_OK);
    tt_assert_hex(id, 20, TT_APP_ID);
    assert_int_equal(dsk_trust_parse_app_id("0X" TT_APP_ID, id, &e), DSK_OK);
    assert_int_equal(dsk_trust_parse_app_id(TT_APP_ID "00", id, &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "40 hex digits"));
    assert_int_equal(dsk_trust_parse_app_id("", id, &e), DSK_E_CONFIG);
    assert_int_equal(dsk_trust_parse_app_id(NULL, id, &e), DSK_E_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roots),
        cmocka_unit_test(test_app_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
