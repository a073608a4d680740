/* provider/ as a black box: arbitrary bytes through OpenSSL's decoders (as a
 * PEM file, and as the DER/"dstack-ref" second stage) and arbitrary
 * "dstack:" URIs through OSSL_STORE_open_ex, in a private library context
 * that holds only the dstack provider.
 *
 * No key is ever derived: the agent endpoint is a socket path that cannot
 * exist, so anything that would ask for a key fails at its GetKey. The
 * configuration (three labelled keys, so labels resolve) is an anonymous
 * memory file read through /proc/self/fd. The provider comes from $DSK_PROVIDER_DIR (the
 * built dstack.so), or, in the libFuzzer build, is linked in and added as a
 * built-in so that its code is instrumented (DSK_FUZZ_BUILTIN_PROVIDER). */
#include <dlfcn.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/core.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/store.h>

#include "fuzz.h"

#ifdef DSK_FUZZ_BUILTIN_PROVIDER
OSSL_provider_init_fn OSSL_provider_init;
#endif

static const char conf_text[] = "[key web]\npath = /fuzz/web\ntype = ec-p256\n"
                                "[key ssh]\npath = /fuzz/ssh\ntype = ed25519\n"
                                "[key tls]\npath = /fuzz/tls\ntype = rsa-2048\n";

/* Environment for every provider instance of this process, set once. */
static int setup_env(void)
{
    static int done = 0;
    char path[64];
    int fd;

    if (done)
        return done > 0;
    done = -1;
    fd = memfd_create("fuzz-conf", MFD_CLOEXEC);
    if (fd < 0 || write(fd, conf_text, sizeof conf_text - 1) != (ssize_t)(sizeof conf_text - 1))
        return 0;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (setenv("DSTACK_PKCS11_CONF", path, 1) != 0
        || setenv("DSTACK_SIMULATOR_ENDPOINT", "/nonexistent-dsk-fuzz/dstack.sock", 1) != 0
        || unsetenv("DSTACK_PKCS11_DEBUG") != 0)
        return 0;
#ifndef DSK_FUZZ_BUILTIN_PROVIDER
    {
        const char *dir = getenv("DSK_PROVIDER_DIR");
        char so[4096];
        if (dir == NULL) {
            fprintf(stderr, "fuzz_prov_decoder: set DSK_PROVIDER_DIR to the directory of dstack.so\n");
            return 0;
        }
        /* Held for the whole run (never closed): without it each new
         * context would load dstack.so and libcurl's whole tree again. */
        snprintf(so, sizeof so, "%s/dstack.so", dir);
        if (dlopen(so, RTLD_NOW | RTLD_LOCAL) == NULL) {
            fprintf(stderr, "fuzz_prov_decoder: %s\n", dlerror());
            return 0;
        }
    }
#endif
    done = 1;
    return 1;
}

static void decode(OSSL_LIB_CTX *ctx, const char *input, const char *structure,
                   const uint8_t *data, size_t size)
{
    EVP_PKEY *pkey = NULL;
    const unsigned char *p = data;
    size_t len = size;
    OSSL_DECODER_CTX *dctx =
        OSSL_DECODER_CTX_new_for_pkey(&pkey, input, structure, NULL, 0, ctx, NULL);

    if (dctx == NULL)
        return;
    /* A reference decodes without the agent (keys derive on first use); asking
     * for what the key is must then not need it either. */
    if (OSSL_DECODER_from_data(dctx, &p, &len) && pkey != NULL) {
        DSK_FUZZ_ASSERT(EVP_PKEY_is_a(pkey, "EC") || EVP_PKEY_is_a(pkey, "ED25519")
                        || EVP_PKEY_is_a(pkey, "RSA"));
        DSK_FUZZ_ASSERT(EVP_PKEY_get_bits(pkey) > 0);
        DSK_FUZZ_ASSERT(EVP_PKEY_get_size(pkey) > 0);
    }
    EVP_PKEY_free(pkey);
    OSSL_DECODER_CTX_free(dctx);
}

static void open_store(OSSL_LIB_CTX *ctx, const uint8_t *data, size_t size)
{
    char *rest = dsk_fuzz_cstr(data, size), *uri;
    OSSL_STORE_CTX *sctx;

    if (rest == NULL)
        return;
    if ((uri = malloc(strlen(rest) + sizeof "dstack:")) != NULL) {
        strcpy(uri, "dstack:");
        strcat(uri, rest);
        sctx = OSSL_STORE_open_ex(uri, ctx, NULL, NULL, NULL, NULL, NULL, NULL);
        if (sctx != NULL) {
            /* Open only parses; loading would ask the agent. */
            DSK_FUZZ_ASSERT(!OSSL_STORE_eof(sctx));
            OSSL_STORE_close(sctx);
        }
        free(uri);
    }
    free(rest);
}

/* A fresh context every CTX_INPUTS inputs: building decoder chains in a cold
 * context costs ten times the decoding, and a context used for ever would
 * grow the provider's key store with every inline URI. The context in use at
 * exit stays reachable through `ctx` (no leak report). */
#define CTX_INPUTS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static OSSL_LIB_CTX *ctx;
    static OSSL_PROVIDER *prov;
    static unsigned inputs;

    if (!setup_env())
        abort(); /* a broken set-up must not pass as "no crash" */
    if (inputs++ % CTX_INPUTS == 0) {
        OSSL_PROVIDER_unload(prov);
        OSSL_LIB_CTX_free(ctx);
        prov = NULL;
        if ((ctx = OSSL_LIB_CTX_new()) == NULL)
            abort();
#ifdef DSK_FUZZ_BUILTIN_PROVIDER
        DSK_FUZZ_ASSERT(OSSL_PROVIDER_add_builtin(ctx, "dstack", OSSL_provider_init));
#else
        DSK_FUZZ_ASSERT(OSSL_PROVIDER_set_default_search_path(ctx, getenv("DSK_PROVIDER_DIR")));
#endif
        prov = OSSL_PROVIDER_load(ctx, "dstack");
        DSK_FUZZ_ASSERT(prov != NULL);
    }

    decode(ctx, "PEM", NULL, data, size);
    decode(ctx, "DER", "dstack-ref", data, size);
    open_store(ctx, data, size);
    ERR_clear_error();
    return 0;
}
