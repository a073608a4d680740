/* Digests and random bytes from the private library context. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/rand.h>

struct dsk_hash_ctx {
    EVP_MD_CTX *md;
    dsk_hash h;
};

/* Fetching an EVP_MD takes the library context's method-store lock; fetch
 * each digest once per process so multi-part hashing never does. Like the
 * context, the fetched digests live as long as the process. */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_cache[DSK_HASH_SHA512 + 1];

static void md_fetch_all(void)
{
    OSSL_LIB_CTX *ctx = dsk_keys_libctx();

    if (ctx == NULL)
        return;
    for (int h = DSK_HASH_SHA1; h <= DSK_HASH_SHA512; h++)
        md_cache[h] = EVP_MD_fetch(ctx, dsk_hash_name((dsk_hash)h), NULL);
}

const EVP_MD *dsk_keys_md(dsk_hash h)
{
    if (h <= DSK_HASH_NONE || h > DSK_HASH_SHA512)
        return NULL;
    pthread_once(&md_once, md_fetch_all);
    return md_cache[h];
}

dsk_status dsk_hash_new(dsk_hash h, dsk_hash_ctx **out, dsk_error *err)
{
    const EVP_MD *md = dsk_keys_md(h);
    dsk_hash_ctx *c = NULL;

    if (out == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "hash: NULL output");
    *out = NULL;
    if (md == NULL)
        return dsk_error_set(err, DSK_E_UNSUPPORTED, "hash: unsupported digest %d", (int)h);
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "hash: out of memory");
    c->h = h;
    c->md = EVP_MD_CTX_new();
    if (c->md == NULL || EVP_DigestInit_ex2(c->md, md, NULL) != 1) {
        dsk_hash_free(c);
        return dsk_error_set(err, DSK_E_CRYPTO, "hash: cannot start %s", dsk_hash_name(h));
    }
    *out = c;
    return DSK_OK;
}

dsk_status dsk_hash_update(dsk_hash_ctx *c, const unsigned char *in, size_t len, dsk_error *err)
{
    if (c == NULL || (in == NULL && len > 0))
        return dsk_error_set(err, DSK_E_ARGS, "hash: NULL argument");
    if (len > 0 && EVP_DigestUpdate(c->md, in, len) != 1)
        return dsk_error_set(err, DSK_E_CRYPTO, "hash: %s update failed", dsk_hash_name(c->h));
    return DSK_OK;
}

dsk_status dsk_hash_final(dsk_hash_ctx *c, unsigned char *out, dsk_error *err)
{
    unsigned int n = 0;

    if (c == NULL || out == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "hash: NULL argument");
    if (EVP_DigestFinal_ex(c->md, out, &n) != 1)
        return dsk_error_set(err, DSK_E_CRYPTO, "hash: %s final failed", dsk_hash_name(c->h));
    return DSK_OK;
}

dsk_status dsk_hash_dup(const dsk_hash_ctx *c, dsk_hash_ctx **out, dsk_error *err)
{
    dsk_hash_ctx *d = NULL;

    if (c == NULL || out == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "hash: NULL argument");
    *out = NULL;
    d = calloc(1, sizeof *d);
    if (d == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "hash: out of memory");
    d->h = c->h;
    d->md = EVP_MD_CTX_new();
    if (d->md == NULL || EVP_MD_CTX_copy_ex(d->md, c->md) != 1) {
        dsk_hash_free(d);
        return dsk_error_set(err, DSK_E_CRYPTO, "hash: cannot copy a %s state",
                             dsk_hash_name(c->h));
    }
    *out = d;
    return DSK_OK;
}

void dsk_hash_free(dsk_hash_ctx *c)
{
    if (c == NULL)
        return;
    /* EVP_MD_CTX_free cleanses the digest state (it may hash secrets). */
    EVP_MD_CTX_free(c->md);
    free(c);
}

dsk_status dsk_random(unsigned char *out, size_t len, dsk_error *err)
{
    OSSL_LIB_CTX *ctx = dsk_keys_libctx();
    EVP_RAND_CTX *rand;
    size_t max = 0;
    OSSL_PARAM params[2];

    if (out == NULL && len > 0)
        return dsk_error_set(err, DSK_E_ARGS, "random: NULL output");
    if (ctx == NULL)
        return dsk_error_set(err, DSK_E_CRYPTO, "random: no OpenSSL library context");
    /* The context's public DRBG itself: RAND_bytes_ex would first ask for a
     * default RAND ENGINE (libctx.c). One request is at most max_request
     * bytes (64 KiB for OpenSSL's DRBGs). */
    rand = RAND_get0_public(ctx);
    if (rand == NULL)
        return dsk_error_set(err, DSK_E_CRYPTO, "random: no DRBG");
    params[0] = OSSL_PARAM_construct_size_t(OSSL_RAND_PARAM_MAX_REQUEST, &max);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_RAND_CTX_get_params(rand, params) != 1 || max == 0)
        max = 4096;
    while (len > 0) {
        size_t n = len > max ? max : len;
        if (EVP_RAND_generate(rand, out, n, 0, 0, NULL, 0) != 1)
            return dsk_error_set(err, DSK_E_CRYPTO, "random: the DRBG failed");
        out += n;
        len -= n;
    }
    return DSK_OK;
}
