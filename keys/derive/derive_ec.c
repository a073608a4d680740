/* Contract v1 for the elliptic-curve types: secp256k1 and Ed25519 use the
 * dstack bytes as they are (same keys as the dstack SDKs), and so does
 * tappd-p256 on P-256 (the key tappd's DeriveKey gave); P-256 and P-384
 * reduce an HKDF output as FIPS 186-5 A.2.1 (extra random bits). */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "derive.h"
#include "derive_internal.h"

/* The longest HKDF output an EC type needs: P-384, (384 + 64) / 8 bytes. */
#define EC_SEED_MAX 56

/* Build an EC key pair from the private scalar d (1 <= d < n, SECRET). The
 * public point is computed here because OpenSSL 3.0 does not derive it on
 * import. */
static dsk_status ec_key_from_scalar(OSSL_LIB_CTX *libctx, const EC_GROUP *group,
                                     const char *group_name, const BIGNUM *d, BN_CTX *bnctx,
                                     EVP_PKEY **out, dsk_error *err)
{
    dsk_status st = DSK_E_CRYPTO;
    EC_POINT *pub = NULL;
    unsigned char *pub_oct = NULL;
    size_t pub_len = 0;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = NULL;

    pub = EC_POINT_new(group);
    if (pub == NULL || EC_POINT_mul(group, pub, d, NULL, NULL, bnctx) != 1)
        goto done;
    pub_len = EC_POINT_point2buf(group, pub, POINT_CONVERSION_UNCOMPRESSED, &pub_oct, bnctx);
    if (pub_len == 0)
        goto done;
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub_oct, pub_len) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto done;
    pctx = EVP_PKEY_CTX_new_from_name(libctx, DSK_KEYMGMT_EC, NULL);
    if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
        EVP_PKEY_fromdata(pctx, out, EVP_PKEY_KEYPAIR, params) != 1)
        goto done;
    st = DSK_OK;
done:
    if (st != DSK_OK)
        dsk_error_set(err, DSK_E_CRYPTO, "derive: cannot build the %s key pair", group_name);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params); /* the secure block holding d is cleared */
    OSSL_PARAM_BLD_free(bld);
    OPENSSL_free(pub_oct);
    EC_POINT_free(pub);
    return st;
}

/* d = int(M) on the curve nid, never reduced: the key another implementation
 * (the dstack SDKs for secp256k1, tappd for P-256) made from the same bytes.
 * An out-of-range M (probability about 2^-128) is refused rather than
 * changed, since a reduced key would not be theirs. */
static dsk_status scalar_is_m(OSSL_LIB_CTX *libctx, int nid, const char *name, const char *what,
                              const unsigned char m[32], EVP_PKEY **out, dsk_error *err)
{
    dsk_status st = DSK_E_CRYPTO;
    EC_GROUP *group = NULL;
    BN_CTX *bnctx = NULL;
    BIGNUM *d = NULL;

    group = EC_GROUP_new_by_curve_name_ex(libctx, NULL, nid);
    bnctx = BN_CTX_secure_new_ex(libctx);
    d = BN_secure_new();
    if (group == NULL || bnctx == NULL || d == NULL) {
        dsk_error_set(err, DSK_E_NOMEM, "derive: out of memory (%s)", what);
        goto done;
    }
    BN_set_flags(d, BN_FLG_CONSTTIME);
    if (BN_bin2bn(m, 32, d) == NULL)
        goto done;
    if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0) {
        st = dsk_error_set(err, DSK_E_BAD_INPUT,
                           "derive: the dstack material for this path is not a valid "
                           "%s private key (0 or not below the group order); "
                           "use another path",
                           what);
        goto done;
    }
    st = ec_key_from_scalar(libctx, group, name, d, bnctx, out, err);
done:
    BN_clear_free(d);
    BN_CTX_free(bnctx);
    EC_GROUP_free(group);
    return st;
}

dsk_status dsk_derive_secp256k1(OSSL_LIB_CTX *libctx, const unsigned char m[32], EVP_PKEY **out,
                                dsk_error *err)
{
    return scalar_is_m(libctx, NID_secp256k1, "secp256k1", "secp256k1", m, out, err);
}

dsk_status dsk_derive_tappd_p256(OSSL_LIB_CTX *libctx, const unsigned char m[32], EVP_PKEY **out,
                                 dsk_error *err)
{
    return scalar_is_m(libctx, NID_X9_62_prime256v1, "prime256v1", "P-256 (tappd-p256)", m, out,
                       err);
}

dsk_status dsk_derive_ed25519(OSSL_LIB_CTX *libctx, const unsigned char m[32], EVP_PKEY **out,
                              dsk_error *err)
{
    *out = EVP_PKEY_new_raw_private_key_ex(libctx, DSK_KEYMGMT_ED25519, NULL, m, 32);
    if (*out == NULL)
        return dsk_error_set(err, DSK_E_CRYPTO, "derive: cannot build the Ed25519 key");
    return DSK_OK;
}

dsk_status dsk_derive_nist(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                           EVP_PKEY **out, dsk_error *err)
{
    dsk_status st = DSK_E_CRYPTO;
    int nid = t == DSK_KEY_EC_P256 ? NID_X9_62_prime256v1 : NID_secp384r1;
    const char *name = t == DSK_KEY_EC_P256 ? "prime256v1" : "secp384r1";
    unsigned char seed[EC_SEED_MAX];
    size_t seed_len;
    EC_GROUP *group = NULL;
    BN_CTX *bnctx = NULL;
    BIGNUM *c = NULL, *n1 = NULL, *d = NULL;

    if (t != DSK_KEY_EC_P256 && t != DSK_KEY_EC_P384)
        return dsk_error_set(err, DSK_E_ARGS, "derive: %d is not a NIST curve type", (int)t);
    group = EC_GROUP_new_by_curve_name_ex(libctx, NULL, nid);
    bnctx = BN_CTX_secure_new_ex(libctx);
    c = BN_secure_new();
    n1 = BN_new();
    d = BN_secure_new();
    if (group == NULL || bnctx == NULL || c == NULL || n1 == NULL || d == NULL) {
        dsk_error_set(err, DSK_E_NOMEM, "derive: out of memory (%s)", name);
        goto done;
    }
    /* FIPS 186-5 A.2.1: N + 64 bits from the KDF, d = (c mod (n - 1)) + 1. */
    seed_len = ((size_t)EC_GROUP_order_bits(group) + 64) / 8;
    st = dsk_derive_hkdf(libctx, t, m, seed, seed_len, err);
    if (st != DSK_OK)
        goto done;
    st = DSK_E_CRYPTO;
    BN_set_flags(c, BN_FLG_CONSTTIME);
    BN_set_flags(d, BN_FLG_CONSTTIME);
    if (BN_bin2bn(seed, (int)seed_len, c) == NULL ||
        BN_copy(n1, EC_GROUP_get0_order(group)) == NULL || BN_sub_word(n1, 1) != 1 ||
        BN_mod(d, c, n1, bnctx) != 1 || BN_add_word(d, 1) != 1) {
        dsk_error_set(err, DSK_E_CRYPTO, "derive: %s scalar reduction failed", name);
        goto done;
    }
    st = ec_key_from_scalar(libctx, group, name, d, bnctx, out, err);
done:
    OPENSSL_cleanse(seed, sizeof seed);
    BN_clear_free(c);
    BN_free(n1);
    BN_clear_free(d);
    BN_CTX_free(bnctx);
    EC_GROUP_free(group);
    return st;
}
