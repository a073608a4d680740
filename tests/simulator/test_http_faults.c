/* Every injected fault, as a raw client sees it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "rawhttp.h"
#include "simproc.h"

#define TIMEOUT_MS 5000

static dsk_test_sim sim;

static int setup(void **state)
{
    (void)state;
    return dsk_test_sim_start(&sim, NULL);
}

static int teardown(void **state)
{
    (void)state;
    return dsk_test_sim_stop(&sim) == 0 ? 0 : -1;
}

static int reset(void **state)
{
    (void)state;
    return dsk_test_sim_fault(&sim, "none");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static raw_result get_key(raw_reply *r, int timeout_ms)
{
    return raw_request(sim.sock, "POST", "/GetKey", "{\"path\":\"test/wallet\"}", r, timeout_ms);
}

static void set_fault(const char *spec)
{
    assert_int_equal(dsk_test_sim_fault(&sim, spec), 0);
}

static void test_control_path(void **state)
{
    (void)state;
    raw_reply r;
    char v[64];
    assert_int_equal(raw_request(sim.sock, "POST", "/_simulator/fault", "{\"fault\":\"delay:20\"}", &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "fault", v, sizeof v);
    assert_string_equal(v, "delay:20");
    raw_reply_free(&r);
    assert_int_equal(raw_request(sim.sock, "GET", "/_simulator/fault", NULL, &r, TIMEOUT_MS), RAW_OK);
    raw_json_string(&r, "fault", v, sizeof v);
    assert_string_equal(v, "delay:20");
    raw_reply_free(&r);
    assert_int_equal(raw_request(sim.sock, "POST", "/_simulator/fault", "{\"fault\":\"explode\"}", &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 400);
    raw_json_string(&r, "error", v, sizeof v);
    assert_non_null(strstr(v, "explode"));
    raw_reply_free(&r);
    assert_int_equal(raw_request(sim.sock, "POST", "/_simulator/fault", "{}", &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 400);
    raw_reply_free(&r);
    /* A bad spec leaves the fault as it was. */
    assert_int_equal(raw_request(sim.sock, "GET", "/_simulator/fault", NULL, &r, TIMEOUT_MS), RAW_OK);
    raw_json_string(&r, "fault", v, sizeof v);
    assert_string_equal(v, "delay:20");
    raw_reply_free(&r);
}

static void test_delay(void **state)
{
    (void)state;
    raw_reply r;
    set_fault("delay:400");
    double t0 = now_s();
    assert_int_equal(get_key(&r, TIMEOUT_MS), RAW_OK);
    double dt = now_s() - t0;
    assert_int_equal(r.status, 200);
    assert_true(dt >= 0.39);
    raw_reply_free(&r);
}

static void test_close(void **state)
{
    (void)state;
    raw_reply r;
    set_fault("close");
    assert_int_equal(get_key(&r, TIMEOUT_MS), RAW_CLOSED);
    assert_int_equal(r.raw_len, 0);
    raw_reply_free(&r);
}

static void test_garbage(void **state)
{
    (void)state;
    raw_reply r;
    set_fault("garbage");
    assert_int_equal(get_key(&r, TIMEOUT_MS), RAW_NOT_HTTP);
    raw_reply_free(&r);
    int fd = raw_connect(sim.sock);
    static const char req[] = "GET /Info HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(raw_send(fd, req, sizeof req - 1), 0);
    assert_int_equal(raw_read_to_close(fd, &r, TIMEOUT_MS), RAW_CLOSED);
    assert_int_equal(r.raw_len, sizeof DSK_SIM_GARBAGE - 1);
    assert_memory_equal(r.raw, DSK_SIM_GARBAGE, r.raw_len);
    raw_reply_free(&r);
    close(fd);
}

static void test_oversized(void **state)
{
    (void)state;
    raw_reply r;
    set_fault("oversized");
    assert_int_equal(get_key(&r, 20000), RAW_OK);
    assert_int_equal(r.status, 200);
    assert_true(r.has_content_length);
    assert_int_equal(r.body_len, DSK_SIM_OVERSIZED_LEN);
    assert_memory_equal(r.body, "{\"padding\":\"xxx", 15);
    assert_memory_equal(r.body + r.body_len - 3, "x\"}", 3);
    assert_int_equal(strspn(r.body + 12, "x"), r.body_len - 14); /* valid JSON throughout */
    raw_reply_free(&r);
}

static void test_http400_http500(void **state)
{
    (void)state;
    raw_reply r;
    set_fault("http400");
    assert_int_equal(get_key(&r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.body, "{\"error\":\"simulated failure\"}");
    raw_reply_free(&r);
    set_fault("http500");
    assert_int_equal(raw_request(sim.sock, "GET", "/Info", NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 500);
    char err[200];
    raw_json_string(&r, "error", err, sizeof err);
    assert_true(strlen(err) > 0);
    raw_reply_free(&r);
    /* Faults are for the API: unknown paths still 404. */
    assert_int_equal(raw_request(sim.sock, "GET", "/Nope", NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 404);
    raw_reply_free(&r);
}

static void test_short_key(void **state)
{
    (void)state;
    raw_reply r;
    char key[80];
    set_fault("short-key");
    assert_int_equal(get_key(&r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "key", key, sizeof key);
    assert_string_equal(key, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93c");
    raw_reply_free(&r);
    assert_int_equal(raw_request(sim.sock, "GET", "/Version", NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_reply_free(&r);
}

/* Hang: nothing comes back, the control path still works, and a fault
 * change releases the waiting request. */
static void test_hang(void **state)
{
    (void)state;
    static const char req[] = "POST /GetKey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              "Content-Length: 22\r\n\r\n{\"path\":\"test/wallet\"}";
    raw_reply r;
    set_fault("hang");
    int fd = raw_connect(sim.sock);
    assert_true(fd >= 0);
    assert_int_equal(raw_send(fd, req, sizeof req - 1), 0);
    assert_int_equal(raw_read_reply(fd, &r, 600), RAW_TIMEOUT);
    raw_reply_free(&r);
    set_fault("none");
    assert_int_equal(raw_read_reply(fd, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_reply_free(&r);
    close(fd);
}

/* --fault at start, and a hanging request does not block shutdown. */
static void test_start_fault_and_shutdown_while_hanging(void **state)
{
    (void)state;
    dsk_test_sim s2;
    const char *const args[] = {"--fault", "hang", "--quiet", NULL};
    raw_reply r;
    assert_int_equal(dsk_test_sim_start(&s2, args), 0);
    int fd = raw_connect(s2.sock);
    static const char req[] = "GET /Info HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(raw_send(fd, req, sizeof req - 1), 0);
    assert_int_equal(raw_read_reply(fd, &r, 400), RAW_TIMEOUT);
    raw_reply_free(&r);
    double t0 = now_s();
    assert_int_equal(dsk_test_sim_stop(&s2), 0);
    assert_true(now_s() - t0 < 5.0);
    assert_int_equal(raw_read_to_close(fd, &r, TIMEOUT_MS), RAW_CLOSED);
    assert_int_equal(r.raw_len, 0);
    raw_reply_free(&r);
    close(fd);

    const char *const args400[] = {"--fault", "http400", NULL};
    assert_int_equal(dsk_test_sim_start(&s2, args400), 0);
    assert_int_equal(raw_request(s2.sock, "GET", "/Info", NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 400);
    raw_reply_free(&r);
    assert_int_equal(dsk_test_sim_stop(&s2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_control_path, reset),
        cmocka_unit_test_setup(test_delay, reset),
        cmocka_unit_test_setup(test_close, reset),
        cmocka_unit_test_setup(test_garbage, reset),
        cmocka_unit_test_setup(test_oversized, reset),
        cmocka_unit_test_setup(test_http400_http500, reset),
        cmocka_unit_test_setup(test_short_key, reset),
        cmocka_unit_test_setup(test_hang, reset),
        cmocka_unit_test(test_start_fault_and_shutdown_while_hanging),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
