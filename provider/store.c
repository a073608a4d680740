/* STORE for the dstack: scheme. open() only parses; the first load()
 * resolves and derives the key and hands it over as a reference that our
 * keymgmt load() turns into a key object. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/params.h>
#include <openssl/store.h>

#include "internal.h"

typedef struct store_ctx {
    dsk_prov *prov;
    dsk_ref ref;
    int expect; /* OSSL_STORE_INFO_*, 0 = anything */
    int done;
} store_ctx;

int dsk_objref_pass(dsk_prov *p, dsk_key *key, const char *uri, OSSL_CALLBACK *cb, void *cbarg)
{
    dsk_objref ref = {DSK_REF_MAGIC, 0, p, key, uri};
    int objtype = OSSL_OBJECT_PKEY;
    char *dtype = (char *)dsk_type_info_get(dsk_key_get_type(key))->ossl_name;
    char *desc = (char *)dsk_key_label(key);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &objtype),
        OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, dtype, 0),
        OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_REFERENCE, &ref, sizeof ref),
        OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DESC, desc, 0),
        OSSL_PARAM_construct_end(),
    };
    return cb(params, cbarg);
}

static void *store_open(void *provctx, const char *uri)
{
    dsk_prov *p = provctx;
    dsk_error err = {0};
    store_ctx *c = calloc(1, sizeof *c);

    if (c == NULL)
        return NULL;
    c->prov = p;
    if (dsk_ref_parse(uri, &c->ref, &err) != DSK_OK) {
        dsk_prov_raise(p, &err);
        free(c);
        return NULL;
    }
    return c;
}

static const OSSL_PARAM store_settable[] = {
    OSSL_PARAM_int(OSSL_STORE_PARAM_EXPECT, NULL),
    OSSL_PARAM_utf8_string(OSSL_STORE_PARAM_PROPERTIES, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_STORE_PARAM_INPUT_TYPE, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *store_settable_params(void *provctx)
{
    return store_settable;
}

/* Properties and input type mean nothing for a key named by URI: tolerated. */
static int store_set_params(void *vctx, const OSSL_PARAM params[])
{
    store_ctx *c = vctx;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_EXPECT);
    if (p != NULL && !OSSL_PARAM_get_int(p, &c->expect))
        return 0;
    return 1;
}

/* The key's certificate, asked for with OSSL_STORE_INFO_CERT: the same one
 * the PKCS#11 module shows, the configured `certificate =` or else the
 * key's self-signed certificate (keys/selfcert.c); `certificate = none`
 * gives nothing, and no error. */
static int load_cert(store_ctx *c, dsk_key *key, OSSL_CALLBACK *cb, void *cbarg)
{
    const dsk_key_entry *e = NULL;
    dsk_error err = {0};
    dsk_cert cert;
    dsk_status st;
    int objtype = OSSL_OBJECT_CERT, r;

    for (size_t i = 0; c->prov->conf != NULL && i < c->prov->conf->nkeys; i++)
        if (strcmp(c->prov->conf->keys[i].label, dsk_key_label(key)) == 0)
            e = &c->prov->conf->keys[i];
    if (e != NULL && e->cert_none)
        return 1;
    if (e != NULL && e->cert != NULL)
        st = dsk_cert_parse(e->cert, e->cert_len, e->cert_file, &cert, &err);
    else
        st = dsk_key_selfsigned(key, &cert, &err);
    if (st != DSK_OK)
        return dsk_prov_raise(c->prov, &err);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &objtype),
        OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, (char *)"CERTIFICATE", 0),
        OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_DATA, cert.der, cert.der_len),
        OSSL_PARAM_construct_end(),
    };
    r = cb(params, cbarg);
    dsk_cert_free(&cert);
    return r;
}

static int store_load(void *vctx, OSSL_CALLBACK *object_cb, void *object_cbarg,
                      OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    store_ctx *c = vctx;
    dsk_error err = {0};
    dsk_key *key = NULL;

    if (c->done)
        return 0;
    c->done = 1;
    /* Keys and their certificate live behind a dstack: URI: nothing else,
     * and no error. */
    if (c->expect != 0 && c->expect != OSSL_STORE_INFO_PKEY &&
        c->expect != OSSL_STORE_INFO_PUBKEY && c->expect != OSSL_STORE_INFO_CERT)
        return 1;
    if (dsk_ref_resolve(c->prov->ks, c->prov->conf, DSK_PROV_CONF_HINT, &c->ref, &key, &err) != DSK_OK ||
        dsk_key_derive(key, &err) != DSK_OK)
        return dsk_prov_raise(c->prov, &err);
    if (c->expect == OSSL_STORE_INFO_CERT)
        return load_cert(c, key, object_cb, object_cbarg);
    return dsk_objref_pass(c->prov, key, c->ref.uri, object_cb, object_cbarg);
}

static int store_eof(void *vctx)
{
    return ((store_ctx *)vctx)->done;
}

static int store_close(void *vctx)
{
    store_ctx *c = vctx;
    if (c != NULL) {
        dsk_ref_clear(&c->ref);
        free(c);
    }
    return 1;
}

/* libcrypto asks for this when the first keymgmt it fetched for our object
 * is another provider's (OpenSSL's default, usually): it then imports what we
 * give into that keymgmt with every selection bit set. Giving public parts
 * would turn our private key into a public one of the default provider, so we
 * give them only when the caller asked for a public key; otherwise we decline
 * and libcrypto falls back to our own keymgmt's load(). */
static int store_export_object(void *vctx, const void *reference, size_t reference_sz,
                               OSSL_CALLBACK *export_cb, void *export_cbarg)
{
    store_ctx *c = vctx;
    const dsk_objref *ref = reference;
    dsk_pkey pk;

    if (reference_sz != sizeof *ref || ref->magic != DSK_REF_MAGIC)
        return 0;
    if (c->expect != OSSL_STORE_INFO_PUBKEY)
        return 0;
    memset(&pk, 0, sizeof pk);
    pk.prov = ref->prov;
    pk.key = ref->key;
    pk.type = dsk_key_get_type(ref->key);
    pk.alg = dsk_type_info_get(pk.type)->ossl_name;
    return dsk_pkey_export_params(
        &pk, OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS, export_cb,
        export_cbarg);
}

const OSSL_DISPATCH dsk_store_functions[] = {
    {OSSL_FUNC_STORE_OPEN, (void (*)(void))store_open},
    {OSSL_FUNC_STORE_SETTABLE_CTX_PARAMS, (void (*)(void))store_settable_params},
    {OSSL_FUNC_STORE_SET_CTX_PARAMS, (void (*)(void))store_set_params},
    {OSSL_FUNC_STORE_LOAD, (void (*)(void))store_load},
    {OSSL_FUNC_STORE_EOF, (void (*)(void))store_eof},
    {OSSL_FUNC_STORE_CLOSE, (void (*)(void))store_close},
    {OSSL_FUNC_STORE_EXPORT_OBJECT, (void (*)(void))store_export_object},
    {0, NULL},
};
