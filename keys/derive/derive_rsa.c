/* Contract v1 for RSA: HKDF -> HMAC_DRBG -> p, q by our own prime search
 * (rsa_prime.c) -> the CRT key. OpenSSL's RSA key generation is never used:
 * its candidate stream may change between versions and keys would move. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "derive.h"
#include "drbg.h"
#include "derive_internal.h"

#define RSA_SEED_LEN 48

static int rsa_bits(dsk_key_type t)
{
    switch (t) {
    case DSK_KEY_RSA_2048:
        return 2048;
    case DSK_KEY_RSA_3072:
        return 3072;
    case DSK_KEY_RSA_4096:
        return 4096;
    default:
        return 0;
    }
}

typedef struct rsa_parts {
    BIGNUM *n, *e, *d, *p, *q, *dp, *dq, *qinv;
} rsa_parts;

static dsk_status rsa_to_pkey(OSSL_LIB_CTX *libctx, const rsa_parts *k, EVP_PKEY **out,
                              dsk_error *err)
{
    dsk_status st = DSK_E_CRYPTO;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = NULL;

    if (bld == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, k->n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, k->e) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, k->d) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, k->p) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, k->q) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, k->dp) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, k->dq) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, k->qinv) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto done;
    pctx = EVP_PKEY_CTX_new_from_name(libctx, DSK_KEYMGMT_RSA, NULL);
    if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
        EVP_PKEY_fromdata(pctx, out, EVP_PKEY_KEYPAIR, params) != 1)
        goto done;
    st = DSK_OK;
done:
    if (st != DSK_OK)
        dsk_error_set(err, DSK_E_CRYPTO, "derive: cannot build the RSA key");
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params); /* secret values sit in its cleared secure block */
    OSSL_PARAM_BLD_free(bld);
    return st;
}

/* n, d and the CRT values from p > q (contract: d = e^-1 mod lcm(p-1, q-1)). */
static dsk_status rsa_complete(rsa_parts *k, BN_CTX *bnctx, dsk_error *err)
{
    dsk_status st = DSK_E_CRYPTO;
    BIGNUM *p1, *q1, *g, *lcm;

    BN_CTX_start(bnctx);
    p1 = BN_CTX_get(bnctx);
    q1 = BN_CTX_get(bnctx);
    g = BN_CTX_get(bnctx);
    lcm = BN_CTX_get(bnctx);
    if (lcm == NULL || BN_mul(k->n, k->p, k->q, bnctx) != 1 ||
        BN_sub(p1, k->p, BN_value_one()) != 1 || BN_sub(q1, k->q, BN_value_one()) != 1 ||
        BN_gcd(g, p1, q1, bnctx) != 1 || BN_mul(lcm, p1, q1, bnctx) != 1 ||
        BN_div(lcm, NULL, lcm, g, bnctx) != 1 || BN_mod_inverse(k->d, k->e, lcm, bnctx) == NULL ||
        BN_mod(k->dp, k->d, p1, bnctx) != 1 || BN_mod(k->dq, k->d, q1, bnctx) != 1 ||
        BN_mod_inverse(k->qinv, k->q, k->p, bnctx) == NULL) {
        dsk_error_set(err, DSK_E_CRYPTO, "derive: RSA key arithmetic failed");
        goto done;
    }
    st = DSK_OK;
done:
    BN_CTX_end(bnctx);
    return st;
}

dsk_status dsk_derive_rsa(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                          EVP_PKEY **out, dsk_error *err)
{
    dsk_prime_trace unused[2];
    return dsk_derive_rsa_traced(libctx, t, m, out, unused, err);
}

dsk_status dsk_derive_rsa_traced(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                                 EVP_PKEY **out, dsk_prime_trace trace[2], dsk_error *err)
{
    dsk_status st = DSK_E_NOMEM;
    int bits = rsa_bits(t);
    unsigned char seed[RSA_SEED_LEN];
    dsk_drbg drbg;
    int have_drbg = 0;
    BN_CTX *bnctx = NULL;
    rsa_parts k = {0};
    BIGNUM **all[] = {&k.n, &k.e, &k.d, &k.p, &k.q, &k.dp, &k.dq, &k.qinv};

    if (bits == 0)
        return dsk_error_set(err, DSK_E_ARGS, "derive: %d is not an RSA type", (int)t);
    bnctx = BN_CTX_secure_new_ex(libctx);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        *all[i] = BN_secure_new();
        if (*all[i] == NULL)
            goto done;
        BN_set_flags(*all[i], BN_FLG_CONSTTIME);
    }
    if (bnctx == NULL || BN_set_word(k.e, 65537) != 1)
        goto done;
    if ((st = dsk_derive_hkdf(libctx, t, m, seed, sizeof seed, err)) != DSK_OK)
        goto done;
    if ((st = dsk_drbg_init(&drbg, libctx, seed, sizeof seed, err)) != DSK_OK)
        goto done;
    have_drbg = 1;
    if ((st = dsk_derive_find_prime_traced(&drbg, bits / 2, NULL, k.p, bnctx, &trace[0], err)) !=
            DSK_OK ||
        (st = dsk_derive_find_prime_traced(&drbg, bits / 2, k.p, k.q, bnctx, &trace[1], err)) !=
            DSK_OK)
        goto done;
    if (BN_cmp(k.p, k.q) < 0) {
        BIGNUM *tmp = k.p;

        k.p = k.q;
        k.q = tmp;
    }
    if ((st = rsa_complete(&k, bnctx, err)) != DSK_OK)
        goto done;
    st = rsa_to_pkey(libctx, &k, out, err);
done:
    if (st == DSK_E_NOMEM)
        dsk_error_set(err, DSK_E_NOMEM, "derive: out of memory (RSA)");
    if (have_drbg)
        dsk_drbg_free(&drbg);
    OPENSSL_cleanse(seed, sizeof seed);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        BN_clear_free(*all[i]);
    BN_CTX_free(bnctx);
    return st;
}
