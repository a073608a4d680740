/* C_GenerateKeyPair and C_GenerateRandom.
 *
 * A "generated" key pair is a dstack key like the configured ones, derived
 * from the getKey path "pkcs11/generated/<CKA_LABEL>" (DSK_P11_KEYGEN_PREFIX)
 * with the type the mechanism and template ask for: the same label always
 * gives the same key, in every process and on every replica of the app.
 * Nothing is written anywhere; a CKA_TOKEN object lives until C_Finalize. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const CK_ATTRIBUTE *find2(const CK_ATTRIBUTE *a, CK_ULONG na, const CK_ATTRIBUTE *b,
                                 CK_ULONG nb, CK_ATTRIBUTE_TYPE type)
{
    for (CK_ULONG i = 0; i < na; i++)
        if (a[i].type == type)
            return &a[i];
    for (CK_ULONG i = 0; i < nb; i++)
        if (b[i].type == type)
            return &b[i];
    return NULL;
}

static CK_RV ec_type(const CK_ATTRIBUTE *p, dsk_key_type *out)
{
    static const dsk_key_type ec[] = {DSK_KEY_EC_P256, DSK_KEY_EC_P384, DSK_KEY_SECP256K1};
    if (!p)
        return CKR_TEMPLATE_INCOMPLETE;
    for (size_t i = 0; i < sizeof ec / sizeof ec[0]; i++) {
        const dsk_type_info *ti = dsk_type_info_get(ec[i]);
        if (ti && p->pValue && p->ulValueLen == ti->params_der_len &&
            !memcmp(p->pValue, ti->params_der, ti->params_der_len)) {
            *out = ec[i];
            return CKR_OK;
        }
    }
    return CKR_CURVE_NOT_SUPPORTED;
}

static CK_RV ed_type(const CK_ATTRIBUTE *p, dsk_key_type *out)
{
    static const unsigned char printable[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                              'd',  's',  '2', '5', '5', '1', '9'};
    const dsk_type_info *ti = dsk_type_info_get(DSK_KEY_ED25519);
    *out = DSK_KEY_ED25519;
    if (!p)
        return CKR_OK;
    if (p->pValue &&
        ((p->ulValueLen == ti->params_der_len &&
          !memcmp(p->pValue, ti->params_der, ti->params_der_len)) ||
         (p->ulValueLen == sizeof printable && !memcmp(p->pValue, printable, sizeof printable))))
        return CKR_OK;
    return CKR_CURVE_NOT_SUPPORTED;
}

static CK_RV rsa_type(const CK_ATTRIBUTE *bits_a, const CK_ATTRIBUTE *exp, dsk_key_type *out)
{
    CK_ULONG bits;
    if (!bits_a)
        return CKR_TEMPLATE_INCOMPLETE;
    CK_RV rv = dsk_p11_tmpl_ulong(bits_a, &bits);
    if (rv != CKR_OK)
        return rv;
    if (bits == 2048)
        *out = DSK_KEY_RSA_2048;
    else if (bits == 3072)
        *out = DSK_KEY_RSA_3072;
    else if (bits == 4096)
        *out = DSK_KEY_RSA_4096;
    else
        return CKR_KEY_SIZE_RANGE;
    if (exp) {
        /* Only e = 65537 (the derivation contract fixes it). */
        const unsigned char *e = exp->pValue;
        size_t n = exp->ulValueLen > 16 ? 0 : exp->ulValueLen;
        while (e && n > 3 && e[0] == 0)
            e++, n--;
        if (!e || n != 3 || e[0] != 1 || e[1] != 0 || e[2] != 1)
            return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    return CKR_OK;
}

static CK_RV key_type_of(CK_MECHANISM_TYPE m, const CK_ATTRIBUTE *pub, CK_ULONG npub,
                         const CK_ATTRIBUTE *priv, CK_ULONG npriv, dsk_key_type *out)
{
    const CK_ATTRIBUTE *params = find2(pub, npub, priv, npriv, CKA_EC_PARAMS);
    switch (m) {
    case CKM_EC_KEY_PAIR_GEN:
        return ec_type(params, out);
    case CKM_EC_EDWARDS_KEY_PAIR_GEN:
        return ed_type(params, out);
    case CKM_RSA_PKCS_KEY_PAIR_GEN:
        return rsa_type(find2(pub, npub, priv, npriv, CKA_MODULUS_BITS),
                        find2(pub, npub, priv, npriv, CKA_PUBLIC_EXPONENT), out);
    default:
        return CKR_MECHANISM_INVALID;
    }
}

/* Copies the label (NUL-terminated) into buf. */
static CK_RV label_of(const CK_ATTRIBUTE *a, char *buf, size_t len)
{
    if (!a)
        return CKR_TEMPLATE_INCOMPLETE;
    if (!a->pValue || !a->ulValueLen || a->ulValueLen >= len || memchr(a->pValue, 0, a->ulValueLen))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    memcpy(buf, a->pValue, a->ulValueLen);
    buf[a->ulValueLen] = '\0';
    return CKR_OK;
}

CK_RV dsk_p11_generate_key_pair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub,
                                CK_ULONG npub, CK_ATTRIBUTE_PTR priv, CK_ULONG npriv,
                                CK_OBJECT_HANDLE_PTR hpub, CK_OBJECT_HANDLE_PTR hpriv)
{
    dsk_key_type type = DSK_KEY_EC_P256;
    char label[256], path[300], store_label[340];
    dsk_key *key = NULL;
    dsk_error err;
    dsk_error_clear(&err);
    /* The standard's error priority: the session, then the login (with a
     * PIN the private half needs one; dstack is not asked before), then
     * the mechanism and the templates. */
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    CK_RV rv = !s                                  ? CKR_SESSION_HANDLE_INVALID
               : !dsk_p11_can_use_private(s->slot) ? CKR_USER_NOT_LOGGED_IN
                                                   : CKR_OK;
    dsk_p11_unlock();
    if (rv != CKR_OK)
        return rv;
    const dsk_p11_mech *mech = dsk_p11_mech_find(m->mechanism);
    if (!mech || mech->kind != DSK_MK_KEYGEN)
        return CKR_MECHANISM_INVALID;
    if (m->pParameter || m->ulParameterLen)
        return CKR_MECHANISM_PARAM_INVALID;
    if ((rv = key_type_of(m->mechanism, pub, npub, priv, npriv, &type)) != CKR_OK ||
        (rv = label_of(find2(priv, npriv, pub, npub, CKA_LABEL), label, sizeof label)) != CKR_OK)
        return rv;
    const CK_ATTRIBUTE *pa = find2(priv, npriv, NULL, 0, CKA_PRIVATE);
    CK_BBOOL want_private = CK_TRUE;
    if (pa && (rv = dsk_p11_tmpl_bool(pa, &want_private)) != CKR_OK)
        return rv;
    if (!want_private && dsk_p11_has_pin())
        return CKR_TEMPLATE_INCONSISTENT; /* would outlive the login */
    snprintf(path, sizeof path, "%s%s", DSK_P11_KEYGEN_PREFIX, label);
    /* The store's label space is the configuration's: keep out of it. */
    snprintf(store_label, sizeof store_label, "%s (%s)", path, dsk_key_type_name(type));

    dsk_p11_lock();
    if (!(s = dsk_p11_session_find(h))) {
        rv = CKR_SESSION_HANDLE_INVALID;
    } else {
        dsk_key_desc d = {.label = store_label, .path = path, .type = type};
        /* Held by this call until done:, and by each object made from it:
         * the key goes with the last of them (C_DestroyObject). */
        rv = dsk_p11_rv(dsk_keystore_add_held(dsk_p11.ks, &d, &key, &err), &err, DSK_CTX_KEYGEN);
    }
    dsk_p11_unlock();
    if (rv != CKR_OK)
        return rv;
    unsigned char id[DSK_CONF_MAX_ID];
    size_t id_len = DSK_P11_ID_LEN;
    CK_BBOOL token = CK_FALSE;
    dsk_p11_object *pv = NULL, *pb = NULL;
    /* Derive now, without the lock: a dstack that is down fails here,
     * clearly, rather than at the first use of the new key. */
    if ((rv = dsk_p11_rv(dsk_key_derive(key, &err), &err, DSK_CTX_KEYGEN)) != CKR_OK)
        goto done;

    const CK_ATTRIBUTE *ida = find2(priv, npriv, pub, npub, CKA_ID);
    if (ida && ida->pValue && ida->ulValueLen <= sizeof id) {
        memcpy(id, ida->pValue, ida->ulValueLen);
        id_len = ida->ulValueLen;
    } else {
        dsk_p11_token_id(label, id);
    }
    const CK_ATTRIBUTE *tok = find2(priv, npriv, pub, npub, CKA_TOKEN);
    if (tok && (rv = dsk_p11_tmpl_bool(tok, &token)) != CKR_OK)
        goto done;

    dsk_p11_lock();
    if (!(s = dsk_p11_session_find(h)))
        rv = CKR_SESSION_HANDLE_INVALID;
    else if ((rv = dsk_p11_may_create(s, token, dsk_p11_has_pin())) == CKR_OK)
        rv = dsk_p11_key_objects_add(s->slot, key, label, id, id_len, token, token ? 0 : h,
                                     m->mechanism, &pv, &pb);
    if (rv == CKR_OK && (rv = dsk_p11_tmpl_apply(pb, pub, npub)) == CKR_OK &&
        (rv = dsk_p11_tmpl_apply(pv, priv, npriv)) == CKR_OK) {
        /* The private half of a dstack key never leaves the module. */
        if (!pv->sensitive || pv->extractable)
            rv = CKR_TEMPLATE_INCONSISTENT;
        else if ((rv = dsk_p11_key_stays_private(pv)) != CKR_OK)
            ;
        else if ((rv = dsk_p11_may_create(s, pv->token || pb->token, pv->priv)) == CKR_OK) {
            pv->session = pv->token ? 0 : h;
            pb->session = pb->token ? 0 : h;
        }
    }
    if (rv == CKR_OK) {
        *hpub = pb->handle;
        *hpriv = pv->handle;
    } else if (pv) {
        for (size_t i = dsk_p11.nobjects; i-- > 0;)
            if (dsk_p11.objects[i] == pv || dsk_p11.objects[i] == pb)
                dsk_p11_object_remove(i);
    }
    dsk_p11_unlock();
done:
    dsk_key_release(key);
    return rv;
}

CK_RV dsk_p11_generate_random(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len)
{
    dsk_p11_lock();
    int ok = dsk_p11_session_find(h) != NULL;
    dsk_p11_unlock();
    if (!ok)
        return CKR_SESSION_HANDLE_INVALID;
    if (!len)
        return CKR_OK;
    dsk_error err;
    return dsk_p11_rv(dsk_random(out, len, &err), &err, DSK_CTX_GENERAL);
}
