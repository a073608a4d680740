/* KEYMGMT for EC, ED25519 and RSA with the default provider's names. Keys
 * are opaque: export never includes the private key, import takes public
 * keys only, and nothing here generates keys. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "internal.h"

static dsk_pkey *pkey_new(dsk_prov *p, const char *alg)
{
    dsk_pkey *k = calloc(1, sizeof *k);
    if (k == NULL)
        return NULL;
    k->prov = p;
    k->alg = alg;
    return k;
}

static void *ec_new(void *provctx)
{
    return pkey_new(provctx, "EC");
}
static void *ed_new(void *provctx)
{
    return pkey_new(provctx, "ED25519");
}
static void *rsa_new(void *provctx)
{
    return pkey_new(provctx, "RSA");
}

static void km_free(void *kd)
{
    dsk_pkey *k = kd;
    if (k == NULL)
        return;
    free(k->uri);
    free(k->pub);
    free(k->n);
    free(k->e);
    free(k);
}

static void *load_as(const char *alg, const void *reference, size_t reference_sz)
{
    const dsk_objref *ref = reference;
    const char *name;
    dsk_pkey *k;

    if (reference_sz != sizeof *ref || ref->magic != DSK_REF_MAGIC)
        return NULL;
    name = dsk_type_info_get(dsk_key_get_type(ref->key))->ossl_name;
    if (strcmp(name, alg) != 0) {
        dsk_prov_raisef(ref->prov, DSK_E_UNSUPPORTED, "key '%s' is %s, not %s",
                        dsk_key_label(ref->key), name, alg);
        return NULL;
    }
    if ((k = pkey_new(ref->prov, alg)) == NULL)
        return NULL;
    k->key = ref->key;
    k->type = dsk_key_get_type(ref->key);
    k->has_private = dsk_key_has_private(ref->key);
    if (ref->uri != NULL && (k->uri = strdup(ref->uri)) == NULL) {
        km_free(k);
        return NULL;
    }
    return k;
}

static void *ec_load(const void *r, size_t n)
{
    return load_as("EC", r, n);
}
static void *ed_load(const void *r, size_t n)
{
    return load_as("ED25519", r, n);
}
static void *rsa_load(const void *r, size_t n)
{
    return load_as("RSA", r, n);
}

static int km_has(const void *kd, int selection)
{
    const dsk_pkey *k = kd;
    int pub = k != NULL && (k->key != NULL || k->has_pub);

    if (k == NULL)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) && !pub)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && !k->has_private)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS) && strcmp(k->alg, "EC") == 0 &&
        !(pub || k->has_group))
        return 0;
    return 1;
}

static int bytes_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* Keys match when their public parts do: that is how a certificate is
 * paired with its key. */
static int km_match(const void *kd1, const void *kd2, int selection)
{
    dsk_pkey *a = (dsk_pkey *)kd1, *b = (dsk_pkey *)kd2;

    if (a == NULL || b == NULL || strcmp(a->alg, b->alg) != 0)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
        return a->type == b->type || !(a->key || a->has_pub) || !(b->key || b->has_pub);
    if (a->type != b->type)
        return 0;
    if (strcmp(a->alg, "RSA") == 0) {
        const unsigned char *n1, *e1, *n2, *e2;
        size_t nl1, el1, nl2, el2;
        return dsk_pkey_rsa(a, &n1, &nl1, &e1, &el1) && dsk_pkey_rsa(b, &n2, &nl2, &e2, &el2) &&
               bytes_eq(n1, nl1, n2, nl2) && bytes_eq(e1, el1, e2, el2);
    } else {
        const unsigned char *p1, *p2;
        size_t l1, l2;
        return dsk_pkey_point(a, &p1, &l1) && dsk_pkey_point(b, &p2, &l2) &&
               bytes_eq(p1, l1, p2, l2);
    }
}

static int km_import(void *kd, int selection, const OSSL_PARAM params[])
{
    return dsk_pkey_import_params(kd, selection, params);
}

static int km_export(void *kd, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
    dsk_pkey *k = kd;
    if (k == NULL)
        return 0;
    if (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) {
        if (k->has_private)
            return dsk_prov_raisef(k->prov, DSK_E_UNSUPPORTED,
                                   "key %s is a dstack key: its private part never leaves "
                                   "the provider (export the public key only)",
                                   k->uri ? k->uri : "(imported)");
        /* A public-only key: give what there is, as the default provider does. */
    }
    return dsk_pkey_export_params(k, selection, cb, cbarg);
}

static const OSSL_PARAM *ec_import_types(int selection)
{
    return dsk_pkey_import_types("EC", selection);
}
static const OSSL_PARAM *ed_import_types(int selection)
{
    return dsk_pkey_import_types("ED25519", selection);
}
static const OSSL_PARAM *rsa_import_types(int selection)
{
    return dsk_pkey_import_types("RSA", selection);
}

static int km_get_params(void *kd, OSSL_PARAM params[])
{
    return dsk_pkey_get_params(kd, params);
}

static const OSSL_PARAM *ec_gettable(void *provctx)
{
    return dsk_pkey_gettable("EC");
}
static const OSSL_PARAM *ed_gettable(void *provctx)
{
    return dsk_pkey_gettable("ED25519");
}
static const OSSL_PARAM *rsa_gettable(void *provctx)
{
    return dsk_pkey_gettable("RSA");
}

static const char *ec_operation_name(int operation_id)
{
    switch (operation_id) {
    case OSSL_OP_SIGNATURE:
        return "ECDSA";
    case OSSL_OP_KEYEXCH:
        return "ECDH";
    default:
        return NULL;
    }
}

static void *km_dup(const void *kd, int selection)
{
    const dsk_pkey *k = kd;
    dsk_pkey *d = pkey_new(k->prov, k->alg);

    if (d == NULL)
        return NULL;
    d->type = k->type;
    d->key = k->key;
    d->has_private = k->has_private && (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY);
    d->has_pub = k->has_pub;
    d->has_group = k->has_group;
    if ((k->uri && !(d->uri = strdup(k->uri))) || (k->pub && !(d->pub = malloc(k->pub_len))) ||
        (k->n && !(d->n = malloc(k->n_len))) || (k->e && !(d->e = malloc(k->e_len)))) {
        km_free(d);
        return NULL;
    }
    if (k->pub)
        memcpy(d->pub, k->pub, d->pub_len = k->pub_len);
    if (k->n)
        memcpy(d->n, k->n, d->n_len = k->n_len);
    if (k->e)
        memcpy(d->e, k->e, d->e_len = k->e_len);
    return d;
}

#define KEYMGMT_COMMON(pfx)                                                                        \
    {OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))pfx##_new},                                            \
        {OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))km_free},                                         \
        {OSSL_FUNC_KEYMGMT_LOAD, (void (*)(void))pfx##_load},                                      \
        {OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))km_has},                                           \
        {OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))km_match},                                       \
        {OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))km_import},                                     \
        {OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))pfx##_import_types},                      \
        {OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))km_export},                                     \
        {OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))pfx##_import_types},                      \
        {OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))km_get_params},                             \
        {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))pfx##_gettable},                       \
    {                                                                                              \
        OSSL_FUNC_KEYMGMT_DUP, (void (*)(void))km_dup                                              \
    }

const OSSL_DISPATCH dsk_ec_keymgmt_functions[] = {
    KEYMGMT_COMMON(ec),
    {OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))ec_operation_name},
    {0, NULL},
};

const OSSL_DISPATCH dsk_ed25519_keymgmt_functions[] = {
    KEYMGMT_COMMON(ed),
    {0, NULL},
};

const OSSL_DISPATCH dsk_rsa_keymgmt_functions[] = {
    KEYMGMT_COMMON(rsa),
    {0, NULL},
};
