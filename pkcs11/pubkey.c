/* Public keys given by the application (C_CreateObject), for verify and
 * encrypt: the PKCS#11 attributes become a SubjectPublicKeyInfo that keys/
 * turns into a public-only key. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const CK_ATTRIBUTE *find(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
    for (CK_ULONG i = 0; i < n; i++)
        if (t[i].type == type && (t[i].pValue || !t[i].ulValueLen) &&
            t[i].ulValueLen <= DSK_P11_MAX_ATTR_LEN)
            return &t[i];
    return NULL;
}

/* Ed25519 parameters may be the OID or the PrintableString "edwards25519". */
static void eddsa_params(const CK_ATTRIBUTE *p, const unsigned char **der, size_t *len)
{
    static const unsigned char printable[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                              'd',  's',  '2', '5', '5', '1', '9'};
    const dsk_type_info *ti = dsk_type_info_get(DSK_KEY_ED25519);
    if (!p ||
        (p->ulValueLen == sizeof printable && !memcmp(p->pValue, printable, sizeof printable))) {
        *der = ti->params_der;
        *len = ti->params_der_len;
    } else {
        *der = p->pValue;
        *len = p->ulValueLen;
    }
}

static CK_RV build_spki(CK_KEY_TYPE kt, const CK_ATTRIBUTE *t, CK_ULONG n, unsigned char **spki,
                        size_t *len)
{
    if (kt == CKK_RSA) {
        const CK_ATTRIBUTE *m = find(t, n, CKA_MODULUS), *e = find(t, n, CKA_PUBLIC_EXPONENT);
        if (!m || !e)
            return CKR_TEMPLATE_INCOMPLETE;
        if (!m->ulValueLen || !e->ulValueLen)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        return dsk_der_spki_rsa(m->pValue, m->ulValueLen, e->pValue, e->ulValueLen, spki, len);
    }
    if (kt != CKK_EC && kt != CKK_EC_EDWARDS)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    const CK_ATTRIBUTE *p = find(t, n, CKA_EC_PARAMS), *pt = find(t, n, CKA_EC_POINT);
    if (!pt || (!p && kt == CKK_EC))
        return CKR_TEMPLATE_INCOMPLETE;
    const unsigned char *params = p ? p->pValue : NULL, *point = pt->pValue;
    size_t plen = p ? p->ulValueLen : 0, ptlen = pt->ulValueLen;
    if (kt == CKK_EC_EDWARDS)
        eddsa_params(p, &params, &plen);
    /* CKA_EC_POINT is a DER OCTET STRING; some applications give it raw. */
    const unsigned char *inner;
    size_t ilen;
    if (dsk_der_unwrap_octet_string(point, ptlen, &inner, &ilen) &&
        (kt == CKK_EC_EDWARDS ? ilen == 32
                              : (ilen > 0 && (inner[0] == 4 || inner[0] == 2 || inner[0] == 3))))
        point = inner, ptlen = ilen;
    if (!plen || !ptlen)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    return dsk_der_spki_ec(params, plen, point, ptlen, kt == CKK_EC_EDWARDS, spki, len);
}

CK_RV dsk_p11_create_public_key(dsk_p11_object *o, const CK_ATTRIBUTE *t, CK_ULONG n)
{
    unsigned char *spki = NULL;
    size_t len = 0;
    CK_RV rv;
    const CK_ATTRIBUTE *info = find(t, n, CKA_PUBLIC_KEY_INFO);
    if (info && info->ulValueLen) {
        if (!(spki = malloc(info->ulValueLen)))
            return CKR_HOST_MEMORY;
        memcpy(spki, info->pValue, info->ulValueLen);
        len = info->ulValueLen;
    } else if ((rv = build_spki(o->key_type, t, n, &spki, &len)) != CKR_OK) {
        return rv;
    }
    dsk_error err;
    dsk_error_clear(&err);
    dsk_key *key = NULL;
    /* Held by the object: released when it is destroyed (object.c). */
    dsk_status st = dsk_keystore_add_public_held(dsk_p11.ks, spki, len, &key, &err);
    free(spki);
    if (st == DSK_E_NOMEM)
        return CKR_HOST_MEMORY;
    if (st != DSK_OK)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    o->key = key;
    if (dsk_p11_ck_key_type(dsk_key_get_type(key)) != o->key_type)
        return CKR_TEMPLATE_INCONSISTENT;
    unsigned u = dsk_key_usage(key);
    o->verify = (u & DSK_USAGE_SIGN) != 0;
    o->encrypt = (u & DSK_USAGE_DECRYPT) != 0;
    return CKR_OK;
}
