/* Login. The login state belongs to a token and is shared by all sessions
 * of the application on it (the standard model). Without a configured PIN
 * nothing is private, yet C_Login/C_Logout are accepted and tracked, since
 * clients log in by habit and check the session state after. */
#include <string.h>

#include "internal.h"

/* Constant-time comparison of the PIN: the time depends on the lengths only. */
static int pin_equal(const unsigned char *a, size_t alen, const char *pin)
{
    size_t blen = strlen(pin);
    unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)(a[i] ^ (unsigned char)pin[i < blen ? i : 0]);
    return diff == 0 && blen > 0;
}

int dsk_p11_can_use_private(CK_SLOT_ID slot)
{
    const dsk_p11_token *t = dsk_p11_token_get(slot);
    return !dsk_p11_has_pin() || (t && t->user == CKU_USER);
}

CK_RV dsk_p11_login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    CK_RV rv = CKR_OK;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    dsk_p11_token *t = s ? dsk_p11_token_get(s->slot) : NULL;
    if (!t) {
        rv = CKR_SESSION_HANDLE_INVALID;
        goto done;
    }
    if (user != CKU_USER && user != CKU_SO && user != CKU_CONTEXT_SPECIFIC) {
        rv = CKR_USER_TYPE_INVALID;
        goto done;
    }
    if (user == CKU_CONTEXT_SPECIFIC) {
        /* No key needs CKA_ALWAYS_AUTHENTICATE, but a client may still
         * authenticate an operation; only the PIN is checked. */
        int active = 0;
        for (int k = 0; k < DSK_OP_COUNT; k++)
            active |= s->ops[k].mech != NULL;
        if (!active || t->user != CKU_USER)
            rv = active ? CKR_USER_NOT_LOGGED_IN : CKR_OPERATION_NOT_INITIALIZED;
        else if (dsk_p11_has_pin() && (!pin || !pin_equal(pin, len, dsk_p11.conf->user_pin)))
            rv = pin ? CKR_PIN_INCORRECT : CKR_ARGUMENTS_BAD;
        if (rv == CKR_PIN_INCORRECT)
            t->pin_count_low = 1;
        goto done;
    }
    if (t->user == user) {
        rv = CKR_USER_ALREADY_LOGGED_IN;
        goto done;
    }
    if (t->user != DSK_P11_NOBODY) {
        rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
        goto done;
    }
    if (user == CKU_SO) {
        for (size_t i = 0; i < dsk_p11.nsessions; i++) {
            const dsk_p11_session *o = dsk_p11.sessions[i];
            if (o->slot == s->slot && !(o->flags & CKF_RW_SESSION)) {
                rv = CKR_SESSION_READ_ONLY_EXISTS;
                goto done;
            }
        }
    }
    /* There is no SO PIN, with or without a user PIN: no PIN is the SO's,
     * and the token cannot be administered. */
    if (user == CKU_SO) {
        rv = CKR_PIN_INCORRECT;
        goto done;
    }
    if (dsk_p11_has_pin()) {
        if (!pin) {
            rv = CKR_ARGUMENTS_BAD;
            goto done;
        }
        if (!pin_equal(pin, len, dsk_p11.conf->user_pin)) {
            t->pin_count_low = 1;
            rv = CKR_PIN_INCORRECT;
            goto done;
        }
    }
    t->pin_count_low = 0;
    t->user = user;
done:
    dsk_p11_unlock();
    return rv;
}

CK_RV dsk_p11_logout(CK_SESSION_HANDLE h)
{
    CK_RV rv = CKR_OK;
    dsk_p11_lock();
    dsk_p11_session *s = dsk_p11_session_find(h);
    dsk_p11_token *t = s ? dsk_p11_token_get(s->slot) : NULL;
    if (!t) {
        rv = CKR_SESSION_HANDLE_INVALID;
    } else if (t->user == DSK_P11_NOBODY) {
        rv = CKR_USER_NOT_LOGGED_IN;
    } else {
        t->user = DSK_P11_NOBODY;
        if (dsk_p11_has_pin()) {
            /* Private objects become unusable: operations on them end (each
             * session sees the new count at its next call; waiting for a
             * session here could mean waiting on dstack with the module
             * lock held) and private session objects are destroyed, as the
             * standard says. */
            atomic_fetch_add_explicit(&t->login_gen, 1, memory_order_release);
            dsk_p11_objects_drop_private_session(s->slot);
        }
    }
    dsk_p11_unlock();
    return rv;
}
