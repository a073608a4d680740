/* Templates: C_CreateObject, C_CopyObject and C_SetAttributeValue. One table
 * says, for each attribute an application may give, which classes take it,
 * where it goes and whether it may change after creation. Everything lives
 * in memory; token objects made here last until C_Finalize. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define C_DATA (1u << 0)
#define C_CERT (1u << 1)
#define C_PUB (1u << 2)
#define C_PRIV (1u << 3)
#define C_SECRET (1u << 4)
#define C_KEYS (C_PUB | C_PRIV | C_SECRET)
#define C_ALL (C_DATA | C_CERT | C_KEYS)

enum { M_CREATE = 1, M_COPY = 2, M_SET = 4 };

enum act {
    A_STORE,     /* kept as given */
    A_CLASS,     /* must equal the object's class */
    A_KEY_TYPE,  /* must equal the object's key type */
    A_CERT_TYPE, /* must be CKC_X_509 */
    A_CATEGORY,
    A_BOOL,      /* a CK_BBOOL field, free to change */
    A_BOOL_DOWN, /* may only become false (modifiable, copyable, ...) */
    A_BOOL_UP,   /* may only become true (sensitive) */
    A_USAGE,     /* a usage flag: true only if the key can do it */
    A_FALSE,     /* accepted only as false (trusted, wrap, ...) */
    A_IGNORE,    /* accepted and recomputed (check value, public parts) */
};

typedef struct tmpl_def {
    CK_ATTRIBUTE_TYPE type;
    unsigned classes;
    enum act act;
    size_t field;   /* A_BOOL*, A_USAGE: offset of the CK_BBOOL */
    unsigned modes; /* where the attribute may be given */
} tmpl_def;

#define OFF(f) offsetof(dsk_p11_object, f)
#define ANY (M_CREATE | M_COPY | M_SET)
#define NEW (M_CREATE)

static const tmpl_def defs[] = {
    {CKA_CLASS, C_ALL, A_CLASS, 0, ANY},
    {CKA_TOKEN, C_ALL, A_BOOL, OFF(token), M_CREATE | M_COPY},
    {CKA_PRIVATE, C_ALL, A_BOOL, OFF(priv), M_CREATE | M_COPY},
    {CKA_MODIFIABLE, C_ALL, A_BOOL_DOWN, OFF(modifiable), M_CREATE | M_COPY},
    {CKA_COPYABLE, C_ALL, A_BOOL_DOWN, OFF(copyable), ANY},
    {CKA_DESTROYABLE, C_ALL, A_BOOL_DOWN, OFF(destroyable), ANY},
    {CKA_LABEL, C_ALL, A_STORE, 0, ANY},
    {CKA_UNIQUE_ID, C_ALL, A_STORE, 0, 0}, /* the token's to choose */
    {CKA_APPLICATION, C_DATA, A_STORE, 0, ANY},
    {CKA_OBJECT_ID, C_DATA, A_STORE, 0, ANY},
    {CKA_VALUE, C_DATA, A_STORE, 0, ANY},
    {CKA_VALUE, C_CERT, A_STORE, 0, NEW},
    {CKA_CERTIFICATE_TYPE, C_CERT, A_CERT_TYPE, 0, ANY},
    {CKA_CERTIFICATE_CATEGORY, C_CERT, A_CATEGORY, 0, ANY},
    {CKA_TRUSTED, C_CERT | C_PUB | C_SECRET, A_FALSE, 0, ANY},
    {CKA_CHECK_VALUE, C_CERT, A_IGNORE, 0, NEW},
    {CKA_ID, C_CERT | C_KEYS, A_STORE, 0, ANY},
    {CKA_SUBJECT, C_CERT | C_PUB | C_PRIV, A_STORE, 0, ANY},
    {CKA_ISSUER, C_CERT, A_STORE, 0, NEW},
    {CKA_SERIAL_NUMBER, C_CERT, A_STORE, 0, NEW},
    {CKA_URL, C_CERT, A_STORE, 0, NEW},
    {CKA_HASH_OF_SUBJECT_PUBLIC_KEY, C_CERT, A_STORE, 0, NEW},
    {CKA_HASH_OF_ISSUER_PUBLIC_KEY, C_CERT, A_STORE, 0, NEW},
    {CKA_JAVA_MIDP_SECURITY_DOMAIN, C_CERT, A_IGNORE, 0, NEW},
    {CKA_NAME_HASH_ALGORITHM, C_CERT, A_IGNORE, 0, NEW},
    {CKA_PUBLIC_KEY_INFO, C_CERT, A_STORE, 0, NEW},
    {CKA_PUBLIC_KEY_INFO, C_PUB, A_IGNORE, 0, NEW},
    {CKA_START_DATE, C_CERT | C_KEYS, A_STORE, 0, ANY},
    {CKA_END_DATE, C_CERT | C_KEYS, A_STORE, 0, ANY},
    {CKA_KEY_TYPE, C_KEYS, A_KEY_TYPE, 0, ANY},
    {CKA_SIGN, C_PRIV | C_SECRET, A_USAGE, OFF(sign), ANY},
    {CKA_VERIFY, C_PUB | C_SECRET, A_USAGE, OFF(verify), ANY},
    {CKA_ENCRYPT, C_PUB | C_SECRET, A_USAGE, OFF(encrypt), ANY},
    {CKA_DECRYPT, C_PRIV | C_SECRET, A_USAGE, OFF(decrypt), ANY},
    {CKA_DERIVE, C_PRIV | C_SECRET | C_PUB, A_USAGE, OFF(derive), ANY},
    /* A derived secret only records these (no mechanism here wraps). */
    {CKA_WRAP, C_SECRET, A_USAGE, OFF(wrap), ANY},
    {CKA_UNWRAP, C_SECRET, A_USAGE, OFF(unwrap), ANY},
    {CKA_WRAP, C_PUB, A_FALSE, 0, ANY},
    {CKA_UNWRAP, C_PRIV, A_FALSE, 0, ANY},
    {CKA_SIGN_RECOVER, C_PRIV, A_FALSE, 0, ANY},
    {CKA_VERIFY_RECOVER, C_PUB, A_FALSE, 0, ANY},
    {CKA_WRAP_WITH_TRUSTED, C_PRIV | C_SECRET, A_FALSE, 0, ANY},
    {CKA_ALWAYS_AUTHENTICATE, C_PRIV, A_FALSE, 0, ANY},
    {CKA_SENSITIVE, C_PRIV | C_SECRET, A_BOOL_UP, OFF(sensitive), ANY},
    {CKA_EXTRACTABLE, C_PRIV | C_SECRET, A_BOOL_DOWN, OFF(extractable), ANY},
    {CKA_EC_PARAMS, C_PUB, A_IGNORE, 0, NEW},
    {CKA_EC_POINT, C_PUB, A_IGNORE, 0, NEW},
    {CKA_MODULUS, C_PUB, A_IGNORE, 0, NEW},
    {CKA_PUBLIC_EXPONENT, C_PUB, A_IGNORE, 0, NEW},
    {CKA_MODULUS_BITS, C_PUB, A_IGNORE, 0, NEW},
    {CKA_VALUE_LEN, C_SECRET, A_IGNORE, 0, 0},
};

CK_RV dsk_p11_tmpl_bool(const CK_ATTRIBUTE *a, CK_BBOOL *out)
{
    if (!a->pValue || a->ulValueLen != sizeof(CK_BBOOL))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    *out = *(const CK_BBOOL *)a->pValue ? CK_TRUE : CK_FALSE;
    return CKR_OK;
}

CK_RV dsk_p11_tmpl_ulong(const CK_ATTRIBUTE *a, CK_ULONG *out)
{
    if (!a->pValue || a->ulValueLen != sizeof(CK_ULONG))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    memcpy(out, a->pValue, sizeof *out);
    return CKR_OK;
}

CK_RV dsk_p11_may_create(const dsk_p11_session *s, CK_BBOOL token, CK_BBOOL priv)
{
    if (token && !(s->flags & CKF_RW_SESSION))
        return CKR_SESSION_READ_ONLY;
    if (priv && !dsk_p11_can_use_private(s->slot))
        return CKR_USER_NOT_LOGGED_IN;
    return CKR_OK;
}

CK_RV dsk_p11_key_stays_private(const dsk_p11_object *o)
{
    int key = o->cls == CKO_PRIVATE_KEY || o->cls == CKO_SECRET_KEY;
    return key && dsk_p11_has_pin() && !o->priv ? CKR_TEMPLATE_INCONSISTENT : CKR_OK;
}

static unsigned class_bit(CK_OBJECT_CLASS c)
{
    switch (c) {
    case CKO_DATA:
        return C_DATA;
    case CKO_CERTIFICATE:
        return C_CERT;
    case CKO_PUBLIC_KEY:
        return C_PUB;
    case CKO_PRIVATE_KEY:
        return C_PRIV;
    case CKO_SECRET_KEY:
        return C_SECRET;
    default:
        return 0;
    }
}

/* What the key behind an object can do, as CK_BBOOL usage fields. */
static int usage_allowed(const dsk_p11_object *o, size_t field)
{
    if (o->cls == CKO_SECRET_KEY)
        return 1; /* a generic secret: flags only, no mechanism uses them */
    unsigned u = o->key ? dsk_key_usage(o->key) : 0;
    if (field == OFF(sign) || field == OFF(verify))
        return (u & DSK_USAGE_SIGN) != 0;
    if (field == OFF(decrypt) || field == OFF(encrypt))
        return (u & DSK_USAGE_DECRYPT) != 0;
    if (field == OFF(derive))
        return (u & DSK_USAGE_DERIVE) != 0;
    return 0;
}

static CK_RV apply(dsk_p11_object *o, const CK_ATTRIBUTE *a, unsigned mode)
{
    unsigned cb = class_bit(o->cls);
    const tmpl_def *d = NULL;
    for (size_t i = 0; i < sizeof defs / sizeof defs[0] && !d; i++)
        if (defs[i].type == a->type && (defs[i].classes & cb))
            d = &defs[i];
    if (!d)
        return CKR_ATTRIBUTE_TYPE_INVALID;
    /* A length no attribute can have (often CK_UNAVAILABLE_INFORMATION left
     * in a template reused from C_GetAttributeValue) is refused, never
     * allocated. */
    if ((!a->pValue && a->ulValueLen) || a->ulValueLen > DSK_P11_MAX_ATTR_LEN)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    /* Recomputed attributes may be given at creation (they are checked by
     * building the key); anything else outside its modes is read-only. */
    if (!(d->modes & mode))
        return d->act == A_IGNORE && mode == M_CREATE ? CKR_OK : CKR_ATTRIBUTE_READ_ONLY;
    CK_BBOOL b = CK_FALSE;
    CK_ULONG ul = 0;
    CK_BBOOL *field = (CK_BBOOL *)((char *)o + d->field);
    CK_RV rv = CKR_OK;
    switch (d->act) {
    case A_STORE:
        return dsk_p11_attr_set(o, a->type, a->pValue, a->ulValueLen, 0);
    case A_CLASS:
        if ((rv = dsk_p11_tmpl_ulong(a, &ul)) == CKR_OK && ul != o->cls)
            rv = mode == M_CREATE ? CKR_TEMPLATE_INCONSISTENT : CKR_ATTRIBUTE_READ_ONLY;
        return rv;
    case A_KEY_TYPE:
        if ((rv = dsk_p11_tmpl_ulong(a, &ul)) == CKR_OK && ul != o->key_type)
            rv = mode == M_CREATE ? CKR_TEMPLATE_INCONSISTENT : CKR_ATTRIBUTE_READ_ONLY;
        return rv;
    case A_CERT_TYPE:
        if ((rv = dsk_p11_tmpl_ulong(a, &ul)) == CKR_OK && ul != CKC_X_509)
            rv = CKR_ATTRIBUTE_VALUE_INVALID;
        return rv;
    case A_CATEGORY:
        if ((rv = dsk_p11_tmpl_ulong(a, &ul)) == CKR_OK && ul > 3)
            rv = CKR_ATTRIBUTE_VALUE_INVALID;
        if (rv == CKR_OK)
            o->cert_category = ul;
        return rv;
    case A_IGNORE:
        return CKR_OK;
    default:
        break;
    }
    if ((rv = dsk_p11_tmpl_bool(a, &b)) != CKR_OK)
        return rv;
    switch (d->act) {
    case A_BOOL:
        *field = b;
        return CKR_OK;
    case A_BOOL_DOWN:
        if (b && !*field && mode != M_CREATE)
            return CKR_ATTRIBUTE_READ_ONLY;
        *field = b;
        return CKR_OK;
    case A_BOOL_UP:
        if (!b && *field && mode != M_CREATE)
            return CKR_ATTRIBUTE_READ_ONLY;
        *field = b;
        return CKR_OK;
    case A_USAGE:
        if (b && !usage_allowed(o, d->field))
            return CKR_ATTRIBUTE_VALUE_INVALID;
        *field = b;
        return CKR_OK;
    case A_FALSE:
        return b ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_OK;
    default:
        return CKR_GENERAL_ERROR;
    }
}

static CK_RV apply_all(dsk_p11_object *o, const CK_ATTRIBUTE *t, CK_ULONG n, unsigned mode)
{
    for (CK_ULONG i = 0; i < n; i++) {
        CK_RV rv = apply(o, &t[i], mode);
        if (rv != CKR_OK)
            return rv;
    }
    return CKR_OK;
}

CK_RV dsk_p11_tmpl_apply(dsk_p11_object *o, const CK_ATTRIBUTE *t, CK_ULONG n)
{
    return apply_all(o, t, n, M_CREATE);
}

static const CK_ATTRIBUTE *tmpl_find(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
    for (CK_ULONG i = 0; i < n; i++)
        if (t[i].type == type)
            return &t[i];
    return NULL;
}

/* Copy of an object: every field and stored attribute; a new handle. */
static dsk_p11_object *object_dup(const dsk_p11_object *src)
{
    dsk_p11_object *o = dsk_p11_object_new(src->cls, src->slot);
    if (!o)
        return NULL;
    dsk_p11_attr *attrs = o->attrs;
    *o = *src;
    o->attrs = attrs;
    o->nattrs = 0;
    dsk_key_hold(o->key); /* the copy is one more holder of the key */
    for (size_t i = 0; i < src->nattrs; i++) {
        const dsk_p11_attr *a = &src->attrs[i];
        if (dsk_p11_attr_set(o, a->type, a->value, a->len, a->secret) != CKR_OK) {
            dsk_p11_object_free(o);
            return NULL;
        }
    }
    return o;
}

static CK_RV create_cert(dsk_p11_object *o)
{
    const dsk_p11_attr *v = dsk_p11_attr_find(o, CKA_VALUE);
    if (!v || !v->len)
        return CKR_TEMPLATE_INCOMPLETE;
    /* Fill what the application left out from the certificate itself. */
    dsk_cert c;
    memset(&c, 0, sizeof c);
    if (dsk_cert_parse(v->value, v->len, "C_CreateObject certificate", &c, NULL) != DSK_OK)
        return CKR_OK;
    CK_RV rv = CKR_OK;
    const struct {
        CK_ATTRIBUTE_TYPE t;
        unsigned char *p;
        size_t len;
    } parts[] = {
        {CKA_SUBJECT, c.subject, c.subject_len},
        {CKA_ISSUER, c.issuer, c.issuer_len},
        {CKA_SERIAL_NUMBER, c.serial, c.serial_len},
        {CKA_PUBLIC_KEY_INFO, c.spki, c.spki_len},
    };
    for (size_t i = 0; rv == CKR_OK && i < sizeof parts / sizeof parts[0]; i++)
        if (!dsk_p11_attr_find(o, parts[i].t))
            rv = dsk_p11_attr_set(o, parts[i].t, parts[i].p, parts[i].len, 0);
    dsk_cert_free(&c);
    return rv;
}

CK_RV dsk_p11_create_object(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n,
                            CK_OBJECT_HANDLE_PTR out)
{
    CK_RV rv;
    dsk_p11_object *o = NULL;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    const CK_ATTRIBUTE *ca = tmpl_find(tmpl, n, CKA_CLASS);
    CK_ULONG cls = 0;
    if (!s) {
        rv = CKR_SESSION_HANDLE_INVALID;
        goto done;
    }
    if (!ca) {
        rv = CKR_TEMPLATE_INCOMPLETE;
        goto done;
    }
    if ((rv = dsk_p11_tmpl_ulong(ca, &cls)) != CKR_OK)
        goto done;
    if (cls != CKO_DATA && cls != CKO_CERTIFICATE && cls != CKO_PUBLIC_KEY) {
        rv = CKR_ATTRIBUTE_VALUE_INVALID; /* private and secret keys are never imported */
        goto done;
    }
    if (!(o = dsk_p11_object_new(cls, s->slot))) {
        rv = CKR_HOST_MEMORY;
        goto done;
    }
    if (cls == CKO_PUBLIC_KEY) {
        const CK_ATTRIBUTE *kt = tmpl_find(tmpl, n, CKA_KEY_TYPE);
        if (!kt) {
            rv = CKR_TEMPLATE_INCOMPLETE;
            goto done;
        }
        if ((rv = dsk_p11_tmpl_ulong(kt, &o->key_type)) != CKR_OK)
            goto done;
        if ((rv = dsk_p11_create_public_key(o, tmpl, n)) != CKR_OK)
            goto done;
    }
    if (cls == CKO_CERTIFICATE && !tmpl_find(tmpl, n, CKA_CERTIFICATE_TYPE)) {
        rv = CKR_TEMPLATE_INCOMPLETE;
        goto done;
    }
    if ((rv = apply_all(o, tmpl, n, M_CREATE)) != CKR_OK)
        goto done;
    if (cls == CKO_CERTIFICATE && (rv = create_cert(o)) != CKR_OK)
        goto done;
    if ((rv = dsk_p11_may_create(s, o->token, o->priv)) != CKR_OK)
        goto done;
    o->session = o->token ? 0 : h;
    if ((rv = dsk_p11_object_insert(o)) != CKR_OK)
        goto done;
    *out = o->handle;
    o = NULL;
done:
    dsk_p11_object_free(o);
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_copy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, CK_ATTRIBUTE_PTR tmpl,
                          CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
    CK_RV rv;
    dsk_p11_object *o = NULL;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    dsk_p11_object *src = s ? dsk_p11_object_visible(s, oh) : NULL;
    if (!s) {
        rv = CKR_SESSION_HANDLE_INVALID;
        goto done;
    }
    if (!src) {
        rv = CKR_OBJECT_HANDLE_INVALID;
        goto done;
    }
    if (!src->copyable) {
        rv = CKR_ACTION_PROHIBITED;
        goto done;
    }
    if (!(o = object_dup(src))) {
        rv = CKR_HOST_MEMORY;
        goto done;
    }
    /* A copy is the application's: a session object unless it asks for a
     * token object, changeable and destroyable unless it says otherwise. */
    o->token = CK_FALSE;
    o->modifiable = o->destroyable = CK_TRUE;
    if ((rv = apply_all(o, tmpl, n, M_COPY)) != CKR_OK)
        goto done;
    if ((src->cls == CKO_PRIVATE_KEY || src->cls == CKO_SECRET_KEY) && src->priv && !o->priv) {
        rv = CKR_ATTRIBUTE_READ_ONLY; /* a private or secret key stays private */
        goto done;
    }
    if ((rv = dsk_p11_may_create(s, o->token, o->priv)) != CKR_OK)
        goto done;
    o->session = o->token ? 0 : h;
    if ((rv = dsk_p11_object_insert(o)) != CKR_OK)
        goto done;
    *out = o->handle;
    o = NULL;
done:
    dsk_p11_object_free(o);
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_set_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, CK_ATTRIBUTE_PTR tmpl,
                                  CK_ULONG n)
{
    CK_RV rv;
    dsk_p11_object *work = NULL;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    dsk_p11_object *o = s ? dsk_p11_object_visible(s, oh) : NULL;
    if (!s)
        rv = CKR_SESSION_HANDLE_INVALID;
    else if (!o)
        rv = CKR_OBJECT_HANDLE_INVALID;
    else if (!o->modifiable)
        rv = CKR_ACTION_PROHIBITED;
    else if (o->token && !(s->flags & CKF_RW_SESSION))
        rv = CKR_SESSION_READ_ONLY;
    else if (!(work = object_dup(o)))
        rv = CKR_HOST_MEMORY;
    else
        rv = apply_all(work, tmpl, n, M_SET);
    if (rv == CKR_OK) {
        /* All or nothing: the changes were made on a copy. */
        dsk_p11_attr *attrs = o->attrs;
        size_t nattrs = o->nattrs;
        CK_OBJECT_HANDLE keep = o->handle;
        *o = *work;
        o->handle = keep;
        work->attrs = attrs;
        work->nattrs = nattrs;
    }
    dsk_p11_object_free(work);
    dsk_p11_unlock();
    return rv;
}
