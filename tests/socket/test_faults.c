/* The client under every fault the simulator injects, and under load:
 * each fault gives a distinct, clear error within its timeout, the next
 * call after the fault is cleared succeeds, threads and forks are safe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hex.h"
#include "simclient.h"

#define TIMEOUT_MS 600
#define SLACK_MS 400

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (dsk_test_sim_start(&f->sim, NULL) != 0 || sim_wait_ready(&f->sim) != 0)
        fail_msg("cannot start the simulator ($DSK_SIMULATOR)");
    /* Default timeouts: only the fault tests below use a short one. */
    dsk_client_opts o = {.endpoint = f->sim.sock,
                         .connect_timeout_ms = RELAXED_CONNECT_MS,
                         .timeout_ms = RELAXED_TIMEOUT_MS};
    assert_int_equal(dsk_client_new(&o, &f->client, NULL), DSK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dsk_client_free(f->client);
    assert_int_equal(dsk_test_sim_stop(&f->sim), 0);
    free(f);
    return 0;
}

static void expect_vector(dsk_client *c)
{
    dsk_key_reply r;
    dsk_error e = {0};
    unsigned char want[32];
    if (dsk_client_get_key(c, "test/wallet", "signing", "secp256k1", &r, &e) != DSK_OK)
        fail_msg("GetKey: %s", e.msg);
    assert_int_equal(dsk_hex_decode(VEC_KEY, 64, want, 32), 32);
    assert_memory_equal(r.key, want, 32);
    dsk_key_reply_clear(&r);
}

/* A client with the short request timeout, after a warm-up call through the
 * default client: the first call pays one-time costs (library set-up, code
 * translation under valgrind) that are not what these tests measure. */
static dsk_client *short_client(fixture *f)
{
    dsk_client *c = NULL;
    dsk_client_opts o = {.endpoint = f->sim.sock, .timeout_ms = TIMEOUT_MS};
    expect_vector(f->client);
    assert_int_equal(dsk_client_new(&o, &c, NULL), DSK_OK);
    return c;
}

static const struct fault_case {
    const char *spec;
    dsk_status code;
    const char *why;
} faults[] = {
    {"delay:1500", DSK_E_TIMEOUT, "no complete reply within the request timeout of 600 ms"},
    {"hang", DSK_E_TIMEOUT, "no complete reply within the request timeout of 600 ms"},
    {"close", DSK_E_MALFORMED, "closed the connection without a reply"},
    {"garbage", DSK_E_MALFORMED, "not a valid HTTP reply"},
    {"oversized", DSK_E_MALFORMED, "reply larger than 1048576 bytes"},
    {"http400", DSK_E_REFUSED, "the agent refused (HTTP 400): "},
    {"http500", DSK_E_REFUSED, "the agent refused (HTTP 500): "},
    {"short-key", DSK_E_MALFORMED, "key has 62 hex digits, expected 64"},
};

static void test_each_fault(void **state)
{
    fixture *f = *state;
    char seen[sizeof faults / sizeof faults[0]][DSK_ERROR_MSG_MAX];
    dsk_client *c = short_client(f);
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        const struct fault_case *fc = &faults[i];
        assert_int_equal(dsk_test_sim_fault(&f->sim, fc->spec), 0);
        dsk_key_reply r;
        dsk_error e = {0};
        memset(&r, 0x5a, sizeof r);
        long t0 = now_ms();
        dsk_status st = dsk_client_get_key(c, "test/wallet", "signing", "secp256k1", &r, &e);
        long took = now_ms() - t0;
        print_message("%-10s %4ld ms  %s\n", fc->spec, took, e.msg);
        if (st != fc->code || e.code != fc->code || !strstr(e.msg, fc->why))
            fail_msg("fault %s: got %s \"%s\", want %s \"%s\"", fc->spec, dsk_status_name(st),
                     e.msg, dsk_status_name(fc->code), fc->why);
        assert_non_null(strstr(e.msg, f->sim.sock));
        assert_true(took < TIMEOUT_MS + SLACK_MS);
        if (fc->code == DSK_E_TIMEOUT)
            assert_true(took >= TIMEOUT_MS - 10);
        /* Nothing of the key is left in the output or the message. */
        for (size_t b = 0; b < sizeof r.key; b++)
            assert_int_equal(r.key[b], 0);
        assert_null(strstr(e.msg, "143a1b5a"));
        assert_null(
            strstr(e.msg, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93c"));
        memcpy(seen[i], e.msg, sizeof seen[i]);
        /* Recovery: the very next call after clearing the fault works. */
        assert_int_equal(dsk_test_sim_fault(&f->sim, "none"), 0);
        expect_vector(c);
    }
    dsk_client_free(c);
    /* Distinct: the two timeouts differ only by design; all others differ. */
    for (size_t i = 2; i < sizeof faults / sizeof faults[0]; i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
}

static void test_delay_below_timeout(void **state)
{
    fixture *f = *state;
    dsk_client *c = short_client(f);
    assert_int_equal(dsk_test_sim_fault(&f->sim, "delay:300"), 0);
    long t0 = now_ms();
    expect_vector(c);
    long took = now_ms() - t0;
    assert_true(took >= 290 && took < TIMEOUT_MS);
    dsk_client_free(c);
}

static void test_custom_cap(void **state)
{
    fixture *f = *state;
    dsk_client *c = NULL;
    dsk_info in;
    dsk_error e;
    dsk_client_opts o = {.endpoint = f->sim.sock, .max_reply = 64};
    assert_int_equal(dsk_client_new(&o, &c, NULL), DSK_OK);
    assert_int_equal(dsk_client_info(c, &in, &e), DSK_E_MALFORMED);
    assert_non_null(strstr(e.msg, "/Info on unix socket "));
    assert_non_null(strstr(e.msg, "reply larger than 64 bytes"));
    dsk_client_free(c);
}

/* The agent disappears and comes back on the same path. */
static void test_socket_gone_and_back(void **state)
{
    fixture *f = *state;
    dsk_key_reply r;
    dsk_error e;
    char path[sizeof f->sim.sock];
    memcpy(path, f->sim.sock, sizeof path);
    assert_int_equal(dsk_test_sim_stop(&f->sim), 0);
    long t0 = now_ms();
    assert_int_equal(dsk_client_get_key(f->client, "test/wallet", "", "", &r, &e),
                     DSK_E_UNREACHABLE);
    assert_true(now_ms() - t0 < 500);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, "cannot connect"));
    assert_non_null(strstr(e.msg, "dstack agent is running"));
    assert_int_equal(dsk_test_sim_start(&f->sim, NULL), 0);
    assert_int_equal(sim_wait_ready(&f->sim), 0);
    dsk_client_free(f->client);
    dsk_client_opts o = {.endpoint = f->sim.sock,
                         .connect_timeout_ms = RELAXED_CONNECT_MS,
                         .timeout_ms = RELAXED_TIMEOUT_MS};
    assert_int_equal(dsk_client_new(&o, &f->client, NULL), DSK_OK);
    expect_vector(f->client);
}

#define THREADS 8
#define CALLS 40

typedef struct worker {
    dsk_client *c;
    int id;
    unsigned char want[CALLS][32];
    int bad;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < CALLS; i++) {
        char path[32];
        dsk_key_reply r;
        snprintf(path, sizeof path, "t%d/%d", w->id, i % 4);
        if (dsk_client_get_key(w->c, path, "signing", "", &r, NULL) != DSK_OK ||
            memcmp(r.key, w->want[i], 32) != 0)
            w->bad++;
        dsk_key_reply_clear(&r);
    }
    return NULL;
}

static void test_threads(void **state)
{
    fixture *f = *state;
    static worker w[THREADS];
    pthread_t th[THREADS];
    /* Expected keys fetched one at a time first. */
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker){.c = f->client, .id = t};
        for (int i = 0; i < CALLS; i++) {
            char path[32];
            dsk_key_reply r;
            snprintf(path, sizeof path, "t%d/%d", t, i % 4);
            assert_int_equal(dsk_client_get_key(f->client, path, "signing", "", &r, NULL), DSK_OK);
            memcpy(w[t].want[i], r.key, 32);
            dsk_key_reply_clear(&r);
        }
    }
    assert_memory_not_equal(w[0].want[0], w[1].want[0], 32);
    long t0 = now_ms();
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, work, &w[t]), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    print_message("%d threads x %d GetKey: %ld ms\n", THREADS, CALLS, now_ms() - t0);
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(w[t].bad, 0);
}

static void test_fork_child(void **state)
{
    fixture *f = *state;
    expect_vector(f->client); /* the parent has used the client */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dsk_key_reply r;
        unsigned char want[32];
        int ok = dsk_client_get_key(f->client, "test/wallet", "signing", "", &r, NULL) == DSK_OK &&
                 dsk_hex_decode(VEC_KEY, 64, want, 32) == 32 && memcmp(r.key, want, 32) == 0;
        dsk_key_reply_clear(&r);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    expect_vector(f->client);
}

/* Round trip of a GetKey on a fresh connection each time. */
static void test_latency(void **state)
{
    fixture *f = *state;
    enum { N = 200 };
    long us[N];
    for (int i = 0; i < N; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        expect_vector(f->client);
        clock_gettime(CLOCK_MONOTONIC, &b);
        us[i] = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000;
    }
    for (int i = 1; i < N; i++)
        for (int j = i; j > 0 && us[j - 1] > us[j]; j--) {
            long t = us[j];
            us[j] = us[j - 1];
            us[j - 1] = t;
        }
    print_message("GetKey round trip over %d calls: median %ld us, p99 %ld us\n", N, us[N / 2],
                  us[N * 99 / 100]);
    assert_true(us[N / 2] < 100000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_each_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_below_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_gone_and_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
