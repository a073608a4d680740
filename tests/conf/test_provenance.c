/* conf/provenance.c: kms_root, app_id and verify in [token] (file:line
 * errors, defaults) and through dsk_conf_apply_trust (the provider's
 * openssl.cnf settings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "conf.h"

#define ROOT "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6"
#define ROOT2 "02db8af749ee56bf043b058418e04e1173217534d25117eb16cf0ff329b5869d25"
#define APP "5bb4ff9a3837357f19dc176407a5709c62eb6c56"

static dsk_conf *parse_ok(const char *text)
{
    dsk_conf *c = NULL;
    dsk_error e = {0};
    if (dsk_conf_parse(text, "t.conf", &c, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    return c;
}

static void expect_error(const char *text, const char *msg)
{
    dsk_conf *c = NULL;
    dsk_error e = {0};
    assert_int_equal(dsk_conf_parse(text, "t.conf", &c, &e), DSK_E_CONFIG);
    assert_null(c);
    if (!strstr(e.msg, msg))
        fail_msg("'%s' does not contain '%s'", e.msg, msg);
}

static void test_defaults(void **state)
{
    dsk_conf *c;
    (void)state;
    c = parse_ok("[token]\nlabel = x\n");
    assert_int_equal(c->verify, DSK_VERIFY_OFF);
    assert_int_equal(c->n_kms_roots, 0);
    assert_false(c->have_app_id);
    dsk_conf_free(c);
    /* a root makes require the default */
    c = parse_ok("[token]\nkms_root = " ROOT "\n");
    assert_int_equal(c->verify, DSK_VERIFY_REQUIRE);
    assert_int_equal(c->n_kms_roots, 1);
    assert_int_equal(c->kms_roots[0][0], 0x03);
    assert_int_equal(c->kms_roots[0][32], 0xb6);
    dsk_conf_free(c);
}

static void test_all_settings(void **state)
{
    dsk_conf *c;
    (void)state;
    c = parse_ok("[token]\nverify = warn\nkms_root = " ROOT ", 0x" ROOT2 "\napp_id = 0x" APP "\n");
    assert_int_equal(c->verify, DSK_VERIFY_WARN);
    assert_int_equal(c->n_kms_roots, 2);
    assert_int_equal(c->kms_roots[1][0], 0x02);
    assert_true(c->have_app_id);
    assert_int_equal(c->app_id[0], 0x5b);
    assert_int_equal(c->app_id[19], 0x56);
    dsk_conf_free(c);
    c = parse_ok("[token]\nkms_root = " ROOT "\nverify = OFF\n");
    assert_int_equal(c->verify, DSK_VERIFY_OFF);
    dsk_conf_free(c);
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    expect_error("[token]\nkms_root = 03abcd\n", "t.conf:2: kms_root: KMS root '03abcd' is not 66 hex");
    /* 66 hex digits, but 04 is no compressed prefix / x not on the curve */
    expect_error("[token]\nkms_root = 0421529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6\n",
                 "t.conf:2: kms_root: KMS root");
    expect_error("[token]\nkms_root = 02ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
                 "not a SEC1-compressed secp256k1 public key");
    expect_error("[token]\nkms_root = , \n", "t.conf:2: empty kms_root");
    expect_error("[token]\napp_id = 5bb4\n", "t.conf:2: app_id: app id '5bb4' is not 40 hex digits");
    expect_error("[token]\nverify = maybe\n", "t.conf:2: unknown verify mode 'maybe': valid modes are off, warn, require");
    /* the cross-check waits for the file's end and names the verify line */
    expect_error("[token]\nlabel = x\nverify = require\n\n[key a]\n",
                 "t.conf:3: verify = require needs kms_root");
    expect_error("[token]\nverify = warn\n", "verify = warn needs kms_root");
}

static void test_order_does_not_matter(void **state)
{
    dsk_conf *c;
    (void)state;
    c = parse_ok("[token]\nverify = require\nkms_root = " ROOT "\n");
    assert_int_equal(c->verify, DSK_VERIFY_REQUIRE);
    dsk_conf_free(c);
}

/* The provider's openssl.cnf settings override the file's. */
static void test_apply_overrides(void **state)
{
    dsk_conf *c;
    dsk_error e = {0};
    (void)state;
    c = parse_ok("[token]\nkms_root = " ROOT "\n");
    assert_int_equal(dsk_conf_apply_trust(c, ROOT2, APP, NULL, &e), DSK_OK);
    assert_int_equal(c->n_kms_roots, 1);
    assert_int_equal(c->kms_roots[0][0], 0x02);
    assert_true(c->have_app_id);
    assert_int_equal(c->verify, DSK_VERIFY_REQUIRE);
    assert_int_equal(dsk_conf_apply_trust(c, NULL, NULL, "warn", &e), DSK_OK);
    assert_int_equal(c->verify, DSK_VERIFY_WARN);
    assert_int_equal(dsk_conf_apply_trust(c, "zz", NULL, NULL, &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "kms_root"));
    /* the failed root left the earlier one */
    assert_int_equal(c->n_kms_roots, 1);
    dsk_conf_free(c);
    assert_int_equal(dsk_conf_new_default(&c, &e), DSK_OK);
    assert_int_equal(dsk_conf_apply_trust(c, NULL, NULL, "require", &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "needs kms_root"));
    assert_int_equal(dsk_conf_apply_trust(NULL, NULL, NULL, NULL, &e), DSK_E_ARGS);
    dsk_conf_free(c);
}

static void test_mode_names(void **state)
{
    dsk_verify_mode m;
    dsk_error e = {0};
    (void)state;
    assert_string_equal(dsk_verify_mode_name(DSK_VERIFY_OFF), "off");
    assert_string_equal(dsk_verify_mode_name(DSK_VERIFY_WARN), "warn");
    assert_string_equal(dsk_verify_mode_name(DSK_VERIFY_REQUIRE), "require");
    assert_int_equal(dsk_verify_mode_parse("Require", &m, &e), DSK_OK);
    assert_int_equal(m, DSK_VERIFY_REQUIRE);
    assert_int_equal(dsk_verify_mode_parse(NULL, &m, &e), DSK_E_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_settings),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_order_does_not_matter),
        cmocka_unit_test(test_apply_overrides),
        cmocka_unit_test(test_mode_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
