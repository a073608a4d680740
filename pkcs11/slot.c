/* Slots and tokens: one slot per token, always present, in configuration
 * order. The default token comes first; Ed25519 keys without a `token =`
 * go to "<default>-ed25519" because clients that do not know EdDSA give up
 * on a whole token that holds one (libp11) or skip it noisily. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "sha256.h"
#include "internal.h"

void dsk_p11_pad(CK_UTF8CHAR *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n > len)
        n = len;
    memset(dst, ' ', len);
    memcpy(dst, src, n);
}

void dsk_p11_token_id(const char *label, unsigned char out[DSK_P11_ID_LEN])
{
    /* At C_Initialize, before any key: not through OpenSSL (sha256.h). */
    unsigned char md[32];
    dsk_sha256(label, strlen(label), md);
    memcpy(out, md, DSK_P11_ID_LEN);
}

CK_RV dsk_p11_token_index(const char *label, CK_SLOT_ID *out)
{
    for (size_t i = 0; i < dsk_p11.ntokens; i++) {
        if (strcmp(dsk_p11.tokens[i].label, label) == 0) {
            *out = i;
            return CKR_OK;
        }
    }
    return CKR_SLOT_ID_INVALID;
}

dsk_p11_token *dsk_p11_token_get(CK_SLOT_ID id)
{
    return id < dsk_p11.ntokens ? &dsk_p11.tokens[id] : NULL;
}

static CK_RV token_add(const char *label, dsk_error *err)
{
    CK_SLOT_ID dummy;
    if (dsk_p11_token_index(label, &dummy) == CKR_OK)
        return CKR_OK;
    if (strlen(label) > 32) {
        dsk_error_set(err, DSK_E_CONFIG, "token label '%s' is longer than 32 bytes", label);
        return CKR_GENERAL_ERROR;
    }
    dsk_p11_token *t = realloc(dsk_p11.tokens, (dsk_p11.ntokens + 1) * sizeof *t);
    if (!t)
        return CKR_HOST_MEMORY;
    dsk_p11.tokens = t;
    t = &t[dsk_p11.ntokens];
    memset(t, 0, sizeof *t);
    if (!(t->label = strdup(label)))
        return CKR_HOST_MEMORY;
    unsigned char id[DSK_P11_ID_LEN];
    dsk_p11_token_id(label, id);
    dsk_hex_encode(id, sizeof id, t->serial);
    t->user = DSK_P11_NOBODY;
    dsk_p11.ntokens++;
    return CKR_OK;
}

CK_RV dsk_p11_tokens_build(dsk_error *err)
{
    const dsk_conf *c = dsk_p11.conf;
    CK_RV rv = token_add(c->token_label ? c->token_label : DSK_CONF_DEFAULT_TOKEN, err);
    for (size_t i = 0; rv == CKR_OK && i < c->nkeys; i++) {
        char buf[DSK_CONF_TOKEN_LABEL_MAX + 1];
        rv = token_add(dsk_conf_key_token(c, &c->keys[i], buf), err);
    }
    return rv;
}

CK_RV dsk_p11_key_slot(const dsk_key_entry *e, CK_SLOT_ID *out)
{
    char buf[DSK_CONF_TOKEN_LABEL_MAX + 1];
    return dsk_p11_token_index(dsk_conf_key_token(dsk_p11.conf, e, buf), out);
}

void dsk_p11_tokens_free(void)
{
    for (size_t i = 0; i < dsk_p11.ntokens; i++)
        free(dsk_p11.tokens[i].label);
    free(dsk_p11.tokens);
    dsk_p11.tokens = NULL;
    dsk_p11.ntokens = 0;
}

CK_RV dsk_p11_get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    (void)present; /* every slot always holds its token */
    dsk_p11_lock();
    CK_ULONG n = dsk_p11.ntokens;
    CK_RV rv = CKR_OK;
    if (list && *count < n)
        rv = CKR_BUFFER_TOO_SMALL;
    else if (list)
        for (CK_ULONG i = 0; i < n; i++)
            list[i] = i;
    *count = n;
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_get_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
    dsk_p11_lock();
    dsk_p11_token *t = dsk_p11_token_get(id);
    CK_RV rv = CKR_SLOT_ID_INVALID;
    if (t) {
        char desc[80];
        snprintf(desc, sizeof desc, "dstack keys: %s", t->label);
        memset(info, 0, sizeof *info);
        dsk_p11_pad(info->slotDescription, sizeof info->slotDescription, desc);
        dsk_p11_pad(info->manufacturerID, sizeof info->manufacturerID, DSK_P11_MANUFACTURER);
        info->flags = CKF_TOKEN_PRESENT;
        info->hardwareVersion.major = DSK_P11_VERSION_MAJOR;
        info->hardwareVersion.minor = DSK_P11_VERSION_MINOR;
        info->firmwareVersion = info->hardwareVersion;
        rv = CKR_OK;
    }
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_get_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
    dsk_p11_lock();
    dsk_p11_token *t = dsk_p11_token_get(id);
    CK_RV rv = CKR_SLOT_ID_INVALID;
    if (t) {
        memset(info, 0, sizeof *info);
        dsk_p11_pad(info->label, sizeof info->label, t->label);
        dsk_p11_pad(info->manufacturerID, sizeof info->manufacturerID, DSK_P11_MANUFACTURER);
        dsk_p11_pad(info->model, sizeof info->model, DSK_P11_MODEL);
        dsk_p11_pad(info->serialNumber, sizeof info->serialNumber, t->serial);
        /* Not write-protected: objects made by the application live in
         * memory for the life of the process. */
        info->flags = CKF_RNG | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED;
        if (dsk_p11_has_pin())
            info->flags |= CKF_LOGIN_REQUIRED;
        if (t->pin_count_low)
            info->flags |= CKF_USER_PIN_COUNT_LOW;
        info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
        info->ulSessionCount = dsk_p11_session_count(id, 0);
        info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
        info->ulRwSessionCount = dsk_p11_session_count(id, 1);
        info->ulMaxPinLen = 256;
        info->ulMinPinLen = dsk_p11_has_pin() ? 1 : 0;
        info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
        info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
        info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
        info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
        info->hardwareVersion.major = DSK_P11_VERSION_MAJOR;
        info->hardwareVersion.minor = DSK_P11_VERSION_MINOR;
        info->firmwareVersion = info->hardwareVersion;
        memset(info->utcTime, '0', sizeof info->utcTime);
        rv = CKR_OK;
    }
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_get_mechanism_list(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
    dsk_p11_lock();
    int ok = dsk_p11_token_get(id) != NULL;
    dsk_p11_unlock();
    if (!ok)
        return CKR_SLOT_ID_INVALID;
    CK_ULONG n = dsk_p11_mech_count();
    CK_RV rv = CKR_OK;
    if (list && *count < n)
        rv = CKR_BUFFER_TOO_SMALL;
    else if (list)
        for (CK_ULONG i = 0; i < n; i++)
            list[i] = dsk_p11_mech_at(i)->type;
    *count = n;
    return rv;
}

CK_RV dsk_p11_get_mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
    dsk_p11_lock();
    int ok = dsk_p11_token_get(id) != NULL;
    dsk_p11_unlock();
    if (!ok)
        return CKR_SLOT_ID_INVALID;
    const dsk_p11_mech *m = dsk_p11_mech_find(type);
    if (!m)
        return CKR_MECHANISM_INVALID;
    info->ulMinKeySize = m->min_bits;
    info->ulMaxKeySize = m->max_bits;
    info->flags = m->flags;
    return CKR_OK;
}
