/* The public forms of a key, computed once when its material is published,
 * and the mapping from an OpenSSL key to one of our types. */
#include "internal.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>

static dsk_status bn_param(const EVP_PKEY *pkey, const char *name, unsigned char *out, size_t max,
                           size_t *len, dsk_error *err)
{
    BIGNUM *bn = NULL;
    dsk_status st = DSK_E_CRYPTO;

    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1 || (size_t)BN_num_bytes(bn) > max) {
        dsk_error_set(err, DSK_E_CRYPTO, "RSA key: cannot read its public '%s'", name);
        goto done;
    }
    *len = (size_t)BN_bn2bin(bn, out);
    st = DSK_OK;
done:
    BN_free(bn);
    return st;
}

/* The SubjectPublicKeyInfo of an EC or Ed25519 key is a fixed DER prefix
 * (algorithm and curve) and the point, written here byte for byte as
 * OpenSSL's i2d_PUBKEY writes it (tests/keys/test_pubkey.c): the encoder
 * lookup behind i2d_PUBKEY costs 2 M instructions a call, a fifth of a
 * one-shot `openssl dgst -sign dstack:...` process. RSA keeps i2d_PUBKEY. */
static const unsigned char *spki_prefix(dsk_key_type t, size_t *len)
{
    static const unsigned char p256[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
    static const unsigned char p384[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                         0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                         0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};
    static const unsigned char k1[] = {0x30, 0x56, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                       0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                       0x81, 0x04, 0x00, 0x0a, 0x03, 0x42, 0x00};
    static const unsigned char ed[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                       0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
#define PREFIX(a) (*len = sizeof(a), (a))
    switch (t) {
    case DSK_KEY_EC_P256:
    case DSK_KEY_TAPPD_P256:
        return PREFIX(p256);
    case DSK_KEY_EC_P384:
        return PREFIX(p384);
    case DSK_KEY_SECP256K1:
        return PREFIX(k1);
    case DSK_KEY_ED25519:
        return PREFIX(ed);
    default:
        return NULL;
    }
#undef PREFIX
}

/* RSA's SPKI by OpenSSL's encoder. */
static dsk_status rsa_spki(dsk_keymat *mat, const dsk_type_info *ti, dsk_error *err)
{
    unsigned char *p;
    int n = i2d_PUBKEY(mat->pkey, NULL);
    if (n <= 0 || (mat->spki = malloc((size_t)n)) == NULL)
        return dsk_error_set(err, DSK_E_CRYPTO, "cannot encode the public key of a %s key",
                             ti->name);
    p = mat->spki;
    if (i2d_PUBKEY(mat->pkey, &p) != n)
        return dsk_error_set(err, DSK_E_CRYPTO, "cannot encode the public key of a %s key",
                             ti->name);
    mat->spki_len = (size_t)n;
    return DSK_OK;
}

static dsk_status point_spki(dsk_keymat *mat, const dsk_type_info *ti, dsk_error *err)
{
    size_t plen = 0;
    const unsigned char *prefix = spki_prefix(mat->type, &plen);
    if (prefix == NULL || (mat->spki = malloc(plen + mat->point_len)) == NULL)
        return dsk_error_set(err, DSK_E_CRYPTO, "cannot encode the public key of a %s key",
                             ti->name);
    memcpy(mat->spki, prefix, plen);
    memcpy(mat->spki + plen, mat->point, mat->point_len);
    mat->spki_len = plen + mat->point_len;
    return DSK_OK;
}

dsk_status dsk_keymat_public_forms(dsk_keymat *mat, dsk_error *err)
{
    const dsk_type_info *ti = dsk_type_info_get(mat->type);

    if (strcmp(ti->ossl_name, "RSA") == 0) {
        dsk_status st = rsa_spki(mat, ti, err);
        if (st == DSK_OK)
            st = bn_param(mat->pkey, OSSL_PKEY_PARAM_RSA_N, mat->rsa_n, sizeof mat->rsa_n,
                          &mat->rsa_n_len, err);
        if (st != DSK_OK)
            return st;
        return bn_param(mat->pkey, OSSL_PKEY_PARAM_RSA_E, mat->rsa_e, sizeof mat->rsa_e,
                        &mat->rsa_e_len, err);
    }
    if (mat->type == DSK_KEY_ED25519) {
        size_t len = sizeof mat->point;
        if (EVP_PKEY_get_raw_public_key(mat->pkey, mat->point, &len) != 1 || len != 32)
            return dsk_error_set(err, DSK_E_CRYPTO, "cannot read an Ed25519 public key");
        mat->point_len = len;
        return point_spki(mat, ti, err);
    }
    /* EC. An imported key keeps the conversion form it came with; a
     * compressed one would give a 33-byte point. Our forms (SPKI, point,
     * CKA_EC_POINT) are always uncompressed: ask for it, then check rather
     * than trust. */
    if (EVP_PKEY_set_utf8_string_param(mat->pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       "uncompressed") != 1)
        return dsk_error_set(err, DSK_E_CRYPTO, "cannot use the point of a %s key", ti->name);
    if (EVP_PKEY_get_octet_string_param(mat->pkey, OSSL_PKEY_PARAM_PUB_KEY, mat->point,
                                        sizeof mat->point, &mat->point_len) != 1 ||
        mat->point_len != 1 + 2 * (size_t)(ti->bits / 8) || mat->point[0] != 0x04)
        return dsk_error_set(err, DSK_E_CRYPTO, "cannot read the EC point of a %s key", ti->name);
    if (mat->type == DSK_KEY_SECP256K1)
        dsk_eth_address(mat->point, mat->eth);
    return point_spki(mat, ti, err);
}

/* The first name that is a word, not an OID (the shield names key types by
 * OID first, shield.c): "X25519", not "1.3.101.110". */
static void word_name(const char *name, void *arg)
{
    char *out = arg;
    if (out[0] == '\0' && !(name[0] >= '0' && name[0] <= '9'))
        snprintf(out, 32, "%s", name);
}

dsk_status dsk_keys_pkey_type(const EVP_PKEY *pkey, dsk_key_type *out, dsk_error *err)
{
    char name[32];
    char group[64];
    size_t glen = 0;

    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        *out = DSK_KEY_ED25519;
        return DSK_OK;
    }
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        switch (EVP_PKEY_get_bits(pkey)) {
        case 2048:
            *out = DSK_KEY_RSA_2048;
            return DSK_OK;
        case 3072:
            *out = DSK_KEY_RSA_3072;
            return DSK_OK;
        case 4096:
            *out = DSK_KEY_RSA_4096;
            return DSK_OK;
        default:
            return dsk_error_set(err, DSK_E_UNSUPPORTED,
                                 "RSA public key of %d bits: only 2048, 3072 and 4096 are "
                                 "supported",
                                 EVP_PKEY_get_bits(pkey));
        }
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &glen) != 1)
            return dsk_error_set(err, DSK_E_UNSUPPORTED,
                                 "EC public key with explicit or unknown curve parameters: "
                                 "only named curves P-256, P-384 and secp256k1 are supported");
        for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
            const dsk_type_info *ti = dsk_type_info_get((dsk_key_type)t);
            if (ti->group != NULL && strcmp(ti->group, group) == 0) {
                *out = (dsk_key_type)t;
                return DSK_OK;
            }
        }
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             "EC public key on curve %s: only P-256, P-384 and secp256k1 are "
                             "supported",
                             group);
    }
    name[0] = '\0';
    EVP_PKEY_type_names_do_all(pkey, word_name, name);
    return dsk_error_set(err, DSK_E_UNSUPPORTED,
                         "public key of type %s: only EC, Ed25519 and RSA are supported",
                         name[0] ? name : "?");
}

dsk_status dsk_key_spki(dsk_key *k, const unsigned char **der, size_t *len, dsk_error *err)
{
    dsk_status st;

    if (k == NULL || der == NULL || len == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "spki: NULL argument");
    if ((st = dsk_key_derive(k, err)) != DSK_OK)
        return st;
    *der = k->mat->spki;
    *len = k->mat->spki_len;
    return DSK_OK;
}

dsk_status dsk_key_public_point(dsk_key *k, const unsigned char **pt, size_t *len, dsk_error *err)
{
    char who[160];
    dsk_status st;

    if (k == NULL || pt == NULL || len == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "public point: NULL argument");
    if ((st = dsk_key_derive(k, err)) != DSK_OK)
        return st;
    if (k->mat->point_len == 0) {
        dsk_key_describe(k, who, sizeof who);
        return dsk_error_set(err, DSK_E_UNSUPPORTED, "%s has no EC point (it is an RSA key)", who);
    }
    *pt = k->mat->point;
    *len = k->mat->point_len;
    return DSK_OK;
}

dsk_status dsk_key_rsa_public(dsk_key *k, const unsigned char **n, size_t *nlen,
                              const unsigned char **e, size_t *elen, dsk_error *err)
{
    char who[160];
    dsk_status st;

    if (k == NULL || n == NULL || nlen == NULL || e == NULL || elen == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "RSA public: NULL argument");
    if ((st = dsk_key_derive(k, err)) != DSK_OK)
        return st;
    if (k->mat->rsa_n_len == 0) {
        dsk_key_describe(k, who, sizeof who);
        return dsk_error_set(err, DSK_E_UNSUPPORTED, "%s is not an RSA key", who);
    }
    *n = k->mat->rsa_n;
    *nlen = k->mat->rsa_n_len;
    *e = k->mat->rsa_e;
    *elen = k->mat->rsa_e_len;
    return DSK_OK;
}

dsk_status dsk_key_eth_address(dsk_key *k, char out[43], dsk_error *err)
{
    char who[160];
    dsk_status st;

    if (k == NULL || out == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "eth address: NULL argument");
    if ((st = dsk_key_derive(k, err)) != DSK_OK)
        return st;
    if (k->mat->type != DSK_KEY_SECP256K1) {
        dsk_key_describe(k, who, sizeof who);
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             "%s has no Ethereum address (only secp256k1 keys do)", who);
    }
    memcpy(out, k->mat->eth, 43);
    return DSK_OK;
}
