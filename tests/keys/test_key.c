/* keys/key.c against the real simulator: SDK equivalence over the socket,
 * determinism across processes and simulator restarts, derive-once under
 * concurrent first use, failures (dstack down, faults) reported with label
 * and path and never cached, and keys surviving fork. */
#include "keytest.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "simproc.h"

typedef struct fix {
    dsk_test_sim sim;
} fix;

static const char *self_path;

/* dsk_test_sim_start returns once the socket file exists, which can be a
 * moment before the simulator listens on it: wait until it accepts. */
static int sim_start(dsk_test_sim *sim)
{
    if (dsk_test_sim_start(sim, NULL) != 0)
        return -1;
    for (int i = 0; i < 500; i++) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;
        if (strlen(sim->sock) >= sizeof sa.sun_path) {
            if (fd >= 0)
                close(fd);
            return -1;
        }
        memcpy(sa.sun_path, sim->sock, strlen(sim->sock) + 1);
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return 0;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return -1;
}

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    if (sim_start(&f->sim) != 0)
        fail_msg("cannot start the simulator ($DSK_SIMULATOR)");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix *f = *state;
    assert_int_equal(dsk_test_sim_stop(&f->sim), 0);
    free(f);
    return 0;
}

static dsk_key *add(dsk_keystore *ks, const char *label, const char *path, dsk_key_type t)
{
    dsk_key_desc d = {.label = label, .path = path, .type = t};
    dsk_key *k = NULL;
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    return k;
}

static void spki_hex(dsk_key *k, char *out, size_t max)
{
    const unsigned char *der;
    size_t len;
    dsk_error e = {0};
    if (dsk_key_spki(k, &der, &len, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_true(2 * len + 1 <= max);
    dsk_hex_encode(der, len, out);
}

static void test_sdk_over_socket(void **state)
{
    fix *f = *state;
    dsk_keystore *ks = kt_store(f->sim.sock);
    dsk_key *k = add(ks, "wallet", "/eth/main-wallet", DSK_KEY_SECP256K1);
    char addr[43];
    dsk_error e = {0};
    if (dsk_key_eth_address(k, addr, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(addr, "0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0");
    assert_int_equal(dsk_keystore_getkey_calls(ks), 1);
    /* the Ed25519 key of test/wallet, requested with algorithm "ed25519" */
    dsk_key *ed = add(ks, "ssh", "test/wallet", DSK_KEY_ED25519);
    const unsigned char *pt;
    size_t len;
    unsigned char want[32];
    assert_int_equal(dsk_key_public_point(ed, &pt, &len, NULL), DSK_OK);
    kt_hex("4f019bbd5f3d098befc637447b35356e4df6a8a8733d1f820e6d1a85af83da5e", want, 32);
    assert_memory_equal(pt, want, 32);
    dsk_keystore_free(ks);
}

/* api = v1: M from /v1/GetKey(domain, algorithm), public keys as in
 * tests/vectors/derivation-api-v1.json; never shared with the v0 key of the
 * same name. */
static void test_v1_over_socket(void **state)
{
    fix *f = *state;
    dsk_keystore *ks = kt_store(f->sim.sock);
    dsk_key_desc d1 = {
        .label = "k1", .type = DSK_KEY_SECP256K1, .api = DSK_API_V1, .domain = "my-app/tls"};
    dsk_key_desc e1 = {
        .label = "e1", .type = DSK_KEY_ED25519, .api = DSK_API_V1, .domain = "my-app/tls"};
    dsk_key_desc d0 = {.label = "k0", .type = DSK_KEY_SECP256K1, .path = "my-app/tls"};
    dsk_key *k1, *ed, *k0;
    const unsigned char *pt, *pt0;
    size_t len, len0;
    unsigned char want[65];
    dsk_error e = {0};
    assert_int_equal(dsk_keystore_add(ks, &d1, &k1, NULL), DSK_OK);
    assert_int_equal(dsk_keystore_add(ks, &e1, &ed, NULL), DSK_OK);
    assert_int_equal(dsk_keystore_add(ks, &d0, &k0, NULL), DSK_OK);
    assert_int_equal(dsk_key_api(k1), DSK_API_V1);
    assert_string_equal(dsk_key_domain(k1), "my-app/tls");
    assert_null(dsk_key_domain(k0));
    if (dsk_key_public_point(k1, &pt, &len, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    kt_hex("04a988d2d5ca23b4a352e10f2ca53b7e1c174b3c32e5a6d6409db87a50a9aae5ca8b1773c09fb93cd01c06"
           "529c487088f8278c666266c8d539a51330e0b3da0b00",
           want, 65);
    assert_int_equal(len, 65);
    assert_memory_equal(pt, want, 65);
    assert_int_equal(dsk_key_public_point(ed, &pt, &len, NULL), DSK_OK);
    kt_hex("cf7b54a9ac471e75e98d9ab830e1728f68bfbf77b28a208ea7eaba042905a261", want, 32);
    assert_memory_equal(pt, want, 32);
    assert_int_equal(dsk_key_public_point(k1, &pt, &len, NULL), DSK_OK);
    assert_int_equal(dsk_key_public_point(k0, &pt0, &len0, NULL), DSK_OK);
    assert_memory_not_equal(pt, pt0, 65);
    assert_int_equal(dsk_keystore_getkey_calls(ks), 3);
    dsk_keystore_free(ks);
}

/* A v1 key on an agent before dstack 0.6: the message says so. */
static void test_v1_pre_06(void **state)
{
    (void)state;
    dsk_test_sim sim;
    const char *const args[] = {"--pre-0.6", NULL};
    assert_int_equal(dsk_test_sim_start(&sim, args), 0);
    usleep(200000); /* the socket file exists a moment before listen() */
    dsk_keystore *ks = kt_store(sim.sock);
    dsk_key_desc d = {.label = "web", .type = DSK_KEY_EC_P256, .api = DSK_API_V1};
    dsk_key *k;
    dsk_error e = {0};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    assert_int_equal(dsk_key_derive(k, &e), DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "key 'web' (api v1, domain 'web'): /v1/GetKey on unix socket"));
    assert_non_null(strstr(e.msg, "predates dstack 0.6; use `api = v0`"));
    dsk_keystore_free(ks);
    assert_int_equal(dsk_test_sim_stop(&sim), 0);
}

/* Another process (this binary re-executed) derives the same keys. */
static void child_spki(const char *sock, const char *type, char *out, size_t max)
{
    char cmd[1024];
    FILE *p;
    /* argv[0], not /proc/self/exe: under valgrind that is valgrind itself */
    snprintf(cmd, sizeof cmd, "'%s' --derive '%s' %s", self_path, sock, type);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, (int)max, p));
    out[strcspn(out, "\n")] = '\0';
    assert_int_equal(pclose(p), 0);
}

static int child_main(const char *sock, const char *type)
{
    dsk_keystore *ks = NULL;
    dsk_client_opts o = {.endpoint = sock};
    dsk_key_type t;
    dsk_key_desc d = {.label = "k", .path = "app/determinism"};
    dsk_key *k;
    const unsigned char *der;
    size_t len;
    char hex[2 * 600 + 1];
    if (strcmp(type, "ec-p256") == 0)
        t = DSK_KEY_EC_P256;
    else if (strcmp(type, "rsa-2048") == 0)
        t = DSK_KEY_RSA_2048;
    else
        t = DSK_KEY_ED25519;
    d.type = t;
    if (dsk_keystore_new(&o, &ks, NULL) != DSK_OK || dsk_keystore_add(ks, &d, &k, NULL) != DSK_OK ||
        dsk_key_spki(k, &der, &len, NULL) != DSK_OK)
        return 1;
    dsk_hex_encode(der, len, hex);
    printf("%s\n", hex);
    dsk_keystore_free(ks);
    return 0;
}

static void test_determinism_across_processes(void **state)
{
    fix *f = *state;
    static const char *const types[] = {"ec-p256", "ed25519", "rsa-2048"};
    static const dsk_key_type tv[] = {DSK_KEY_EC_P256, DSK_KEY_ED25519, DSK_KEY_RSA_2048};
    char mine[3][1300], other[1300];
    dsk_keystore *ks = kt_store(f->sim.sock);
    for (int i = 0; i < 3; i++) {
        dsk_key *k = add(ks, types[i], "app/determinism", tv[i]);
        spki_hex(k, mine[i], sizeof mine[i]);
        child_spki(f->sim.sock, types[i], other, sizeof other);
        assert_string_equal(other, mine[i]);
    }
    dsk_keystore_free(ks);
    /* and after a simulator restart (new process, new socket) */
    assert_int_equal(dsk_test_sim_stop(&f->sim), 0);
    assert_int_equal(sim_start(&f->sim), 0);
    ks = kt_store(f->sim.sock);
    for (int i = 0; i < 3; i++) {
        dsk_key *k = add(ks, types[i], "app/determinism", tv[i]);
        spki_hex(k, other, sizeof other);
        assert_string_equal(other, mine[i]);
    }
    dsk_keystore_free(ks);
}

typedef struct racer {
    dsk_key *k;
    pthread_barrier_t *go;
    dsk_status st;
} racer;

static void *derive_now(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(r->go);
    r->st = dsk_key_derive(r->k, NULL);
    return NULL;
}

/* Eight threads at first use, with a slow agent: one GetKey. */
static void test_derive_once_under_contention(void **state)
{
    fix *f = *state;
    dsk_keystore *ks = kt_store(f->sim.sock);
    dsk_key *k = add(ks, "web", "app/web", DSK_KEY_EC_P256);
    dsk_key *alias = add(ks, "web2", "app/web", DSK_KEY_EC_P256);
    pthread_barrier_t go;
    pthread_t t[8];
    racer r[8];
    assert_int_equal(dsk_test_sim_fault(&f->sim, "delay:200"), 0);
    pthread_barrier_init(&go, NULL, 8);
    for (int i = 0; i < 8; i++) {
        r[i] = (racer){.k = i % 2 ? alias : k, .go = &go, .st = DSK_E_ARGS};
        assert_int_equal(pthread_create(&t[i], NULL, derive_now, &r[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].st, DSK_OK);
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(dsk_test_sim_fault(&f->sim, "none"), 0);
    assert_int_equal(dsk_keystore_getkey_calls(ks), 1);
    assert_true(dsk_key_is_derived(k));
    assert_true(dsk_key_is_derived(alias));
    /* later uses need no request either */
    unsigned char h[32] = {0}, sig[64];
    size_t sl = sizeof sig;
    dsk_sign_params p = {.scheme = DSK_SIG_ECDSA};
    assert_int_equal(dsk_key_sign(k, &p, h, 32, sig, &sl, NULL), DSK_OK);
    assert_int_equal(dsk_keystore_getkey_calls(ks), 1);
    dsk_keystore_free(ks);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Issue 13, item 1: eight threads at first use while the agent hangs. Each
 * waiter used to retry after the one before it timed out (the k-th returned
 * after k timeouts); now the waiters behind the failed attempt share its
 * error, so all return within one timeout (plus a margin), and nothing is
 * cached: the next use after the agent recovers derives. */
static void test_hung_agent_waiters_share_failure(void **state)
{
    fix *f = *state;
    dsk_client_opts o = {.endpoint = f->sim.sock, .timeout_ms = 600};
    dsk_keystore *ks = NULL;
    pthread_barrier_t go;
    pthread_t t[8];
    racer r[8];
    double t0, took;
    assert_int_equal(dsk_keystore_new(&o, &ks, NULL), DSK_OK);
    dsk_key *k = add(ks, "web", "app/hung", DSK_KEY_EC_P256);
    assert_int_equal(dsk_test_sim_fault(&f->sim, "hang"), 0);
    pthread_barrier_init(&go, NULL, 8);
    t0 = now_ms();
    for (int i = 0; i < 8; i++) {
        r[i] = (racer){.k = k, .go = &go, .st = DSK_OK};
        assert_int_equal(pthread_create(&t[i], NULL, derive_now, &r[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].st, DSK_E_TIMEOUT);
    }
    took = now_ms() - t0;
    pthread_barrier_destroy(&go);
    /* Serialised waiters would take 8 x 600 ms. valgrind runs one thread at a
     * time (measured 6 s at load 15), so there the wall clock tells nothing and
     * only the request count below shows the sharing; the native runs of this
     * same test (phase 1 and ASan) check the time. */
    if (!getenv("DSK_TEST_UNDER_VALGRIND") && took > 600 + 900)
        fail_msg("8 waiters took %.0f ms against a hung agent (timeout 600 ms)", took);
    /* The barrier lets a late thread start after the first attempt ended:
     * it then makes its own (a later use), so 1 or 2 requests. */
    assert_in_range(dsk_keystore_getkey_calls(ks), 1, 2);
    assert_false(dsk_key_is_derived(k));
    assert_int_equal(dsk_test_sim_fault(&f->sim, "none"), 0);
    if (dsk_key_derive(k, NULL) != DSK_OK)
        fail_msg("the failure was cached");
    dsk_keystore_free(ks);
}

/* dstack down: a clear error naming the key; then the agent appears at that
 * socket and the SAME key object derives. */
/* Issue 13, item 10: reading public values of many keys (a listing) while
 * the agent hangs costs one timeout, not one per key; a use of a key still
 * tries again, and an answer ends the fast failures. */
static void test_hung_agent_lazy_reads(void **state)
{
    fix *f = *state;
    dsk_client_opts o = {.endpoint = f->sim.sock, .timeout_ms = 600};
    dsk_keystore *ks = NULL;
    dsk_error e = {0};
    char label[16], path[32];
    dsk_key *k[8];
    assert_int_equal(dsk_keystore_new(&o, &ks, NULL), DSK_OK);
    for (int i = 0; i < 8; i++) {
        snprintf(label, sizeof label, "k%d", i);
        snprintf(path, sizeof path, "app/lazy/%d", i);
        k[i] = add(ks, label, path, i % 2 ? DSK_KEY_SECP256K1 : DSK_KEY_EC_P256);
    }
    assert_int_equal(dsk_test_sim_fault(&f->sim, "hang"), 0);
    double t0 = now_ms();
    for (int i = 0; i < 8; i++)
        assert_int_equal(dsk_key_derive_lazy(k[i], &e), DSK_E_TIMEOUT);
    double took = now_ms() - t0;
    if (took > 600 + 900)
        fail_msg("reading 8 keys took %.0f ms against a hung agent (timeout 600 ms)", took);
    assert_int_equal(dsk_keystore_getkey_calls(ks), 1);
    assert_non_null(strstr(e.msg, "key 'k7'"));
    assert_non_null(strstr(e.msg, "did not answer"));
    /* a use is no read: it asks again, and waits */
    t0 = now_ms();
    assert_int_equal(dsk_key_derive(k[3], &e), DSK_E_TIMEOUT);
    assert_true(now_ms() - t0 >= 500);
    assert_int_equal(dsk_keystore_getkey_calls(ks), 2);
    /* the agent answers: the next use succeeds and reads ask again */
    assert_int_equal(dsk_test_sim_fault(&f->sim, "none"), 0);
    assert_int_equal(dsk_key_derive(k[0], &e), DSK_OK);
    for (int i = 1; i < 8; i++)
        assert_int_equal(dsk_key_derive_lazy(k[i], &e), DSK_OK);
    /* a quiet period also ends them: hang, one read fails slowly, wait the
     * window out, and the next read asks again */
    dsk_key *late = add(ks, "late", "app/lazy/late", DSK_KEY_EC_P256);
    dsk_key *later = add(ks, "later", "app/lazy/later", DSK_KEY_EC_P256);
    assert_int_equal(dsk_test_sim_fault(&f->sim, "hang"), 0);
    assert_int_equal(dsk_key_derive_lazy(late, &e), DSK_E_TIMEOUT);
    unsigned long calls = dsk_keystore_getkey_calls(ks);
    usleep(700 * 1000);
    assert_int_equal(dsk_test_sim_fault(&f->sim, "none"), 0);
    assert_int_equal(dsk_key_derive_lazy(later, &e), DSK_OK);
    assert_int_equal(dsk_keystore_getkey_calls(ks), calls + 1);
    dsk_keystore_free(ks);
}

static void test_down_then_up(void **state)
{
    fix *f = *state;
    char dir[] = "/tmp/dsk-keys-down-XXXXXX", sock[128];
    assert_non_null(mkdtemp(dir));
    snprintf(sock, sizeof sock, "%s/agent.sock", dir);
    dsk_keystore *ks = kt_store(sock);
    dsk_key *k = add(ks, "web", "app/web", DSK_KEY_EC_P256);
    unsigned char h[32] = {0}, sig[64];
    size_t sl = sizeof sig;
    dsk_sign_params p = {.scheme = DSK_SIG_ECDSA};
    dsk_error e = {0};
    assert_int_equal(dsk_key_sign(k, &p, h, 32, sig, &sl, &e), DSK_E_UNREACHABLE);
    assert_non_null(strstr(e.msg, "key 'web' (path 'app/web'): "));
    assert_non_null(strstr(e.msg, sock));
    assert_false(dsk_key_is_derived(k));
    assert_int_equal(dsk_key_derive(k, &e), DSK_E_UNREACHABLE);
    /* the agent comes up at the socket the store uses */
    assert_int_equal(symlink(f->sim.sock, sock), 0);
    e = (dsk_error){0};
    if (dsk_key_sign(k, &p, h, 32, sig, &sl, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_true(dsk_key_is_derived(k));
    assert_int_equal(dsk_keystore_getkey_calls(ks), 3);
    /* the same public key as a fresh store gets */
    char a[300], b[300];
    spki_hex(k, a, sizeof a);
    dsk_keystore *ks2 = kt_store(f->sim.sock);
    spki_hex(add(ks2, "web", "app/web", DSK_KEY_EC_P256), b, sizeof b);
    assert_string_equal(a, b);
    dsk_keystore_free(ks2);
    dsk_keystore_free(ks);
    unlink(sock);
    rmdir(dir);
}

static void expect_fault(fix *f, const char *fault, dsk_status want)
{
    dsk_keystore *ks = kt_store(f->sim.sock);
    dsk_key *k = add(ks, "ssh", "app/ssh", DSK_KEY_ED25519);
    dsk_error e = {0};
    assert_int_equal(dsk_test_sim_fault(&f->sim, fault), 0);
    assert_int_equal(dsk_key_derive(k, &e), want);
    if (strstr(e.msg, "key 'ssh' (path 'app/ssh'): ") != e.msg)
        fail_msg("%s: message '%s'", fault, e.msg);
    assert_false(dsk_key_is_derived(k));
    assert_int_equal(dsk_test_sim_fault(&f->sim, "none"), 0);
    if (dsk_key_derive(k, &e) != DSK_OK)
        fail_msg("after %s: %s", fault, e.msg);
    dsk_keystore_free(ks);
}

static void test_faults_not_cached(void **state)
{
    fix *f = *state;
    expect_fault(f, "http500", DSK_E_REFUSED);
    expect_fault(f, "garbage", DSK_E_MALFORMED);
    expect_fault(f, "short-key", DSK_E_MALFORMED);
    expect_fault(f, "close", DSK_E_MALFORMED);
}

/* A key derived before fork works in the child without asking again. */
static void test_fork_keeps_keys(void **state)
{
    fix *f = *state;
    dsk_keystore *ks = kt_store(f->sim.sock);
    dsk_key *k = add(ks, "web", "app/web", DSK_KEY_EC_P256);
    dsk_key *later = add(ks, "later", "app/later", DSK_KEY_EC_P256);
    int status;
    assert_int_equal(dsk_key_derive(k, NULL), DSK_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsigned char h[32] = {3}, sig[64];
        size_t sl = sizeof sig;
        dsk_sign_params p = {.scheme = DSK_SIG_ECDSA};
        dsk_error e = {0};
        if (dsk_key_sign(k, &p, h, 32, sig, &sl, &e) != DSK_OK ||
            dsk_key_verify(k, &p, h, 32, sig, sl, &e) != DSK_OK ||
            dsk_keystore_getkey_calls(ks) != 1)
            _exit(1);
        /* and the child can still derive a new key itself */
        if (dsk_key_derive(later, &e) != DSK_OK) {
            fprintf(stderr, "child: %s\n", e.msg);
            _exit(2);
        }
        _exit(dsk_keystore_getkey_calls(ks) == 2 ? 0 : 3);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    dsk_keystore_free(ks);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--derive") == 0)
        return child_main(argv[2], argv[3]);
    self_path = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sdk_over_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_over_socket, setup, teardown),
        cmocka_unit_test(test_v1_pre_06),
        cmocka_unit_test_setup_teardown(test_determinism_across_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_derive_once_under_contention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_then_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults_not_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hung_agent_waiters_share_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hung_agent_lazy_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_keeps_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
