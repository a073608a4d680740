/* ASYM_CIPHER for RSA: OAEP, PKCS#1 v1.5 and the TLS 1.2 RSA key-exchange
 * padding (constant time: keys/ returns a random premaster on bad padding).
 * Decryption needs a dstack key; encryption works with any public key. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "internal.h"

typedef struct cipher_ctx {
    dsk_prov *prov;
    dsk_pkey *pk; /* not owned */
    int pad;
    dsk_hash oaep_md, mgf1;
    unsigned char *label;
    size_t label_len;
    unsigned client_version, alt_version;
} cipher_ctx;

static void *rc_newctx(void *provctx)
{
    cipher_ctx *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->prov = provctx;
    return c;
}

static void rc_freectx(void *vctx)
{
    cipher_ctx *c = vctx;
    if (c == NULL)
        return;
    free(c->label);
    free(c);
}

static void *rc_dupctx(void *vctx)
{
    cipher_ctx *c = vctx, *d = malloc(sizeof *d);
    if (d == NULL)
        return NULL;
    *d = *c;
    if (c->label != NULL) {
        if ((d->label = malloc(c->label_len ? c->label_len : 1)) == NULL) {
            free(d);
            return NULL;
        }
        memcpy(d->label, c->label, c->label_len);
    }
    return d;
}

static int rc_set_params(void *vctx, const OSSL_PARAM params[]);

static int rc_init(cipher_ctx *c, void *keydata, const OSSL_PARAM params[], int decrypt)
{
    dsk_pkey *pk = keydata;
    if (pk == NULL || strcmp(pk->alg, "RSA") != 0)
        return dsk_prov_raisef(c->prov, DSK_E_ARGS, "RSA encryption needs an RSA key");
    if (decrypt && !pk->has_private)
        return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED,
                               "decryption needs a dstack key; this is a public key");
    c->pk = pk;
    c->pad = RSA_PKCS1_PADDING;
    c->oaep_md = c->mgf1 = DSK_HASH_NONE;
    free(c->label);
    c->label = NULL;
    c->label_len = 0;
    c->client_version = c->alt_version = 0;
    return rc_set_params(c, params);
}

static int rc_decrypt_init(void *vctx, void *keydata, const OSSL_PARAM params[])
{
    return rc_init(vctx, keydata, params, 1);
}

static int rc_encrypt_init(void *vctx, void *keydata, const OSSL_PARAM params[])
{
    return rc_init(vctx, keydata, params, 0);
}

static int enc_params(cipher_ctx *c, dsk_enc_params *p)
{
    memset(p, 0, sizeof *p);
    switch (c->pad) {
    case RSA_PKCS1_PADDING:
        p->scheme = DSK_ENC_RSA_PKCS1;
        break;
    case RSA_PKCS1_OAEP_PADDING:
        p->scheme = DSK_ENC_RSA_OAEP;
        break;
    case RSA_NO_PADDING:
        p->scheme = DSK_ENC_RSA_RAW;
        break;
    case RSA_PKCS1_WITH_TLS_PADDING:
        p->scheme = DSK_ENC_RSA_PKCS1_TLS;
        break;
    default:
        return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED, "RSA padding mode %d is not supported",
                               c->pad);
    }
    p->hash = c->oaep_md;
    p->mgf1 = c->mgf1;
    p->label = c->label;
    p->label_len = c->label_len;
    p->tls_client_version = c->client_version;
    p->tls_alt_version = c->alt_version;
    return 1;
}

static int rc_decrypt(void *vctx, unsigned char *out, size_t *outlen, size_t outsize,
                      const unsigned char *in, size_t inlen)
{
    cipher_ctx *c = vctx;
    dsk_enc_params p;
    dsk_error err = {0};
    size_t len = outsize;

    if (out == NULL) {
        *outlen = dsk_type_info_get(c->pk->type)->max_sig;
        return 1;
    }
    if (!enc_params(c, &p))
        return 0;
    if (c->pad == RSA_PKCS1_WITH_TLS_PADDING && c->client_version == 0)
        return dsk_prov_raisef(c->prov, DSK_E_ARGS, "TLS padding needs tls-client-version");
    if (dsk_key_decrypt(c->pk->key, &p, in, inlen, out, &len, &err) != DSK_OK)
        return dsk_prov_raise(c->prov, &err);
    *outlen = len;
    return 1;
}

static int rc_encrypt(void *vctx, unsigned char *out, size_t *outlen, size_t outsize,
                      const unsigned char *in, size_t inlen)
{
    cipher_ctx *c = vctx;
    dsk_enc_params p;
    dsk_error err = {0};
    dsk_key *key;
    size_t len = outsize;

    if (out == NULL) {
        *outlen = dsk_type_info_get(c->pk->type)->max_sig;
        return 1;
    }
    if (!enc_params(c, &p) || (key = dsk_pkey_store_key(c->pk)) == NULL)
        return 0;
    if (dsk_key_encrypt(key, &p, in, inlen, out, &len, &err) != DSK_OK)
        return dsk_prov_raise(c->prov, &err);
    *outlen = len;
    return 1;
}

static int set_pad(cipher_ctx *c, const OSSL_PARAM *p)
{
    static const struct {
        int mode;
        const char *name;
    } names[] = {
        {RSA_PKCS1_PADDING, OSSL_PKEY_RSA_PAD_MODE_PKCSV15},
        {RSA_NO_PADDING, OSSL_PKEY_RSA_PAD_MODE_NONE},
        {RSA_PKCS1_OAEP_PADDING, OSSL_PKEY_RSA_PAD_MODE_OAEP},
        {RSA_PKCS1_OAEP_PADDING, "oeap"},
    };
    if (p->data_type != OSSL_PARAM_UTF8_STRING)
        return OSSL_PARAM_get_int(p, &c->pad);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(p->data, names[i].name) == 0) {
            c->pad = names[i].mode;
            return 1;
        }
    return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED, "unknown RSA pad-mode '%s'",
                           (const char *)p->data);
}

static int rc_set_params(void *vctx, const OSSL_PARAM params[])
{
    cipher_ctx *c = vctx;
    const OSSL_PARAM *p;
    unsigned v;

    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE)) != NULL &&
        !set_pad(c, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST)) != NULL &&
        !dsk_prov_hash_param(c->prov, p, &c->oaep_md))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST)) != NULL &&
        !dsk_prov_hash_param(c->prov, p, &c->mgf1))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL)) != NULL) {
        void *buf = NULL;
        size_t len = 0;
        if (!OSSL_PARAM_get_octet_string(p, &buf, 0, &len))
            return 0;
        free(c->label);
        c->label = malloc(len ? len : 1);
        if (c->label != NULL && len)
            memcpy(c->label, buf, len);
        OPENSSL_free(buf);
        if (c->label == NULL)
            return 0;
        c->label_len = len;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION)) != NULL) {
        if (!OSSL_PARAM_get_uint(p, &v))
            return 0;
        c->client_version = v;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_TLS_NEGOTIATED_VERSION)) !=
        NULL) {
        if (!OSSL_PARAM_get_uint(p, &v))
            return 0;
        c->alt_version = v;
    }
    return 1;
}

static int rc_get_params(void *vctx, OSSL_PARAM params[])
{
    cipher_ctx *c = vctx;
    OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
    if (p != NULL && !OSSL_PARAM_set_int(p, c->pad))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST);
    if (p != NULL &&
        !OSSL_PARAM_set_utf8_string(
            p, dsk_hash_name(c->oaep_md != DSK_HASH_NONE ? c->oaep_md : DSK_HASH_SHA1)))
        return 0;
    return 1;
}

static const OSSL_PARAM settable[] = {
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST_PROPS, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST_PROPS, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, NULL, 0),
    OSSL_PARAM_uint(OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION, NULL),
    OSSL_PARAM_uint(OSSL_ASYM_CIPHER_PARAM_TLS_NEGOTIATED_VERSION, NULL),
    OSSL_PARAM_END,
};

static const OSSL_PARAM gettable[] = {
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *rc_settable(void *vctx, void *provctx)
{
    return settable;
}
static const OSSL_PARAM *rc_gettable(void *vctx, void *provctx)
{
    return gettable;
}

const OSSL_DISPATCH dsk_rsa_cipher_functions[] = {
    {OSSL_FUNC_ASYM_CIPHER_NEWCTX, (void (*)(void))rc_newctx},
    {OSSL_FUNC_ASYM_CIPHER_FREECTX, (void (*)(void))rc_freectx},
    {OSSL_FUNC_ASYM_CIPHER_DUPCTX, (void (*)(void))rc_dupctx},
    {OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, (void (*)(void))rc_decrypt_init},
    {OSSL_FUNC_ASYM_CIPHER_DECRYPT, (void (*)(void))rc_decrypt},
    {OSSL_FUNC_ASYM_CIPHER_ENCRYPT_INIT, (void (*)(void))rc_encrypt_init},
    {OSSL_FUNC_ASYM_CIPHER_ENCRYPT, (void (*)(void))rc_encrypt},
    {OSSL_FUNC_ASYM_CIPHER_GET_CTX_PARAMS, (void (*)(void))rc_get_params},
    {OSSL_FUNC_ASYM_CIPHER_GETTABLE_CTX_PARAMS, (void (*)(void))rc_gettable},
    {OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS, (void (*)(void))rc_set_params},
    {OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS, (void (*)(void))rc_settable},
    {0, NULL},
};
