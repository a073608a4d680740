/* PKCS#11 backend: any module, loaded with dlopen, keys found by label.
 * Every worker opens its own session; each signature is C_SignInit +
 * C_Sign, the one-call pattern OpenSSH and most clients use. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "bench.h"

/* PKCS#11 3.0 values missing from the v2.40 header. */
#ifndef CKK_EC_EDWARDS
#define CKK_EC_EDWARDS 0x40UL
#endif
#ifndef CKM_EC_EDWARDS_KEY_PAIR_GEN
#define CKM_EC_EDWARDS_KEY_PAIR_GEN 0x1055UL
#endif
#ifndef CKM_EDDSA
#define CKM_EDDSA 0x1057UL
#endif

static const char *const key_label[BENCH_CASE_COUNT] = {"p256", "ed", "rsa2048", "rsa2048", "k1"};
static const CK_MECHANISM_TYPE sign_mech[BENCH_CASE_COUNT] = {
    CKM_ECDSA, CKM_EDDSA, CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS_OAEP, CKM_ECDSA};
static CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};

typedef struct p11_impl {
    bench_impl base;
    void *dl;
    CK_FUNCTION_LIST *f;
    CK_SLOT_ID slot[BENCH_CASE_COUNT];
    CK_OBJECT_HANDLE key[BENCH_CASE_COUNT];
    /* Per case: the session keeping its token logged in (logins are per
     * token), or CK_INVALID_HANDLE. */
    CK_SESSION_HANDLE login_session[BENCH_CASE_COUNT];
} p11_impl;

typedef struct p11_worker {
    CK_FUNCTION_LIST *f;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;
    CK_MECHANISM mech;
    int decrypt;
    unsigned char in[32];
    unsigned char ct[256];
    CK_ULONG ct_len;
    unsigned char sig[512];
} p11_worker;

static int load(const char *path, void **dl, CK_FUNCTION_LIST **f)
{
    CK_C_GetFunctionList get;
    CK_RV rv;
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};

    *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (*dl == NULL) {
        fprintf(stderr, "bench: cannot load %s: %s\n", path, dlerror());
        return -1;
    }
    *(void **)&get = dlsym(*dl, "C_GetFunctionList");
    if (get == NULL || get(f) != CKR_OK) {
        fprintf(stderr, "bench: %s has no usable C_GetFunctionList\n", path);
        return -1;
    }
    if ((rv = (*f)->C_Initialize(&args)) != CKR_OK) {
        fprintf(stderr, "bench: %s: C_Initialize: 0x%lx\n", path, (unsigned long)rv);
        return -1;
    }
    return 0;
}

static int find_slot(CK_FUNCTION_LIST *f, const char *label, CK_SLOT_ID *out)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = 64;
    if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        return -1;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        size_t len = strlen(label);
        if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || len > sizeof ti.label)
            continue;
        if (memcmp(ti.label, label, len) != 0)
            continue;
        int padded = 1;
        for (size_t j = len; j < sizeof ti.label; j++)
            padded &= ti.label[j] == ' ';
        if (padded) {
            *out = slots[i];
            return 0;
        }
    }
    fprintf(stderr, "bench: no token labelled '%s'\n", label);
    return -1;
}

static int find_key(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, const char *label,
                    CK_OBJECT_HANDLE *out)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, (void *)label, strlen(label)}};
    CK_ULONG n = 0;
    CK_RV rv = f->C_FindObjectsInit(s, t, 2);
    if (rv == CKR_OK)
        rv = f->C_FindObjects(s, out, 1, &n);
    f->C_FindObjectsFinal(s);
    return rv == CKR_OK && n == 1 ? 0 : -1;
}

/* Token key pairs for SoftHSM2: an equivalent key to the dstack one. */
static int generate(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, bench_case c)
{
    static unsigned char p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    static unsigned char ed_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
    static unsigned char e65537[] = {0x01, 0x00, 0x01};
    CK_BBOOL yes = CK_TRUE;
    CK_ULONG bits = 2048;
    const char *label = key_label[c];
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pub[4] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_LABEL, (void *)label, strlen(label)},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_LABEL, (void *)label, strlen(label)},
    };
    CK_OBJECT_HANDLE hpub, hpriv;
    CK_ULONG npub = 4;

    switch (c) {
    case BENCH_P256:
        pub[3] = (CK_ATTRIBUTE){CKA_EC_PARAMS, p256_oid, sizeof p256_oid};
        break;
    case BENCH_ED25519:
        mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
        pub[3] = (CK_ATTRIBUTE){CKA_EC_PARAMS, ed_oid, sizeof ed_oid};
        break;
    default:
        mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
        pub[3] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof bits};
        CK_ATTRIBUTE pubrsa[5] = {
            pub[0], pub[1], pub[2], pub[3], {CKA_PUBLIC_EXPONENT, e65537, sizeof e65537}};
        CK_RV rv = f->C_GenerateKeyPair(s, &mech, pubrsa, 5, priv, 5, &hpub, &hpriv);
        return rv == CKR_OK ? 0 : -1;
    }
    return f->C_GenerateKeyPair(s, &mech, pub, npub, priv, 5, &hpub, &hpriv) == CKR_OK ? 0 : -1;
}

static void *p11_worker_new(bench_impl *impl, bench_case c)
{
    p11_impl *p = (p11_impl *)impl;
    p11_worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->f = p->f;
    w->key = p->key[c];
    w->mech = (CK_MECHANISM){sign_mech[c], NULL, 0};
    for (size_t i = 0; i < sizeof w->in; i++)
        w->in[i] = (unsigned char)i;
    CK_RV rv = p->f->C_OpenSession(p->slot[c], CKF_SERIAL_SESSION, NULL, NULL, &w->s);
    if (rv != CKR_OK) {
        fprintf(stderr, "bench: %s: C_OpenSession: 0x%lx\n", impl->name, (unsigned long)rv);
        free(w);
        return NULL;
    }
    if (c == BENCH_OAEP) {
        /* The ciphertext, made with the public key of the same label. */
        CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, "rsa2048", 7}};
        CK_OBJECT_HANDLE pub = 0;
        CK_ULONG n = 0;
        w->decrypt = 1;
        w->mech.pParameter = &oaep;
        w->mech.ulParameterLen = sizeof oaep;
        w->ct_len = sizeof w->ct;
        if (p->f->C_FindObjectsInit(w->s, t, 2) == CKR_OK)
            p->f->C_FindObjects(w->s, &pub, 1, &n);
        p->f->C_FindObjectsFinal(w->s);
        rv = n == 1 ? p->f->C_EncryptInit(w->s, &w->mech, pub) : CKR_KEY_HANDLE_INVALID;
        if (rv == CKR_OK)
            rv = p->f->C_Encrypt(w->s, w->in, sizeof w->in, w->ct, &w->ct_len);
        if (rv != CKR_OK) {
            fprintf(stderr, "bench: %s: OAEP encryption: 0x%lx\n", impl->name, (unsigned long)rv);
            p->f->C_CloseSession(w->s);
            free(w);
            return NULL;
        }
    }
    return w;
}

static int p11_sign(void *worker)
{
    p11_worker *w = worker;
    CK_ULONG len = sizeof w->sig;
    CK_RV rv;
    if (w->decrypt) {
        rv = w->f->C_DecryptInit(w->s, &w->mech, w->key);
        if (rv == CKR_OK)
            rv = w->f->C_Decrypt(w->s, w->ct, w->ct_len, w->sig, &len);
        if (rv == CKR_OK && len != sizeof w->in)
            rv = CKR_GENERAL_ERROR;
    } else {
        rv = w->f->C_SignInit(w->s, &w->mech, w->key);
        if (rv == CKR_OK)
            rv = w->f->C_Sign(w->s, w->in, sizeof w->in, w->sig, &len);
    }
    if (rv != CKR_OK)
        fprintf(stderr, "bench: %s: 0x%lx\n", w->decrypt ? "C_Decrypt" : "C_Sign",
                (unsigned long)rv);
    return rv == CKR_OK ? 0 : -1;
}

static void p11_worker_free(void *worker)
{
    p11_worker *w = worker;
    w->f->C_CloseSession(w->s);
    free(w);
}

static void p11_free(bench_impl *impl)
{
    p11_impl *p = (p11_impl *)impl;
    if (p->f != NULL)
        p->f->C_Finalize(NULL);
    /* The module stays loaded: OpenSSL-using modules may have registered
     * atexit handlers that must still find their code. */
    free(p);
}

/* Open a session on the slot of case c, log in if asked, find (or make) the key. */
static int prepare_case(p11_impl *p, const bench_p11_opts *o, bench_case c)
{
    const char *token = c == BENCH_ED25519 ? o->token_ed : o->token;
    CK_SESSION_HANDLE s;
    CK_RV rv;

    if (find_slot(p->f, token, &p->slot[c]) != 0)
        return -1;
    rv = p->f->C_OpenSession(p->slot[c], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK) {
        fprintf(stderr, "bench: %s: C_OpenSession: 0x%lx\n", o->name, (unsigned long)rv);
        return -1;
    }
    int logged_in = 0;
    for (int i = 0; i < (int)c; i++)
        logged_in |= p->slot[i] == p->slot[c] && p->login_session[i] != CK_INVALID_HANDLE;
    if (o->pin != NULL && !logged_in) {
        rv = p->f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)o->pin, strlen(o->pin));
        if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
            fprintf(stderr, "bench: %s: C_Login: 0x%lx\n", o->name, (unsigned long)rv);
            return -1;
        }
        p->login_session[c] = s;
    }
    if (find_key(p->f, s, key_label[c], &p->key[c]) != 0) {
        if (!o->generate || generate(p->f, s, c) != 0 ||
            find_key(p->f, s, key_label[c], &p->key[c]) != 0) {
            fprintf(stderr, "bench: %s: no private key '%s' in token '%s'\n", o->name, key_label[c],
                    token);
            return -1;
        }
    }
    if (s != p->login_session[c])
        p->f->C_CloseSession(s);
    return 0;
}

bench_impl *bench_p11_new(const bench_p11_opts *o)
{
    p11_impl *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->base = (bench_impl){o->name, p11_worker_new, p11_sign, p11_worker_free, p11_free};
    for (int c = 0; c < BENCH_CASE_COUNT; c++)
        p->login_session[c] = CK_INVALID_HANDLE;
    if (load(o->module, &p->dl, &p->f) != 0) {
        p->f = NULL;
        p11_free(&p->base);
        return NULL;
    }
    for (int c = 0; c < (o->generate || o->hsm ? BENCH_HSM_CASES : BENCH_CASE_COUNT); c++) {
        if (prepare_case(p, o, c) != 0) {
            p11_free(&p->base);
            return NULL;
        }
    }
    return &p->base;
}

double bench_p11_first_sign(const bench_p11_opts *o, bench_case c)
{
    p11_impl p = {0};
    for (int i = 0; i < BENCH_CASE_COUNT; i++)
        p.login_session[i] = CK_INVALID_HANDLE;
    double t0 = bench_now(), t = -1;
    void *w = NULL;

    if (load(o->module, &p.dl, &p.f) != 0)
        return -1;
    p.base.name = o->name;
    if (prepare_case(&p, o, c) == 0 && (w = p11_worker_new(&p.base, c)) != NULL && p11_sign(w) == 0)
        t = bench_now() - t0;
    if (w != NULL)
        p11_worker_free(w);
    p.f->C_Finalize(NULL);
    return t;
}
