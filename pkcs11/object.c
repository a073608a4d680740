/* Objects: the table of handles, the objects made from the configuration,
 * visibility, search and destruction. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "log.h"
#include "wipe.h"

dsk_p11_object *dsk_p11_object_new(CK_OBJECT_CLASS cls, CK_SLOT_ID slot)
{
    dsk_p11_object *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->cls = cls;
    o->slot = slot;
    o->modifiable = o->copyable = o->destroyable = CK_TRUE;
    o->keygen_mech = CK_UNAVAILABLE_INFORMATION;
    o->key_type = CK_UNAVAILABLE_INFORMATION;
    return o;
}

void dsk_p11_object_free(dsk_p11_object *o)
{
    if (!o)
        return;
    dsk_key_release(o->key); /* a generated or imported key goes with its last object */
    for (size_t i = 0; i < o->nattrs; i++) {
        if (o->attrs[i].secret)
            dsk_wipe_free(o->attrs[i].value, o->attrs[i].len);
        else
            free(o->attrs[i].value);
    }
    free(o->attrs);
    free(o);
}

const dsk_p11_attr *dsk_p11_attr_find(const dsk_p11_object *o, CK_ATTRIBUTE_TYPE t)
{
    for (size_t i = 0; i < o->nattrs; i++)
        if (o->attrs[i].type == t)
            return &o->attrs[i];
    return NULL;
}

CK_RV dsk_p11_attr_set(dsk_p11_object *o, CK_ATTRIBUTE_TYPE t, const void *v, size_t len,
                       int secret)
{
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy)
        return CKR_HOST_MEMORY;
    if (len)
        memcpy(copy, v, len);
    dsk_p11_attr *a = (dsk_p11_attr *)dsk_p11_attr_find(o, t);
    if (!a) {
        dsk_p11_attr *na = realloc(o->attrs, (o->nattrs + 1) * sizeof *na);
        if (!na) {
            dsk_wipe_free(copy, len);
            return CKR_HOST_MEMORY;
        }
        o->attrs = na;
        a = &na[o->nattrs++];
    } else if (a->secret) {
        dsk_wipe_free(a->value, a->len);
    } else {
        free(a->value);
    }
    a->type = t;
    a->value = copy;
    a->len = len;
    a->secret = secret;
    return CKR_OK;
}

CK_RV dsk_p11_object_insert(dsk_p11_object *o)
{
    if (dsk_p11.nobjects == dsk_p11.cobjects) {
        size_t c = dsk_p11.cobjects ? 2 * dsk_p11.cobjects : 32;
        dsk_p11_object **a = realloc(dsk_p11.objects, c * sizeof *a);
        if (!a)
            return CKR_HOST_MEMORY;
        dsk_p11.objects = a;
        dsk_p11.cobjects = c;
    }
    o->handle = ++dsk_p11.next_object;
    dsk_p11.objects[dsk_p11.nobjects++] = o;
    return CKR_OK;
}

void dsk_p11_object_remove(size_t i)
{
    dsk_p11_object_free(dsk_p11.objects[i]);
    /* Keep handle order (search results come out in creation order). */
    memmove(&dsk_p11.objects[i], &dsk_p11.objects[i + 1],
            (dsk_p11.nobjects - i - 1) * sizeof *dsk_p11.objects);
    dsk_p11.nobjects--;
}

void dsk_p11_objects_free(void)
{
    for (size_t i = 0; i < dsk_p11.nobjects; i++)
        dsk_p11_object_free(dsk_p11.objects[i]);
    free(dsk_p11.objects);
    dsk_p11.objects = NULL;
    dsk_p11.nobjects = dsk_p11.cobjects = 0;
}

dsk_p11_object *dsk_p11_object_visible(const dsk_p11_session *s, CK_OBJECT_HANDLE h)
{
    for (size_t i = 0; i < dsk_p11.nobjects; i++) {
        dsk_p11_object *o = dsk_p11.objects[i];
        if (o->handle != h)
            continue;
        if (o->slot != s->slot || (o->priv && !dsk_p11_can_use_private(s->slot)))
            return NULL;
        return o;
    }
    return NULL;
}

void dsk_p11_objects_drop_session(CK_SESSION_HANDLE h)
{
    for (size_t i = dsk_p11.nobjects; i-- > 0;)
        if (dsk_p11.objects[i]->session == h)
            dsk_p11_object_remove(i);
}

void dsk_p11_objects_drop_private_session(CK_SLOT_ID slot)
{
    for (size_t i = dsk_p11.nobjects; i-- > 0;) {
        const dsk_p11_object *o = dsk_p11.objects[i];
        if (o->session && o->priv && o->slot == slot)
            dsk_p11_object_remove(i);
    }
}

static CK_RV add_common(dsk_p11_object *o, const char *label, const unsigned char *id,
                        size_t id_len)
{
    CK_RV rv = dsk_p11_attr_set(o, CKA_LABEL, label, strlen(label), 0);
    if (rv == CKR_OK)
        rv = dsk_p11_attr_set(o, CKA_ID, id, id_len, 0);
    return rv;
}

CK_RV dsk_p11_key_objects_add(CK_SLOT_ID slot, dsk_key *key, const char *label,
                              const unsigned char *id, size_t id_len, CK_BBOOL token,
                              CK_SESSION_HANDLE session, CK_MECHANISM_TYPE keygen,
                              dsk_p11_object **priv_out, dsk_p11_object **pub_out)
{
    dsk_p11_object *pv = dsk_p11_object_new(CKO_PRIVATE_KEY, slot);
    dsk_p11_object *pb = dsk_p11_object_new(CKO_PUBLIC_KEY, slot);
    CK_RV rv = CKR_HOST_MEMORY;
    if (!pv || !pb)
        goto fail;
    unsigned usage = dsk_key_usage(key);
    dsk_key_type t = dsk_key_get_type(key);
    for (int i = 0; i < 2; i++) {
        dsk_p11_object *o = i ? pb : pv;
        o->key = key;
        dsk_key_hold(key);
        o->key_type = dsk_p11_ck_key_type(t);
        o->token = token;
        o->session = session;
        o->local = keygen != CK_UNAVAILABLE_INFORMATION;
        o->keygen_mech = keygen;
        /* What comes from the configuration cannot be changed or destroyed. */
        o->modifiable = o->destroyable = session != 0 || o->local;
        if ((rv = add_common(o, label, id, id_len)) != CKR_OK)
            goto fail;
    }
    pv->priv = dsk_p11_has_pin();
    pv->sign = (usage & DSK_USAGE_SIGN) != 0;
    pv->decrypt = (usage & DSK_USAGE_DECRYPT) != 0;
    pv->derive = (usage & DSK_USAGE_DERIVE) != 0;
    pv->sensitive = pv->always_sensitive = pv->never_extractable = CK_TRUE;
    pv->extractable = CK_FALSE;
    pb->verify = pv->sign;
    pb->encrypt = pv->decrypt;
    if ((rv = dsk_p11_object_insert(pv)) != CKR_OK)
        goto fail;
    if ((rv = dsk_p11_object_insert(pb)) != CKR_OK) {
        dsk_p11.nobjects--;
        goto fail;
    }
    if (priv_out)
        *priv_out = pv;
    if (pub_out)
        *pub_out = pb;
    return CKR_OK;
fail:
    dsk_p11_object_free(pv);
    dsk_p11_object_free(pb);
    return rv;
}

/* Insert a certificate object for the names (and value, when c->der is
 * set) in c. selfsigned: the key whose self-signed certificate this is,
 * its value made on first read (attrs.c); NULL for a configured one. */
static CK_RV cert_object_insert(CK_SLOT_ID slot, const dsk_cert *c, dsk_key *selfsigned,
                                const char *label, const unsigned char *id, size_t id_len)
{
    dsk_p11_object *o = dsk_p11_object_new(CKO_CERTIFICATE, slot);
    if (!o)
        return CKR_HOST_MEMORY;
    o->token = CK_TRUE;
    o->modifiable = o->destroyable = CK_FALSE;
    o->cert_category = 1; /* token user: the token holds its private key */
    o->selfsigned = selfsigned;
    CK_RV rv;
    if ((rv = add_common(o, label, id, id_len)) != CKR_OK ||
        (c->der && (rv = dsk_p11_attr_set(o, CKA_VALUE, c->der, c->der_len, 0)) != CKR_OK) ||
        (rv = dsk_p11_attr_set(o, CKA_SUBJECT, c->subject, c->subject_len, 0)) != CKR_OK ||
        (rv = dsk_p11_attr_set(o, CKA_ISSUER, c->issuer, c->issuer_len, 0)) != CKR_OK ||
        (rv = dsk_p11_attr_set(o, CKA_SERIAL_NUMBER, c->serial, c->serial_len, 0)) != CKR_OK ||
        (c->der &&
         (rv = dsk_p11_attr_set(o, CKA_PUBLIC_KEY_INFO, c->spki, c->spki_len, 0)) != CKR_OK) ||
        (rv = dsk_p11_object_insert(o)) != CKR_OK) {
        dsk_p11_object_free(o);
        return rv;
    }
    return CKR_OK;
}

static CK_RV cert_object_add(CK_SLOT_ID slot, const dsk_key_entry *e, const unsigned char *id,
                             size_t id_len, dsk_error *err)
{
    dsk_cert c;
    memset(&c, 0, sizeof c);
    dsk_status st = dsk_cert_parse(e->cert, e->cert_len, e->cert_file, &c, err);
    if (st != DSK_OK) {
        dsk_error_prefix(err, "key '%s'", e->label);
        return st == DSK_E_NOMEM ? CKR_HOST_MEMORY : CKR_GENERAL_ERROR;
    }
    CK_RV rv = cert_object_insert(slot, &c, NULL, e->label, id, id_len);
    dsk_cert_free(&c);
    return rv;
}

/* The self-signed certificate of a key configured without `certificate =`
 * (keys/selfcert.c): found without dstack, its value made on first read. */
static CK_RV selfsigned_object_add(CK_SLOT_ID slot, dsk_key *key, const char *label,
                                   const unsigned char *id, size_t id_len, dsk_error *err)
{
    dsk_cert c;
    dsk_status st = dsk_key_selfsigned_names(key, &c, err);
    if (st != DSK_OK)
        return st == DSK_E_NOMEM ? CKR_HOST_MEMORY : CKR_GENERAL_ERROR;
    CK_RV rv = cert_object_insert(slot, &c, key, label, id, id_len);
    dsk_cert_free(&c);
    return rv;
}

CK_RV dsk_p11_objects_build(dsk_error *err)
{
    const dsk_conf *c = dsk_p11.conf;
    for (size_t i = 0; i < c->nkeys; i++) {
        const dsk_key_entry *e = &c->keys[i];
        dsk_key_desc d = {e->label, e->path, e->purpose, e->type, e->usage, e->api, e->domain};
        if (e->api == DSK_API_V1)
            d.path = d.purpose = NULL;
        dsk_key *key = NULL;
        dsk_status st = dsk_keystore_add(dsk_p11.ks, &d, &key, err);
        if (st != DSK_OK)
            return dsk_p11_rv(st, NULL, DSK_CTX_GENERAL);
        CK_SLOT_ID slot = 0;
        CK_RV rv = dsk_p11_key_slot(e, &slot);
        unsigned char id[DSK_CONF_MAX_ID];
        size_t id_len = e->id_len;
        if (id_len)
            memcpy(id, e->id, id_len);
        else
            dsk_p11_token_id(e->label, id), id_len = DSK_P11_ID_LEN;
        if (rv == CKR_OK)
            rv = dsk_p11_key_objects_add(slot, key, e->label, id, id_len, CK_TRUE, 0,
                                         CK_UNAVAILABLE_INFORMATION, NULL, NULL);
        if (rv == CKR_OK && e->cert)
            rv = cert_object_add(slot, e, id, id_len, err);
        else if (rv == CKR_OK && !e->cert_none)
            rv = selfsigned_object_add(slot, key, e->label, id, id_len, err);
        if (rv != CKR_OK)
            return rv;
    }
    return CKR_OK;
}

/* A search by a public value (CKA_EC_POINT, CKA_MODULUS, ...) needs the
 * keys of the objects it looks at derived: that may wait on dstack, so it is
 * done first, without the module lock (holding the key, which an object
 * destroyed meanwhile would otherwise release). A key that cannot be derived
 * then matches nothing. */
static void derive_for_search(CK_SESSION_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    for (;;) {
        dsk_key *key = NULL;
        dsk_p11_lock();
        dsk_p11_session *s = dsk_p11_session_find(h);
        for (size_t i = 0; s && i < dsk_p11.nobjects && !key; i++) {
            const dsk_p11_object *o = dsk_p11.objects[i];
            if (!dsk_p11_object_visible(s, o->handle))
                continue;
            for (CK_ULONG k = 0; k < n && !key; k++)
                if (dsk_p11_attr_needs_key(o, tmpl[k].type))
                    key = o->key;
        }
        dsk_key_hold(key);
        dsk_p11_unlock();
        dsk_error err;
        dsk_error_clear(&err);
        dsk_status st = key ? dsk_key_derive_lazy(key, &err) : DSK_OK;
        dsk_key_release(key);
        if (!key || st != DSK_OK)
            return; /* done, or dstack fails: the rest would fail alike */
    }
}

CK_RV dsk_p11_find_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
    CK_RV rv = CKR_OK;
    derive_for_search(h, tmpl, n);
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    if (!s) {
        rv = CKR_SESSION_HANDLE_INVALID;
        goto done;
    }
    if (s->finding) {
        rv = CKR_OPERATION_ACTIVE;
        goto done;
    }
    CK_OBJECT_HANDLE *found = malloc((dsk_p11.nobjects + 1) * sizeof *found);
    if (!found) {
        rv = CKR_HOST_MEMORY;
        goto done;
    }
    size_t nf = 0;
    for (size_t i = 0; i < dsk_p11.nobjects; i++) {
        const dsk_p11_object *o = dsk_p11.objects[i];
        if (dsk_p11_object_visible(s, o->handle) && dsk_p11_object_matches(o, tmpl, n))
            found[nf++] = o->handle;
    }
    s->found = found;
    s->nfound = nf;
    s->found_pos = 0;
    s->finding = 1;
done:
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_find(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR n)
{
    CK_RV rv = CKR_OK;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    if (!s)
        rv = CKR_SESSION_HANDLE_INVALID;
    else if (!s->finding)
        rv = CKR_OPERATION_NOT_INITIALIZED;
    if (rv != CKR_OK)
        goto done;
    CK_ULONG k = 0;
    while (k < max && s->found_pos < s->nfound) {
        CK_OBJECT_HANDLE oh = s->found[s->found_pos++];
        /* Objects destroyed since C_FindObjectsInit are left out. */
        if (dsk_p11_object_visible(s, oh))
            out[k++] = oh;
    }
    *n = k;
done:
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_find_final(CK_SESSION_HANDLE h)
{
    CK_RV rv = CKR_OK;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    if (!s) {
        rv = CKR_SESSION_HANDLE_INVALID;
    } else if (!s->finding) {
        rv = CKR_OPERATION_NOT_INITIALIZED;
    } else {
        free(s->found);
        s->found = NULL;
        s->nfound = s->found_pos = 0;
        s->finding = 0;
    }
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_destroy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh)
{
    CK_RV rv = CKR_OK;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    dsk_p11_object *o = s ? dsk_p11_object_visible(s, oh) : NULL;
    if (!s)
        rv = CKR_SESSION_HANDLE_INVALID;
    else if (!o)
        rv = CKR_OBJECT_HANDLE_INVALID;
    else if (!o->destroyable)
        rv = CKR_ACTION_PROHIBITED;
    else if (o->token && !(s->flags & CKF_RW_SESSION))
        rv = CKR_SESSION_READ_ONLY;
    if (rv == CKR_OK)
        for (size_t i = 0; i < dsk_p11.nobjects; i++)
            if (dsk_p11.objects[i] == o) {
                dsk_p11_object_remove(i);
                break;
            }
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_get_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, CK_ULONG_PTR size)
{
    CK_RV rv = CKR_OK;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    dsk_p11_object *o = s ? dsk_p11_object_visible(s, oh) : NULL;
    if (!s) {
        rv = CKR_SESSION_HANDLE_INVALID;
    } else if (!o) {
        rv = CKR_OBJECT_HANDLE_INVALID;
    } else {
        /* Memory use of what is stored; computed attributes cost nothing. */
        CK_ULONG n = sizeof *o;
        for (size_t i = 0; i < o->nattrs; i++)
            n += o->attrs[i].len;
        *size = n;
    }
    dsk_p11_unlock();
    return rv;
}
