/* Attributes: one table per object class (and key family), each entry an
 * attribute type and how to get its value. Public values of keys are
 * computed from the key (the first read derives it); private values answer
 * CKR_ATTRIBUTE_SENSITIVE; what is not in an object's tables is
 * CKR_ATTRIBUTE_TYPE_INVALID. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef CK_RV (*getter)(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v);
typedef struct attr_def {
    CK_ATTRIBUTE_TYPE type;
    getter get;
    CK_ULONG arg;
} attr_def;

static CK_RV set_ulong(dsk_p11_val *v, CK_ULONG x)
{
    v->buf.ul = x;
    v->ptr = &v->buf.ul;
    v->len = sizeof v->buf.ul;
    return CKR_OK;
}

static CK_RV set_bool(dsk_p11_val *v, int x)
{
    v->buf.b = x ? CK_TRUE : CK_FALSE;
    v->ptr = &v->buf.b;
    v->len = sizeof v->buf.b;
    return CKR_OK;
}

static CK_RV g_ulong(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)o;
    return set_ulong(v, arg);
}

static CK_RV g_bool(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)o;
    return set_bool(v, (int)arg);
}

/* arg: offset of a CK_BBOOL in the object */
static CK_RV g_field(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    return set_bool(v, *((const CK_BBOOL *)((const char *)o + arg)));
}

static CK_RV g_class(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    return set_ulong(v, o->cls);
}

static CK_RV g_key_type(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    return set_ulong(v, o->key_type);
}

static CK_RV g_keygen(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    return set_ulong(v, o->keygen_mech);
}

static CK_RV g_category(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    return set_ulong(v, o->cert_category);
}

/* Stored attribute; absent means empty (labels, ids, dates, subjects). */
static CK_RV g_stored(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    const dsk_p11_attr *a = dsk_p11_attr_find(o, (CK_ATTRIBUTE_TYPE)arg);
    v->ptr = a ? a->value : (const void *)"";
    v->len = a ? a->len : 0;
    return CKR_OK;
}

static CK_RV g_sensitive(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)o, (void)arg, (void)v;
    return CKR_ATTRIBUTE_SENSITIVE;
}

static CK_RV g_unique_id(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    int n = snprintf((char *)v->buf.bytes, sizeof v->buf.bytes, "%lu", (unsigned long)o->handle);
    v->ptr = v->buf.bytes;
    v->len = (size_t)n;
    return CKR_OK;
}

static CK_RV g_ec_params(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    const dsk_type_info *ti = dsk_type_info_get(dsk_key_get_type(o->key));
    if (!ti || !ti->params_der)
        return CKR_ATTRIBUTE_TYPE_INVALID;
    v->ptr = ti->params_der;
    v->len = ti->params_der_len;
    return CKR_OK;
}

static CK_RV g_ec_point(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    dsk_error err;
    const unsigned char *pt;
    size_t len;
    dsk_status st = dsk_key_public_point(o->key, &pt, &len, &err);
    if (st != DSK_OK)
        return dsk_p11_rv(st, &err, DSK_CTX_ATTR);
    v->len = dsk_der_octet_string(pt, len, v->buf.bytes, sizeof v->buf.bytes);
    v->ptr = v->buf.bytes;
    return v->len ? CKR_OK : CKR_FUNCTION_FAILED;
}

static CK_RV g_spki(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    dsk_error err;
    const unsigned char *der;
    size_t len;
    dsk_status st = dsk_key_spki(o->key, &der, &len, &err);
    if (st != DSK_OK)
        return dsk_p11_rv(st, &err, DSK_CTX_ATTR);
    v->ptr = der;
    v->len = len;
    return CKR_OK;
}

/* arg: 0 modulus, 1 public exponent */
static CK_RV g_rsa(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    dsk_error err;
    const unsigned char *n, *e;
    size_t nlen, elen;
    dsk_status st = dsk_key_rsa_public(o->key, &n, &nlen, &e, &elen, &err);
    if (st != DSK_OK)
        return dsk_p11_rv(st, &err, DSK_CTX_ATTR);
    v->ptr = arg ? e : n;
    v->len = arg ? elen : nlen;
    return CKR_OK;
}

static CK_RV g_modulus_bits(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    const dsk_type_info *ti = dsk_type_info_get(dsk_key_get_type(o->key));
    return ti ? set_ulong(v, (CK_ULONG)ti->bits) : CKR_ATTRIBUTE_TYPE_INVALID;
}

static CK_RV g_allowed(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    CK_MECHANISM_TYPE m[sizeof v->buf.bytes / sizeof(CK_MECHANISM_TYPE)];
    size_t n = dsk_p11_mech_allowed(dsk_key_get_type(o->key), o, m, sizeof m / sizeof m[0]);
    if (n > sizeof m / sizeof m[0])
        return CKR_GENERAL_ERROR;
    memcpy(v->buf.bytes, m, n * sizeof m[0]);
    v->ptr = v->buf.bytes;
    v->len = n * sizeof m[0];
    return CKR_OK;
}

/* Secret keys: the value is readable only when neither sensitive nor
 * unextractable. */
static CK_RV g_secret(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    if (o->sensitive || !o->extractable)
        return CKR_ATTRIBUTE_SENSITIVE;
    return g_stored(o, arg, v);
}

static CK_RV g_value_len(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    const dsk_p11_attr *a = dsk_p11_attr_find(o, CKA_VALUE);
    return set_ulong(v, a ? a->len : 0);
}

/* First three bytes of SHA-1 of the value (certificates). */
static CK_RV g_check_value(const dsk_p11_object *o, CK_ULONG arg, dsk_p11_val *v)
{
    (void)arg;
    const dsk_p11_attr *a = dsk_p11_attr_find(o, CKA_VALUE);
    unsigned char md[20];
    dsk_hash_ctx *c = NULL;
    CK_RV rv = CKR_FUNCTION_FAILED;
    if (a && dsk_hash_new(DSK_HASH_SHA1, &c, NULL) == DSK_OK &&
        dsk_hash_update(c, a->value, a->len, NULL) == DSK_OK &&
        dsk_hash_final(c, md, NULL) == DSK_OK) {
        memcpy(v->buf.bytes, md, 3);
        v->ptr = v->buf.bytes;
        v->len = 3;
        rv = CKR_OK;
    } else if (!a) {
        v->ptr = "";
        v->len = 0;
        rv = CKR_OK;
    }
    dsk_hash_free(c);
    return rv;
}

#define F(field) g_field, offsetof(dsk_p11_object, field)
#define S(t) g_stored, t
#define END                                                                                        \
    {                                                                                              \
        0, NULL, 0                                                                                 \
    }

static const attr_def t_common[] = {
    {CKA_CLASS, g_class, 0},           {CKA_TOKEN, F(token)},           {CKA_PRIVATE, F(priv)},
    {CKA_MODIFIABLE, F(modifiable)},   {CKA_LABEL, S(CKA_LABEL)},       {CKA_COPYABLE, F(copyable)},
    {CKA_DESTROYABLE, F(destroyable)}, {CKA_UNIQUE_ID, g_unique_id, 0}, END,
};
static const attr_def t_key[] = {
    {CKA_KEY_TYPE, g_key_type, 0},
    {CKA_ID, S(CKA_ID)},
    {CKA_START_DATE, S(CKA_START_DATE)},
    {CKA_END_DATE, S(CKA_END_DATE)},
    {CKA_DERIVE, F(derive)},
    {CKA_LOCAL, F(local)},
    {CKA_KEY_GEN_MECHANISM, g_keygen, 0},
    END,
};
static const attr_def t_asym[] = {
    {CKA_ALLOWED_MECHANISMS, g_allowed, 0},
    {CKA_SUBJECT, S(CKA_SUBJECT)},
    {CKA_PUBLIC_KEY_INFO, g_spki, 0},
    END,
};
static const attr_def t_pub[] = {
    {CKA_ENCRYPT, F(encrypt)}, {CKA_VERIFY, F(verify)},   {CKA_VERIFY_RECOVER, g_bool, 0},
    {CKA_WRAP, F(wrap)},       {CKA_TRUSTED, F(trusted)}, END,
};
static const attr_def t_priv[] = {
    {CKA_SENSITIVE, F(sensitive)},
    {CKA_DECRYPT, F(decrypt)},
    {CKA_SIGN, F(sign)},
    {CKA_SIGN_RECOVER, g_bool, 0},
    {CKA_UNWRAP, F(unwrap)},
    {CKA_EXTRACTABLE, F(extractable)},
    {CKA_ALWAYS_SENSITIVE, F(always_sensitive)},
    {CKA_NEVER_EXTRACTABLE, F(never_extractable)},
    {CKA_WRAP_WITH_TRUSTED, g_bool, 0},
    {CKA_ALWAYS_AUTHENTICATE, g_bool, 0},
    END,
};
static const attr_def t_rsa[] = {
    {CKA_MODULUS, g_rsa, 0},
    {CKA_PUBLIC_EXPONENT, g_rsa, 1},
    {CKA_MODULUS_BITS, g_modulus_bits, 0},
    END,
};
static const attr_def t_rsa_priv[] = {
    {CKA_PRIVATE_EXPONENT, g_sensitive, 0},
    {CKA_PRIME_1, g_sensitive, 0},
    {CKA_PRIME_2, g_sensitive, 0},
    {CKA_EXPONENT_1, g_sensitive, 0},
    {CKA_EXPONENT_2, g_sensitive, 0},
    {CKA_COEFFICIENT, g_sensitive, 0},
    END,
};
static const attr_def t_ec[] = {
    {CKA_EC_PARAMS, g_ec_params, 0},
    {CKA_EC_POINT, g_ec_point, 0},
    END,
};
static const attr_def t_ec_priv[] = {
    {CKA_VALUE, g_sensitive, 0},
    END,
};
static const attr_def t_cert[] = {
    {CKA_CERTIFICATE_TYPE, g_ulong, CKC_X_509},
    {CKA_TRUSTED, F(trusted)},
    {CKA_CERTIFICATE_CATEGORY, g_category, 0},
    {CKA_CHECK_VALUE, g_check_value, 0},
    {CKA_START_DATE, S(CKA_START_DATE)},
    {CKA_END_DATE, S(CKA_END_DATE)},
    {CKA_PUBLIC_KEY_INFO, S(CKA_PUBLIC_KEY_INFO)},
    {CKA_SUBJECT, S(CKA_SUBJECT)},
    {CKA_ID, S(CKA_ID)},
    {CKA_ISSUER, S(CKA_ISSUER)},
    {CKA_SERIAL_NUMBER, S(CKA_SERIAL_NUMBER)},
    {CKA_VALUE, S(CKA_VALUE)},
    {CKA_URL, S(CKA_URL)},
    {CKA_HASH_OF_SUBJECT_PUBLIC_KEY, S(CKA_HASH_OF_SUBJECT_PUBLIC_KEY)},
    {CKA_HASH_OF_ISSUER_PUBLIC_KEY, S(CKA_HASH_OF_ISSUER_PUBLIC_KEY)},
    {CKA_JAVA_MIDP_SECURITY_DOMAIN, g_ulong, 0 /* unspecified */},
    {CKA_NAME_HASH_ALGORITHM, g_ulong, CKM_SHA_1},
    END,
};
static const attr_def t_data[] = {
    {CKA_APPLICATION, S(CKA_APPLICATION)},
    {CKA_OBJECT_ID, S(CKA_OBJECT_ID)},
    {CKA_VALUE, S(CKA_VALUE)},
    END,
};
static const attr_def t_secret[] = {
    {CKA_SENSITIVE, F(sensitive)},
    {CKA_ENCRYPT, F(encrypt)},
    {CKA_DECRYPT, F(decrypt)},
    {CKA_SIGN, F(sign)},
    {CKA_VERIFY, F(verify)},
    {CKA_WRAP, F(wrap)},
    {CKA_UNWRAP, F(unwrap)},
    {CKA_EXTRACTABLE, F(extractable)},
    {CKA_ALWAYS_SENSITIVE, F(always_sensitive)},
    {CKA_NEVER_EXTRACTABLE, F(never_extractable)},
    {CKA_WRAP_WITH_TRUSTED, g_bool, 0},
    {CKA_TRUSTED, F(trusted)},
    {CKA_VALUE, g_secret, CKA_VALUE},
    {CKA_VALUE_LEN, g_value_len, 0},
    END,
};

/* The tables of an object, most specific first (a type in two tables
 * takes its first answer). */
static size_t tables_of(const dsk_p11_object *o, const attr_def *out[6])
{
    size_t n = 0;
    int pub = o->cls == CKO_PUBLIC_KEY;
    switch (o->cls) {
    case CKO_PRIVATE_KEY:
    case CKO_PUBLIC_KEY:
        if (o->key_type == CKK_RSA) {
            if (!pub)
                out[n++] = t_rsa_priv;
            out[n++] = t_rsa;
        } else {
            if (!pub)
                out[n++] = t_ec_priv;
            out[n++] = t_ec;
        }
        out[n++] = pub ? t_pub : t_priv;
        out[n++] = t_asym;
        out[n++] = t_key;
        break;
    case CKO_SECRET_KEY:
        out[n++] = t_secret;
        out[n++] = t_key;
        break;
    case CKO_CERTIFICATE:
        out[n++] = t_cert;
        break;
    case CKO_DATA:
        out[n++] = t_data;
        break;
    default:
        break;
    }
    out[n++] = t_common;
    return n;
}

CK_RV dsk_p11_attr_value(const dsk_p11_object *o, CK_ATTRIBUTE_TYPE t, dsk_p11_val *v)
{
    const attr_def *tables[6];
    size_t n = tables_of(o, tables);
    for (size_t i = 0; i < n; i++)
        for (const attr_def *d = tables[i]; d->get; d++)
            if (d->type == t)
                return d->get(o, d->arg, v);
    return CKR_ATTRIBUTE_TYPE_INVALID;
}

/* Attributes whose value needs the key derived. */
int dsk_p11_attr_needs_key(const dsk_p11_object *o, CK_ATTRIBUTE_TYPE t)
{
    if (!o->key || dsk_key_is_derived(o->key))
        return 0;
    return t == CKA_EC_POINT || t == CKA_MODULUS || t == CKA_PUBLIC_EXPONENT ||
           (t == CKA_PUBLIC_KEY_INFO && o->cls != CKO_CERTIFICATE);
}

int dsk_p11_object_matches(const dsk_p11_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    for (CK_ULONG i = 0; i < n; i++) {
        dsk_p11_val v;
        /* Never derives (the module lock is held): a key that could not be
         * derived beforehand (dsk_p11_find_init) matches no public value. */
        if ((!tmpl[i].pValue && tmpl[i].ulValueLen) || dsk_p11_attr_needs_key(o, tmpl[i].type) ||
            dsk_p11_attr_value(o, tmpl[i].type, &v) != CKR_OK || v.len != tmpl[i].ulValueLen ||
            (v.len && memcmp(v.ptr, tmpl[i].pValue, v.len) != 0))
            return 0;
    }
    return 1;
}

static CK_RV fill(const dsk_p11_object *o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
    CK_RV rv = CKR_OK;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_ATTRIBUTE *a = &tmpl[i];
        dsk_p11_val v;
        CK_RV r = dsk_p11_attr_value(o, a->type, &v);
        if (r == CKR_OK && a->pValue && a->ulValueLen < v.len)
            r = CKR_BUFFER_TOO_SMALL;
        if (r == CKR_OK) {
            if (a->pValue && v.len)
                memcpy(a->pValue, v.ptr, v.len);
            a->ulValueLen = v.len;
            continue;
        }
        a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
        if (r != CKR_ATTRIBUTE_SENSITIVE && r != CKR_ATTRIBUTE_TYPE_INVALID &&
            r != CKR_BUFFER_TOO_SMALL)
            return r; /* the key could not be derived: nothing else matters */
        if (rv == CKR_OK)
            rv = r;
    }
    return rv;
}

/* A self-signed certificate object whose value is not made yet, asked for
 * an attribute that needs it. */
static int needs_cert(const dsk_p11_object *o, CK_ATTRIBUTE_TYPE t)
{
    return o->selfsigned && !dsk_p11_attr_find(o, CKA_VALUE) &&
           (t == CKA_VALUE || t == CKA_PUBLIC_KEY_INFO || t == CKA_CHECK_VALUE);
}

/* Make the certificate of a self-signed object (without the module lock:
 * it may derive) and store its value, unless another thread did first. */
static CK_RV make_cert(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, dsk_key *key)
{
    dsk_cert c;
    dsk_error err;
    dsk_error_clear(&err);
    dsk_status st = dsk_key_selfsigned(key, &c, &err);
    if (st != DSK_OK)
        return dsk_p11_rv(st, &err, DSK_CTX_ATTR);
    CK_RV rv = CKR_OK;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    dsk_p11_object *o = s ? dsk_p11_object_visible(s, oh) : NULL;
    if (o && !dsk_p11_attr_find(o, CKA_VALUE)) {
        rv = dsk_p11_attr_set(o, CKA_PUBLIC_KEY_INFO, c.spki, c.spki_len, 0);
        if (rv == CKR_OK)
            rv = dsk_p11_attr_set(o, CKA_VALUE, c.der, c.der_len, 0);
    }
    dsk_p11_unlock();
    dsk_cert_free(&c);
    return rv;
}

CK_RV dsk_p11_get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, CK_ATTRIBUTE_PTR tmpl,
                                  CK_ULONG n)
{
    CK_RV rv;
    dsk_key *derive = NULL, *cert = NULL;
    for (int pass = 0; pass < 2; pass++) {
        dsk_p11_lock();
        dsk_p11_session *s = dsk_p11_session_find(h);
        dsk_p11_object *o = s ? dsk_p11_object_visible(s, oh) : NULL;
        rv = !s ? CKR_SESSION_HANDLE_INVALID : !o ? CKR_OBJECT_HANDLE_INVALID : CKR_OK;
        if (rv == CKR_OK && pass == 0) {
            for (CK_ULONG i = 0; i < n && !derive && !cert; i++) {
                if (dsk_p11_attr_needs_key(o, tmpl[i].type))
                    derive = o->key;
                else if (needs_cert(o, tmpl[i].type))
                    cert = o->selfsigned;
            }
        }
        if (rv == CKR_OK && !derive && !cert)
            rv = fill(o, tmpl, n);
        dsk_key_hold(derive);
        dsk_key_hold(cert);
        dsk_p11_unlock();
        if (rv != CKR_OK || (!derive && !cert)) {
            dsk_key_release(derive);
            dsk_key_release(cert);
            return rv;
        }
        if (cert) {
            /* Lazy first: a listing against a hung agent waits once. */
            dsk_error cerr;
            dsk_error_clear(&cerr);
            dsk_status cst = dsk_key_derive_lazy(cert, &cerr);
            rv = cst == DSK_OK ? make_cert(h, oh, cert) : dsk_p11_rv(cst, &cerr, DSK_CTX_ATTR);
            dsk_key_release(cert);
            if (rv != CKR_OK)
                return rv;
            cert = NULL;
            continue;
        }
        /* Derive without the module lock: it may wait on the socket. Held,
         * as the object may be destroyed meanwhile. Lazy: a listing against
         * a hung agent waits once, not once per key. */
        dsk_error err;
        dsk_error_clear(&err);
        dsk_status st = dsk_key_derive_lazy(derive, &err);
        dsk_key_release(derive);
        if (st != DSK_OK)
            return dsk_p11_rv(st, &err, DSK_CTX_ATTR);
        derive = NULL;
    }
    return rv;
}
