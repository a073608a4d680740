#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static void test_parse_and_format(void **state)
{
    (void)state;
    static const char *const good[] = {"none", "delay:0", "delay:250", "close", "garbage",
                                       "oversized", "http400", "http500", "short-key", "hang"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        dsk_sim_fault f = {.kind = DSK_SIM_FAULT_HANG, .ms = 99};
        char text[32];
        assert_int_equal(dsk_sim_fault_parse(good[i], &f, NULL), DSK_OK);
        dsk_sim_fault_format(&f, text, sizeof text);
        assert_string_equal(text, good[i]);
    }
    dsk_sim_fault f;
    assert_int_equal(dsk_sim_fault_parse("delay:600000", &f, NULL), DSK_OK);
    assert_int_equal(f.kind, DSK_SIM_FAULT_DELAY);
    assert_int_equal(f.ms, 600000);
}

static void test_bad_specs(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "None", "delay", "delay:", "delay:-1", "delay:1x",
                                      "delay:600001", "delay:99999999999999999999", "http404",
                                      "close ", "hang:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dsk_sim_fault f = {.kind = DSK_SIM_FAULT_NONE};
        dsk_error err = {0};
        assert_int_equal(dsk_sim_fault_parse(bad[i], &f, &err), DSK_E_ARGS);
        assert_true(strlen(err.msg) > 0);
        assert_int_equal(f.kind, DSK_SIM_FAULT_NONE);
    }
    dsk_error err = {0};
    dsk_sim_fault f;
    dsk_sim_fault_parse("bogus", &f, &err);
    assert_non_null(strstr(err.msg, "bogus"));
    assert_non_null(strstr(err.msg, "short-key"));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_sleep(void **state)
{
    (void)state;
    dsk_sim_fault_state st;
    assert_int_equal(dsk_sim_fault_state_init(&st, NULL), 0);
    double t0 = now_s();
    assert_true(dsk_sim_fault_sleep(&st, 120));
    double dt = now_s() - t0;
    assert_true(dt >= 0.119);
    assert_true(dt < 2.0);
    dsk_sim_fault_state_destroy(&st);
}

typedef struct waiter {
    dsk_sim_fault_state *st;
    int what; /* 0 hang, 1 sleep */
    bool result;
    volatile bool done;
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    w->result = w->what == 0 ? dsk_sim_fault_hang(w->st) : dsk_sim_fault_sleep(w->st, 60000);
    w->done = true;
    return NULL;
}

/* Hang lasts until the fault changes; shutdown ends hang and sleep. */
static void test_hang_until_change_or_stop(void **state)
{
    (void)state;
    dsk_sim_fault hang = {.kind = DSK_SIM_FAULT_HANG}, none = {.kind = DSK_SIM_FAULT_NONE};
    dsk_sim_fault_state st;
    pthread_t t;
    assert_int_equal(dsk_sim_fault_state_init(&st, &hang), 0);

    waiter w = {.st = &st, .what = 0};
    assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
    usleep(100000);
    assert_false(w.done);
    dsk_sim_fault_set(&st, &none);
    pthread_join(t, NULL);
    assert_true(w.result);

    dsk_sim_fault_set(&st, &hang);
    waiter w2 = {.st = &st, .what = 0}, w3 = {.st = &st, .what = 1};
    pthread_t t2, t3;
    assert_int_equal(pthread_create(&t2, NULL, wait_thread, &w2), 0);
    assert_int_equal(pthread_create(&t3, NULL, wait_thread, &w3), 0);
    usleep(100000);
    assert_false(w2.done);
    assert_false(w3.done);
    double t0 = now_s();
    dsk_sim_fault_stop(&st);
    pthread_join(t2, NULL);
    pthread_join(t3, NULL);
    assert_true(now_s() - t0 < 5.0);
    assert_false(w2.result);
    assert_false(w3.result);
    assert_int_equal(dsk_sim_fault_get(&st).kind, DSK_SIM_FAULT_HANG);
    dsk_sim_fault_state_destroy(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_sleep),
        cmocka_unit_test(test_hang_until_change_or_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
