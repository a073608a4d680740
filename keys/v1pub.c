/* The public_key of a /v1 GetKey reply must be the public key of its key:
 * the chain's link 0 signs that public key, so a key that does not match it
 * would be a key the chain says nothing about. */
#include "internal.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

/* SEC1 compressed d·G on secp256k1 into out (33 bytes). */
static dsk_status k256_public(const unsigned char m[32], unsigned char out[33], dsk_error *err)
{
    OSSL_LIB_CTX *ctx = dsk_keys_libctx();
    EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(ctx, NULL, NID_secp256k1);
    BN_CTX *bnctx = BN_CTX_secure_new_ex(ctx);
    BIGNUM *d = BN_secure_new();
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    dsk_status st = DSK_E_CRYPTO;

    if (g == NULL || bnctx == NULL || d == NULL || p == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory checking the v1 public key");
        goto done;
    }
    BN_set_flags(d, BN_FLG_CONSTTIME);
    if (BN_bin2bn(m, 32, d) == NULL)
        goto done;
    if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
        st = dsk_error_set(err, DSK_E_MALFORMED,
                           "the agent's v1 key is not a secp256k1 scalar (0 or >= n)");
        goto done;
    }
    if (EC_POINT_mul(g, p, d, NULL, NULL, bnctx) != 1 ||
        EC_POINT_point2oct(g, p, POINT_CONVERSION_COMPRESSED, out, 33, bnctx) != 33)
        goto done;
    st = DSK_OK;
done:
    if (st == DSK_E_CRYPTO)
        dsk_error_set(err, st, "cannot compute the secp256k1 public key of the v1 key");
    EC_POINT_free(p);
    BN_clear_free(d);
    BN_CTX_free(bnctx);
    EC_GROUP_free(g);
    return st;
}

static dsk_status ed25519_public(const unsigned char m[32], unsigned char out[32], dsk_error *err)
{
    size_t len = 32;
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key_ex(dsk_keys_libctx(), "ED25519", NULL, m, 32);
    dsk_status st = DSK_OK;
    if (pk == NULL || EVP_PKEY_get_raw_public_key(pk, out, &len) != 1 || len != 32)
        st =
            dsk_error_set(err, DSK_E_CRYPTO, "cannot compute the Ed25519 public key of the v1 key");
    EVP_PKEY_free(pk); /* clears the seed it copied */
    return st;
}

dsk_status dsk_keys_check_getkey_public(const char *algorithm, const unsigned char m[32],
                                        const unsigned char *pub, size_t pub_len, dsk_error *err)
{
    unsigned char mine[33];
    size_t n = strcmp(algorithm, "ed25519") == 0 ? 32 : 33;
    dsk_status st = n == 32 ? ed25519_public(m, mine, err) : k256_public(m, mine, err);

    if (st != DSK_OK)
        return st;
    if (pub_len != n || CRYPTO_memcmp(mine, pub, n) != 0)
        return dsk_error_set(err, DSK_E_MALFORMED,
                             "the agent's /v1/GetKey public_key is not the public key of the key "
                             "it returned (%s): the agent is broken or not dstack; the key is "
                             "not used",
                             algorithm);
    return DSK_OK;
}
