#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "status.h"

static void test_set_and_prefix(void **state)
{
    (void)state;
    dsk_error e;
    dsk_error_clear(&e);
    assert_int_equal(e.code, DSK_OK);
    assert_int_equal(dsk_error_set(&e, DSK_E_NOT_FOUND, "label '%s' unknown", "web"), DSK_E_NOT_FOUND);
    assert_string_equal(e.msg, "label 'web' unknown");
    assert_int_equal(dsk_error_prefix(&e, "key %d", 3), DSK_E_NOT_FOUND);
    assert_string_equal(e.msg, "key 3: label 'web' unknown");
    /* A NULL error is allowed and still returns the code. */
    assert_int_equal(dsk_error_set(NULL, DSK_E_IO, "x"), DSK_E_IO);
}

static void test_truncates_long_messages(void **state)
{
    (void)state;
    dsk_error e;
    char big[2 * DSK_ERROR_MSG_MAX];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dsk_error_set(&e, DSK_E_ARGS, "%s", big);
    assert_int_equal(strlen(e.msg), DSK_ERROR_MSG_MAX - 1);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(dsk_status_name(DSK_OK), "ok");
    assert_string_equal(dsk_status_name(DSK_E_UNREACHABLE), "dstack unreachable");
    assert_string_equal(dsk_status_name((dsk_status)999), "unknown status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_prefix),
        cmocka_unit_test(test_truncates_long_messages),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
