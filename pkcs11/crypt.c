/* RSA encryption (public keys) and decryption (private keys). RSA is a
 * single-part cipher: Update calls only collect the input and Final does
 * the work, which keeps multi-part callers working. */
#include <string.h>

#include "internal.h"

static size_t modulus_bytes(const dsk_p11_op *op)
{
    const dsk_type_info *ti = dsk_type_info_get(dsk_key_get_type(op->key));
    return ti ? ti->max_sig : 0;
}

static CK_RV check_input(const dsk_p11_op *op, int kind, size_t len)
{
    /* Padding overhead subtracted from k, never added to len: an absurd
     * length from the application must not wrap around. */
    size_t k = modulus_bytes(op), pad = 11;
    if (kind == DSK_OP_DECRYPT)
        return len == k ? CKR_OK : CKR_ENCRYPTED_DATA_LEN_RANGE;
    if (op->ep.scheme == DSK_ENC_RSA_OAEP)
        pad = 2 * dsk_hash_size(op->ep.hash ? op->ep.hash : DSK_HASH_SHA1) + 2;
    return k >= pad && len <= k - pad ? CKR_OK : CKR_DATA_LEN_RANGE;
}

/* Session lock held. Ends the operation unless it answers a length. */
static CK_RV do_crypt(dsk_p11_op *op, int kind, const unsigned char *in, size_t len,
                      CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    size_t k = modulus_bytes(op);
    CK_RV rv;
    if (!out) {
        *out_len = k; /* an upper bound, as the standard allows */
        return CKR_OK;
    }
    if ((rv = check_input(op, kind, len)) != CKR_OK)
        goto done;
    dsk_error err;
    dsk_error_clear(&err);
    if (kind == DSK_OP_ENCRYPT) {
        if (*out_len < k) {
            *out_len = k;
            return CKR_BUFFER_TOO_SMALL;
        }
        size_t n = *out_len;
        dsk_status st = dsk_key_encrypt(op->key, &op->ep, in, len, out, &n, &err);
        if ((rv = dsk_p11_rv(st, &err, DSK_CTX_ENCRYPT)) == CKR_OK)
            *out_len = n;
        goto done;
    }
    /* The plaintext length is known only after decrypting: decrypt into
     * secret memory, then copy or report the exact size and keep the
     * operation for the caller's second call. */
    unsigned char *tmp = dsk_secret_alloc(k);
    if (!tmp) {
        rv = CKR_HOST_MEMORY;
        goto done;
    }
    size_t n = k;
    dsk_status st = dsk_key_decrypt(op->key, &op->ep, in, len, tmp, &n, &err);
    rv = dsk_p11_rv(st, &err, DSK_CTX_DECRYPT);
    if (rv == CKR_OK && *out_len < n) {
        *out_len = n;
        dsk_secret_free(tmp, k);
        return CKR_BUFFER_TOO_SMALL;
    }
    if (rv == CKR_OK) {
        memcpy(out, tmp, n);
        *out_len = n;
    }
    dsk_secret_free(tmp, k);
done:
    dsk_p11_op_clear(op);
    return rv;
}

CK_RV dsk_p11_crypt(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR out,
                    CK_ULONG_PTR out_len)
{
    dsk_p11_session *s;
    dsk_p11_op *op;
    CK_RV rv = dsk_p11_op_active(h, kind, &s, &op);
    if (rv != CKR_OK)
        return rv;
    if (op->multi) {
        dsk_p11_op_clear(op);
        rv = CKR_FUNCTION_FAILED;
    } else {
        rv = do_crypt(op, kind, in, len, out, out_len);
    }
    dsk_p11_session_release(s);
    return rv;
}

CK_RV dsk_p11_crypt_update(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR in, CK_ULONG len,
                           CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    (void)out;
    dsk_p11_session *s;
    dsk_p11_op *op;
    CK_RV rv = dsk_p11_op_active(h, kind, &s, &op);
    if (rv != CKR_OK)
        return rv;
    op->multi = 1;
    rv = dsk_p11_op_buffer(op, in, len);
    if (rv == CKR_OK && op->buf_len > modulus_bytes(op))
        rv = kind == DSK_OP_DECRYPT ? CKR_ENCRYPTED_DATA_LEN_RANGE : CKR_DATA_LEN_RANGE;
    if (rv == CKR_OK)
        *out_len = 0;
    else
        dsk_p11_op_clear(op);
    dsk_p11_session_release(s);
    return rv;
}

CK_RV dsk_p11_crypt_final(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    dsk_p11_session *s;
    dsk_p11_op *op;
    CK_RV rv = dsk_p11_op_active(h, kind, &s, &op);
    if (rv != CKR_OK)
        return rv;
    rv = do_crypt(op, kind, op->buf, op->buf_len, out, out_len);
    dsk_p11_session_release(s);
    return rv;
}
