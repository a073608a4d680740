/* Key parameters: answered from memory (type facts) or from the public
 * parts; import/export of public parts; a DER SubjectPublicKeyInfo for
 * imported keys. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "internal.h"

static int is_ec(const dsk_pkey *k)
{
    return strcmp(k->alg, "EC") == 0;
}
static int is_rsa(const dsk_pkey *k)
{
    return strcmp(k->alg, "RSA") == 0;
}
static int is_ed(const dsk_pkey *k)
{
    return strcmp(k->alg, "ED25519") == 0;
}
static int known(const dsk_pkey *k)
{
    return k->key != NULL || k->has_pub || k->has_group;
}

int dsk_pkey_point(dsk_pkey *k, const unsigned char **pt, size_t *len)
{
    dsk_error err = {0};
    if (k->has_pub && k->pub != NULL) {
        *pt = k->pub;
        *len = k->pub_len;
        return 1;
    }
    if (k->key == NULL)
        return dsk_prov_raisef(k->prov, DSK_E_ARGS, "key has no public part");
    if (dsk_key_public_point(k->key, pt, len, &err) != DSK_OK)
        return dsk_prov_raise(k->prov, &err);
    return 1;
}

int dsk_pkey_rsa(dsk_pkey *k, const unsigned char **n, size_t *nlen, const unsigned char **e,
                 size_t *elen)
{
    dsk_error err = {0};
    if (k->has_pub && k->n != NULL) {
        *n = k->n;
        *nlen = k->n_len;
        *e = k->e;
        *elen = k->e_len;
        return 1;
    }
    if (k->key == NULL)
        return dsk_prov_raisef(k->prov, DSK_E_ARGS, "key has no public part");
    if (dsk_key_rsa_public(k->key, n, nlen, e, elen, &err) != DSK_OK)
        return dsk_prov_raise(k->prov, &err);
    return 1;
}

dsk_key *dsk_pkey_store_key(dsk_pkey *k)
{
    dsk_error err = {0};
    unsigned char *spki = NULL;
    size_t len = 0;
    dsk_key *key = __atomic_load_n(&k->key, __ATOMIC_ACQUIRE);

    if (key != NULL)
        return key;
    if (!k->has_pub) {
        dsk_prov_raisef(k->prov, DSK_E_ARGS, "key object holds no key");
        return NULL;
    }
    if (dsk_pkey_build_spki(k, &spki, &len, &err) != DSK_OK ||
        dsk_keystore_add_public(k->prov->ks, spki, len, &key, &err) != DSK_OK) {
        free(spki);
        dsk_prov_raise(k->prov, &err);
        return NULL;
    }
    free(spki);
    /* Many threads may get here at once; the store deduplicates. */
    __atomic_store_n(&k->key, key, __ATOMIC_RELEASE);
    return key;
}

/* ---- get_params ------------------------------------------------------ */

static int set_bn(OSSL_PARAM *p, const unsigned char *be, size_t len)
{
    BIGNUM *bn = BN_bin2bn(be, (int)len, NULL);
    int ok = bn != NULL && OSSL_PARAM_set_BN(p, bn);
    BN_free(bn);
    return ok;
}

int dsk_pkey_get_params(dsk_pkey *k, OSSL_PARAM params[])
{
    const dsk_type_info *ti;
    OSSL_PARAM *p;

    if (k == NULL || !known(k))
        return 0;
    ti = dsk_type_info_get(k->type);
    if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) != NULL &&
        !OSSL_PARAM_set_int(p, is_ed(k) ? 256 : ti->bits))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS)) != NULL &&
        !OSSL_PARAM_set_int(p, ti->security_bits))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) != NULL &&
        !OSSL_PARAM_set_int(p, (int)ti->max_der_sig))
        return 0;
    if (is_ed(k)) {
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MANDATORY_DIGEST)) != NULL &&
            !OSSL_PARAM_set_utf8_string(p, ""))
            return 0;
    } else if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_DEFAULT_DIGEST)) != NULL &&
               !OSSL_PARAM_set_utf8_string(p, "SHA256")) {
        return 0;
    }
    if (is_ec(k)) {
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_GROUP_NAME)) != NULL &&
            !OSSL_PARAM_set_utf8_string(p, ti->group))
            return 0;
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT)) != NULL &&
            !OSSL_PARAM_set_utf8_string(p, "uncompressed"))
            return 0;
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_EC_ENCODING)) != NULL &&
            !OSSL_PARAM_set_utf8_string(p, "named_curve"))
            return 0;
    }
    if (!is_rsa(k)) {
        const unsigned char *pt;
        size_t len;
        OSSL_PARAM *enc = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
        OSSL_PARAM *pub = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY);
        if ((enc != NULL || pub != NULL) && !dsk_pkey_point(k, &pt, &len))
            return 0;
        if (enc != NULL && !OSSL_PARAM_set_octet_string(enc, pt, len))
            return 0;
        if (pub != NULL && !OSSL_PARAM_set_octet_string(pub, pt, len))
            return 0;
    } else {
        const unsigned char *n, *e;
        size_t nl, el;
        OSSL_PARAM *pn = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_N);
        OSSL_PARAM *pe = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_E);
        if ((pn != NULL || pe != NULL) && !dsk_pkey_rsa(k, &n, &nl, &e, &el))
            return 0;
        if (pn != NULL && !set_bn(pn, n, nl))
            return 0;
        if (pe != NULL && !set_bn(pe, e, el))
            return 0;
    }
    return 1;
}

static const OSSL_PARAM ec_gettable[] = {
    OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM ed_gettable[] = {
    OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_MANDATORY_DIGEST, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM rsa_gettable[] = {
    OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
    OSSL_PARAM_END,
};

const OSSL_PARAM *dsk_pkey_gettable(const char *alg)
{
    if (strcmp(alg, "EC") == 0)
        return ec_gettable;
    return strcmp(alg, "RSA") == 0 ? rsa_gettable : ed_gettable;
}

/* ---- import / export (public parts only) ----------------------------- */

static const OSSL_PARAM ec_types[] = {
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_END,
};
static const OSSL_PARAM ed_types[] = {
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_END,
};
static const OSSL_PARAM rsa_types[] = {
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
    OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
    OSSL_PARAM_END,
};

const OSSL_PARAM *dsk_pkey_import_types(const char *alg, int selection)
{
    if (strcmp(alg, "EC") == 0)
        return ec_types;
    return strcmp(alg, "RSA") == 0 ? rsa_types : ed_types;
}

static const char *const private_fields[] = {
    OSSL_PKEY_PARAM_PRIV_KEY,         OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,      OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_COEFFICIENT1, NULL,
};

static int group_type(const char *g, dsk_key_type *t)
{
    if (strcasecmp(g, "prime256v1") == 0 || strcasecmp(g, "P-256") == 0 ||
        strcasecmp(g, "secp256r1") == 0)
        *t = DSK_KEY_EC_P256;
    else if (strcasecmp(g, "secp384r1") == 0 || strcasecmp(g, "P-384") == 0)
        *t = DSK_KEY_EC_P384;
    else if (strcasecmp(g, "secp256k1") == 0)
        *t = DSK_KEY_SECP256K1;
    else
        return 0;
    return 1;
}

static int take_octets(const OSSL_PARAM *p, unsigned char **out, size_t *len)
{
    void *buf = NULL;
    if (!OSSL_PARAM_get_octet_string(p, &buf, 0, len))
        return 0;
    free(*out);
    *out = malloc(*len ? *len : 1);
    if (*out != NULL)
        memcpy(*out, buf, *len);
    OPENSSL_free(buf);
    return *out != NULL;
}

static int take_bn(const OSSL_PARAM *p, unsigned char **out, size_t *len)
{
    BIGNUM *bn = NULL;
    int ok = 0;
    if (!OSSL_PARAM_get_BN(p, &bn))
        return 0;
    free(*out);
    *len = (size_t)BN_num_bytes(bn);
    if ((*out = malloc(*len ? *len : 1)) != NULL) {
        BN_bn2bin(bn, *out);
        ok = 1;
    }
    BN_free(bn);
    return ok;
}

static int import_ec(dsk_pkey *k, int selection, const OSSL_PARAM params[])
{
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
    const char *g = NULL;

    if (p == NULL || !OSSL_PARAM_get_utf8_string_ptr(p, &g) || !group_type(g, &k->type))
        return dsk_prov_raisef(k->prov, DSK_E_UNSUPPORTED,
                               "EC key on curve '%s': dstack keys are P-256, P-384 or secp256k1",
                               g ? g : "(explicit parameters)");
    k->has_group = 1;
    if (!(selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
        return 1;
    p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY);
    if (p == NULL)
        p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
    if (p == NULL)
        return 1;
    if (!take_octets(p, &k->pub, &k->pub_len))
        return 0;
    if (k->pub_len != 1 + 2 * (size_t)((dsk_type_info_get(k->type)->bits + 7) / 8) ||
        k->pub[0] != 0x04)
        return dsk_prov_raisef(k->prov, DSK_E_UNSUPPORTED,
                               "EC public key: only uncompressed points are accepted");
    k->has_pub = 1;
    return 1;
}

static int import_rsa(dsk_pkey *k, const OSSL_PARAM params[])
{
    const OSSL_PARAM *pn = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_N);
    const OSSL_PARAM *pe = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_E);

    if (pn == NULL || pe == NULL)
        return 0;
    if (!take_bn(pn, &k->n, &k->n_len) || !take_bn(pe, &k->e, &k->e_len))
        return 0;
    switch (k->n_len * 8) {
    case 2048:
        k->type = DSK_KEY_RSA_2048;
        break;
    case 3072:
        k->type = DSK_KEY_RSA_3072;
        break;
    case 4096:
        k->type = DSK_KEY_RSA_4096;
        break;
    default:
        return dsk_prov_raisef(k->prov, DSK_E_UNSUPPORTED,
                               "RSA key of %zu bytes: dstack keys are 2048, 3072 or 4096 bits",
                               k->n_len);
    }
    k->has_pub = 1;
    return 1;
}

int dsk_pkey_import_params(dsk_pkey *k, int selection, const OSSL_PARAM params[])
{
    if (k == NULL || params == NULL)
        return 0;
    for (size_t i = 0; private_fields[i] != NULL; i++)
        if (OSSL_PARAM_locate_const(params, private_fields[i]) != NULL)
            return dsk_prov_raisef(k->prov, DSK_E_UNSUPPORTED,
                                   "the dstack provider imports public keys only: load private "
                                   "keys with the default provider, or use a dstack: key");
    if (is_ec(k))
        return import_ec(k, selection, params);
    if (!(selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
        return 1;
    if (is_rsa(k))
        return import_rsa(k, params);
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY);
    if (p == NULL || !take_octets(p, &k->pub, &k->pub_len) || k->pub_len != 32)
        return 0;
    k->type = DSK_KEY_ED25519;
    k->has_pub = 1;
    return 1;
}

int dsk_pkey_export_params(dsk_pkey *k, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    int ok = 0, pub = (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0;

    if (bld == NULL || !known(k))
        goto done;
    if (is_ec(k) && !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                                     dsk_type_info_get(k->type)->group, 0))
        goto done;
    if (pub && is_rsa(k)) {
        const unsigned char *n, *e;
        size_t nl, el;
        if (!dsk_pkey_rsa(k, &n, &nl, &e, &el))
            goto done;
        bn_n = BN_bin2bn(n, (int)nl, NULL);
        bn_e = BN_bin2bn(e, (int)el, NULL);
        if (bn_n == NULL || bn_e == NULL ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
            goto done;
    } else if (pub) {
        const unsigned char *pt;
        size_t len;
        if (!dsk_pkey_point(k, &pt, &len) ||
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len))
            goto done;
    }
    if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto done;
    ok = cb(params, cbarg);
done:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return ok;
}

/* ---- SubjectPublicKeyInfo for imported keys -------------------------- */

/* Append tag, length and content; returns the new offset or 0 if full. */
static size_t put_tlv(unsigned char *out, size_t off, size_t max, unsigned char tag,
                      const unsigned char *c, size_t clen)
{
    size_t hdr = clen < 128 ? 2 : clen < 256 ? 3 : 4;
    if (clen > 0xffff || off + hdr + clen > max)
        return 0;
    out[off++] = tag;
    if (clen < 128) {
        out[off++] = (unsigned char)clen;
    } else if (clen < 256) {
        out[off++] = 0x81;
        out[off++] = (unsigned char)clen;
    } else {
        out[off++] = 0x82;
        out[off++] = (unsigned char)(clen >> 8);
        out[off++] = (unsigned char)clen;
    }
    memmove(out + off, c, clen);
    return off + clen;
}

/* A positive INTEGER from big-endian bytes (leading zero when the top bit is set). */
static size_t put_uint(unsigned char *out, size_t off, size_t max, const unsigned char *be,
                       size_t len)
{
    unsigned char tmp[DSK_URI_MAX];
    while (len > 1 && be[0] == 0) {
        be++;
        len--;
    }
    if (len + 1 > sizeof tmp)
        return 0;
    tmp[0] = 0;
    memcpy(tmp + 1, be, len);
    return (be[0] & 0x80) ? put_tlv(out, off, max, 0x02, tmp, len + 1)
                          : put_tlv(out, off, max, 0x02, tmp + 1, len);
}

dsk_status dsk_pkey_build_spki(const dsk_pkey *k, unsigned char **der, size_t *len, dsk_error *err)
{
    static const unsigned char oid_ec[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
    static const unsigned char oid_ed[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
    static const unsigned char oid_rsa[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                            0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    unsigned char alg[64], body[1100], bits[1100], out[1200];
    size_t alen = 0, blen = 0, bitlen, olen;
    const dsk_type_info *ti = dsk_type_info_get(k->type);

    if (!k->has_pub)
        return dsk_error_set(err, DSK_E_ARGS, "no public key to encode");
    if (is_ec(k)) {
        memcpy(alg, oid_ec, alen = sizeof oid_ec);
        memcpy(alg + alen, ti->params_der, ti->params_der_len);
        alen += ti->params_der_len;
        memcpy(body + 1, k->pub, blen = k->pub_len);
    } else if (is_ed(k)) {
        memcpy(alg, oid_ed, alen = sizeof oid_ed);
        memcpy(body + 1, k->pub, blen = k->pub_len);
    } else {
        unsigned char ints[1100];
        size_t ilen = put_uint(ints, 0, sizeof ints, k->n, k->n_len);
        ilen = ilen ? put_uint(ints, ilen, sizeof ints, k->e, k->e_len) : 0;
        blen = ilen ? put_tlv(body, 1, sizeof body, 0x30, ints, ilen) : 0;
        if (blen == 0)
            return dsk_error_set(err, DSK_E_BAD_INPUT, "RSA public key too large");
        blen -= 1;
        memcpy(alg, oid_rsa, alen = sizeof oid_rsa);
    }
    body[0] = 0; /* BIT STRING: no unused bits */
    bitlen = put_tlv(bits, 0, sizeof bits, 0x30, alg, alen);
    bitlen = bitlen ? put_tlv(bits, bitlen, sizeof bits, 0x03, body, blen + 1) : 0;
    olen = bitlen ? put_tlv(out, 0, sizeof out, 0x30, bits, bitlen) : 0;
    if (olen == 0)
        return dsk_error_set(err, DSK_E_BAD_INPUT, "public key too large");
    if ((*der = malloc(olen)) == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    memcpy(*der, out, olen);
    *len = olen;
    return DSK_OK;
}
