/* module.c: C_Initialize arguments and locking, C_Finalize, configuration
 * errors, fork, and dstack being down (no I/O at C_Initialize, a clear
 * CKR_DEVICE_ERROR at use, recovery in the same session). */
#include "p11test.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int creates, locks;

static CK_RV app_create(CK_VOID_PTR_PTR m)
{
    creates++;
    *m = malloc(1);
    return *m ? CKR_OK : CKR_HOST_MEMORY;
}
static CK_RV app_destroy(CK_VOID_PTR m)
{
    free(m);
    return CKR_OK;
}
static CK_RV app_lock(CK_VOID_PTR m)
{
    (void)m;
    locks++;
    return CKR_OK;
}
static CK_RV app_unlock(CK_VOID_PTR m)
{
    (void)m;
    return CKR_OK;
}

static void test_init_args(void **state)
{
    (void)state;
    CK_C_INITIALIZE_ARGS a;
    memset(&a, 0, sizeof a);
    a.pReserved = &a;
    assert_int_equal(T.f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
    memset(&a, 0, sizeof a);
    a.CreateMutex = app_create; /* some but not all callbacks */
    assert_int_equal(T.f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
    assert_int_equal(T.f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);

    /* GnuTLS's flags */
    memset(&a, 0, sizeof a);
    a.flags = CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS;
    CK(T.f->C_Initialize(&a));
    assert_int_equal(T.f->C_Initialize(&a), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    assert_int_equal(T.f->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    assert_int_equal(T.f->C_Finalize(&a), CKR_ARGUMENTS_BAD);
    CK(T.f->C_Finalize(NULL));
    assert_int_equal(T.f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    CK_ULONG n;
    assert_int_equal(T.f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_app_mutexes(void **state)
{
    (void)state;
    CK_C_INITIALIZE_ARGS a = {app_create, app_destroy, app_lock, app_unlock, 0, NULL};
    creates = locks = 0;
    CK(T.f->C_Initialize(&a));
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    CK(T.f->C_CloseSession(s));
    CK(T.f->C_Finalize(NULL));
    /* Without CKF_OS_LOCKING_OK the application's mutexes are the ones used. */
    assert_true(creates >= 2);
    assert_true(locks > 0);

    a.flags = CKF_OS_LOCKING_OK;
    creates = locks = 0;
    CK(T.f->C_Initialize(&a));
    s = p11t_session(p11t_slot("dstack"), 0);
    CK(T.f->C_Finalize(NULL));
    assert_int_equal(creates, 0);
    assert_int_equal(locks, 0);
}

static void write_conf(const char *text)
{
    FILE *f = fopen(T.conf, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_bad_config(void **state)
{
    (void)state;
    char saved[4096];
    FILE *f = fopen(T.conf, "r");
    size_t n = fread(saved, 1, sizeof saved - 1, f);
    fclose(f);
    saved[n] = '\0';
    write_conf("[token]\nlabel = dstack\n[key broken]\ntype = no-such-type\n");
    assert_int_equal(T.f->C_Initialize(NULL), CKR_GENERAL_ERROR);
    assert_int_equal(T.f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    /* A missing file is no error: a token without keys. */
    char missing[400];
    snprintf(missing, sizeof missing, "%s/none.conf", T.dir);
    setenv("DSTACK_PKCS11_CONF", missing, 1);
    CK(T.f->C_Initialize(NULL));
    CK_ULONG count = 0;
    CK(T.f->C_GetSlotList(CK_TRUE, NULL, &count));
    assert_int_equal(count, 1);
    CK(T.f->C_Finalize(NULL));
    setenv("DSTACK_PKCS11_CONF", T.conf, 1);
    write_conf(saved);
    CK(T.f->C_Initialize(NULL));
    CK(T.f->C_Finalize(NULL));
}

static CK_RV sign_web(CK_SESSION_HANDLE s, unsigned char *sig, CK_ULONG *len)
{
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "web");
    CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
    CK_RV rv = T.f->C_SignInit(s, &m, k);
    if (rv != CKR_OK)
        return rv;
    return T.f->C_Sign(s, (CK_BYTE_PTR) "hello", 5, sig, len);
}

/* Runs fn with stderr going to a file; returns what was written. */
static char *capture_stderr(CK_RV (*fn)(CK_SESSION_HANDLE, unsigned char *, CK_ULONG *),
                            CK_SESSION_HANDLE s, CK_RV *rv)
{
    char path[400];
    snprintf(path, sizeof path, "%s/stderr.txt", T.dir);
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    dup2(fd, 2);
    unsigned char sig[128];
    CK_ULONG len = sizeof sig;
    *rv = fn(s, sig, &len);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 4096);
    size_t n = fread(text, 1, 4095, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    return text;
}

static void test_dstack_down(void **state)
{
    (void)state;
    p11t_sim_stop();
    CK(T.f->C_Initialize(NULL)); /* no I/O: fine with dstack down */
    CK_SLOT_ID slot = p11t_slot("dstack");
    CK_SESSION_HANDLE s = p11t_session(slot, 0);
    /* Searching needs no key material. */
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "web");
    assert_int_not_equal(k, 0);
    assert_int_not_equal(p11t_find(s, CKO_PUBLIC_KEY, "wallet"), 0);
    /* Reading a public value needs the key. */
    unsigned char pt[128];
    CK_ATTRIBUTE a = {CKA_EC_POINT, pt, sizeof pt};
    CK_OBJECT_HANDLE pub = p11t_find(s, CKO_PUBLIC_KEY, "web");
    assert_int_equal(T.f->C_GetAttributeValue(s, pub, &a, 1), CKR_DEVICE_ERROR);

    CK_RV rv;
    char *log = capture_stderr(sign_web, s, &rv);
    assert_int_equal(rv, CKR_DEVICE_ERROR);
    /* One line that names the key, the socket and what to do. */
    assert_non_null(strstr(log, "web"));
    assert_non_null(strstr(log, T.endpoint));
    assert_non_null(strchr(log, '\n'));
    assert_null(strchr(strchr(log, '\n') + 1, '\n'));
    free(log);
    /* The failed C_Sign ended the operation. */
    CK_ULONG len = 0;
    assert_int_equal(T.f->C_Sign(s, (CK_BYTE_PTR) "x", 1, NULL, &len),
                     CKR_OPERATION_NOT_INITIALIZED);

    /* dstack is back: the same session signs, nothing was cached. */
    p11t_sim_start();
    unsigned char sig[128];
    len = sizeof sig;
    CK(sign_web(s, sig, &len));
    assert_int_equal(len, 64);
    a.ulValueLen = sizeof pt;
    CK(T.f->C_GetAttributeValue(s, pub, &a, 1));
    CK(T.f->C_Finalize(NULL));
}

/* The agent answers badly: each failure is CKR_DEVICE_ERROR, none is
 * cached, and the key works once the agent behaves. */
static void test_agent_faults(void **state)
{
    (void)state;
    static const char *const faults[] = {"http500",   "http400",   "garbage", "close",
                                         "short-key", "oversized", "hang"};
    CK(T.f->C_Initialize(NULL));
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "p384");
    CK_MECHANISM m = {CKM_ECDSA_SHA384, NULL, 0};
    unsigned char sig[128];
    CK_ULONG len;
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2); /* the expected error lines */
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        assert_int_equal(dsk_test_sim_fault(&T.sim, faults[i]), 0);
        CK(T.f->C_SignInit(s, &m, k));
        len = sizeof sig;
        assert_int_equal(T.f->C_Sign(s, (CK_BYTE_PTR) "x", 1, sig, &len), CKR_DEVICE_ERROR);
    }
    dup2(saved, 2);
    close(saved);
    close(null);
    assert_int_equal(dsk_test_sim_fault(&T.sim, "none"), 0);
    CK(T.f->C_SignInit(s, &m, k));
    len = sizeof sig;
    CK(T.f->C_Sign(s, (CK_BYTE_PTR) "x", 1, sig, &len));
    assert_int_equal(len, 96);
    CK(T.f->C_Finalize(NULL));
}

/* What a freshly forked child must see: the parent's state is not its own
 * until it initialises; then it works, once. Returns 0 or failure bits. */
static int child_checks(int finalize_first)
{
    int code = 0;
    CK_ULONG n = 0;
    if (T.f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_CRYPTOKI_NOT_INITIALIZED)
        code |= 1;
    if (finalize_first && T.f->C_Finalize(NULL) != CKR_OK)
        code |= 2;
    if (T.f->C_Initialize(NULL) != CKR_OK)
        code |= 4;
    if (T.f->C_Initialize(NULL) != CKR_CRYPTOKI_ALREADY_INITIALIZED)
        code |= 8;
    CK_SESSION_HANDLE cs = 0;
    if (T.f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &cs) != CKR_OK)
        code |= 16;
    unsigned char csig[128];
    CK_ULONG clen = sizeof csig;
    if (sign_web(cs, csig, &clen) != CKR_OK || clen != 64)
        code |= 32;
    return code;
}

static int wait_code(pid_t pid)
{
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return 255;
    return WEXITSTATUS(status);
}

/* The fork patterns a host program uses: a plain child (with and without
 * C_Finalize first), a grandchild forked by a child that never initialised,
 * a grandchild forked by a child that did, and a fork from another thread. */
enum {
    FORK_PLAIN,
    FORK_FINALIZE,
    FORK_GRANDCHILD_UNINIT,
    FORK_GRANDCHILD_INIT,
    FORK_THREAD,
    FORK_PATTERNS
};

static int fork_pattern(int variant)
{
    pid_t pid = fork();
    if (pid != 0)
        return wait_code(pid);
    int code = 0;
    switch (variant) {
    case FORK_GRANDCHILD_UNINIT: {
        pid_t g = fork();
        if (g == 0)
            _exit(child_checks(0));
        code = wait_code(g);
        break;
    }
    case FORK_GRANDCHILD_INIT:
        code = child_checks(0);
        if (code == 0) {
            pid_t g = fork();
            if (g == 0)
                _exit(child_checks(0));
            code = wait_code(g);
        }
        break;
    default:
        code = child_checks(variant == FORK_FINALIZE);
        break;
    }
    if (T.f->C_Finalize(NULL) != CKR_OK)
        code |= 64;
    _exit(code);
}

static void *fork_in_thread(void *arg)
{
    *(int *)arg = fork_pattern(FORK_PLAIN);
    return NULL;
}

static void test_fork(void **state)
{
    (void)state;
    CK(T.f->C_Initialize(NULL));
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    unsigned char sig[128];
    CK_ULONG len = sizeof sig;
    /* Every pattern twice: from a parent that has not used a key yet (the
     * child is the first to ask the agent and to map libcjson, lazy.h),
     * then from one that has (the key derived in the parent). */
    for (int warm = 0; warm < 2; warm++) {
        if (warm)
            CK(sign_web(s, sig, &len));
        for (int variant = 0; variant < FORK_PATTERNS; variant++) {
            int code = -1;
            if (variant == FORK_THREAD) {
                pthread_t t;
                assert_int_equal(pthread_create(&t, NULL, fork_in_thread, &code), 0);
                assert_int_equal(pthread_join(t, NULL), 0);
            } else {
                code = fork_pattern(variant);
            }
            print_message("fork pattern %d (%s parent): exit code %d\n", variant,
                          warm ? "warm" : "cold", code);
            assert_int_equal(code, 0);
        }
    }
    /* The parent is untouched. */
    len = sizeof sig;
    CK(sign_web(s, sig, &len));
    CK(T.f->C_Finalize(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_args),    cmocka_unit_test(test_app_mutexes),
        cmocka_unit_test(test_bad_config),   cmocka_unit_test(test_dstack_down),
        cmocka_unit_test(test_agent_faults), cmocka_unit_test(test_fork),
    };
    if (p11t_setup("log_level = error\n", NULL) != 0)
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    p11t_teardown();
    return rc;
}
