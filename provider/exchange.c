/* KEYEXCH: ECDH between a dstack EC key and a peer's public key. The peer
 * arrives as a key object of our keymgmt (libcrypto imports the peer's
 * public key into it); the shared secret is the X coordinate. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "internal.h"

typedef struct ecdh_ctx {
    dsk_prov *prov;
    dsk_pkey *pk;   /* not owned */
    dsk_pkey *peer; /* not owned */
} ecdh_ctx;

static void *ecdh_newctx(void *provctx)
{
    ecdh_ctx *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->prov = provctx;
    return c;
}

static void ecdh_freectx(void *vctx)
{
    free(vctx);
}

static void *ecdh_dupctx(void *vctx)
{
    ecdh_ctx *d = malloc(sizeof *d);
    if (d != NULL)
        *d = *(ecdh_ctx *)vctx;
    return d;
}

static int ecdh_init(void *vctx, void *keydata, const OSSL_PARAM params[])
{
    ecdh_ctx *c = vctx;
    dsk_pkey *pk = keydata;
    if (pk == NULL || strcmp(pk->alg, "EC") != 0 || !pk->has_private)
        return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED, "ECDH needs a dstack EC key");
    if (pk->type == DSK_KEY_ED25519 || !(dsk_key_usage(pk->key) & DSK_USAGE_DERIVE))
        return dsk_prov_raisef(c->prov, DSK_E_UNSUPPORTED, "key '%s' is not configured for derive",
                               dsk_key_label(pk->key));
    c->pk = pk;
    c->peer = NULL;
    return 1;
}

static int ecdh_set_peer(void *vctx, void *peerdata)
{
    ecdh_ctx *c = vctx;
    dsk_pkey *peer = peerdata;
    if (peer == NULL || strcmp(peer->alg, "EC") != 0)
        return 0;
    if (c->pk != NULL && peer->type != c->pk->type)
        return dsk_prov_raisef(c->prov, DSK_E_BAD_INPUT, "peer key is on %s, our key on %s",
                               dsk_type_info_get(peer->type)->group,
                               dsk_type_info_get(c->pk->type)->group);
    c->peer = peer;
    return 1;
}

static int ecdh_derive(void *vctx, unsigned char *secret, size_t *secretlen, size_t outlen)
{
    ecdh_ctx *c = vctx;
    const unsigned char *pt;
    size_t ptlen, len = outlen;
    dsk_error err = {0};

    if (c->pk == NULL)
        return 0;
    if (secret == NULL) {
        *secretlen = (size_t)(dsk_type_info_get(c->pk->type)->bits + 7) / 8;
        return 1;
    }
    if (c->peer == NULL)
        return dsk_prov_raisef(c->prov, DSK_E_ARGS, "ECDH: no peer key set");
    if (!dsk_pkey_point(c->peer, &pt, &ptlen))
        return 0;
    if (dsk_key_ecdh(c->pk->key, pt, ptlen, secret, &len, &err) != DSK_OK)
        return dsk_prov_raise(c->prov, &err);
    *secretlen = len;
    return 1;
}

/* Plain ECDH only: the cofactor and KDF options of the default provider are
 * accepted when they ask for nothing. */
static int ecdh_set_params(void *vctx, const OSSL_PARAM params[])
{
    const OSSL_PARAM *p;
    if (params == NULL)
        return 1;
    p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_TYPE);
    if (p != NULL) {
        const char *s = NULL;
        if (!OSSL_PARAM_get_utf8_string_ptr(p, &s) || (s[0] != '\0'))
            return 0;
    }
    return 1;
}

static const OSSL_PARAM settable[] = {
    OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *ecdh_settable(void *vctx, void *provctx)
{
    return settable;
}

const OSSL_DISPATCH dsk_ecdh_exchange_functions[] = {
    {OSSL_FUNC_KEYEXCH_NEWCTX, (void (*)(void))ecdh_newctx},
    {OSSL_FUNC_KEYEXCH_FREECTX, (void (*)(void))ecdh_freectx},
    {OSSL_FUNC_KEYEXCH_DUPCTX, (void (*)(void))ecdh_dupctx},
    {OSSL_FUNC_KEYEXCH_INIT, (void (*)(void))ecdh_init},
    {OSSL_FUNC_KEYEXCH_SET_PEER, (void (*)(void))ecdh_set_peer},
    {OSSL_FUNC_KEYEXCH_DERIVE, (void (*)(void))ecdh_derive},
    {OSSL_FUNC_KEYEXCH_SET_CTX_PARAMS, (void (*)(void))ecdh_set_params},
    {OSSL_FUNC_KEYEXCH_SETTABLE_CTX_PARAMS, (void (*)(void))ecdh_settable},
    {0, NULL},
};
