/* Sessions: a table of handles (never reused within a process), their
 * operations, and closing them (which frees their objects). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkgen.h"
#include "internal.h"
#include "wipe.h"

dsk_p11_session *dsk_p11_session_find(CK_SESSION_HANDLE h)
{
    for (size_t i = 0; i < dsk_p11.nsessions; i++)
        if (dsk_p11.sessions[i]->handle == h)
            return dsk_p11.sessions[i];
    return NULL;
}

CK_RV dsk_p11_ready_session(CK_SESSION_HANDLE h)
{
    CK_RV rv = dsk_p11_ready();
    if (rv != CKR_OK)
        return rv;
    dsk_p11_lock();
    int ok = dsk_p11_session_find(h) != NULL;
    dsk_p11_unlock();
    return ok ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
}

static void session_free(dsk_p11_session *s);

/* The session lock is taken without the module lock: it may be held by a
 * call waiting on dstack. The reference keeps the session alive meanwhile,
 * even if another thread closes it. */
CK_RV dsk_p11_session_acquire(CK_SESSION_HANDLE h, dsk_p11_session **out)
{
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    if (s) /* under the module lock: the session cannot be closed meanwhile */
        atomic_fetch_add_explicit(&s->refs_closed, 2, memory_order_relaxed);
    dsk_p11_unlock();
    *out = NULL;
    if (!s)
        return CKR_SESSION_HANDLE_INVALID;
    dsk_p11_mutex_lock(s->lock);
    if (atomic_load_explicit(&s->refs_closed, memory_order_acquire) & 1) {
        dsk_p11_session_release(s);
        return CKR_SESSION_CLOSED;
    }
    *out = s;
    return CKR_OK;
}

void dsk_p11_session_release(dsk_p11_session *s)
{
    dsk_p11_mutex_unlock(s->lock);
    if (atomic_fetch_sub_explicit(&s->refs_closed, 2, memory_order_acq_rel) == 3)
        session_free(s); /* closed while this call ran, and it was the last */
}

void dsk_p11_op_clear(dsk_p11_op *op)
{
    dsk_key_release(op->key); /* held since the operation began (op.c) */
    dsk_hash_free(op->hctx);
    if (op->buf)
        dsk_wipe_free(op->buf, op->buf_cap);
    free(op->oaep_label);
    memset(op, 0, sizeof *op);
}

CK_STATE dsk_p11_session_state(const dsk_p11_session *s)
{
    const dsk_p11_token *t = dsk_p11_token_get(s->slot);
    int rw = (s->flags & CKF_RW_SESSION) != 0;
    if (t && t->user == CKU_SO)
        return CKS_RW_SO_FUNCTIONS;
    if (t && t->user == CKU_USER)
        return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
}

size_t dsk_p11_session_count(CK_SLOT_ID slot, int rw_only)
{
    size_t n = 0;
    for (size_t i = 0; i < dsk_p11.nsessions; i++) {
        const dsk_p11_session *s = dsk_p11.sessions[i];
        if (s->slot == slot && (!rw_only || (s->flags & CKF_RW_SESSION)))
            n++;
    }
    return n;
}

CK_RV dsk_p11_open_session(CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE_PTR out)
{
    if (!(flags & CKF_SERIAL_SESSION))
        return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    CK_RV rv = CKR_OK;
    dsk_p11_session *s = NULL;
    dsk_p11_lock();
    dsk_p11_token *t = dsk_p11_token_get(slot);
    if (!t) {
        rv = CKR_SLOT_ID_INVALID;
        goto done;
    }
    if (t->user == CKU_SO && !(flags & CKF_RW_SESSION)) {
        rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
        goto done;
    }
    if (dsk_p11.nsessions == dsk_p11.csessions) {
        size_t c = dsk_p11.csessions ? 2 * dsk_p11.csessions : 16;
        dsk_p11_session **a = realloc(dsk_p11.sessions, c * sizeof *a);
        if (!a) {
            rv = CKR_HOST_MEMORY;
            goto done;
        }
        dsk_p11.sessions = a;
        dsk_p11.csessions = c;
    }
    if (!(s = calloc(1, sizeof *s))) {
        rv = CKR_HOST_MEMORY;
        goto done;
    }
    if ((rv = dsk_p11_mutex_new(&s->lock)) != CKR_OK) {
        free(s);
        goto done;
    }
    s->handle = ++dsk_p11.next_session;
    s->slot = slot;
    s->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
    dsk_p11.sessions[dsk_p11.nsessions++] = s;
    *out = s->handle;
done:
    dsk_p11_unlock();
    return rv;
}

static void session_free(dsk_p11_session *s)
{
    for (int k = 0; k < DSK_OP_COUNT; k++)
        dsk_p11_op_clear(&s->ops[k]);
    free(s->found);
    dsk_p11_mutex_free(s->lock);
    free(s);
}

/* Module lock held. Never waits: a call still running in the session (it
 * may be waiting on dstack) holds a reference, and the last reference
 * frees the session when that call returns. */
static void session_close_at(size_t i)
{
    dsk_p11_session *s = dsk_p11.sessions[i];
    CK_SLOT_ID slot = s->slot;
    dsk_p11.sessions[i] = dsk_p11.sessions[--dsk_p11.nsessions];
    dsk_p11_objects_drop_session(s->handle);
    if (atomic_fetch_or_explicit(&s->refs_closed, 1, memory_order_acq_rel) == 0)
        session_free(s); /* no call in it */
    /* Closing the last session of a token logs the application out. */
    dsk_p11_token *t = dsk_p11_token_get(slot);
    if (t && dsk_p11_session_count(slot, 0) == 0 && t->user != DSK_P11_NOBODY) {
        dsk_p11_objects_drop_private_session(slot);
        t->user = DSK_P11_NOBODY;
    }
}

CK_RV dsk_p11_close_session(CK_SESSION_HANDLE h)
{
    CK_RV rv = CKR_SESSION_HANDLE_INVALID;
    dsk_p11_lock();
    for (size_t i = 0; i < dsk_p11.nsessions; i++) {
        if (dsk_p11.sessions[i]->handle == h) {
            session_close_at(i);
            rv = CKR_OK;
            break;
        }
    }
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_close_all_sessions(CK_SLOT_ID slot)
{
    dsk_p11_lock();
    CK_RV rv = dsk_p11_token_get(slot) ? CKR_OK : CKR_SLOT_ID_INVALID;
    for (size_t i = dsk_p11.nsessions; rv == CKR_OK && i-- > 0;)
        if (dsk_p11.sessions[i]->slot == slot)
            session_close_at(i);
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    if (s) {
        info->slotID = s->slot;
        info->state = dsk_p11_session_state(s);
        info->flags = s->flags;
        info->ulDeviceError = 0;
    }
    dsk_p11_unlock();
    return s ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
}

void dsk_p11_sessions_free(void)
{
    for (size_t i = 0; i < dsk_p11.nsessions; i++) {
        dsk_p11_session *s = dsk_p11.sessions[i];
        for (int k = 0; k < DSK_OP_COUNT; k++)
            dsk_p11_op_clear(&s->ops[k]);
        free(s->found);
        if (dsk_p11.gen == dsk_fork_gen())
            dsk_p11_mutex_free(s->lock);
        else
            dsk_p11_mutex_abandon(s->lock);
        free(s);
    }
    free(dsk_p11.sessions);
    dsk_p11.sessions = NULL;
    dsk_p11.nsessions = dsk_p11.csessions = 0;
    for (size_t i = 0; i < dsk_p11.ntokens; i++)
        dsk_p11.tokens[i].user = DSK_P11_NOBODY;
}

CK_RV dsk_p11_session_cancel(CK_SESSION_HANDLE h, CK_FLAGS flags)
{
    static const CK_FLAGS kind_flag[DSK_OP_COUNT] = {CKF_SIGN, CKF_VERIFY, CKF_ENCRYPT,
                                                     CKF_DECRYPT};
    dsk_p11_session *s;
    CK_RV rv = dsk_p11_session_acquire(h, &s);
    if (rv != CKR_OK)
        return rv;
    for (int k = 0; k < DSK_OP_COUNT; k++)
        if (flags & kind_flag[k])
            dsk_p11_op_clear(&s->ops[k]);
    if (flags & CKF_FIND_OBJECTS) {
        free(s->found);
        s->found = NULL;
        s->finding = 0;
    }
    dsk_p11_session_release(s);
    return CKR_OK;
}

void dsk_p11_op_abort(CK_SESSION_HANDLE h, int kind)
{
    dsk_p11_session *s;
    if (dsk_p11_session_acquire(h, &s) != CKR_OK)
        return;
    dsk_p11_op_clear(&s->ops[kind]);
    dsk_p11_session_release(s);
}
