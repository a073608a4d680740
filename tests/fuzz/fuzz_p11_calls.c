/* pkcs11/: sequences of PKCS#11 calls read from the input: sessions, login
 * and logout, templates for C_CreateObject, C_CopyObject,
 * C_SetAttributeValue and C_FindObjectsInit, attribute reads with short,
 * NULL and oversized buffers, mechanisms with arbitrary parameters, object
 * destruction, key-pair generation and derivation. The module is linked in
 * and initialised from p11_calls.conf ($DSK_FUZZ_P11_CONF): a PIN, keys of
 * several types, a certificate, and an agent that cannot be reached, so no
 * server is started and every derivation fails at once.
 *
 * Besides memory safety, the module's promises are checked after every call:
 * no private or secret key value is ever returned; with the PIN, private and
 * secret keys are CKA_PRIVATE and invisible after logout; a closed session
 * is gone; no length returned exceeds the buffer given. */
#include "fuzz.h"
#include "internal.h"

#ifndef DSK_FUZZ_P11_CONF
#define DSK_FUZZ_P11_CONF "p11_calls.conf"
#endif

#define MAX_SESSIONS 4
#define MAX_OBJECTS 24
#define MAX_ATTRS 6
#define PIN "4321"

typedef struct input {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t byte(input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static CK_ULONG ulong_(input *in)
{
    CK_ULONG v = 0;
    for (int i = 0; i < 4; i++)
        v = (v << 8) | byte(in);
    return v;
}

/* up to max bytes of the input (pointer into the caller's copy) */
static const uint8_t *bytes(input *in, size_t max, size_t *len)
{
    size_t want = byte(in) % (max + 1);
    *len = want < in->n ? want : in->n;
    const uint8_t *p = in->p;
    in->p += *len;
    in->n -= *len;
    return p;
}

typedef struct state {
    CK_FUNCTION_LIST_PTR f;
    CK_SLOT_ID slots[4];
    CK_ULONG nslots;
    CK_SESSION_HANDLE sess[MAX_SESSIONS];
    CK_OBJECT_HANDLE obj[MAX_OBJECTS];
    size_t nobj;
    int logged_in[4]; /* per slot index, as far as the calls tell */
} state;

static const CK_ATTRIBUTE_TYPE attr_types[] = {
    CKA_CLASS,
    CKA_KEY_TYPE,
    CKA_TOKEN,
    CKA_PRIVATE,
    CKA_LABEL,
    CKA_ID,
    CKA_VALUE,
    CKA_EC_PARAMS,
    CKA_EC_POINT,
    CKA_MODULUS,
    CKA_PUBLIC_EXPONENT,
    CKA_SIGN,
    CKA_VERIFY,
    CKA_ENCRYPT,
    CKA_DECRYPT,
    CKA_DERIVE,
    CKA_SENSITIVE,
    CKA_EXTRACTABLE,
    CKA_MODIFIABLE,
    CKA_COPYABLE,
    CKA_DESTROYABLE,
    CKA_CERTIFICATE_TYPE,
    CKA_SUBJECT,
    CKA_ISSUER,
    CKA_SERIAL_NUMBER,
    CKA_MODULUS_BITS,
    CKA_VALUE_LEN,
    CKA_ALLOWED_MECHANISMS,
    CKA_PUBLIC_KEY_INFO,
    CKA_APPLICATION,
    CKA_OBJECT_ID,
    CKA_WRAP,
    CKA_PRIVATE_EXPONENT,
    CKA_PRIME_1,
    CKA_TRUSTED,
    CKA_ALWAYS_AUTHENTICATE,
};
static const CK_ULONG ulong_values[] = {
    CKO_DATA,
    CKO_CERTIFICATE,
    CKO_PUBLIC_KEY,
    CKO_PRIVATE_KEY,
    CKO_SECRET_KEY,
    CKK_EC,
    CKK_RSA,
    CKK_EC_EDWARDS,
    CKK_GENERIC_SECRET,
    CKK_AES,
    CKC_X_509,
    2048,
    256,
    0,
    (CK_ULONG)-1,
};
/* Some well-formed values, so templates get past the first checks. */
static const uint8_t p256_params[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t k1_params[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
static const uint8_t p256_point[] = {
    0x04, 0x41, 0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6,
    0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4,
    0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f,
    0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b,
    0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

typedef struct tmpl {
    CK_ATTRIBUTE a[MAX_ATTRS];
    CK_ULONG n;
    CK_ULONG ul[MAX_ATTRS];
    CK_BBOOL b[MAX_ATTRS];
} tmpl;

/* A template: each value well-formed (a class, a bool, a curve...), raw
 * input bytes, or a NULL pointer with a length. */
static void make_template(input *in, tmpl *t)
{
    t->n = byte(in) % (MAX_ATTRS + 1);
    for (CK_ULONG i = 0; i < t->n; i++) {
        CK_ATTRIBUTE *a = &t->a[i];
        uint8_t kind = byte(in);
        a->type = kind & 0x80 ? ulong_(in)
                              : attr_types[byte(in) % (sizeof attr_types / sizeof attr_types[0])];
        size_t len;
        switch (kind % 7) {
        case 0:
            t->ul[i] = ulong_values[byte(in) % (sizeof ulong_values / sizeof ulong_values[0])];
            a->pValue = &t->ul[i];
            a->ulValueLen = sizeof t->ul[i];
            break;
        case 1:
            t->b[i] = byte(in) & 1;
            a->pValue = &t->b[i];
            a->ulValueLen = 1;
            break;
        case 2:
            a->pValue = (void *)(byte(in) & 1 ? p256_params : k1_params);
            a->ulValueLen = a->pValue == p256_params ? sizeof p256_params : sizeof k1_params;
            break;
        case 3:
            a->pValue = (void *)p256_point;
            a->ulValueLen = sizeof p256_point - (byte(in) % 3 == 0 ? 2 : 0);
            if (a->ulValueLen != sizeof p256_point)
                a->pValue = (void *)(p256_point + 2); /* the raw point */
            break;
        case 4:
            a->pValue = NULL;
            a->ulValueLen = byte(in) % 3;
            break;
        default:
            a->pValue = (void *)bytes(in, 96, &len);
            a->ulValueLen = len;
            if (!len)
                a->pValue = NULL;
        }
    }
}

/* Mechanism parameters, each pointing into storage that outlives the call. */
typedef struct mech {
    CK_MECHANISM m;
    union {
        CK_RSA_PKCS_PSS_PARAMS pss;
        CK_RSA_PKCS_OAEP_PARAMS oaep;
        CK_ECDH1_DERIVE_PARAMS ecdh;
        CK_EDDSA_PARAMS eddsa;
        uint8_t raw[64];
    } p;
} mech;

static const CK_MECHANISM_TYPE mech_types[] = {
    CKM_ECDSA,
    CKM_ECDSA_SHA256,
    CKM_EDDSA,
    CKM_RSA_PKCS,
    CKM_SHA256_RSA_PKCS,
    CKM_RSA_PKCS_PSS,
    CKM_SHA384_RSA_PKCS_PSS,
    CKM_RSA_PKCS_OAEP,
    CKM_ECDH1_DERIVE,
    CKM_EC_KEY_PAIR_GEN,
    CKM_RSA_PKCS_KEY_PAIR_GEN,
    CKM_EC_EDWARDS_KEY_PAIR_GEN,
    CKM_SHA256,
    CKM_ECDSA_SHA1,
    CKM_SHA1_RSA_PKCS,
    0x999,
};
static const CK_ULONG hash_values[] = {CKM_SHA_1,     CKM_SHA256,      CKM_SHA384,      CKM_SHA512,
                                       CKG_MGF1_SHA1, CKG_MGF1_SHA256, CKG_MGF1_SHA512, 0,
                                       0x12345};

static CK_ULONG hash_value(input *in)
{
    return hash_values[byte(in) % (sizeof hash_values / sizeof hash_values[0])];
}

static void make_mech(input *in, mech *m)
{
    memset(m, 0, sizeof *m);
    m->m.mechanism = mech_types[byte(in) % (sizeof mech_types / sizeof mech_types[0])];
    size_t len;
    const uint8_t *d;
    switch (byte(in) % 7) {
    case 0: /* none */
        break;
    case 1:
        m->p.pss.hashAlg = hash_value(in);
        m->p.pss.mgf = hash_value(in);
        m->p.pss.sLen = byte(in) & 0x80 ? ulong_(in) : byte(in);
        m->m.pParameter = &m->p.pss;
        m->m.ulParameterLen = sizeof m->p.pss;
        break;
    case 2:
        m->p.oaep.hashAlg = hash_value(in);
        m->p.oaep.mgf = hash_value(in);
        m->p.oaep.source = byte(in) % 3;
        d = bytes(in, 32, &len);
        m->p.oaep.pSourceData = len ? (void *)d : NULL;
        m->p.oaep.ulSourceDataLen = len;
        m->m.pParameter = &m->p.oaep;
        m->m.ulParameterLen = sizeof m->p.oaep;
        break;
    case 3:
        m->p.ecdh.kdf = byte(in) % 2 ? CKD_NULL : ulong_(in);
        d = bytes(in, 16, &len);
        m->p.ecdh.pSharedData = len ? (void *)d : NULL;
        m->p.ecdh.ulSharedDataLen = len;
        if (byte(in) & 1) {
            m->p.ecdh.pPublicData = (void *)(p256_point + 2);
            m->p.ecdh.ulPublicDataLen = sizeof p256_point - 2;
        } else {
            d = bytes(in, 96, &len);
            m->p.ecdh.pPublicData = len ? (void *)d : NULL;
            m->p.ecdh.ulPublicDataLen = len;
        }
        m->m.pParameter = &m->p.ecdh;
        m->m.ulParameterLen = sizeof m->p.ecdh;
        break;
    case 4:
        m->p.eddsa.phFlag = byte(in) & 1;
        d = bytes(in, 16, &len);
        m->p.eddsa.pContextData = len ? (void *)d : NULL;
        m->p.eddsa.ulContextDataLen = len;
        m->m.pParameter = &m->p.eddsa;
        m->m.ulParameterLen = sizeof m->p.eddsa;
        break;
    case 5: /* raw bytes, any length up to the storage */
        d = bytes(in, sizeof m->p.raw, &len);
        memcpy(m->p.raw, d, len);
        m->m.pParameter = len ? m->p.raw : NULL;
        m->m.ulParameterLen = len;
        break;
    default: /* a length without a pointer */
        m->m.ulParameterLen = byte(in);
    }
}

static CK_SESSION_HANDLE pick_session(state *st, input *in)
{
    uint8_t b = byte(in);
    return b == 0xff ? (CK_SESSION_HANDLE)ulong_(in) : st->sess[b % MAX_SESSIONS];
}

static CK_OBJECT_HANDLE pick_object(state *st, input *in)
{
    uint8_t b = byte(in);
    if (b == 0xff || !st->nobj)
        return (CK_OBJECT_HANDLE)b;
    return st->obj[b % st->nobj];
}

static void add_object(state *st, CK_OBJECT_HANDLE h)
{
    if (st->nobj < MAX_OBJECTS)
        st->obj[st->nobj++] = h;
    else
        st->obj[h % MAX_OBJECTS] = h;
}

/* ---- the module's promises ---------------------------------------------- */

static int is_secret_value(CK_ATTRIBUTE_TYPE t)
{
    return t == CKA_VALUE || t == CKA_PRIVATE_EXPONENT || t == CKA_PRIME_1 || t == CKA_PRIME_2 ||
           t == CKA_EXPONENT_1 || t == CKA_EXPONENT_2 || t == CKA_COEFFICIENT;
}

/* What a session sees of an object: its class and CKA_PRIVATE, or 0. */
static int object_class(state *st, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_OBJECT_CLASS *cls,
                        CK_BBOOL *priv)
{
    CK_ATTRIBUTE a[] = {{CKA_CLASS, cls, sizeof *cls}, {CKA_PRIVATE, priv, sizeof *priv}};
    return st->f->C_GetAttributeValue(s, o, a, 2) == CKR_OK;
}

static void check_object(state *st, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
    CK_OBJECT_CLASS cls;
    CK_BBOOL priv;
    if (!object_class(st, s, o, &cls, &priv))
        return;
    /* With a PIN, private and secret keys are private (item 7). */
    if (cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY)
        DSK_FUZZ_ASSERT(priv == CK_TRUE);
    if (cls != CKO_PRIVATE_KEY)
        return;
    /* No private key value ever leaves. */
    static const CK_ATTRIBUTE_TYPE secret[] = {CKA_VALUE,      CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
                                               CKA_PRIME_2,    CKA_EXPONENT_1,       CKA_EXPONENT_2,
                                               CKA_COEFFICIENT};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
        uint8_t buf[1024];
        CK_ATTRIBUTE a = {secret[i], buf, sizeof buf};
        CK_RV rv = st->f->C_GetAttributeValue(s, o, &a, 1);
        DSK_FUZZ_ASSERT(rv != CKR_OK && a.ulValueLen == CK_UNAVAILABLE_INFORMATION);
    }
}

/* After a logout (or before any login) no session of that slot sees a
 * private object. */
static void check_no_private(state *st, CK_SESSION_HANDLE s)
{
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE t = {CKA_PRIVATE, &yes, sizeof yes};
    CK_OBJECT_HANDLE h[4];
    CK_ULONG n = 0;
    if (st->f->C_FindObjectsInit(s, &t, 1) != CKR_OK)
        return;
    DSK_FUZZ_ASSERT(st->f->C_FindObjects(s, h, 4, &n) == CKR_OK);
    DSK_FUZZ_ASSERT(n == 0);
    st->f->C_FindObjectsFinal(s);
}

static int slot_index(state *st, CK_SESSION_HANDLE s)
{
    CK_SESSION_INFO si;
    if (st->f->C_GetSessionInfo(s, &si) != CKR_OK)
        return -1;
    for (CK_ULONG i = 0; i < st->nslots; i++)
        if (st->slots[i] == si.slotID)
            return (int)i;
    return -1;
}

/* ---- the calls ---------------------------------------------------------- */

static void do_get_attrs(state *st, input *in)
{
    CK_SESSION_HANDLE s = pick_session(st, in);
    CK_OBJECT_HANDLE o = pick_object(st, in);
    CK_ATTRIBUTE a[MAX_ATTRS];
    static uint8_t buf[MAX_ATTRS][700];
    CK_ULONG n = byte(in) % (MAX_ATTRS + 1), given[MAX_ATTRS];
    for (CK_ULONG i = 0; i < n; i++) {
        uint8_t b = byte(in);
        a[i].type = attr_types[b % (sizeof attr_types / sizeof attr_types[0])];
        a[i].pValue = b & 0x80 ? NULL : buf[i];
        given[i] = a[i].ulValueLen = (byte(in) & 1) ? sizeof buf[i] : byte(in) % 80;
    }
    CK_RV rv = st->f->C_GetAttributeValue(s, o, n ? a : NULL, n);
    /* Other codes (a bad handle, dstack failing) leave the template as it
     * was given; these fill every entry. */
    if (rv != CKR_OK && rv != CKR_ATTRIBUTE_SENSITIVE && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
        rv != CKR_BUFFER_TOO_SMALL)
        return;
    CK_OBJECT_CLASS cls;
    CK_BBOOL priv;
    int known = object_class(st, s, o, &cls, &priv);
    for (CK_ULONG i = 0; i < n; i++) {
        if (a[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
            continue;
        if (a[i].pValue)
            DSK_FUZZ_ASSERT(a[i].ulValueLen <= given[i]);
        /* a private value must never be answered */
        DSK_FUZZ_ASSERT(!(known && cls == CKO_PRIVATE_KEY && is_secret_value(a[i].type)));
    }
}

static void do_operation(state *st, input *in)
{
    CK_FUNCTION_LIST_PTR f = st->f;
    CK_SESSION_HANDLE s = pick_session(st, in);
    CK_OBJECT_HANDLE o = pick_object(st, in);
    mech m;
    make_mech(in, &m);
    uint8_t kind = byte(in) % 4;
    CK_RV rv = kind == 0   ? f->C_SignInit(s, &m.m, o)
               : kind == 1 ? f->C_VerifyInit(s, &m.m, o)
               : kind == 2 ? f->C_EncryptInit(s, &m.m, o)
                           : f->C_DecryptInit(s, &m.m, o);
    if (rv == CKR_OK && kind == 0) {
        /* With the PIN, a private key is usable only when logged in. */
        int si = slot_index(st, s);
        CK_OBJECT_CLASS cls;
        CK_BBOOL priv;
        if (si >= 0 && object_class(st, s, o, &cls, &priv) && priv)
            DSK_FUZZ_ASSERT(st->logged_in[si]);
    }
    static uint8_t out[1024];
    size_t len;
    const uint8_t *data = bytes(in, 300, &len);
    for (int steps = byte(in) % 4; steps >= 0; steps--) {
        CK_ULONG outlen = byte(in) & 1 ? sizeof out : byte(in);
        CK_BYTE_PTR ob = byte(in) % 5 == 0 ? NULL : out;
        CK_ULONG given = outlen;
        uint8_t call = byte(in) % 3;
        if (kind == 0)
            rv = call == 0   ? f->C_Sign(s, (CK_BYTE_PTR)data, len, ob, &outlen)
                 : call == 1 ? f->C_SignUpdate(s, (CK_BYTE_PTR)data, len)
                             : f->C_SignFinal(s, ob, &outlen);
        else if (kind == 1)
            rv = call == 0   ? f->C_Verify(s, (CK_BYTE_PTR)data, len, out, byte(in))
                 : call == 1 ? f->C_VerifyUpdate(s, (CK_BYTE_PTR)data, len)
                             : f->C_VerifyFinal(s, out, byte(in));
        else if (kind == 2)
            rv = call == 0   ? f->C_Encrypt(s, (CK_BYTE_PTR)data, len, ob, &outlen)
                 : call == 1 ? f->C_EncryptUpdate(s, (CK_BYTE_PTR)data, len, ob, &outlen)
                             : f->C_EncryptFinal(s, ob, &outlen);
        else
            rv = call == 0   ? f->C_Decrypt(s, (CK_BYTE_PTR)data, len, ob, &outlen)
                 : call == 1 ? f->C_DecryptUpdate(s, (CK_BYTE_PTR)data, len, ob, &outlen)
                             : f->C_DecryptFinal(s, ob, &outlen);
        if (rv == CKR_OK && ob && kind != 1)
            DSK_FUZZ_ASSERT(outlen <= given);
    }
}

static void do_keygen_derive(state *st, input *in)
{
    CK_SESSION_HANDLE s = pick_session(st, in);
    mech m;
    make_mech(in, &m);
    tmpl a, b;
    make_template(in, &a);
    make_template(in, &b);
    CK_OBJECT_HANDLE h1 = 0, h2 = 0;
    if (byte(in) & 1) {
        if (st->f->C_GenerateKeyPair(s, &m.m, a.a, a.n, b.a, b.n, &h1, &h2) == CKR_OK) {
            add_object(st, h1);
            add_object(st, h2);
        }
    } else if (st->f->C_DeriveKey(s, &m.m, pick_object(st, in), a.a, a.n, &h1) == CKR_OK) {
        add_object(st, h1);
    }
}

static void step(state *st, input *in)
{
    CK_FUNCTION_LIST_PTR f = st->f;
    uint8_t op = byte(in);
    tmpl t;
    CK_OBJECT_HANDLE h;
    CK_SESSION_HANDLE s;
    int si;
    switch (op % 14) {
    case 0: {
        CK_SLOT_ID slot = st->nslots ? st->slots[byte(in) % st->nslots] : 0;
        if (f->C_OpenSession(slot, CKF_SERIAL_SESSION | (byte(in) & 1 ? CKF_RW_SESSION : 0), NULL,
                             NULL, &s) == CKR_OK)
            st->sess[byte(in) % MAX_SESSIONS] = s;
        break;
    }
    case 1:
        s = pick_session(st, in);
        if (f->C_CloseSession(s) == CKR_OK) {
            CK_SESSION_INFO info;
            DSK_FUZZ_ASSERT(f->C_GetSessionInfo(s, &info) == CKR_SESSION_HANDLE_INVALID);
        }
        break;
    case 2:
        if (st->nslots && f->C_CloseAllSessions(st->slots[si = byte(in) % st->nslots]) == CKR_OK)
            st->logged_in[si] = 0;
        break;
    case 3: {
        static const CK_USER_TYPE users[] = {CKU_USER, CKU_SO, CKU_CONTEXT_SPECIFIC, 7};
        static const char *const pins[] = {PIN, "bad", "", NULL};
        uint8_t b = byte(in);
        const char *pin = pins[(b >> 2) % 4];
        s = pick_session(st, in);
        si = slot_index(st, s);
        CK_RV rv = f->C_Login(s, users[b % 4], (CK_UTF8CHAR_PTR)pin, pin ? strlen(pin) : 0);
        DSK_FUZZ_ASSERT(!(rv == CKR_OK && users[b % 4] == CKU_SO)); /* no SO PIN */
        if (rv == CKR_OK && users[b % 4] == CKU_USER) {
            DSK_FUZZ_ASSERT(pin && !strcmp(pin, PIN));
            if (si >= 0)
                st->logged_in[si] = 1;
        }
        break;
    }
    case 4:
        s = pick_session(st, in);
        si = slot_index(st, s);
        if (f->C_Logout(s) == CKR_OK) {
            if (si >= 0)
                st->logged_in[si] = 0;
            check_no_private(st, s);
        }
        break;
    case 5: {
        s = pick_session(st, in);
        make_template(in, &t);
        if (f->C_FindObjectsInit(s, t.n ? t.a : NULL, t.n) == CKR_OK) {
            CK_OBJECT_HANDLE found[8];
            CK_ULONG n = 0, max = byte(in) % 9;
            if (f->C_FindObjects(s, found, max, &n) == CKR_OK) {
                DSK_FUZZ_ASSERT(n <= max);
                for (CK_ULONG i = 0; i < n; i++) {
                    add_object(st, found[i]);
                    check_object(st, s, found[i]);
                }
            }
            f->C_FindObjectsFinal(s);
        }
        break;
    }
    case 6:
        s = pick_session(st, in);
        make_template(in, &t);
        if (f->C_CreateObject(s, t.n ? t.a : NULL, t.n, &h) == CKR_OK) {
            add_object(st, h);
            check_object(st, s, h);
        }
        break;
    case 7:
        s = pick_session(st, in);
        h = pick_object(st, in);
        make_template(in, &t);
        if (f->C_CopyObject(s, h, t.n ? t.a : NULL, t.n, &h) == CKR_OK) {
            add_object(st, h);
            check_object(st, s, h);
        }
        break;
    case 8:
        s = pick_session(st, in);
        h = pick_object(st, in);
        if (f->C_DestroyObject(s, h) == CKR_OK) {
            CK_ULONG size;
            DSK_FUZZ_ASSERT(f->C_GetObjectSize(s, h, &size) == CKR_OBJECT_HANDLE_INVALID);
        }
        break;
    case 9:
        do_get_attrs(st, in);
        break;
    case 10:
        s = pick_session(st, in);
        h = pick_object(st, in);
        make_template(in, &t);
        if (f->C_SetAttributeValue(s, h, t.n ? t.a : NULL, t.n) == CKR_OK)
            check_object(st, s, h);
        break;
    case 11:
        do_operation(st, in);
        break;
    case 12:
        do_keygen_derive(st, in);
        break;
    default: {
        s = pick_session(st, in);
        CK_SESSION_INFO info;
        CK_TOKEN_INFO ti;
        CK_ULONG size;
        f->C_GetSessionInfo(s, &info);
        if (st->nslots)
            f->C_GetTokenInfo(st->slots[byte(in) % st->nslots], &ti);
        f->C_GetObjectSize(s, pick_object(st, in), &size);
        CK_FLAGS cancel = (CK_FLAGS)byte(in) << 8;
        C_SessionCancel(s, cancel | byte(in));
        mech m;
        make_mech(in, &m);
        f->C_DigestInit(s, &m.m);
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int env_set;
    if (!env_set) {
        /* The fuzz configuration, unless the caller named another. */
        setenv("DSTACK_PKCS11_CONF", DSK_FUZZ_P11_CONF, 0);
        unsetenv("DSTACK_PKCS11_DEBUG");
        env_set = 1;
    }
    state st;
    memset(&st, 0, sizeof st);
    DSK_FUZZ_ASSERT(C_GetFunctionList(&st.f) == CKR_OK);
    DSK_FUZZ_ASSERT(st.f->C_Initialize(NULL) == CKR_OK);
    st.nslots = sizeof st.slots / sizeof st.slots[0];
    DSK_FUZZ_ASSERT(st.f->C_GetSlotList(CK_TRUE, st.slots, &st.nslots) == CKR_OK);
    /* The input's bytes are copied: the module may only read them. */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    input in = {copy, size};
    for (int i = 0; i < 64 && in.n; i++)
        step(&st, &in);
    DSK_FUZZ_ASSERT(st.f->C_Finalize(NULL) == CKR_OK);
    free(copy);
    return 0;
}
