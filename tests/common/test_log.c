#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void test_parse(void **state)
{
    (void)state;
    dsk_log_level l;
    assert_int_equal(dsk_log_level_parse("debug", &l), 0);
    assert_int_equal(l, DSK_LOG_DEBUG);
    assert_int_equal(dsk_log_level_parse("WARN", &l), 0);
    assert_int_equal(l, DSK_LOG_WARNING);
    assert_int_equal(dsk_log_level_parse("1", &l), 0);
    assert_int_equal(l, DSK_LOG_ERROR);
    assert_int_equal(dsk_log_level_parse("loud", &l), -1);
    assert_int_equal(dsk_log_level_parse("5", &l), -1);
}

/* Capture stderr into a file to check the line format and level filter. */
static void test_format_and_filter(void **state)
{
    (void)state;
    char name[] = "/tmp/dsk-log-XXXXXX";
    int fd = mkstemp(name);
    assert_true(fd >= 0);
    int saved = dup(2);
    fflush(stderr);
    dup2(fd, 2);
    dsk_log_init("unit", DSK_LOG_WARNING);
    dsk_log(DSK_LOG_INFO, "hidden %d", 1);
    dsk_log(DSK_LOG_ERROR, "shown %s", "here");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char buf[256] = {0};
    assert_true(pread(fd, buf, sizeof buf - 1, 0) > 0);
    close(fd);
    unlink(name);
    assert_string_equal(buf, "unit: error: shown here\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_format_and_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
