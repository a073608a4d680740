/* The one place where a dsk_status becomes a CK_RV. */
#include "internal.h"
#include "log.h"

CK_RV dsk_p11_rv(dsk_status s, const dsk_error *err, dsk_p11_ctx ctx)
{
    switch (s) {
    case DSK_OK:
        return CKR_OK;
    case DSK_E_NOMEM:
        return CKR_HOST_MEMORY;
    case DSK_E_UNREACHABLE:
    case DSK_E_TIMEOUT:
    case DSK_E_MALFORMED:
    case DSK_E_REFUSED:
    case DSK_E_IO:
        /* The user's one clue when a key cannot be used: the message from
         * keys/ names the key, its path, the socket, what happened and what
         * to do. */
        dsk_log(DSK_LOG_ERROR, "%s", err && err->msg[0] ? err->msg : dsk_status_name(s));
        return CKR_DEVICE_ERROR;
    case DSK_E_BUFFER_TOO_SMALL:
        return CKR_BUFFER_TOO_SMALL;
    case DSK_E_VERIFY:
        return CKR_SIGNATURE_INVALID;
    case DSK_E_BAD_INPUT:
        switch (ctx) {
        case DSK_CTX_DECRYPT:
            return CKR_ENCRYPTED_DATA_INVALID;
        case DSK_CTX_VERIFY:
            return CKR_SIGNATURE_INVALID;
        case DSK_CTX_DERIVE:
            return CKR_MECHANISM_PARAM_INVALID;
        default:
            return CKR_DATA_LEN_RANGE;
        }
    case DSK_E_UNSUPPORTED:
        return ctx == DSK_CTX_ATTR ? CKR_ATTRIBUTE_TYPE_INVALID : CKR_KEY_TYPE_INCONSISTENT;
    case DSK_E_ARGS:
        return CKR_ARGUMENTS_BAD;
    case DSK_E_NOT_FOUND:
        return CKR_OBJECT_HANDLE_INVALID;
    case DSK_E_CONFIG:
    case DSK_E_CRYPTO:
    default:
        if (err && err->msg[0])
            dsk_log(DSK_LOG_ERROR, "%s", err->msg);
        return CKR_FUNCTION_FAILED;
    }
}
