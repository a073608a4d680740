/* HMAC_DRBG (SP 800-90A 10.1.2) written out rather than taken from OpenSSL's
 * EVP_RAND: the contract needs the exact byte stream, and OpenSSL's DRBGs are
 * built to pull fresh entropy, not to replay a seed. */
#include "drbg.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#define DRBG_MAX_REQUEST 65536

/* out = HMAC-SHA256(key, a || b || c); any part may be empty. */
static int hmac3(EVP_MAC_CTX *mac, const unsigned char key[32], const unsigned char *a, size_t alen,
                 const unsigned char *b, size_t blen, const unsigned char *c, size_t clen,
                 unsigned char out[32])
{
    size_t outl = 0;

    if (EVP_MAC_init(mac, key, 32, NULL) != 1)
        return 0;
    if ((alen > 0 && EVP_MAC_update(mac, a, alen) != 1) ||
        (blen > 0 && EVP_MAC_update(mac, b, blen) != 1) ||
        (clen > 0 && EVP_MAC_update(mac, c, clen) != 1))
        return 0;
    return EVP_MAC_final(mac, out, &outl, 32) == 1 && outl == 32;
}

/* HMAC_DRBG_Update (10.1.2.2). */
static int drbg_update(dsk_drbg *d, const unsigned char *data, size_t len)
{
    static const unsigned char zero = 0x00, one = 0x01;

    if (!hmac3(d->mac, d->k, d->v, 32, &zero, 1, data, len, d->k) ||
        !hmac3(d->mac, d->k, d->v, 32, NULL, 0, NULL, 0, d->v))
        return 0;
    if (len == 0)
        return 1;
    return hmac3(d->mac, d->k, d->v, 32, &one, 1, data, len, d->k) &&
           hmac3(d->mac, d->k, d->v, 32, NULL, 0, NULL, 0, d->v);
}

dsk_status dsk_drbg_init(dsk_drbg *d, OSSL_LIB_CTX *libctx, const unsigned char *seed,
                         size_t seed_len, dsk_error *err)
{
    EVP_MAC *hmac = NULL;
    OSSL_PARAM params[2];

    memset(d, 0, sizeof *d);
    memset(d->v, 0x01, sizeof d->v);
    hmac = EVP_MAC_fetch(libctx, "HMAC", NULL);
    if (hmac != NULL)
        d->mac = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac); /* the context keeps its own reference */
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (d->mac == NULL || EVP_MAC_CTX_set_params(d->mac, params) != 1 ||
        !drbg_update(d, seed, seed_len)) {
        dsk_drbg_free(d);
        return dsk_error_set(err, DSK_E_CRYPTO,
                             "derive: HMAC-SHA256 is not available for the DRBG");
    }
    return DSK_OK;
}

dsk_status dsk_drbg_generate(dsk_drbg *d, unsigned char *out, size_t len, dsk_error *err)
{
    size_t done = 0;

    if (d->mac == NULL || len > DRBG_MAX_REQUEST)
        return dsk_error_set(err, DSK_E_ARGS, "derive: bad DRBG request of %zu bytes", len);
    while (done < len) {
        size_t n = len - done < 32 ? len - done : 32;

        if (!hmac3(d->mac, d->k, d->v, 32, NULL, 0, NULL, 0, d->v))
            goto fail;
        memcpy(out + done, d->v, n);
        done += n;
    }
    if (!drbg_update(d, NULL, 0))
        goto fail;
    return DSK_OK;
fail:
    OPENSSL_cleanse(out, len);
    return dsk_error_set(err, DSK_E_CRYPTO, "derive: HMAC-SHA256 failed in the DRBG");
}

void dsk_drbg_free(dsk_drbg *d)
{
    if (d == NULL)
        return;
    EVP_MAC_CTX_free(d->mac); /* frees (and clears) the keyed HMAC state */
    OPENSSL_cleanse(d, sizeof *d);
}
