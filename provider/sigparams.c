/* Signature context parameters. libcrypto's ctrl translation sends RSA
 * pad-mode and saltlen as strings ("pss", "digest") while applications may
 * send integers, so both are accepted and both are answered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "sig.h"
#include "sigalg.h"

static const struct {
    int mode;
    const char *name;
} pad_names[] = {
    {RSA_PKCS1_PADDING, OSSL_PKEY_RSA_PAD_MODE_PKCSV15},
    {RSA_NO_PADDING, OSSL_PKEY_RSA_PAD_MODE_NONE},
    {RSA_X931_PADDING, OSSL_PKEY_RSA_PAD_MODE_X931},
    {RSA_PKCS1_PSS_PADDING, OSSL_PKEY_RSA_PAD_MODE_PSS},
};

static const struct {
    long len;
    const char *name;
} salt_names[] = {
    {RSA_PSS_SALTLEN_DIGEST, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST},
    {RSA_PSS_SALTLEN_MAX, OSSL_PKEY_RSA_PSS_SALT_LEN_MAX},
    {RSA_PSS_SALTLEN_AUTO, OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO},
};

long dsk_sig_salt_bytes(const dsk_sig_ctx *c)
{
    size_t hlen = dsk_hash_size(c->hash);
    size_t mod = dsk_type_info_get(c->pk->type)->max_sig;
    if (c->saltlen == RSA_PSS_SALTLEN_DIGEST)
        return (long)hlen;
    if (c->saltlen < 0)
        return (long)(mod - hlen - 2);
    return c->saltlen;
}

static int set_pad(dsk_sig_ctx *c, const OSSL_PARAM *p)
{
    int mode = 0;
    if (p->data_type == OSSL_PARAM_UTF8_STRING) {
        size_t i;
        for (i = 0; i < sizeof pad_names / sizeof pad_names[0]; i++)
            if (strcasecmp(p->data, pad_names[i].name) == 0)
                break;
        if (i == sizeof pad_names / sizeof pad_names[0])
            return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED, "unknown RSA pad-mode '%s'",
                                   (const char *)p->data);
        mode = pad_names[i].mode;
    } else if (!OSSL_PARAM_get_int(p, &mode)) {
        return 0;
    }
    if (mode != RSA_PKCS1_PADDING && mode != RSA_PKCS1_PSS_PADDING)
        return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED,
                               "RSA pad-mode %d: dstack keys sign with pkcs1 or pss", mode);
    c->pad = mode;
    return 1;
}

static int set_salt(dsk_sig_ctx *c, const OSSL_PARAM *p)
{
    int len = 0;
    if (p->data_type == OSSL_PARAM_UTF8_STRING) {
        const char *s = p->data;
        char *end = NULL;
        for (size_t i = 0; i < sizeof salt_names / sizeof salt_names[0]; i++)
            if (strcasecmp(s, salt_names[i].name) == 0) {
                c->saltlen = salt_names[i].len;
                return 1;
            }
        long v = strtol(s, &end, 10);
        if (end == s || *end != '\0' || v < 0 || v > 0xffff)
            return dsk_prov_raisef(c->prov, DSK_E_BAD_INPUT, "bad PSS saltlen '%s'", s);
        c->saltlen = v;
        return 1;
    }
    if (!OSSL_PARAM_get_int(p, &len) || len < RSA_PSS_SALTLEN_MAX)
        return 0;
    c->saltlen = len;
    return 1;
}

int dsk_sig_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    dsk_sig_ctx *c = vctx;
    const OSSL_PARAM *p;

    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST)) != NULL) {
        dsk_hash h;
        if (c->h != NULL) /* digest-sign fixed the digest at init */
            return c->streaming ? 0 : 1;
        if (!dsk_prov_hash_param(c->prov, p, &h))
            return 0;
        c->hash = h;
    }
    if (c->alg != DSK_SIGALG_RSA)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL &&
        !set_pad(c, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) != NULL &&
        !set_salt(c, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) != NULL &&
        !dsk_prov_hash_param(c->prov, p, &c->mgf1))
        return 0;
    return 1;
}

static size_t algid(const dsk_sig_ctx *c, unsigned char *out, size_t max)
{
    switch (c->alg) {
    case DSK_SIGALG_ECDSA:
        return dsk_sigalg_ecdsa(c->hash, out, max);
    case DSK_SIGALG_ED25519:
        return dsk_sigalg_ed25519(out, max);
    case DSK_SIGALG_RSA:
        break;
    }
    if (c->pad == RSA_PKCS1_PSS_PADDING)
        return dsk_sigalg_rsa_pss(c->hash, c->mgf1, dsk_sig_salt_bytes(c), out, max);
    return dsk_sigalg_rsa_pkcs1(c->hash, out, max);
}

static int get_pad(const dsk_sig_ctx *c, OSSL_PARAM *p)
{
    if (p->data_type == OSSL_PARAM_INTEGER)
        return OSSL_PARAM_set_int(p, c->pad);
    for (size_t i = 0; i < sizeof pad_names / sizeof pad_names[0]; i++)
        if (pad_names[i].mode == c->pad)
            return OSSL_PARAM_set_utf8_string(p, pad_names[i].name);
    return 0;
}

static int get_salt(const dsk_sig_ctx *c, OSSL_PARAM *p)
{
    char buf[24];
    if (p->data_type == OSSL_PARAM_INTEGER)
        return OSSL_PARAM_set_int(p, (int)c->saltlen);
    for (size_t i = 0; i < sizeof salt_names / sizeof salt_names[0]; i++)
        if (salt_names[i].len == c->saltlen)
            return OSSL_PARAM_set_utf8_string(p, salt_names[i].name);
    snprintf(buf, sizeof buf, "%ld", c->saltlen);
    return OSSL_PARAM_set_utf8_string(p, buf);
}

int dsk_sig_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    dsk_sig_ctx *c = vctx;
    OSSL_PARAM *p;

    if (c == NULL || c->pk == NULL)
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID)) != NULL) {
        unsigned char der[128];
        size_t len = algid(c, der, sizeof der);
        if (len == 0 || !OSSL_PARAM_set_octet_string(p, der, len))
            return 0;
    }
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) != NULL &&
        (c->hash == DSK_HASH_NONE || !OSSL_PARAM_set_utf8_string(p, dsk_hash_name(c->hash))))
        return 0;
    if (c->alg != DSK_SIGALG_RSA)
        return 1;
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL && !get_pad(c, p))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) != NULL &&
        !get_salt(c, p))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) != NULL) {
        dsk_hash m = c->mgf1 != DSK_HASH_NONE ? c->mgf1 : c->hash;
        if (m == DSK_HASH_NONE || !OSSL_PARAM_set_utf8_string(p, dsk_hash_name(m)))
            return 0;
    }
    return 1;
}

static const OSSL_PARAM gettable[] = {
    OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM settable[] = {
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_PROPERTIES, NULL, 0),
    OSSL_PARAM_END,
};

const OSSL_PARAM *dsk_sig_gettable_ctx_params(void *vctx, void *provctx)
{
    return gettable;
}

const OSSL_PARAM *dsk_sig_settable_ctx_params(void *vctx, void *provctx)
{
    return settable;
}
