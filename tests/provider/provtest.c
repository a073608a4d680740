#include "provtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/store.h>
#include <openssl/x509.h>

const char *pt_write(pt_env *e, const char *name, const char *text)
{
    static char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", e->dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* The socket file appears before the simulator accepts: wait for accept. */
static void wait_accepting(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path)
        fail_msg("socket path %s too long", path);
    memcpy(sa.sun_path, path, n + 1);
    for (int i = 0; i < 200; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        int ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return;
        nanosleep(&(struct timespec){0, 25 * 1000 * 1000}, NULL);
    }
    fail_msg("simulator at %s does not accept connections", path);
}

void pt_setup(pt_env *e, int with_sim)
{
    const char *pdir = getenv("DSK_PROVIDER_DIR");

    memset(e, 0, sizeof *e);
    assert_non_null(pdir);
    if (with_sim) {
        assert_int_equal(dsk_test_sim_start(&e->sim, NULL), 0);
        e->sim_up = 1;
        wait_accepting(e->sim.sock);
        snprintf(e->dir, sizeof e->dir, "%s", e->sim.dir);
        setenv("DSTACK_SIMULATOR_ENDPOINT", e->sim.sock, 1);
    } else {
        snprintf(e->dir, sizeof e->dir, "/tmp/dsk-prov-XXXXXX");
        assert_non_null(mkdtemp(e->dir));
        setenv("DSTACK_SIMULATOR_ENDPOINT", "/nonexistent/dsk-prov-test.sock", 1);
    }
    snprintf(e->conf, sizeof e->conf, "%s", pt_write(e, "dstack.conf", PT_CONF));
    setenv("DSTACK_PKCS11_CONF", e->conf, 1);

    assert_non_null(e->libctx = OSSL_LIB_CTX_new());
    assert_int_equal(OSSL_PROVIDER_set_default_search_path(e->libctx, pdir), 1);
    assert_non_null(e->deflt = OSSL_PROVIDER_load(e->libctx, "default"));
    e->dstack = OSSL_PROVIDER_load(e->libctx, "dstack");
    if (e->dstack == NULL)
        fail_msg("loading dstack.so from %s: %s", pdir, pt_errors());
    assert_non_null(e->check = OSSL_LIB_CTX_new());
    assert_non_null(e->check_deflt = OSSL_PROVIDER_load(e->check, "default"));
}

static void rm_dir(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

void pt_teardown(pt_env *e)
{
    OSSL_PROVIDER_unload(e->dstack);
    OSSL_PROVIDER_unload(e->deflt);
    OSSL_PROVIDER_unload(e->check_deflt);
    OSSL_LIB_CTX_free(e->libctx);
    OSSL_LIB_CTX_free(e->check);
    if (e->sim_up)
        dsk_test_sim_stop(&e->sim); /* removes its directory */
    else
        rm_dir(e->dir);
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    unsetenv("DSTACK_PKCS11_CONF");
}

int pt_group_setup(void **state)
{
    pt_env *e = malloc(sizeof *e);
    if (e == NULL)
        return -1;
    pt_setup(e, 1);
    *state = e;
    return 0;
}

int pt_group_teardown(void **state)
{
    pt_teardown(*state);
    free(*state);
    return 0;
}

EVP_PKEY *pt_load(pt_env *e, const char *uri)
{
    OSSL_STORE_CTX *sc = OSSL_STORE_open_ex(uri, e->libctx, NULL, NULL, NULL, NULL, NULL, NULL);
    EVP_PKEY *k = NULL;
    if (sc == NULL)
        return NULL;
    OSSL_STORE_expect(sc, OSSL_STORE_INFO_PKEY);
    while (k == NULL && !OSSL_STORE_eof(sc)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(sc);
        if (info != NULL && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
            k = OSSL_STORE_INFO_get1_PKEY(info);
        OSSL_STORE_INFO_free(info);
        if (info == NULL)
            break;
    }
    OSSL_STORE_close(sc);
    return k;
}

EVP_PKEY *pt_public(pt_env *e, EVP_PKEY *k)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    int len = i2d_PUBKEY(k, &der);
    EVP_PKEY *pub;
    if (len <= 0)
        fail_msg("i2d_PUBKEY: %s", pt_errors());
    p = der;
    pub = d2i_PUBKEY_ex(NULL, &p, len, e->check, NULL);
    OPENSSL_free(der);
    assert_non_null(pub);
    return pub;
}

EVP_PKEY *pt_gen(OSSL_LIB_CTX *ctx, const char *alg, const char *curve)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(ctx, alg, "provider=default");
    EVP_PKEY *k = NULL;
    assert_non_null(c);
    assert_int_equal(EVP_PKEY_keygen_init(c), 1);
    if (curve != NULL) {
        OSSL_PARAM p[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curve, 0),
            OSSL_PARAM_construct_end(),
        };
        assert_int_equal(EVP_PKEY_CTX_set_params(c, p), 1);
    } else if (strcmp(alg, "RSA") == 0) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(c, 2048), 1);
    }
    assert_int_equal(EVP_PKEY_generate(c, &k), 1);
    EVP_PKEY_CTX_free(c);
    return k;
}

const char *pt_provider_of(const EVP_PKEY *k)
{
    const OSSL_PROVIDER *p = EVP_PKEY_get0_provider(k);
    return p != NULL ? OSSL_PROVIDER_get0_name(p) : "(legacy)";
}

const char *pt_errors(void)
{
    static char buf[4096];
    size_t used = 0;
    unsigned long code;
    const char *data = NULL;
    int flags = 0;

    buf[0] = '\0';
    while ((code = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0 && used < sizeof buf) {
        char one[256];
        ERR_error_string_n(code, one, sizeof one);
        int w = snprintf(buf + used, sizeof buf - used, "%s%s%s%s", used ? " | " : "", one,
                         (flags & ERR_TXT_STRING) && data ? ": " : "",
                         (flags & ERR_TXT_STRING) && data ? data : "");
        if (w < 0)
            break;
        used += (size_t)w < sizeof buf - used ? (size_t)w : sizeof buf - used - 1;
    }
    return buf;
}
