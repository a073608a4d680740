/* keys/fork.c: a fork while another thread is in the middle of deriving a key
 * (the agent is slow) leaves the child able to derive that key itself,
 * instead of waiting forever on a lock whose owner does not exist there. */
#include "keytest.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "simproc.h"

static int sim_ready(const dsk_test_sim *sim)
{
    for (int i = 0; i < 500; i++) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok = 0;
        if (fd >= 0 && strlen(sim->sock) < sizeof sa.sun_path) {
            memcpy(sa.sun_path, sim->sock, strlen(sim->sock) + 1);
            ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        }
        if (fd >= 0)
            close(fd);
        if (ok)
            return 0;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return -1;
}

static void *derive_slowly(void *arg)
{
    dsk_key *k = arg;
    dsk_error e = {0};
    if (dsk_key_derive(k, &e) != DSK_OK)
        fprintf(stderr, "parent thread: %s\n", e.msg);
    return NULL;
}

/* The simulator is stopped in teardown, which cmocka runs even when the test
 * fails: a leftover simulator would keep the test's output open. */
static int setup(void **state)
{
    static dsk_test_sim sim;
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    if (dsk_test_sim_start(&sim, NULL) != 0 || sim_ready(&sim) != 0)
        return -1;
    *state = &sim;
    return 0;
}

static int teardown(void **state)
{
    return dsk_test_sim_stop(*state) == 0 ? 0 : -1;
}

static void test_fork_during_derivation(void **state)
{
    dsk_test_sim *simp = *state, sim = *simp;
    pthread_t t;
    int status;
    dsk_keystore *ks = kt_store(sim.sock);
    dsk_key_desc d = {.label = "web", .path = "app/web", .type = DSK_KEY_EC_P256};
    dsk_key *k = NULL, *other = NULL;
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    /* One request first: one-time initialisations (the pools of secret
     * memory, the resolver) must not be what the fork interrupts here. */
    dsk_key_desc warm = {.label = "warm", .type = DSK_KEY_ED25519};
    dsk_key *w = NULL;
    assert_int_equal(dsk_keystore_add(ks, &warm, &w, NULL), DSK_OK);
    assert_int_equal(dsk_key_derive(w, NULL), DSK_OK);
    assert_int_equal(dsk_test_sim_fault(&sim, "delay:2000"), 0);
    assert_int_equal(pthread_create(&t, NULL, derive_slowly, k), 0);
    /* wait until the thread is inside its GetKey request, holding the lock */
    for (int i = 0; i < 300 && dsk_keystore_getkey_calls(ks) == 1; i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    assert_int_equal(dsk_keystore_getkey_calls(ks), 2);
    nanosleep(&(struct timespec){0, 500 * 1000 * 1000}, NULL);
    assert_false(dsk_key_is_derived(k));

    int pfd[2];
    char verdict = 'x';
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dsk_error e = {0};
        char v = '0';
        close(pfd[0]);
        alarm(20); /* a hang is the failure we test for */
        if (dsk_key_derive(k, &e) != DSK_OK) {
            fprintf(stderr, "child: %s\n", e.msg);
            v = '1';
        }
        /* the store's list lock works too */
        dsk_key_desc d2 = {.label = "new", .type = DSK_KEY_ED25519};
        if (v == '0' && (dsk_keystore_add(ks, &d2, &other, &e) != DSK_OK ||
                         dsk_keystore_find(ks, "new") != other))
            v = '2';
        if (v == '0' && !(dsk_key_is_derived(k) && dsk_keystore_getkey_calls(ks) == 3))
            v = '3';
        (void)!write(pfd[1], &v, 1);
        /* The verdict went through the pipe. End without exit-time checks:
         * what the parent's other thread had allocated for its request has
         * no owner here, and valgrind would call it lost. */
        raise(SIGKILL);
    }
    close(pfd[1]);
    assert_int_equal(read(pfd[0], &verdict, 1), 1);
    close(pfd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    pthread_join(t, NULL);
    assert_int_equal(verdict, '0');
    assert_true(dsk_key_is_derived(k));
    assert_int_equal(dsk_keystore_getkey_calls(ks), 2);
    dsk_keystore_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fork_during_derivation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
