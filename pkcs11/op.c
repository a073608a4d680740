/* Starting an operation (C_SignInit, C_VerifyInit, C_EncryptInit,
 * C_DecryptInit): the key, the mechanism and its parameters are checked
 * once here, so that the operation itself only runs. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "wipe.h"

#define DSK_P11_MAX_BUFFER (64u * 1024 * 1024)
/* An OAEP label is copied for the operation: no real one is near this. */
#define DSK_P11_MAX_OAEP_LABEL (64u * 1024)

static const CK_FLAGS kind_flag[DSK_OP_COUNT] = {CKF_SIGN, CKF_VERIFY, CKF_ENCRYPT, CKF_DECRYPT};

static CK_RV pss_params(const CK_MECHANISM *m, const dsk_p11_mech *mech, dsk_key *key,
                        dsk_sign_params *sp)
{
    if (!m->pParameter || m->ulParameterLen != sizeof(CK_RSA_PKCS_PSS_PARAMS))
        return CKR_MECHANISM_PARAM_INVALID;
    CK_RSA_PKCS_PSS_PARAMS p;
    memcpy(&p, m->pParameter, sizeof p);
    dsk_hash h = dsk_p11_hash_of_mech(p.hashAlg), mgf = dsk_p11_hash_of_mgf(p.mgf);
    if (h == DSK_HASH_NONE || mgf == DSK_HASH_NONE)
        return CKR_MECHANISM_PARAM_INVALID;
    /* A combined mechanism hashes with its own hash: the parameters must
     * say the same, or the signature would not be what the caller thinks. */
    if (mech->hash != DSK_HASH_NONE && mech->hash != h)
        return CKR_MECHANISM_PARAM_INVALID;
    const dsk_type_info *ti = dsk_type_info_get(dsk_key_get_type(key));
    size_t emlen = ti ? (size_t)(ti->bits + 7) / 8 : 0;
    if (p.sLen > emlen || dsk_hash_size(h) + p.sLen + 2 > emlen)
        return CKR_MECHANISM_PARAM_INVALID;
    sp->hash = h;
    sp->mgf1 = mgf;
    sp->salt_len = (long)p.sLen;
    return CKR_OK;
}

static CK_RV oaep_params(const CK_MECHANISM *m, dsk_p11_op *op)
{
    if (!m->pParameter || m->ulParameterLen != sizeof(CK_RSA_PKCS_OAEP_PARAMS))
        return CKR_MECHANISM_PARAM_INVALID;
    CK_RSA_PKCS_OAEP_PARAMS p;
    memcpy(&p, m->pParameter, sizeof p);
    dsk_hash h = dsk_p11_hash_of_mech(p.hashAlg), mgf = dsk_p11_hash_of_mgf(p.mgf);
    if (h == DSK_HASH_NONE || mgf == DSK_HASH_NONE)
        return CKR_MECHANISM_PARAM_INVALID;
    /* Some applications leave source at 0 when they pass no label. */
    if (p.source != CKZ_DATA_SPECIFIED && (p.source != 0 || p.ulSourceDataLen))
        return CKR_MECHANISM_PARAM_INVALID;
    if ((p.ulSourceDataLen && !p.pSourceData) || p.ulSourceDataLen > DSK_P11_MAX_OAEP_LABEL)
        return CKR_MECHANISM_PARAM_INVALID;
    if (p.ulSourceDataLen) {
        if (!(op->oaep_label = malloc(p.ulSourceDataLen)))
            return CKR_HOST_MEMORY;
        memcpy(op->oaep_label, p.pSourceData, p.ulSourceDataLen);
    }
    op->ep.hash = h;
    op->ep.mgf1 = mgf;
    op->ep.label = op->oaep_label;
    op->ep.label_len = p.ulSourceDataLen;
    return CKR_OK;
}

static CK_RV eddsa_params(const CK_MECHANISM *m)
{
    if (!m->pParameter && !m->ulParameterLen)
        return CKR_OK;
    if (!m->pParameter || m->ulParameterLen != sizeof(CK_EDDSA_PARAMS))
        return CKR_MECHANISM_PARAM_INVALID;
    CK_EDDSA_PARAMS p;
    memcpy(&p, m->pParameter, sizeof p);
    /* Only pure Ed25519: no prehash, no context. */
    return p.phFlag || p.ulContextDataLen ? CKR_MECHANISM_PARAM_INVALID : CKR_OK;
}

static CK_RV set_params(dsk_p11_op *op, const CK_MECHANISM *m, int kind)
{
    const dsk_p11_mech *mech = op->mech;
    if (kind == DSK_OP_ENCRYPT || kind == DSK_OP_DECRYPT) {
        op->ep.scheme = mech->enc;
        if (mech->type == CKM_RSA_PKCS_OAEP)
            return oaep_params(m, op);
        return m->ulParameterLen ? CKR_MECHANISM_PARAM_INVALID : CKR_OK;
    }
    op->sp.scheme = mech->scheme;
    op->sp.hash = mech->hash;
    op->sp.der = 0;
    if (mech->scheme == DSK_SIG_RSA_PSS)
        return pss_params(m, mech, op->key, &op->sp);
    if (mech->scheme == DSK_SIG_EDDSA)
        return eddsa_params(m);
    return m->ulParameterLen ? CKR_MECHANISM_PARAM_INVALID : CKR_OK;
}

/* Is this object the right kind of key for the operation? */
static CK_RV check_key(const dsk_p11_object *o, const dsk_p11_mech *mech, int kind)
{
    static const CK_OBJECT_CLASS cls[DSK_OP_COUNT] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY,
                                                      CKO_PUBLIC_KEY, CKO_PRIVATE_KEY};
    if (o->cls != cls[kind] || !o->key)
        return CKR_KEY_TYPE_INCONSISTENT;
    if (!(mech->key_types & (1u << dsk_key_get_type(o->key))))
        return CKR_KEY_TYPE_INCONSISTENT;
    const CK_BBOOL allowed[DSK_OP_COUNT] = {o->sign, o->verify, o->encrypt, o->decrypt};
    return allowed[kind] ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED;
}

CK_RV dsk_p11_op_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k, int kind)
{
    dsk_p11_session *s;
    CK_RV rv = dsk_p11_session_acquire(h, &s);
    if (rv != CKR_OK)
        return rv;
    dsk_p11_lock(); /* session lock first, then the module lock */
    dsk_p11_op *op = &s->ops[kind];
    const dsk_p11_object *o = dsk_p11_object_visible(s, k);
    const dsk_p11_mech *mech = dsk_p11_mech_find(m->mechanism);
    const dsk_p11_token *t = dsk_p11_token_get(s->slot);
    unsigned gen = t ? atomic_load_explicit(&t->login_gen, memory_order_acquire) : 0;
    if (op->mech && op->key_private && op->login_gen != gen)
        dsk_p11_op_clear(op); /* ended by a logout */
    if (op->mech) {
        rv = CKR_OPERATION_ACTIVE;
        goto done;
    }
    if (!mech || !(mech->flags & kind_flag[kind])) {
        rv = CKR_MECHANISM_INVALID;
        goto done;
    }
    if (!o) {
        rv = CKR_KEY_HANDLE_INVALID;
        goto done;
    }
    if ((rv = check_key(o, mech, kind)) != CKR_OK)
        goto done;
    op->mech = mech;
    op->key = o->key;
    dsk_key_hold(op->key); /* the object may be destroyed while this runs */
    op->obj = o->handle;
    op->key_private = o->priv;
    op->login_gen = gen;
    if ((rv = set_params(op, m, kind)) != CKR_OK)
        goto done;
    if (mech->hash != DSK_HASH_NONE) {
        dsk_error err;
        dsk_status st = dsk_hash_new(mech->hash, &op->hctx, &err);
        rv = dsk_p11_rv(st, &err, DSK_CTX_GENERAL);
    }
done:
    if (rv != CKR_OK && rv != CKR_OPERATION_ACTIVE)
        dsk_p11_op_clear(op);
    dsk_p11_unlock();
    dsk_p11_session_release(s);
    return rv;
}

CK_RV dsk_p11_op_buffer(dsk_p11_op *op, const unsigned char *in, size_t len)
{
    if (!len)
        return CKR_OK;
    if (len > DSK_P11_MAX_BUFFER - op->buf_len)
        return CKR_DATA_LEN_RANGE;
    if (op->buf_len + len > op->buf_cap) {
        size_t cap = op->buf_cap ? op->buf_cap : 256;
        while (cap < op->buf_len + len)
            cap *= 2;
        /* The buffer may hold plaintext: grow by copy and wipe, not realloc. */
        unsigned char *n = malloc(cap);
        if (!n)
            return CKR_HOST_MEMORY;
        if (op->buf_len)
            memcpy(n, op->buf, op->buf_len);
        if (op->buf)
            dsk_wipe_free(op->buf, op->buf_cap);
        op->buf = n;
        op->buf_cap = cap;
    }
    memcpy(op->buf + op->buf_len, in, len);
    op->buf_len += len;
    return CKR_OK;
}

CK_RV dsk_p11_op_active(CK_SESSION_HANDLE h, int kind, dsk_p11_session **s, dsk_p11_op **op)
{
    CK_RV rv = dsk_p11_session_acquire(h, s);
    if (rv != CKR_OK)
        return rv;
    *op = &(*s)->ops[kind];
    if ((*op)->mech && (*op)->key_private) {
        /* Ended by a logout since it started? No module lock: the token
         * table is fixed while the module is initialised, and the count is
         * atomic (one lock less per signature for threads that share it). */
        const dsk_p11_token *t = dsk_p11_token_get((*s)->slot);
        int ended =
            !t || atomic_load_explicit(&t->login_gen, memory_order_acquire) != (*op)->login_gen;
        if (ended)
            dsk_p11_op_clear(*op);
    }
    if (!(*op)->mech) {
        dsk_p11_session_release(*s);
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    return CKR_OK;
}
