/* Raw OpenSSL backend: the same operations as the PKCS#11 cases, on keys
 * held in memory. Each signature builds its own context, as an application
 * signing one message at a time does (and as a PKCS#11 module must). */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "bench.h"

typedef struct ossl_impl {
    bench_impl base;
    EVP_PKEY *keys[BENCH_CASE_COUNT];
} ossl_impl;

typedef struct ossl_worker {
    EVP_PKEY *key;
    bench_case c;
    unsigned char in[32];
    unsigned char sig[512];
} ossl_worker;

static void *ossl_worker_new(bench_impl *impl, bench_case c)
{
    ossl_impl *o = (ossl_impl *)impl;
    ossl_worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->key = o->keys[c];
    w->c = c;
    for (size_t i = 0; i < sizeof w->in; i++)
        w->in[i] = (unsigned char)i;
    return w;
}

static int ossl_sign(void *worker)
{
    ossl_worker *w = worker;
    size_t len = sizeof w->sig;
    int ok = 0;

    if (w->c == BENCH_P256) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, w->key, NULL);
        ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
             EVP_PKEY_sign(ctx, w->sig, &len, w->in, sizeof w->in) == 1;
        EVP_PKEY_CTX_free(ctx);
    } else {
        /* Ed25519 (no digest) and RSA with SHA-256 both go through DigestSign. */
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        const char *dname = w->c == BENCH_RSA2048 ? "SHA256" : NULL;
        ok = md != NULL && EVP_DigestSignInit_ex(md, NULL, dname, NULL, NULL, w->key, NULL) == 1 &&
             EVP_DigestSign(md, w->sig, &len, w->in, sizeof w->in) == 1;
        EVP_MD_CTX_free(md);
    }
    return ok ? 0 : -1;
}

static void ossl_worker_free(void *worker)
{
    free(worker);
}

static void ossl_free(bench_impl *impl)
{
    ossl_impl *o = (ossl_impl *)impl;
    for (int i = 0; i < BENCH_CASE_COUNT; i++)
        EVP_PKEY_free(o->keys[i]);
    free(o);
}

bench_impl *bench_ossl_new(void)
{
    ossl_impl *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->base = (bench_impl){"openssl", ossl_worker_new, ossl_sign, ossl_worker_free, ossl_free};
    o->keys[BENCH_P256] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    o->keys[BENCH_ED25519] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    o->keys[BENCH_RSA2048] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    for (int i = 0; i < BENCH_CASE_COUNT; i++) {
        if (o->keys[i] == NULL) {
            fprintf(stderr, "bench: OpenSSL cannot generate a %s key\n", bench_case_name(i));
            ERR_print_errors_fp(stderr);
            ossl_free(&o->base);
            return NULL;
        }
    }
    return &o->base;
}
