/* tool/exit.c: every status has an exit code, the documented ones. */
#include "tooltest.h"

static void test_codes(void **state)
{
    assert_int_equal(dsk_tool_exit_code(DSK_OK), DSK_EXIT_OK);
    assert_int_equal(dsk_tool_exit_code(DSK_E_ARGS), DSK_EXIT_USAGE);
    assert_int_equal(dsk_tool_exit_code(DSK_E_CONFIG), DSK_EXIT_CONFIG);
    assert_int_equal(dsk_tool_exit_code(DSK_E_NOT_FOUND), DSK_EXIT_CONFIG);
    assert_int_equal(dsk_tool_exit_code(DSK_E_UNREACHABLE), DSK_EXIT_AGENT);
    assert_int_equal(dsk_tool_exit_code(DSK_E_TIMEOUT), DSK_EXIT_AGENT);
    assert_int_equal(dsk_tool_exit_code(DSK_E_REFUSED), DSK_EXIT_AGENT);
    assert_int_equal(dsk_tool_exit_code(DSK_E_MALFORMED), DSK_EXIT_AGENT);
    assert_int_equal(dsk_tool_exit_code(DSK_E_UNSUPPORTED), DSK_EXIT_KEY);
    assert_int_equal(dsk_tool_exit_code(DSK_E_IO), DSK_EXIT_INPUT);
    assert_int_equal(dsk_tool_exit_code(DSK_E_BAD_INPUT), DSK_EXIT_INPUT);
    assert_int_equal(dsk_tool_exit_code(DSK_E_VERIFY), DSK_EXIT_FAILED);
    assert_int_equal(dsk_tool_exit_code(DSK_E_NOMEM), DSK_EXIT_INTERNAL);
    assert_int_equal(dsk_tool_exit_code(DSK_E_CRYPTO), DSK_EXIT_INTERNAL);
    /* a status added later without a row is never mistaken for success */
    assert_int_equal(dsk_tool_exit_code((dsk_status)999), DSK_EXIT_INTERNAL);
    for (int s = 1; s <= DSK_E_IO; s++)
        assert_int_not_equal(dsk_tool_exit_code((dsk_status)s), DSK_EXIT_OK);
}

static void test_fail_returns_code(void **state)
{
    dsk_error e = {0};
    dsk_error_set(&e, DSK_E_NOT_FOUND, "no key labelled 'x'");
    assert_int_equal(dsk_tool_fail(&e), DSK_EXIT_CONFIG);
    assert_int_equal(dsk_tool_failf(DSK_EXIT_USAGE, "bad %s", "thing"), DSK_EXIT_USAGE);
    /* an error whose status was never set does not exit 0 */
    dsk_error unset = {0};
    assert_int_equal(dsk_tool_fail(&unset), DSK_EXIT_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_fail_returns_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
