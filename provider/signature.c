/* SIGNATURE: ECDSA, Ed25519 (one-shot digest-sign), RSA PKCS#1 v1.5 and
 * PSS. Initialisation is cheap and never calls dstack (TLS tries it for
 * every candidate); a dstack key is derived at its first real signature. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "sig.h"
#include "wipe.h"

static void *sig_newctx(void *provctx, dsk_sigalg alg)
{
    dsk_sig_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->prov = provctx;
    c->alg = alg;
    return c;
}

static void *ecdsa_newctx(void *provctx, const char *propq)
{
    return sig_newctx(provctx, DSK_SIGALG_ECDSA);
}
static void *ed_newctx(void *provctx, const char *propq)
{
    return sig_newctx(provctx, DSK_SIGALG_ED25519);
}
static void *rsa_newctx(void *provctx, const char *propq)
{
    return sig_newctx(provctx, DSK_SIGALG_RSA);
}

static void sig_freectx(void *vctx)
{
    dsk_sig_ctx *c = vctx;
    if (c == NULL)
        return;
    dsk_hash_free(c->h);
    dsk_wipe(c, sizeof *c);
    free(c);
}

static void *sig_dupctx(void *vctx)
{
    dsk_sig_ctx *c = vctx, *d = malloc(sizeof *d);
    dsk_error err = {0};
    if (d == NULL)
        return NULL;
    *d = *c;
    d->h = NULL;
    if (c->h != NULL && dsk_hash_dup(c->h, &d->h, &err) != DSK_OK) {
        free(d);
        dsk_prov_raise(c->prov, &err);
        return NULL;
    }
    return d;
}

static const char *alg_keytype(dsk_sigalg a)
{
    return a == DSK_SIGALG_ECDSA ? "EC" : a == DSK_SIGALG_ED25519 ? "ED25519" : "RSA";
}

/* No I/O: only checks that the key fits and takes the parameters. */
static int sig_init(dsk_sig_ctx *c, void *keydata, const OSSL_PARAM params[], int verify)
{
    dsk_pkey *pk = keydata;

    if (pk != NULL) {
        if (strcmp(pk->alg, alg_keytype(c->alg)) != 0)
            return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED, "a %s key cannot make %s signatures",
                                   pk->alg, alg_keytype(c->alg));
        if (!verify && !pk->has_private)
            return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED,
                                   "signing needs a dstack key; this is a public key");
        c->pk = pk;
    } else if (c->pk == NULL) {
        return dsk_prov_raisef(c->prov, DSK_E_ARGS, "no key given");
    }
    c->verify = verify;
    c->pad = RSA_PKCS1_PADDING;
    c->hash = DSK_HASH_NONE;
    c->mgf1 = DSK_HASH_NONE;
    c->saltlen = RSA_PSS_SALTLEN_AUTO;
    c->streaming = 0;
    dsk_hash_free(c->h);
    c->h = NULL;
    return dsk_sig_set_ctx_params(c, params);
}

static int sign_init(void *vctx, void *keydata, const OSSL_PARAM params[])
{
    return sig_init(vctx, keydata, params, 0);
}

static int verify_init(void *vctx, void *keydata, const OSSL_PARAM params[])
{
    return sig_init(vctx, keydata, params, 1);
}

static size_t sig_max(const dsk_sig_ctx *c)
{
    return dsk_type_info_get(c->pk->type)->max_der_sig;
}

/* The scheme for keys/; hash comes from the context or, for a bare
 * pkeyutl-style call without one, from the input length. */
static int sign_params(dsk_sig_ctx *c, size_t tbslen, dsk_sign_params *p)
{
    memset(p, 0, sizeof *p);
    p->hash = c->hash;
    switch (c->alg) {
    case DSK_SIGALG_ECDSA:
        p->scheme = DSK_SIG_ECDSA;
        p->der = 1;
        return 1;
    case DSK_SIGALG_ED25519:
        p->scheme = DSK_SIG_EDDSA;
        return 1;
    case DSK_SIGALG_RSA:
        break;
    }
    if (c->hash != DSK_HASH_NONE && tbslen != dsk_hash_size(c->hash))
        return dsk_prov_raisef(c->prov, DSK_E_BAD_INPUT, "input of %zu bytes is not a %s digest",
                               tbslen, dsk_hash_name(c->hash));
    if (c->pad == RSA_PKCS1_PADDING) {
        p->scheme = DSK_SIG_RSA_PKCS1;
        return 1;
    }
    if (c->pad != RSA_PKCS1_PSS_PADDING)
        return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED,
                               "RSA padding mode %d: dstack keys sign with pkcs1 or pss", c->pad);
    if (p->hash == DSK_HASH_NONE) {
        for (dsk_hash h = DSK_HASH_SHA1; h <= DSK_HASH_SHA512; h++)
            if (dsk_hash_size(h) == tbslen)
                p->hash = h;
        if (p->hash == DSK_HASH_NONE)
            return dsk_prov_raisef(c->prov, DSK_E_BAD_INPUT,
                                   "PSS needs a digest (-pkeyopt digest:...)");
    }
    p->scheme = DSK_SIG_RSA_PSS;
    p->mgf1 = c->mgf1;
    if (c->saltlen == RSA_PSS_SALTLEN_DIGEST)
        p->salt_len = -1;
    else if (c->saltlen < 0)
        p->salt_len = -2;
    else
        p->salt_len = c->saltlen;
    return 1;
}

static int do_sign(dsk_sig_ctx *c, unsigned char *sig, size_t *siglen, size_t sigsize,
                   const unsigned char *tbs, size_t tbslen)
{
    dsk_sign_params p;
    dsk_error err = {0};
    size_t len = sigsize;

    if (sig == NULL) {
        *siglen = sig_max(c);
        return 1;
    }
    if (!sign_params(c, tbslen, &p))
        return 0;
    if (dsk_key_sign(c->pk->key, &p, tbs, tbslen, sig, &len, &err) != DSK_OK)
        return dsk_prov_raise(c->prov, &err);
    *siglen = len;
    return 1;
}

static int do_verify(dsk_sig_ctx *c, const unsigned char *sig, size_t siglen,
                     const unsigned char *tbs, size_t tbslen)
{
    dsk_sign_params p;
    dsk_error err = {0};
    dsk_key *key;
    dsk_status st;

    if (!sign_params(c, tbslen, &p) || (key = dsk_pkey_store_key(c->pk)) == NULL)
        return 0;
    st = dsk_key_verify(key, &p, tbs, tbslen, sig, siglen, &err);
    if (st == DSK_E_VERIFY)
        return 0;
    return st == DSK_OK ? 1 : dsk_prov_raise(c->prov, &err);
}

static int sig_sign(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize,
                    const unsigned char *tbs, size_t tbslen)
{
    dsk_sig_ctx *c = vctx;
    if (c->alg == DSK_SIGALG_ED25519)
        return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED,
                               "Ed25519 signs whole messages: use -rawin");
    return do_sign(c, sig, siglen, sigsize, tbs, tbslen);
}

static int sig_verify(void *vctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs,
                      size_t tbslen)
{
    return do_verify(vctx, sig, siglen, tbs, tbslen);
}

/* ---- digest-sign ------------------------------------------------------ */

static int digest_init(dsk_sig_ctx *c, const char *mdname, void *keydata, const OSSL_PARAM params[],
                       int verify)
{
    dsk_error err = {0};

    if (!sig_init(c, keydata, params, verify))
        return 0;
    if (c->alg == DSK_SIGALG_ED25519) {
        if (mdname != NULL && mdname[0] != '\0')
            return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED, "Ed25519 takes no digest (%s given)",
                                   mdname);
        return 1;
    }
    if (mdname == NULL || mdname[0] == '\0')
        mdname = "SHA256";
    if ((c->hash = dsk_prov_hash(mdname)) == DSK_HASH_NONE)
        return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED,
                               "digest %s is not supported "
                               "(SHA1, SHA224, SHA256, SHA384, SHA512)",
                               mdname);
    if (dsk_hash_new(c->hash, &c->h, &err) != DSK_OK)
        return dsk_prov_raise(c->prov, &err);
    return 1;
}

static int digest_sign_init(void *vctx, const char *mdname, void *keydata,
                            const OSSL_PARAM params[])
{
    return digest_init(vctx, mdname, keydata, params, 0);
}

static int digest_verify_init(void *vctx, const char *mdname, void *keydata,
                              const OSSL_PARAM params[])
{
    return digest_init(vctx, mdname, keydata, params, 1);
}

static int digest_update(void *vctx, const unsigned char *data, size_t len)
{
    dsk_sig_ctx *c = vctx;
    dsk_error err = {0};
    if (c->h == NULL)
        return 0;
    c->streaming = 1;
    if (dsk_hash_update(c->h, data, len, &err) != DSK_OK)
        return dsk_prov_raise(c->prov, &err);
    return 1;
}

static int digest_finish(dsk_sig_ctx *c, unsigned char *md, size_t *mdlen)
{
    dsk_error err = {0};
    dsk_status st;
    if (c->h == NULL)
        return 0;
    st = dsk_hash_final(c->h, md, &err);
    dsk_hash_free(c->h);
    c->h = NULL;
    if (st != DSK_OK)
        return dsk_prov_raise(c->prov, &err);
    *mdlen = dsk_hash_size(c->hash);
    return 1;
}

static int digest_sign_final(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize)
{
    dsk_sig_ctx *c = vctx;
    unsigned char md[64];
    size_t mdlen = 0;

    if (sig == NULL) {
        *siglen = sig_max(c);
        return 1;
    }
    return digest_finish(c, md, &mdlen) && do_sign(c, sig, siglen, sigsize, md, mdlen);
}

static int digest_verify_final(void *vctx, const unsigned char *sig, size_t siglen)
{
    dsk_sig_ctx *c = vctx;
    unsigned char md[64];
    size_t mdlen = 0;
    return digest_finish(c, md, &mdlen) && do_verify(c, sig, siglen, md, mdlen);
}

/* Ed25519 is one-shot: the whole message at once. */
static int ed_digest_sign(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize,
                          const unsigned char *tbs, size_t tbslen)
{
    return do_sign(vctx, sig, siglen, sigsize, tbs, tbslen);
}

static int ed_digest_verify(void *vctx, const unsigned char *sig, size_t siglen,
                            const unsigned char *tbs, size_t tbslen)
{
    return do_verify(vctx, sig, siglen, tbs, tbslen);
}

#define SIG_COMMON                                                                                 \
    {OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))sig_freectx},                                    \
        {OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))sig_dupctx},                                  \
        {OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*)(void))dsk_sig_get_ctx_params},              \
        {OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, (void (*)(void))dsk_sig_gettable_ctx_params},    \
        {OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*)(void))dsk_sig_set_ctx_params},              \
    {                                                                                              \
        OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, (void (*)(void))dsk_sig_settable_ctx_params       \
    }

#define SIG_STREAMING                                                                              \
    {OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*)(void))sign_init},                                    \
        {OSSL_FUNC_SIGNATURE_SIGN, (void (*)(void))sig_sign},                                      \
        {OSSL_FUNC_SIGNATURE_VERIFY_INIT, (void (*)(void))verify_init},                            \
        {OSSL_FUNC_SIGNATURE_VERIFY, (void (*)(void))sig_verify},                                  \
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, (void (*)(void))digest_sign_init},                  \
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, (void (*)(void))digest_update},                   \
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, (void (*)(void))digest_sign_final},                \
        {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, (void (*)(void))digest_verify_init},              \
        {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE, (void (*)(void))digest_update},                 \
    {                                                                                              \
        OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL, (void (*)(void))digest_verify_final               \
    }

const OSSL_DISPATCH dsk_ecdsa_signature_functions[] = {
    {OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))ecdsa_newctx},
    SIG_COMMON,
    SIG_STREAMING,
    {0, NULL},
};

const OSSL_DISPATCH dsk_rsa_signature_functions[] = {
    {OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))rsa_newctx},
    SIG_COMMON,
    SIG_STREAMING,
    {0, NULL},
};

const OSSL_DISPATCH dsk_ed25519_signature_functions[] = {
    {OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))ed_newctx},
    SIG_COMMON,
    {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, (void (*)(void))digest_sign_init},
    {OSSL_FUNC_SIGNATURE_DIGEST_SIGN, (void (*)(void))ed_digest_sign},
    {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, (void (*)(void))digest_verify_init},
    {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY, (void (*)(void))ed_digest_verify},
    {0, NULL},
};
