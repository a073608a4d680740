/* Signing and verifying, single- and multi-part. Operation lifetime as the
 * standard says: a NULL-buffer length query and CKR_BUFFER_TOO_SMALL keep
 * the operation; every other return ends it. Hashing mechanisms hash here
 * with keys/' digest contexts; the others buffer their input. */
#include <string.h>

#include "internal.h"

static size_t sig_size(const dsk_p11_op *op)
{
    const dsk_type_info *ti = dsk_type_info_get(dsk_key_get_type(op->key));
    return ti ? ti->max_sig : 0;
}

/* The bytes to sign: the digest of hashing mechanisms, else the message. */
static CK_RV sign_input(dsk_p11_op *op, const unsigned char **in, size_t *len, unsigned char md[64])
{
    if (op->hctx) {
        dsk_error err;
        dsk_status st = DSK_OK;
        if (*len)
            st = dsk_hash_update(op->hctx, *in, *len, &err);
        if (st == DSK_OK)
            st = dsk_hash_final(op->hctx, md, &err);
        if (st != DSK_OK)
            return dsk_p11_rv(st, &err, DSK_CTX_SIGN);
        *in = md;
        *len = dsk_hash_size(op->mech->hash);
        return CKR_OK;
    }
    size_t k = sig_size(op);
    switch (op->mech->scheme) {
    case DSK_SIG_RSA_PKCS1:
        /* Written so that no sum can wrap, whatever length came in. */
        return k >= 11 && *len <= k - 11 ? CKR_OK : CKR_DATA_LEN_RANGE;
    case DSK_SIG_RSA_PSS:
        return *len == dsk_hash_size(op->sp.hash) ? CKR_OK : CKR_DATA_LEN_RANGE;
    case DSK_SIG_ECDSA:
        return *len ? CKR_OK : CKR_DATA_LEN_RANGE;
    default:
        return CKR_OK;
    }
}

/* Session lock held. Ends the operation unless it answers a length. */
static CK_RV do_sign(dsk_p11_op *op, const unsigned char *in, size_t len, CK_BYTE_PTR sig,
                     CK_ULONG_PTR sig_len)
{
    size_t need = sig_size(op);
    if (!sig) {
        *sig_len = need;
        return CKR_OK;
    }
    if (*sig_len < need) {
        *sig_len = need;
        return CKR_BUFFER_TOO_SMALL;
    }
    unsigned char md[64];
    CK_RV rv = sign_input(op, &in, &len, md);
    if (rv == CKR_OK) {
        dsk_error err;
        dsk_error_clear(&err);
        size_t out = *sig_len;
        dsk_status st = dsk_key_sign(op->key, &op->sp, in, len, sig, &out, &err);
        rv = dsk_p11_rv(st, &err, DSK_CTX_SIGN);
        if (rv == CKR_OK)
            *sig_len = out;
    }
    dsk_p11_op_clear(op);
    return rv;
}

static CK_RV do_verify(dsk_p11_op *op, const unsigned char *in, size_t len,
                       const unsigned char *sig, size_t sig_len)
{
    unsigned char md[64];
    CK_RV rv = sig_len == sig_size(op) ? CKR_OK : CKR_SIGNATURE_LEN_RANGE;
    if (rv == CKR_OK)
        rv = sign_input(op, &in, &len, md);
    if (rv == CKR_OK) {
        dsk_error err;
        dsk_error_clear(&err);
        dsk_status st = dsk_key_verify(op->key, &op->sp, in, len, sig, sig_len, &err);
        rv = dsk_p11_rv(st, &err, DSK_CTX_VERIFY);
    }
    dsk_p11_op_clear(op);
    return rv;
}

CK_RV dsk_p11_sign_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k, int kind)
{
    return dsk_p11_op_init(h, m, k, kind);
}

CK_RV dsk_p11_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR sig,
                   CK_ULONG_PTR sig_len)
{
    dsk_p11_session *s;
    dsk_p11_op *op;
    CK_RV rv = dsk_p11_op_active(h, DSK_OP_SIGN, &s, &op);
    if (rv != CKR_OK)
        return rv;
    if (op->multi) {
        /* C_Sign cannot finish a multi-part operation. */
        dsk_p11_op_clear(op);
        rv = CKR_FUNCTION_FAILED;
    } else {
        rv = do_sign(op, in, len, sig, sig_len);
    }
    dsk_p11_session_release(s);
    return rv;
}

CK_RV dsk_p11_sign_update(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR in, CK_ULONG len)
{
    dsk_p11_session *s;
    dsk_p11_op *op;
    CK_RV rv = dsk_p11_op_active(h, kind, &s, &op);
    if (rv != CKR_OK)
        return rv;
    op->multi = 1;
    if (op->hctx) {
        dsk_error err;
        rv = dsk_p11_rv(dsk_hash_update(op->hctx, in, len, &err), &err, DSK_CTX_SIGN);
    } else {
        rv = dsk_p11_op_buffer(op, in, len);
    }
    if (rv != CKR_OK)
        dsk_p11_op_clear(op);
    dsk_p11_session_release(s);
    return rv;
}

CK_RV dsk_p11_sign_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    dsk_p11_session *s;
    dsk_p11_op *op;
    CK_RV rv = dsk_p11_op_active(h, DSK_OP_SIGN, &s, &op);
    if (rv != CKR_OK)
        return rv;
    rv = do_sign(op, op->buf, op->buf_len, sig, sig_len);
    dsk_p11_session_release(s);
    return rv;
}

CK_RV dsk_p11_verify(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR sig,
                     CK_ULONG sig_len)
{
    dsk_p11_session *s;
    dsk_p11_op *op;
    CK_RV rv = dsk_p11_op_active(h, DSK_OP_VERIFY, &s, &op);
    if (rv != CKR_OK)
        return rv;
    if (op->multi) {
        dsk_p11_op_clear(op);
        rv = CKR_FUNCTION_FAILED;
    } else {
        rv = do_verify(op, in, len, sig, sig_len);
    }
    dsk_p11_session_release(s);
    return rv;
}

CK_RV dsk_p11_verify_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
    dsk_p11_session *s;
    dsk_p11_op *op;
    CK_RV rv = dsk_p11_op_active(h, DSK_OP_VERIFY, &s, &op);
    if (rv != CKR_OK)
        return rv;
    rv = do_verify(op, op->buf, op->buf_len, sig, sig_len);
    dsk_p11_session_release(s);
    return rv;
}
