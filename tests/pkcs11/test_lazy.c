/* Loading costs nothing until a key is used (issue 14 §3): a program that
 * loads the module, initialises it and lists its tokens, objects and their
 * labels never creates a socket, never connects to the agent and maps no
 * library beyond libc, libcrypto and the configuration parser (libinih) —
 * no HTTP library, and libcjson and libsecp256k1 only at first use
 * (common/lazy.h). The agent here is a listening socket nobody accepts on,
 * so any connection attempt stays in its queue where the test finds it;
 * signing is the positive control that shows the checks see a connection
 * and a library mapped at first use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pkcs11_3.h"
#include "simproc.h"

#define MAX_LIBS 256

/* The shared objects mapped now, from /proc/self/maps (basenames). */
static size_t mapped_libs(char libs[][128], size_t max)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    size_t n = 0;
    assert_non_null(f);
    while (fgets(line, sizeof line, f) != NULL) {
        char *path = strchr(line, '/');
        if (path == NULL || strstr(path, ".so") == NULL)
            continue;
        path[strcspn(path, "\n")] = '\0';
        const char *base = strrchr(path, '/') + 1;
        size_t i = 0;
        while (i < n && strcmp(libs[i], base) != 0)
            i++;
        if (i == n && n < max)
            snprintf(libs[n++], sizeof libs[0], "%s", base);
    }
    fclose(f);
    return n;
}

static int listed(char libs[][128], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(libs[i], name) == 0)
            return 1;
    return 0;
}

/* Libraries the module may bring: its own file and these prefixes. */
static int allowed(const char *lib)
{
    static const char *const ok[] = {"dstack-pkcs11.so", "libcrypto.so", "libinih.so", "libc.so",
                                     "ld-linux"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strncmp(lib, ok[i], strlen(ok[i])) == 0)
            return 1;
    return 0;
}

/* 1 if a library whose basename starts with prefix is mapped. */
static int mapped(const char *prefix)
{
    static char libs[MAX_LIBS][128];
    size_t n = mapped_libs(libs, MAX_LIBS);
    for (size_t i = 0; i < n; i++)
        if (strncmp(libs[i], prefix, strlen(prefix)) == 0)
            return 1;
    return 0;
}

/* The number of open socket descriptors of this process. */
static int sockets_open(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t l = readlink(path, target, sizeof target - 1);
        if (l > 0) {
            target[l] = '\0';
            n += strncmp(target, "socket:", 7) == 0;
        }
    }
    closedir(d);
    return n;
}

/* 1 if a connection waits on the listener (accepted and closed), else 0. */
static int connection_waiting(int lfd)
{
    int c = accept(lfd, NULL, NULL);
    if (c < 0) {
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
        return 0;
    }
    close(c);
    return 1;
}

/* What keys/libctx.c logs (debug) when it creates its library context. */
#define LIBCTX_LINE "OpenSSL library context created"

/* The module's stderr (its log) into path, appended, between start and end;
 * cmocka's own messages go to the real stderr outside. */
static int saved_stderr = -1;
static void capture_start(const char *path)
{
    fflush(stderr);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    saved_stderr = dup(2);
    assert_true(fd >= 0 && saved_stderr >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    close(fd);
}
static void capture_end(void)
{
    fflush(stderr);
    assert_int_equal(dup2(saved_stderr, 2), 2);
    close(saved_stderr);
}

/* 1 if the file at path holds text. */
static int log_has(const char *path, const char *text)
{
    char buf[16384];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

static void test_list_without_agent_or_http(void **state)
{
    (void)state;
    static char before[MAX_LIBS][128], after[MAX_LIBS][128];
    char dir[] = "/tmp/dsk-lazy-XXXXXX", sock[64], conf[64];
    assert_non_null(mkdtemp(dir));
    snprintf(sock, sizeof sock, "%s/agent.sock", dir);
    snprintf(conf, sizeof conf, "%s/dstack-pkcs11.conf", dir);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 16), 0);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "[token]\nendpoint = %s\ntimeout_ms = 2000\n\n[key web]\ntype = ec-p256\n\n"
            "[key k1]\ntype = secp256k1\n\n[key rsa]\ntype = rsa-2048\n\n[key ssh]\ntype = "
            "ed25519\n",
            sock);
    fclose(f);
    setenv("DSTACK_PKCS11_CONF", conf, 1);
    /* The module's debug lines go to a file: keys/libctx.c says when it
     * creates its OpenSSL library context (5.3 M instructions, fetching
     * every digest), which listing must not do either. */
    setenv("DSTACK_PKCS11_DEBUG", "debug", 1);
    char log[64];
    snprintf(log, sizeof log, "%s/stderr.log", dir);

    /* libcrypto's own dependencies are not the module's doing (OpenSSL 3.5
     * on Debian 13 links libz, libzstd and libbrotli for certificate
     * compression): map libcrypto first so they are in "before". */
    void *crypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    assert_non_null(crypto);
    size_t nb = mapped_libs(before, MAX_LIBS);
    /* The test program itself maps neither, so the checks below can fail. */
    assert_false(mapped("libcjson.so"));
    assert_false(mapped("libsecp256k1.so"));
    int socks = sockets_open();
    void *dl = dlopen(getenv("DSK_PKCS11_MODULE"), RTLD_NOW | RTLD_LOCAL);
    assert_non_null(dl);
    CK_C_GetFunctionList gfl;
    *(void **)&gfl = dlsym(dl, "C_GetFunctionList"); /* POSIX: through its storage */
    CK_FUNCTION_LIST *p = NULL;
    assert_int_equal(gfl(&p), CKR_OK);
    capture_start(log);
    assert_int_equal(p->C_Initialize(NULL), CKR_OK);

    CK_SLOT_ID slots[8];
    CK_ULONG ns = 8, total = 0;
    assert_int_equal(p->C_GetSlotList(CK_TRUE, slots, &ns), CKR_OK);
    assert_int_equal(ns, 2);
    CK_SESSION_HANDLE signer = 0;
    CK_OBJECT_HANDLE web = 0;
    for (CK_ULONG i = 0; i < ns; i++) {
        CK_TOKEN_INFO ti;
        assert_int_equal(p->C_GetTokenInfo(slots[i], &ti), CKR_OK);
        CK_SESSION_HANDLE s;
        assert_int_equal(p->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
        assert_int_equal(p->C_FindObjectsInit(s, NULL, 0), CKR_OK);
        CK_OBJECT_HANDLE objs[32];
        CK_ULONG no = 0;
        assert_int_equal(p->C_FindObjects(s, objs, 32, &no), CKR_OK);
        assert_int_equal(p->C_FindObjectsFinal(s), CKR_OK);
        for (CK_ULONG k = 0; k < no; k++) {
            char label[64];
            CK_OBJECT_CLASS cls;
            CK_KEY_TYPE kt;
            CK_ATTRIBUTE t[] = {{CKA_LABEL, label, sizeof label},
                                {CKA_CLASS, &cls, sizeof cls},
                                {CKA_KEY_TYPE, &kt, sizeof kt}};
            /* a certificate has no CKA_KEY_TYPE; the rest is still filled */
            CK_RV r = p->C_GetAttributeValue(s, objs[k], t, 3);
            assert_int_equal(r, cls == CKO_CERTIFICATE ? CKR_ATTRIBUTE_TYPE_INVALID : CKR_OK);
            if (cls == CKO_PRIVATE_KEY && t[0].ulValueLen == 3 && !memcmp(label, "web", 3)) {
                signer = s;
                web = objs[k];
            }
        }
        total += no;
    }
    /* four keys: private, public and the self-signed certificate (listed
     * without deriving, keys/selfcert.c) */
    assert_int_equal(total, 12);
    assert_int_not_equal(web, 0);

    assert_int_equal(connection_waiting(lfd), 0);
    assert_int_equal(sockets_open(), socks);
    assert_false(mapped("libcjson.so"));
    assert_false(mapped("libsecp256k1.so"));
    capture_end();
    assert_false(log_has(log, LIBCTX_LINE));
    size_t na = mapped_libs(after, MAX_LIBS);
    for (size_t i = 0; i < na; i++) {
        if (listed(before, nb, after[i]))
            continue;
        print_message("mapped by the module: %s\n", after[i]);
        if (!allowed(after[i]))
            fail_msg("loading and listing mapped %s", after[i]);
        assert_null(strstr(after[i], "curl"));
    }

    /* The positive control: the first use of a key does connect. */
    capture_start(log);
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    assert_int_equal(p->C_SignInit(signer, &m, web), CKR_OK);
    unsigned char h[32] = {1}, sig[64];
    CK_ULONG sl = sizeof sig;
    CK_RV sign_rv = p->C_Sign(signer, h, sizeof h, sig, &sl);
    capture_end();
    assert_int_not_equal(sign_rv, CKR_OK); /* nobody answers */
    assert_int_equal(connection_waiting(lfd), 1);
    assert_true(mapped("libcjson.so")); /* the request is JSON */

    /* A signature that succeeds (a simulator behind the configured path)
     * creates the library context: the check after listing can fail. */
    dsk_test_sim sim;
    assert_int_equal(dsk_test_sim_start(&sim, NULL), 0);
    close(lfd);
    unlink(sock);
    assert_int_equal(symlink(sim.sock, sock), 0);
    capture_start(log);
    CK_RV init_rv = p->C_SignInit(signer, &m, web);
    sl = sizeof sig;
    sign_rv = init_rv == CKR_OK ? p->C_Sign(signer, h, sizeof h, sig, &sl) : init_rv;
    capture_end();
    assert_int_equal(sign_rv, CKR_OK);
    assert_true(log_has(log, LIBCTX_LINE));
    assert_int_equal(dsk_test_sim_stop(&sim), 0);
    unlink(log);

    assert_int_equal(p->C_Finalize(NULL), CKR_OK);
    dlclose(dl);
    dlclose(crypto);
    unlink(sock);
    unlink(conf);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_without_agent_or_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
