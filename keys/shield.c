/* The shield: OpenSSL's default provider, re-exported into our private
 * library context so that an application's ENGINE cannot take our keys
 * over.
 *
 * Why: OpenSSL 3.0 still consults the global legacy ENGINE tables from
 * inside provider-based calls. Two of them broke every key whenever a
 * program made an ENGINE the default (`openssl -engine pkcs11`, Apache with
 * a pkcs11: key, stunnel's `engine =`, osslsigncode -pkcs11engine):
 *
 * 1. EVP_PKEY_CTX_new_from_name / _from_pkey map the key type's name to a
 *    legacy NID and ask ENGINE_get_pkey_meth_engine(nid); when an engine
 *    answers (libp11 does for RSA and EC), the context becomes a legacy one
 *    bound to the engine's EVP_PKEY_METHOD, even in a private library
 *    context: EVP_PKEY_fromdata then fails ("cannot build the key pair")
 *    and signing would run the engine's code. The lookup is skipped only
 *    when the name maps to no NID. So every key management algorithm is
 *    re-exported here with its OID as its FIRST name (the name EVP uses as
 *    the key's type name), and keys/ names types by OID
 *    (dsk_keys_keymgmt_name).
 * 2. The default provider creates its RSA and EC_KEY objects with the
 *    default ENGINE's RSA_METHOD / EC_KEY_METHOD (ENGINE_get_default_RSA,
 *    ENGINE_get_default_EC). Every key management function that creates an
 *    object (new, gen, load, dup) is wrapped here to put OpenSSL's own
 *    methods back before the object is used.
 *
 * The default provider itself is loaded into a second private context (the
 * "inner" one) and runs there with its own provider context; this provider
 * only hands out its algorithm tables. What remains outside our reach is
 * listed in docs/design notes of libctx.c (digest and RAND engines). */
#define OPENSSL_SUPPRESS_DEPRECATED /* RSA_set_method, EC_KEY_set_method: the only way to drop an  \
                                       ENGINE from an object the provider already made */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/ec.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

/* Key management algorithms whose objects are RSA or EC_KEY in the default
 * provider (3.x): their creating functions are wrapped. The default
 * provider's first names are matched. */
enum { OBJ_NONE, OBJ_RSA, OBJ_EC };
static const struct {
    const char *first; /* the default provider's first name */
    int kind;
} wrapped_kinds[] = {
    {"RSA", OBJ_RSA},
    {"RSA-PSS", OBJ_RSA},
    {"EC", OBJ_EC},
};
#define N_WRAPPED (sizeof wrapped_kinds / sizeof wrapped_kinds[0])

/* The original functions of each wrapped algorithm. */
typedef struct orig_fns {
    OSSL_FUNC_keymgmt_new_fn *new_;
    OSSL_FUNC_keymgmt_gen_fn *gen;
    OSSL_FUNC_keymgmt_load_fn *load;
    OSSL_FUNC_keymgmt_dup_fn *dup;
} orig_fns;
static orig_fns orig[N_WRAPPED];

static OSSL_PROVIDER *inner_default;
static OSSL_ALGORITHM *keymgmt_table; /* the rewritten table, built once */
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* Put OpenSSL's own method back (and release the ENGINE) if the object was
 * created with another one. Returns obj, or NULL (freeing nothing: the
 * caller's object stays the provider's) if that failed. */
static void *unengine(int kind, void *obj)
{
    if (obj == NULL)
        return NULL;
    if (kind == OBJ_RSA) {
        RSA *r = obj;
        if (RSA_get_method(r) != RSA_PKCS1_OpenSSL() || RSA_get0_engine(r) != NULL)
            RSA_set_method(r, RSA_PKCS1_OpenSSL());
    } else if (kind == OBJ_EC) {
        EC_KEY *e = obj;
        if (EC_KEY_get_method(e) != EC_KEY_OpenSSL() || EC_KEY_get0_engine(e) != NULL)
            if (EC_KEY_set_method(e, EC_KEY_OpenSSL()) != 1)
                return NULL;
    }
    return obj;
}

/* One set of trampolines per wrapped algorithm (index I). */
#define TRAMPOLINES(I)                                                                             \
    static void *new_##I(void *provctx)                                                            \
    {                                                                                              \
        return unengine(wrapped_kinds[I].kind, orig[I].new_(provctx));                             \
    }                                                                                              \
    static void *gen_##I(void *genctx, OSSL_CALLBACK *cb, void *cbarg)                             \
    {                                                                                              \
        return unengine(wrapped_kinds[I].kind, orig[I].gen(genctx, cb, cbarg));                    \
    }                                                                                              \
    static void *load_##I(const void *ref, size_t sz)                                              \
    {                                                                                              \
        return unengine(wrapped_kinds[I].kind, orig[I].load(ref, sz));                             \
    }                                                                                              \
    static void *dup_##I(const void *from, int sel)                                                \
    {                                                                                              \
        return unengine(wrapped_kinds[I].kind, orig[I].dup(from, sel));                            \
    }
TRAMPOLINES(0)
TRAMPOLINES(1)
TRAMPOLINES(2)

static const struct {
    OSSL_FUNC_keymgmt_new_fn *new_;
    OSSL_FUNC_keymgmt_gen_fn *gen;
    OSSL_FUNC_keymgmt_load_fn *load;
    OSSL_FUNC_keymgmt_dup_fn *dup;
} trampolines[N_WRAPPED] = {
    {new_0, gen_0, load_0, dup_0},
    {new_1, gen_1, load_1, dup_1},
    {new_2, gen_2, load_2, dup_2},
};

/* "EC:id-ecPublicKey:1.2.840.10045.2.1" -> "1.2.840.10045.2.1:EC:id-ecPublicKey";
 * names without an OID stay as they are. */
static char *oid_first(const char *names)
{
    size_t n = strlen(names);
    char *out = malloc(2 * n + 2); /* room to spare: names may repeat */
    const char *p = names;

    if (out == NULL)
        return NULL;
    out[0] = '\0';
    while (*p != '\0') {
        size_t l = strcspn(p, ":");
        if (l > 0 && p[0] >= '0' && p[0] <= '9' && strspn(p, "0123456789.") >= l) {
            memcpy(out, p, l);
            out[l] = '\0';
            break;
        }
        p += l + (p[l] == ':');
    }
    if (out[0] == '\0') {
        memcpy(out, names, n + 1);
        return out;
    }
    /* the OID, then every other name in order */
    for (p = names; *p != '\0';) {
        size_t l = strcspn(p, ":");
        if (!(l == strlen(out) && strncmp(p, out, l) == 0)) {
            strcat(out, ":");
            strncat(out, p, l);
        }
        p += l + (p[l] == ':');
    }
    return out;
}

/* A copy of fns with the creating functions replaced by trampolines[w]. */
static OSSL_DISPATCH *wrap_fns(const OSSL_DISPATCH *fns, size_t w)
{
    size_t n = 0;
    OSSL_DISPATCH *out;

    while (fns[n].function_id != 0)
        n++;
    out = calloc(n + 1, sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i <= n; i++) {
        out[i] = fns[i];
        switch (fns[i].function_id) {
        case OSSL_FUNC_KEYMGMT_NEW:
            orig[w].new_ = OSSL_FUNC_keymgmt_new(&fns[i]);
            out[i].function = (void (*)(void))trampolines[w].new_;
            break;
        case OSSL_FUNC_KEYMGMT_GEN:
            orig[w].gen = OSSL_FUNC_keymgmt_gen(&fns[i]);
            out[i].function = (void (*)(void))trampolines[w].gen;
            break;
        case OSSL_FUNC_KEYMGMT_LOAD:
            orig[w].load = OSSL_FUNC_keymgmt_load(&fns[i]);
            out[i].function = (void (*)(void))trampolines[w].load;
            break;
        case OSSL_FUNC_KEYMGMT_DUP:
            orig[w].dup = OSSL_FUNC_keymgmt_dup(&fns[i]);
            out[i].function = (void (*)(void))trampolines[w].dup;
            break;
        default:
            break;
        }
    }
    return out;
}

static void build_keymgmt_table(void)
{
    int nc = 0;
    const OSSL_ALGORITHM *src = OSSL_PROVIDER_query_operation(inner_default, OSSL_OP_KEYMGMT, &nc);
    size_t n = 0;
    OSSL_ALGORITHM *t;

    if (src == NULL)
        return;
    while (src[n].algorithm_names != NULL)
        n++;
    t = calloc(n + 1, sizeof *t);
    if (t == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        size_t fl = strcspn(src[i].algorithm_names, ":");
        t[i] = src[i];
        t[i].algorithm_names = oid_first(src[i].algorithm_names);
        if (t[i].algorithm_names == NULL)
            return; /* allocation failure: table stays unpublished */
        for (size_t w = 0; w < N_WRAPPED; w++)
            if (strlen(wrapped_kinds[w].first) == fl &&
                strncmp(src[i].algorithm_names, wrapped_kinds[w].first, fl) == 0) {
                t[i].implementation = wrap_fns(src[i].implementation, w);
                if (t[i].implementation == NULL)
                    return;
            }
    }
    keymgmt_table = t; /* lives as long as the process, as the libctx does */
}

static const OSSL_ALGORITHM *shield_query(void *provctx, int op, int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    if (op == OSSL_OP_KEYMGMT) {
        pthread_once(&table_once, build_keymgmt_table);
        return keymgmt_table;
    }
    return OSSL_PROVIDER_query_operation(inner_default, op, no_cache);
}

static const OSSL_DISPATCH shield_dispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))shield_query},
    {0, NULL},
};

static int shield_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx)
{
    (void)handle;
    (void)in;
    if (inner_default == NULL)
        return 0;
    *out = shield_dispatch;
    /* The default provider's functions get their own context back. */
    *provctx = OSSL_PROVIDER_get0_provider_ctx(inner_default);
    return 1;
}

OSSL_LIB_CTX *dsk_keys_shield_ctx(void)
{
    OSSL_LIB_CTX *inner = OSSL_LIB_CTX_new();
    OSSL_LIB_CTX *outer = NULL;

    if (inner == NULL || (inner_default = OSSL_PROVIDER_load(inner, "default")) == NULL)
        goto fail;
    outer = OSSL_LIB_CTX_new();
    if (outer == NULL || OSSL_PROVIDER_add_builtin(outer, "dsk-shield", shield_init) != 1 ||
        OSSL_PROVIDER_load(outer, "dsk-shield") == NULL)
        goto fail;
    pthread_once(&table_once, build_keymgmt_table);
    if (keymgmt_table == NULL)
        goto fail;
    return outer;
fail:
    OSSL_LIB_CTX_free(outer);
    if (inner_default != NULL)
        OSSL_PROVIDER_unload(inner_default);
    inner_default = NULL;
    OSSL_LIB_CTX_free(inner);
    return NULL;
}
