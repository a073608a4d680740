/* Raw OpenSSL backend: the same operations as the PKCS#11 cases, on keys
 * held in memory, as a real server does them: one context per key and
 * thread, initialised once and reused for every signature (ECDSA and RSA
 * through EVP_PKEY_sign on a sign-initialised EVP_PKEY_CTX, RSA's SHA-256
 * with a pre-fetched digest; Ed25519 through EVP_DigestSign on an
 * initialised EVP_MD_CTX, which its one-shot signing leaves reusable). */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <secp256k1.h>

#include "bench.h"

typedef struct ossl_impl {
    bench_impl base;
    EVP_PKEY *keys[BENCH_CASE_COUNT];
    secp256k1_context *k1;
    unsigned char k1_sec[32];
} ossl_impl;

typedef struct ossl_worker {
    EVP_PKEY *key;
    bench_case c;
    EVP_PKEY_CTX *pctx; /* P-256, RSA */
    EVP_MD_CTX *mctx;   /* Ed25519 */
    EVP_MD *sha256;
    ossl_impl *impl;
    unsigned char ct[256];
    size_t ct_len;
    unsigned char in[32];
    unsigned char sig[512];
} ossl_worker;

static void ossl_worker_free(void *worker)
{
    ossl_worker *w = worker;
    if (w == NULL)
        return;
    EVP_PKEY_CTX_free(w->pctx);
    EVP_MD_CTX_free(w->mctx);
    EVP_MD_free(w->sha256);
    free(w);
}

static void *ossl_worker_new(bench_impl *impl, bench_case c)
{
    ossl_impl *o = (ossl_impl *)impl;
    ossl_worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->key = o->keys[c];
    w->c = c;
    w->impl = o;
    for (size_t i = 0; i < sizeof w->in; i++)
        w->in[i] = (unsigned char)i;
    int ok;
    if (c == BENCH_K1) {
        ok = 1; /* libsecp256k1: the context and key of the impl */
    } else if (c == BENCH_OAEP) {
        EVP_PKEY_CTX *e = EVP_PKEY_CTX_new_from_pkey(NULL, w->key, NULL);
        w->ct_len = sizeof w->ct;
        ok = e != NULL && EVP_PKEY_encrypt_init(e) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(e, RSA_PKCS1_OAEP_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_oaep_md_name(e, "SHA256", NULL) == 1 &&
             EVP_PKEY_encrypt(e, w->ct, &w->ct_len, w->in, sizeof w->in) == 1;
        EVP_PKEY_CTX_free(e);
        w->pctx = ok ? EVP_PKEY_CTX_new_from_pkey(NULL, w->key, NULL) : NULL;
        ok = w->pctx != NULL && EVP_PKEY_decrypt_init(w->pctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(w->pctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_oaep_md_name(w->pctx, "SHA256", NULL) == 1;
    } else if (c == BENCH_ED25519) {
        w->mctx = EVP_MD_CTX_new();
        ok = w->mctx != NULL &&
             EVP_DigestSignInit_ex(w->mctx, NULL, NULL, NULL, NULL, w->key, NULL) == 1;
    } else {
        w->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, w->key, NULL);
        ok = w->pctx != NULL && EVP_PKEY_sign_init(w->pctx) == 1;
        if (ok && c == BENCH_RSA2048) {
            w->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
            ok = w->sha256 != NULL &&
                 EVP_PKEY_CTX_set_rsa_padding(w->pctx, RSA_PKCS1_PADDING) == 1 &&
                 EVP_PKEY_CTX_set_signature_md(w->pctx, w->sha256) == 1;
        }
    }
    if (!ok) {
        fprintf(stderr, "bench: OpenSSL cannot set up a %s context\n", bench_case_name(c));
        ossl_worker_free(w);
        return NULL;
    }
    return w;
}

static int ossl_sign(void *worker)
{
    ossl_worker *w = worker;
    size_t len = sizeof w->sig;
    unsigned char h[32];
    int ok;

    switch (w->c) {
    case BENCH_K1: {
        secp256k1_ecdsa_signature sig;
        ok = secp256k1_ecdsa_sign(w->impl->k1, &sig, w->in, w->impl->k1_sec, NULL, NULL) == 1;
        secp256k1_ecdsa_signature_serialize_compact(w->impl->k1, w->sig, &sig);
        break;
    }
    case BENCH_OAEP:
        ok = EVP_PKEY_decrypt(w->pctx, w->sig, &len, w->ct, w->ct_len) == 1 && len == 32;
        break;
    case BENCH_ED25519:
        ok = EVP_DigestSign(w->mctx, w->sig, &len, w->in, sizeof w->in) == 1;
        break;
    case BENCH_RSA2048:
        ok = EVP_Digest(w->in, sizeof w->in, h, NULL, w->sha256, NULL) == 1 &&
             EVP_PKEY_sign(w->pctx, w->sig, &len, h, sizeof h) == 1;
        break;
    default:
        ok = EVP_PKEY_sign(w->pctx, w->sig, &len, w->in, sizeof w->in) == 1;
        break;
    }
    return ok ? 0 : -1;
}

static void ossl_free(bench_impl *impl)
{
    ossl_impl *o = (ossl_impl *)impl;
    for (int i = 0; i < BENCH_CASE_COUNT; i++)
        if (i != BENCH_OAEP) /* shares the RSA key */
            EVP_PKEY_free(o->keys[i]);
    if (o->k1 != NULL)
        secp256k1_context_destroy(o->k1);
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
    o->keys[BENCH_OAEP] = o->keys[BENCH_RSA2048];
    o->keys[BENCH_K1] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"); /* unused: marks ok */
    o->k1 = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    for (size_t i = 0; i < sizeof o->k1_sec; i++)
        o->k1_sec[i] = (unsigned char)(i + 1); /* a valid benchmark-only scalar */
    if (o->k1 == NULL) {
        fprintf(stderr, "bench: cannot create a libsecp256k1 context\n");
        ossl_free(&o->base);
        return NULL;
    }
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
