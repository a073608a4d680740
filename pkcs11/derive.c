/* CKM_ECDH1_DERIVE with CKD_NULL: the shared secret (the X coordinate)
 * becomes a generic secret session object. By default it is readable
 * (CKA_SENSITIVE false, CKA_EXTRACTABLE true), which is what
 * `pkcs11-tool --derive` expects; a template may make it sensitive. */
#include <string.h>

#include "internal.h"
#include "wipe.h"

static CK_RV ecdh_params(const CK_MECHANISM *m, const unsigned char **peer, size_t *len)
{
    if (!m->pParameter || m->ulParameterLen != sizeof(CK_ECDH1_DERIVE_PARAMS))
        return CKR_MECHANISM_PARAM_INVALID;
    CK_ECDH1_DERIVE_PARAMS p;
    memcpy(&p, m->pParameter, sizeof p);
    if (p.kdf != CKD_NULL || p.ulSharedDataLen || !p.pPublicData || !p.ulPublicDataLen)
        return CKR_MECHANISM_PARAM_INVALID;
    *peer = p.pPublicData;
    *len = p.ulPublicDataLen;
    /* The point may come raw or as a DER OCTET STRING; keep it raw if the
     * unwrapped content is not itself a point. */
    const unsigned char *in;
    size_t ilen;
    if (dsk_der_unwrap_octet_string(*peer, *len, &in, &ilen) && ilen &&
        (in[0] == 2 || in[0] == 3 || in[0] == 4) && (ilen % 2 == 1)) {
        *peer = in;
        *len = ilen;
    }
    return CKR_OK;
}

static const CK_ATTRIBUTE *find(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
    for (CK_ULONG i = 0; i < n; i++)
        if (t[i].type == type)
            return &t[i];
    return NULL;
}

/* The new object, not yet in the table (module lock held). */
static CK_RV secret_object(const dsk_p11_session *s, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                           dsk_p11_object **out, CK_ULONG *value_len)
{
    dsk_p11_object *o = dsk_p11_object_new(CKO_SECRET_KEY, s->slot);
    if (!o)
        return CKR_HOST_MEMORY;
    CK_RV rv = CKR_OK;
    const CK_ATTRIBUTE *kt = find(t, n, CKA_KEY_TYPE), *vl = find(t, n, CKA_VALUE_LEN);
    o->key_type = CKK_GENERIC_SECRET;
    if (kt && (rv = dsk_p11_tmpl_ulong(kt, &o->key_type)) == CKR_OK &&
        o->key_type != CKK_GENERIC_SECRET && o->key_type != CKK_AES)
        rv = CKR_TEMPLATE_INCONSISTENT;
    *value_len = 0;
    if (rv == CKR_OK && vl)
        rv = dsk_p11_tmpl_ulong(vl, value_len);
    o->extractable = CK_TRUE;
    o->derive = CK_FALSE;
    /* Made from a private key: private like it when there is a PIN. */
    o->priv = (CK_BBOOL)dsk_p11_has_pin();
    if (rv == CKR_OK)
        rv = dsk_p11_tmpl_apply(o, t, n);
    if (rv == CKR_OK)
        rv = dsk_p11_key_stays_private(o);
    if (rv == CKR_OK)
        rv = dsk_p11_may_create(s, o->token, o->priv);
    o->always_sensitive = o->sensitive;
    o->never_extractable = !o->extractable;
    if (rv != CKR_OK) {
        dsk_p11_object_free(o);
        return rv;
    }
    *out = o;
    return CKR_OK;
}

CK_RV dsk_p11_derive_key(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
                         CK_ATTRIBUTE_PTR tmpl, CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
    CK_RV rv;
    dsk_p11_object *o = NULL;
    dsk_key *key = NULL;
    const unsigned char *peer = NULL;
    size_t peer_len = 0;
    CK_ULONG value_len = 0;
    unsigned char secret[128];
    size_t slen = sizeof secret;

    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    const dsk_p11_object *b = s ? dsk_p11_object_visible(s, base) : NULL;
    const dsk_p11_mech *mech = dsk_p11_mech_find(m->mechanism);
    if (!s)
        rv = CKR_SESSION_HANDLE_INVALID;
    else if (!mech || mech->kind != DSK_MK_DERIVE)
        rv = CKR_MECHANISM_INVALID;
    else if (!b)
        rv = CKR_KEY_HANDLE_INVALID;
    else if (b->cls != CKO_PRIVATE_KEY || !b->key ||
             !(mech->key_types & (1u << dsk_key_get_type(b->key))))
        rv = CKR_KEY_TYPE_INCONSISTENT;
    else if (!b->derive)
        rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
    else if ((rv = ecdh_params(m, &peer, &peer_len)) == CKR_OK)
        rv = secret_object(s, tmpl, n, &o, &value_len);
    if (rv == CKR_OK) {
        key = b->key;
        dsk_key_hold(key); /* the base object may be destroyed meanwhile */
    }
    dsk_p11_unlock();
    if (rv != CKR_OK)
        return rv;

    /* The key may need deriving over the socket: no lock held. */
    dsk_error err;
    dsk_error_clear(&err);
    dsk_status st = dsk_key_ecdh(key, peer, peer_len, secret, &slen, &err);
    dsk_key_release(key);
    if ((rv = dsk_p11_rv(st, &err, DSK_CTX_DERIVE)) != CKR_OK)
        goto done;
    if (value_len > slen ||
        (o->key_type == CKK_AES && value_len != 16 && value_len != 24 && value_len != 32)) {
        rv = CKR_TEMPLATE_INCONSISTENT;
        goto done;
    }
    if ((rv = dsk_p11_attr_set(o, CKA_VALUE, secret, value_len ? value_len : slen, 1)) != CKR_OK)
        goto done;

    dsk_p11_lock();
    if (!(s = dsk_p11_session_find(h))) {
        rv = CKR_SESSION_HANDLE_INVALID;
    } else {
        o->session = o->token ? 0 : h;
        if ((rv = dsk_p11_object_insert(o)) == CKR_OK) {
            *out = o->handle;
            o = NULL;
        }
    }
    dsk_p11_unlock();
done:
    dsk_wipe(secret, sizeof secret);
    dsk_p11_object_free(o);
    return rv;
}
