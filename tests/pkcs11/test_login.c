/* login.c and session.c: sessions and their states, and the login model
 * without a PIN (nothing private, login tracked) and with one (private keys
 * invisible and unusable until login, wrong PIN refused). */
#include "p11test.h"

#include <string.h>

static void state_is(CK_SESSION_HANDLE s, CK_STATE want)
{
    CK_SESSION_INFO i;
    CK(T.f->C_GetSessionInfo(s, &i));
    assert_int_equal(i.state, want);
}

static void test_sessions_without_pin(void **state)
{
    (void)state;
    CK_SLOT_ID slot = p11t_slot("dstack");
    CK_TOKEN_INFO ti;
    CK(T.f->C_GetTokenInfo(slot, &ti));
    assert_int_equal(ti.flags & CKF_LOGIN_REQUIRED, 0);
    CK_SESSION_HANDLE ro = p11t_session(slot, 0), rw = p11t_session(slot, 1);
    CK(T.f->C_GetTokenInfo(slot, &ti));
    assert_int_equal(ti.ulSessionCount, 2);
    assert_int_equal(ti.ulRwSessionCount, 1);
    CK_SESSION_INFO si;
    CK(T.f->C_GetSessionInfo(rw, &si));
    assert_int_equal(si.slotID, slot);
    assert_int_equal(si.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION);
    state_is(ro, CKS_RO_PUBLIC_SESSION);
    state_is(rw, CKS_RW_PUBLIC_SESSION);
    /* Keys are usable without login... */
    assert_int_not_equal(p11t_find(ro, CKO_PRIVATE_KEY, "web"), 0);
    /* ...and login is accepted with any PIN and tracked for the token. */
    CK(T.f->C_Login(ro, CKU_USER, (CK_UTF8CHAR_PTR) "anything", 8));
    state_is(ro, CKS_RO_USER_FUNCTIONS);
    state_is(rw, CKS_RW_USER_FUNCTIONS);
    assert_int_equal(T.f->C_Login(rw, CKU_USER, NULL, 0), CKR_USER_ALREADY_LOGGED_IN);
    assert_int_equal(T.f->C_Login(rw, CKU_SO, NULL, 0), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
    CK(T.f->C_Logout(rw));
    state_is(ro, CKS_RO_PUBLIC_SESSION);
    assert_int_equal(T.f->C_Logout(rw), CKR_USER_NOT_LOGGED_IN);
    /* SO login needs every session to be R/W */
    assert_int_equal(T.f->C_Login(rw, CKU_SO, NULL, 0), CKR_SESSION_READ_ONLY_EXISTS);
    CK(T.f->C_CloseSession(ro));
    /* There is no SO PIN, so no PIN is the SO's: the SO never logs in. */
    static const char *const sopins[] = {"", "0000", "anything", "sososo"};
    for (size_t i = 0; i < sizeof sopins / sizeof sopins[0]; i++)
        assert_int_equal(T.f->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)sopins[i], strlen(sopins[i])),
                         CKR_PIN_INCORRECT);
    assert_int_equal(T.f->C_Login(rw, CKU_SO, NULL, 0), CKR_PIN_INCORRECT);
    state_is(rw, CKS_RW_PUBLIC_SESSION);
    CK(T.f->C_Login(rw, CKU_USER, NULL, 0));
    /* Closing the last session logs out */
    CK(T.f->C_CloseAllSessions(slot));
    CK(T.f->C_GetTokenInfo(slot, &ti));
    assert_int_equal(ti.ulSessionCount, 0);
    ro = p11t_session(slot, 0);
    state_is(ro, CKS_RO_PUBLIC_SESSION);
    /* Login in one token does not log in the other */
    CK_SESSION_HANDLE ed = p11t_session(p11t_slot("dstack-ed25519"), 0);
    CK(T.f->C_Login(ro, CKU_USER, NULL, 0));
    state_is(ed, CKS_RO_PUBLIC_SESSION);
    CK(T.f->C_LoginUser(ed, CKU_USER, NULL, 0, (CK_UTF8CHAR_PTR) "me", 2));
    state_is(ed, CKS_RO_USER_FUNCTIONS);
    CK(T.f->C_CloseSession(ro));
    CK(T.f->C_CloseSession(ed));
}

static void test_with_pin(void **state)
{
    (void)state;
    p11t_restart("pin = 4321\n", NULL);
    CK_SLOT_ID slot = p11t_slot("dstack");
    CK_TOKEN_INFO ti;
    CK(T.f->C_GetTokenInfo(slot, &ti));
    assert_int_equal(ti.flags & CKF_LOGIN_REQUIRED, CKF_LOGIN_REQUIRED);
    CK_SESSION_HANDLE s = p11t_session(slot, 0), s2 = p11t_session(slot, 1);
    /* Before login: public keys and certificates only */
    assert_int_equal(p11t_find(s, CKO_PRIVATE_KEY, "web"), 0);
    CK_OBJECT_HANDLE pub = p11t_find(s, CKO_PUBLIC_KEY, "web");
    assert_int_not_equal(pub, 0);
    assert_false(p11t_attr_bool(s, pub, CKA_PRIVATE));
    assert_int_not_equal(p11t_find(s, CKO_CERTIFICATE, "web"), 0);
    /* Private session objects need a login */
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls}, {CKA_PRIVATE, &yes, 1}, {CKA_LABEL, "secret-note", 11}};
    CK_OBJECT_HANDLE o;
    assert_int_equal(T.f->C_CreateObject(s, t, 3, &o), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(T.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4), CKR_PIN_INCORRECT);
    assert_int_equal(T.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "43210", 5), CKR_PIN_INCORRECT);
    assert_int_equal(T.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "432", 3), CKR_PIN_INCORRECT);
    assert_int_equal(T.f->C_Login(s, CKU_USER, NULL, 0), CKR_ARGUMENTS_BAD);
    /* A wrong PIN since the last good login shows as CKF_USER_PIN_COUNT_LOW. */
    CK(T.f->C_GetTokenInfo(slot, &ti));
    assert_int_equal(ti.flags & CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_COUNT_LOW);
    assert_int_equal(T.f->C_Login(s2, CKU_SO, (CK_UTF8CHAR_PTR) "4321", 4),
                     CKR_SESSION_READ_ONLY_EXISTS);
    state_is(s, CKS_RO_PUBLIC_SESSION);
    CK(T.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "4321", 4));
    state_is(s2, CKS_RW_USER_FUNCTIONS);
    CK(T.f->C_GetTokenInfo(slot, &ti));
    assert_int_equal(ti.flags & CKF_USER_PIN_COUNT_LOW, 0);
    /* The SO has no PIN, the user's is not it. */
    CK(T.f->C_Logout(s));
    CK_SESSION_HANDLE rw = p11t_session(slot, 1);
    CK(T.f->C_CloseSession(s));
    assert_int_equal(T.f->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR) "4321", 4), CKR_PIN_INCORRECT);
    CK(T.f->C_CloseSession(rw));
    s = p11t_session(slot, 0);
    CK(T.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "4321", 4));
    CK_OBJECT_HANDLE k = p11t_find(s2, CKO_PRIVATE_KEY, "web");
    assert_int_not_equal(k, 0);
    assert_true(p11t_attr_bool(s, k, CKA_PRIVATE));
    CK(T.f->C_CreateObject(s, t, 3, &o));
    /* A signature operation is started, then the user logs out */
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    unsigned char dg[32] = {3}, sig[64];
    CK_ULONG len = sizeof sig;
    CK(T.f->C_SignInit(s, &m, k));
    CK(T.f->C_Logout(s2));
    assert_int_equal(T.f->C_Sign(s, dg, 32, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(T.f->C_SignInit(s, &m, k), CKR_KEY_HANDLE_INVALID);
    CK_ATTRIBUTE a = {CKA_LABEL, NULL, 0};
    assert_int_equal(T.f->C_GetAttributeValue(s, k, &a, 1), CKR_OBJECT_HANDLE_INVALID);
    /* The private session object is gone with the login */
    CK(T.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "4321", 4));
    assert_int_equal(p11t_find(s, CKO_DATA, "secret-note"), 0);
    CK(T.f->C_SignInit(s, &m, k));
    CK(T.f->C_Sign(s, dg, 32, sig, &len));
    /* Context-specific login re-checks the PIN during an operation */
    CK(T.f->C_SignInit(s, &m, k));
    assert_int_equal(T.f->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR) "0000", 4),
                     CKR_PIN_INCORRECT);
    CK(T.f->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR) "4321", 4));
    len = sizeof sig;
    CK(T.f->C_Sign(s, dg, 32, sig, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sessions_without_pin),
        cmocka_unit_test(test_with_pin),
    };
    return cmocka_run_group_tests(tests, p11t_group_setup, p11t_group_teardown);
}
