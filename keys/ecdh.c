/* ECDH with a peer public key given as a point or a SubjectPublicKeyInfo. */
#include "internal.h"

#include "derive.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

/* The peer as an EVP_PKEY on our curve, or NULL with err set. */
static EVP_PKEY *peer_key(const dsk_type_info *ti, const unsigned char *peer, size_t len,
                          dsk_error *err)
{
    size_t fl = (size_t)ti->bits / 8;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[3];
    char group[64];
    size_t glen = 0;

    /* A DER OCTET STRING around an uncompressed point (CKA_EC_POINT style). */
    if (len == 3 + 2 * fl && peer[0] == 0x04 && peer[1] == 1 + 2 * fl && peer[2] == 0x04) {
        peer += 2;
        len -= 2;
    }
    if (len > 0 && peer[0] == 0x30) {
        pkey = dsk_keys_d2i_spki(peer, len);
        if (pkey == NULL || !EVP_PKEY_is_a(pkey, "EC")) {
            dsk_error_set(err, DSK_E_BAD_INPUT, "the peer key is not an EC public key");
            goto fail;
        }
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &glen) != 1 ||
            strcmp(group, ti->group) != 0) {
            dsk_error_set(err, DSK_E_BAD_INPUT, "the peer key is on curve %s, not %s",
                          glen ? group : "(explicit)", ti->group);
            goto fail;
        }
        return pkey;
    }
    if (!((len == 1 + 2 * fl && peer[0] == 0x04) ||
          (len == 1 + fl && (peer[0] == 0x02 || peer[0] == 0x03)))) {
        dsk_error_set(err, DSK_E_BAD_INPUT,
                      "the peer point is %zu bytes; a %s point is %zu (uncompressed) or %zu", len,
                      ti->group, 1 + 2 * fl, 1 + fl);
        return NULL;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)ti->group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer, len);
    params[2] = OSSL_PARAM_construct_end();
    pctx = EVP_PKEY_CTX_new_from_name(dsk_keys_libctx(), DSK_KEYMGMT_EC, NULL);
    /* fromdata decodes the point, which checks that it is on the curve. */
    if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
        EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        dsk_error_set(err, DSK_E_BAD_INPUT, "the peer point is not on curve %s", ti->group);
        goto fail;
    }
    EVP_PKEY_CTX_free(pctx);
    return pkey;
fail:
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pkey);
    return NULL;
}

dsk_status dsk_key_ecdh(dsk_key *k, const unsigned char *peer, size_t peer_len, unsigned char *out,
                        size_t *out_len, dsk_error *err)
{
    const dsk_type_info *ti;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pk = NULL;
    unsigned char tmp[DSK_MAX_POINT];
    size_t fl, tl = sizeof tmp;
    char who[160];
    dsk_status st;

    if (k == NULL || peer == NULL || out_len == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "ecdh: NULL argument");
    ti = dsk_type_info_get(k->mat->type);
    if (ti->group == NULL) {
        dsk_key_describe(k, who, sizeof who);
        return dsk_error_set(err, DSK_E_UNSUPPORTED, "%s does not support ECDH", who);
    }
    fl = (size_t)ti->bits / 8;
    if (out == NULL) {
        *out_len = fl;
        return DSK_OK;
    }
    if (*out_len < fl) {
        *out_len = fl;
        return dsk_error_set(err, DSK_E_BUFFER_TOO_SMALL, "the shared secret needs %zu bytes", fl);
    }
    if ((st = dsk_key_ready_for(k, DSK_USAGE_DERIVE, 1, "derive", err)) != DSK_OK)
        return st;
    ERR_set_mark();
    pk = peer_key(ti, peer, peer_len, err);
    if (pk == NULL) {
        st = DSK_E_BAD_INPUT;
        goto done;
    }
    if (k->mat->k1_sec != NULL) {
        /* secp256k1: our scalar, libsecp256k1 (k1.c); pk checked the point */
        tl = sizeof tmp;
        if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, tmp, tl, &tl) != 1) {
            st = dsk_keys_ossl_error(err, DSK_E_BAD_INPUT, "the peer key cannot be used");
            goto done;
        }
        if ((st = dsk_k1_ecdh(k->mat, tmp, tl, out, err)) == DSK_OK)
            *out_len = fl;
        goto done;
    }
    ctx = dsk_key_pkey_ctx(k);
    if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, pk) != 1) {
        st = dsk_keys_ossl_error(err, DSK_E_BAD_INPUT, "the peer key cannot be used");
        goto done;
    }
    if (EVP_PKEY_derive(ctx, tmp, &tl) != 1 || tl != fl) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "ECDH failed");
        goto done;
    }
    memcpy(out, tmp, fl);
    *out_len = fl;
    st = DSK_OK;
done:
    ERR_pop_to_mark();
    OPENSSL_cleanse(tmp, sizeof tmp);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    if (st != DSK_OK)
        dsk_error_prefix(err, "key '%s' (%s)", k->label, ti->name);
    return st;
}
