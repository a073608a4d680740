/* Invalid use never crashes: every entry point with NULL pointers, wrong,
 * stale and random handles, wrong states, short buffers and bad mechanism
 * parameters. Each call must return the standard's code. */
#include "p11test.h"

#include <stdlib.h>
#include <string.h>

#define RV(expect, call) assert_int_equal((call), (expect))
#define NI(call) RV(CKR_CRYPTOKI_NOT_INITIALIZED, call)
#define BAD(call) RV(CKR_ARGUMENTS_BAD, call)

static const char *const KEYS = "[key web]\npath = /my-app/tls\ntype = ec-p256\n"
                                "[key deriveonly]\ntype = ec-p256\nusage = derive\n"
                                "[key ssh]\ntype = ed25519\n";

static CK_FUNCTION_LIST_3_0 *f;

/* Every function but the interface getters, before C_Initialize. */
static void test_not_initialized(void **state)
{
    (void)state;
    CK_BYTE b[16];
    CK_ULONG n = 0;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    NI(f->C_Finalize(NULL));
    NI(f->C_GetInfo(NULL));
    NI(f->C_GetSlotList(CK_TRUE, NULL, &n));
    NI(f->C_GetSlotInfo(0, NULL));
    NI(f->C_GetTokenInfo(0, NULL));
    NI(f->C_GetMechanismList(0, NULL, &n));
    NI(f->C_GetMechanismInfo(0, CKM_ECDSA, NULL));
    NI(f->C_InitToken(0, NULL, 0, NULL));
    NI(f->C_InitPIN(1, NULL, 0));
    NI(f->C_SetPIN(1, NULL, 0, NULL, 0));
    NI(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, NULL));
    NI(f->C_CloseSession(1));
    NI(f->C_CloseAllSessions(0));
    NI(f->C_GetSessionInfo(1, NULL));
    NI(f->C_GetOperationState(1, NULL, NULL));
    NI(f->C_SetOperationState(1, NULL, 0, 0, 0));
    NI(f->C_Login(1, CKU_USER, NULL, 0));
    NI(f->C_Logout(1));
    NI(f->C_CreateObject(1, NULL, 0, NULL));
    NI(f->C_CopyObject(1, 1, NULL, 0, NULL));
    NI(f->C_DestroyObject(1, 1));
    NI(f->C_GetObjectSize(1, 1, NULL));
    NI(f->C_GetAttributeValue(1, 1, NULL, 0));
    NI(f->C_SetAttributeValue(1, 1, NULL, 0));
    NI(f->C_FindObjectsInit(1, NULL, 0));
    NI(f->C_FindObjects(1, NULL, 0, NULL));
    NI(f->C_FindObjectsFinal(1));
    NI(f->C_EncryptInit(1, NULL, 1));
    NI(f->C_Encrypt(1, NULL, 0, NULL, NULL));
    NI(f->C_EncryptUpdate(1, NULL, 0, NULL, NULL));
    NI(f->C_EncryptFinal(1, NULL, NULL));
    NI(f->C_DecryptInit(1, &m, 1));
    NI(f->C_Decrypt(1, NULL, 0, NULL, NULL));
    NI(f->C_DecryptUpdate(1, NULL, 0, NULL, NULL));
    NI(f->C_DecryptFinal(1, NULL, NULL));
    NI(f->C_DigestInit(1, NULL));
    NI(f->C_Digest(1, NULL, 0, NULL, NULL));
    NI(f->C_DigestUpdate(1, NULL, 0));
    NI(f->C_DigestKey(1, 1));
    NI(f->C_DigestFinal(1, NULL, NULL));
    NI(f->C_SignInit(1, &m, 1));
    NI(f->C_Sign(1, b, sizeof b, NULL, NULL));
    NI(f->C_SignUpdate(1, NULL, 0));
    NI(f->C_SignFinal(1, NULL, NULL));
    NI(f->C_SignRecoverInit(1, NULL, 1));
    NI(f->C_SignRecover(1, NULL, 0, NULL, NULL));
    NI(f->C_VerifyInit(1, NULL, 1));
    NI(f->C_Verify(1, NULL, 0, NULL, 0));
    NI(f->C_VerifyUpdate(1, NULL, 0));
    NI(f->C_VerifyFinal(1, NULL, 0));
    NI(f->C_VerifyRecoverInit(1, NULL, 1));
    NI(f->C_VerifyRecover(1, NULL, 0, NULL, NULL));
    NI(f->C_DigestEncryptUpdate(1, NULL, 0, NULL, NULL));
    NI(f->C_DecryptDigestUpdate(1, NULL, 0, NULL, NULL));
    NI(f->C_SignEncryptUpdate(1, NULL, 0, NULL, NULL));
    NI(f->C_DecryptVerifyUpdate(1, NULL, 0, NULL, NULL));
    NI(f->C_GenerateKey(1, NULL, NULL, 0, NULL));
    NI(f->C_GenerateKeyPair(1, NULL, NULL, 0, NULL, 0, NULL, NULL));
    NI(f->C_WrapKey(1, NULL, 1, 1, NULL, NULL));
    NI(f->C_UnwrapKey(1, NULL, 1, NULL, 0, NULL, 0, NULL));
    NI(f->C_DeriveKey(1, NULL, 1, NULL, 0, NULL));
    NI(f->C_SeedRandom(1, NULL, 0));
    NI(f->C_GenerateRandom(1, NULL, 0));
    NI(f->C_GetFunctionStatus(1));
    NI(f->C_CancelFunction(1));
    NI(f->C_WaitForSlotEvent(0, NULL, NULL));
    NI(f->C_LoginUser(1, CKU_USER, NULL, 0, NULL, 0));
    NI(f->C_SessionCancel(1, CKF_SIGN));
    NI(f->C_MessageEncryptInit(1, NULL, 1));
    NI(f->C_EncryptMessage(1, NULL, 0, NULL, 0, NULL, 0, NULL, NULL));
    NI(f->C_EncryptMessageBegin(1, NULL, 0, NULL, 0));
    NI(f->C_EncryptMessageNext(1, NULL, 0, NULL, 0, NULL, NULL, 0));
    NI(f->C_MessageEncryptFinal(1));
    NI(f->C_MessageDecryptInit(1, NULL, 1));
    NI(f->C_DecryptMessage(1, NULL, 0, NULL, 0, NULL, 0, NULL, NULL));
    NI(f->C_DecryptMessageBegin(1, NULL, 0, NULL, 0));
    NI(f->C_DecryptMessageNext(1, NULL, 0, NULL, 0, NULL, NULL, 0));
    NI(f->C_MessageDecryptFinal(1));
    NI(f->C_MessageSignInit(1, NULL, 1));
    NI(f->C_SignMessage(1, NULL, 0, NULL, 0, NULL, NULL));
    NI(f->C_SignMessageBegin(1, NULL, 0));
    NI(f->C_SignMessageNext(1, NULL, 0, NULL, 0, NULL, NULL));
    NI(f->C_MessageSignFinal(1));
    NI(f->C_MessageVerifyInit(1, NULL, 1));
    NI(f->C_VerifyMessage(1, NULL, 0, NULL, 0, NULL, 0));
    NI(f->C_VerifyMessageBegin(1, NULL, 0));
    NI(f->C_VerifyMessageNext(1, NULL, 0, NULL, 0, NULL, 0));
    NI(f->C_MessageVerifyFinal(1));
}

/* NULL where the standard wants a pointer. */
static void test_null_pointers(void **state)
{
    (void)state;
    CK(f->C_Initialize(NULL));
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 1);
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "web");
    CK_OBJECT_HANDLE pub = p11t_find(s, CKO_PUBLIC_KEY, "web");
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK_BYTE b[64];
    CK_ULONG n = sizeof b;
    BAD(f->C_GetInfo(NULL));
    BAD(f->C_GetSlotList(CK_TRUE, NULL, NULL));
    BAD(f->C_GetSlotInfo(0, NULL));
    BAD(f->C_GetTokenInfo(0, NULL));
    BAD(f->C_GetMechanismList(0, NULL, NULL));
    BAD(f->C_GetMechanismInfo(0, CKM_ECDSA, NULL));
    BAD(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, NULL));
    BAD(f->C_GetSessionInfo(s, NULL));
    BAD(f->C_Login(s, CKU_USER, NULL, 4));
    BAD(f->C_LoginUser(s, CKU_USER, NULL, 4, NULL, 0));
    BAD(f->C_CreateObject(s, NULL, 1, &n));
    BAD(f->C_CreateObject(s, NULL, 0, NULL));
    BAD(f->C_CopyObject(s, k, NULL, 0, NULL));
    BAD(f->C_GetObjectSize(s, k, NULL));
    BAD(f->C_GetAttributeValue(s, k, NULL, 1));
    BAD(f->C_SetAttributeValue(s, k, NULL, 1));
    BAD(f->C_FindObjectsInit(s, NULL, 1));
    CK(f->C_FindObjectsInit(s, NULL, 0));
    BAD(f->C_FindObjects(s, NULL, 1, &n));
    CK_OBJECT_HANDLE oh, h1, h2;
    BAD(f->C_FindObjects(s, &oh, 1, NULL));
    CK(f->C_FindObjectsFinal(s));
    /* Attribute values that are not there: NULL with a length, or a length
     * left at CK_UNAVAILABLE_INFORMATION by C_GetAttributeValue. */
    CK_ATTRIBUTE nolabel = {CKA_LABEL, NULL, 3};
    CK(f->C_FindObjectsInit(s, &nolabel, 1)); /* matches nothing */
    CK(f->C_FindObjects(s, &oh, 1, &n));
    assert_int_equal(n, 0);
    CK(f->C_FindObjectsFinal(s));
    CK_OBJECT_CLASS dcls = CKO_DATA;
    CK_ATTRIBUTE novalue[] = {{CKA_CLASS, &dcls, sizeof dcls}, {CKA_VALUE, NULL, 5}};
    RV(CKR_ATTRIBUTE_VALUE_INVALID, f->C_CreateObject(s, novalue, 2, &oh));
    CK_ATTRIBUTE noclass = {CKA_CLASS, NULL, sizeof dcls};
    RV(CKR_ATTRIBUTE_VALUE_INVALID, f->C_CreateObject(s, &noclass, 1, &oh));
    RV(CKR_ACTION_PROHIBITED, f->C_SetAttributeValue(s, k, &nolabel, 1));
    CK(f->C_CreateObject(s, novalue, 1, &oh));
    RV(CKR_ATTRIBUTE_VALUE_INVALID, f->C_SetAttributeValue(s, oh, &nolabel, 1));
    RV(CKR_ATTRIBUTE_VALUE_INVALID, f->C_CopyObject(s, oh, &nolabel, 1, &h1));
    CK_ATTRIBUTE unavailable = {CKA_LABEL, b, CK_UNAVAILABLE_INFORMATION};
    RV(CKR_ATTRIBUTE_VALUE_INVALID, f->C_SetAttributeValue(s, oh, &unavailable, 1));
    RV(CKR_ATTRIBUTE_VALUE_INVALID, f->C_CopyObject(s, oh, &unavailable, 1, &h1));
    CK_MECHANISM kg = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE noparams = {CKA_EC_PARAMS, NULL, 10};
    CK_ATTRIBUTE lab = {CKA_LABEL, "n", 1};
    RV(CKR_CURVE_NOT_SUPPORTED, f->C_GenerateKeyPair(s, &kg, &noparams, 1, &lab, 1, &h1, &h2));
    static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_ATTRIBUTE params = {CKA_EC_PARAMS, (void *)p256, sizeof p256};
    RV(CKR_ATTRIBUTE_VALUE_INVALID,
       f->C_GenerateKeyPair(s, &kg, &params, 1, &nolabel, 1, &h1, &h2));
    CK_ATTRIBUTE badtoken[] = {{CKA_LABEL, "n", 1}, {CKA_TOKEN, NULL, 1}};
    RV(CKR_ATTRIBUTE_VALUE_INVALID,
       f->C_GenerateKeyPair(s, &kg, &params, 1, badtoken, 2, &h1, &h2));
    BAD(f->C_SignInit(s, NULL, k));
    BAD(f->C_VerifyInit(s, NULL, pub));
    BAD(f->C_EncryptInit(s, NULL, pub));
    BAD(f->C_DecryptInit(s, NULL, k));
    /* A bad argument ends the running operation like any other error. */
    CK(f->C_SignInit(s, &m, k));
    BAD(f->C_Sign(s, b, 32, b, NULL));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Sign(s, b, 32, NULL, &n));
    CK(f->C_SignInit(s, &m, k));
    BAD(f->C_Sign(s, NULL, 32, NULL, &n));
    CK(f->C_SignInit(s, &m, k));
    BAD(f->C_SignUpdate(s, NULL, 3));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_SignFinal(s, NULL, &n));
    CK(f->C_SignInit(s, &m, k));
    BAD(f->C_SignFinal(s, NULL, NULL));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_SignFinal(s, NULL, &n));
    CK(f->C_VerifyInit(s, &m, pub));
    BAD(f->C_Verify(s, b, 32, NULL, 64));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Verify(s, b, 32, b, 64));
    CK(f->C_VerifyInit(s, &m, pub));
    BAD(f->C_VerifyUpdate(s, NULL, 1));
    CK(f->C_VerifyInit(s, &m, pub));
    BAD(f->C_VerifyFinal(s, NULL, 64));
    BAD(f->C_Encrypt(s, b, 1, b, NULL));
    BAD(f->C_EncryptUpdate(s, b, 1, b, NULL));
    BAD(f->C_EncryptFinal(s, b, NULL));
    BAD(f->C_Decrypt(s, NULL, 1, b, &n));
    BAD(f->C_DecryptUpdate(s, b, 1, b, NULL));
    BAD(f->C_DecryptFinal(s, b, NULL));
    BAD(f->C_GenerateKeyPair(s, NULL, NULL, 0, NULL, 0, &n, &n));
    BAD(f->C_GenerateKeyPair(s, &m, NULL, 1, NULL, 0, &n, &n));
    BAD(f->C_GenerateKeyPair(s, &m, NULL, 0, NULL, 0, NULL, &n));
    BAD(f->C_DeriveKey(s, NULL, k, NULL, 0, &n));
    BAD(f->C_DeriveKey(s, &m, k, NULL, 0, NULL));
    BAD(f->C_DeriveKey(s, &m, k, NULL, 2, &n));
    BAD(f->C_SeedRandom(s, NULL, 8));
    BAD(f->C_GenerateRandom(s, NULL, 8));
    BAD(f->C_WaitForSlotEvent(0, NULL, NULL));
    CK(f->C_Finalize(NULL));
}

static void check_bad_session(CK_SESSION_HANDLE h)
{
    const CK_RV E = CKR_SESSION_HANDLE_INVALID;
    CK_BYTE b[64];
    CK_ULONG n = sizeof b;
    CK_SESSION_INFO si;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_ATTRIBUTE a = {CKA_CLASS, &cls, sizeof cls};
    CK_OBJECT_HANDLE o;
    RV(E, f->C_CloseSession(h));
    RV(E, f->C_GetSessionInfo(h, &si));
    RV(E, f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "1", 1));
    RV(E, f->C_Logout(h));
    RV(E, f->C_CreateObject(h, &a, 1, &o));
    RV(E, f->C_CopyObject(h, 1, NULL, 0, &o));
    RV(E, f->C_DestroyObject(h, 1));
    RV(E, f->C_GetObjectSize(h, 1, &n));
    RV(E, f->C_GetAttributeValue(h, 1, &a, 1));
    RV(E, f->C_SetAttributeValue(h, 1, &a, 1));
    RV(E, f->C_FindObjectsInit(h, NULL, 0));
    RV(E, f->C_FindObjects(h, &o, 1, &n));
    RV(E, f->C_FindObjectsFinal(h));
    RV(E, f->C_SignInit(h, &m, 1));
    RV(E, f->C_Sign(h, b, 32, b, &n));
    RV(E, f->C_SignUpdate(h, b, 1));
    RV(E, f->C_SignFinal(h, b, &n));
    RV(E, f->C_VerifyInit(h, &m, 1));
    RV(E, f->C_Verify(h, b, 32, b, 64));
    RV(E, f->C_VerifyUpdate(h, b, 1));
    RV(E, f->C_VerifyFinal(h, b, 64));
    RV(E, f->C_EncryptInit(h, &m, 1));
    RV(E, f->C_Encrypt(h, b, 1, b, &n));
    RV(E, f->C_EncryptUpdate(h, b, 1, b, &n));
    RV(E, f->C_EncryptFinal(h, b, &n));
    RV(E, f->C_DecryptInit(h, &m, 1));
    RV(E, f->C_Decrypt(h, b, 1, b, &n));
    RV(E, f->C_DecryptUpdate(h, b, 1, b, &n));
    RV(E, f->C_DecryptFinal(h, b, &n));
    CK_MECHANISM g = {CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE lab = {CKA_LABEL, "x", 1};
    RV(E, f->C_GenerateKeyPair(h, &g, NULL, 0, &lab, 1, &o, &o));
    CK_ECDH1_DERIVE_PARAMS dp = {CKD_NULL, 0, NULL, 65, b};
    CK_MECHANISM d = {CKM_ECDH1_DERIVE, &dp, sizeof dp};
    RV(E, f->C_DeriveKey(h, &d, 1, NULL, 0, &o));
    RV(E, f->C_SeedRandom(h, b, 8));
    RV(E, f->C_GenerateRandom(h, b, 8));
    RV(E, f->C_SessionCancel(h, CKF_SIGN));
    /* The session is checked before the arguments (the standard's error
     * priority; pkcs11test), whatever else is wrong. */
    RV(E, f->C_GetSessionInfo(h, NULL));
    RV(E, f->C_Login(h, CKU_USER, NULL, 1));
    RV(E, f->C_CreateObject(h, NULL, 1, &o));
    RV(E, f->C_CopyObject(h, 1, NULL, 1, NULL));
    RV(E, f->C_GetObjectSize(h, 1, NULL));
    RV(E, f->C_GetAttributeValue(h, 1, NULL, 1));
    RV(E, f->C_SetAttributeValue(h, 1, NULL, 1));
    RV(E, f->C_FindObjectsInit(h, NULL, 1));
    RV(E, f->C_FindObjects(h, NULL, 1, &n));
    RV(E, f->C_FindObjects(h, &o, 1, NULL));
    RV(E, f->C_SignInit(h, NULL, 1));
    RV(E, f->C_Sign(h, b, 32, b, NULL));
    RV(E, f->C_Sign(h, NULL, 32, b, &n));
    RV(E, f->C_SignUpdate(h, NULL, 1));
    RV(E, f->C_SignFinal(h, b, NULL));
    RV(E, f->C_Verify(h, NULL, 32, b, 64));
    RV(E, f->C_VerifyFinal(h, NULL, 64));
    RV(E, f->C_Encrypt(h, b, 1, b, NULL));
    RV(E, f->C_DecryptUpdate(h, NULL, 1, b, &n));
    RV(E, f->C_DecryptFinal(h, b, NULL));
    CK_ULONG bits = 1024; /* a size the module refuses */
    CK_ATTRIBUTE rsa[] = {{CKA_LABEL, "x", 1}, {CKA_MODULUS_BITS, &bits, sizeof bits}};
    CK_MECHANISM rg = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0}, bogus = {999, NULL, 0};
    RV(E, f->C_GenerateKeyPair(h, &rg, rsa, 2, &lab, 1, &o, &o));
    RV(E, f->C_GenerateKeyPair(h, &bogus, NULL, 0, NULL, 0, &o, &o));
    RV(E, f->C_GenerateKeyPair(h, NULL, NULL, 0, NULL, 0, &o, &o));
    RV(E, f->C_GenerateKeyPair(h, &g, NULL, 1, &lab, 1, &o, &o));
    RV(E, f->C_DeriveKey(h, NULL, 1, NULL, 0, &o));
    RV(E, f->C_SeedRandom(h, NULL, 8));
    RV(E, f->C_GenerateRandom(h, NULL, 8));
    /* Digests are not offered, but the session is still checked. */
    CK_MECHANISM sha = {CKM_SHA256, NULL, 0};
    RV(E, f->C_DigestInit(h, &sha));
    RV(E, f->C_DigestInit(h, NULL));
    RV(E, f->C_Digest(h, b, 1, b, &n));
    RV(E, f->C_DigestUpdate(h, b, 1));
    RV(E, f->C_DigestKey(h, 1));
    RV(E, f->C_DigestFinal(h, b, &n));
    CK_MECHANISM des = {CKM_DES_KEY_GEN, NULL, 0};
    RV(E, f->C_GenerateKey(h, &des, &lab, 1, &o));
    RV(E, f->C_GenerateKey(h, &des, NULL, 1, NULL));
}

static void test_bad_sessions(void **state)
{
    (void)state;
    CK(f->C_Initialize(NULL));
    CK_SLOT_ID slot = p11t_slot("dstack");
    CK_SESSION_HANDLE live = p11t_session(slot, 1);
    CK_SESSION_HANDLE stale = p11t_session(slot, 0);
    CK(f->C_CloseSession(stale));
    check_bad_session(0);
    check_bad_session(stale);
    check_bad_session((CK_SESSION_HANDLE)-1);
    srand(7);
    for (int i = 0; i < 50; i++) {
        CK_SESSION_HANDLE h = ((CK_SESSION_HANDLE)rand() << 16) ^ (CK_SESSION_HANDLE)rand();
        if (h != live)
            check_bad_session(h);
    }
    RV(CKR_SLOT_ID_INVALID, f->C_CloseAllSessions(99));
    CK_SESSION_HANDLE s;
    RV(CKR_SLOT_ID_INVALID, f->C_OpenSession(99, CKF_SERIAL_SESSION, NULL, NULL, &s));
    RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED, f->C_OpenSession(slot, 0, NULL, NULL, &s));
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_MECHANISM_INFO mi;
    CK_ULONG n = 0;
    RV(CKR_SLOT_ID_INVALID, f->C_GetSlotInfo(99, &si));
    RV(CKR_SLOT_ID_INVALID, f->C_GetTokenInfo((CK_SLOT_ID)-1, &ti));
    RV(CKR_SLOT_ID_INVALID, f->C_GetMechanismList(99, NULL, &n));
    RV(CKR_SLOT_ID_INVALID, f->C_GetMechanismInfo(99, CKM_ECDSA, &mi));
    /* The live session is untouched by all of this. */
    CK_SESSION_INFO info;
    CK(f->C_GetSessionInfo(live, &info));
    CK(f->C_Finalize(NULL));
}

static void check_bad_object(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
    CK_BYTE b[64];
    CK_ULONG n = sizeof b;
    CK_ATTRIBUTE a = {CKA_LABEL, b, sizeof b};
    CK_OBJECT_HANDLE out;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    RV(CKR_OBJECT_HANDLE_INVALID, f->C_GetAttributeValue(s, o, &a, 1));
    RV(CKR_OBJECT_HANDLE_INVALID, f->C_SetAttributeValue(s, o, &a, 1));
    RV(CKR_OBJECT_HANDLE_INVALID, f->C_CopyObject(s, o, NULL, 0, &out));
    RV(CKR_OBJECT_HANDLE_INVALID, f->C_DestroyObject(s, o));
    RV(CKR_OBJECT_HANDLE_INVALID, f->C_GetObjectSize(s, o, &n));
    RV(CKR_KEY_HANDLE_INVALID, f->C_SignInit(s, &m, o));
    RV(CKR_KEY_HANDLE_INVALID, f->C_VerifyInit(s, &m, o));
    CK_MECHANISM r = {CKM_RSA_PKCS, NULL, 0};
    RV(CKR_KEY_HANDLE_INVALID, f->C_EncryptInit(s, &r, o));
    RV(CKR_KEY_HANDLE_INVALID, f->C_DecryptInit(s, &r, o));
    CK_ECDH1_DERIVE_PARAMS dp = {CKD_NULL, 0, NULL, 65, b};
    CK_MECHANISM d = {CKM_ECDH1_DERIVE, &dp, sizeof dp};
    RV(CKR_KEY_HANDLE_INVALID, f->C_DeriveKey(s, &d, o, NULL, 0, &out));
}

static void test_bad_objects(void **state)
{
    (void)state;
    CK(f->C_Initialize(NULL));
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 1);
    CK_SESSION_HANDLE e = p11t_session(p11t_slot("dstack-ed25519"), 1);
    /* An object of another token, a destroyed one, random ones. */
    CK_OBJECT_HANDLE other = p11t_find(e, CKO_PRIVATE_KEY, "ssh");
    assert_int_not_equal(other, 0);
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}};
    CK_OBJECT_HANDLE gone;
    CK(f->C_CreateObject(s, t, 1, &gone));
    CK(f->C_DestroyObject(s, gone));
    check_bad_object(s, other);
    check_bad_object(s, gone);
    check_bad_object(s, 0);
    srand(11);
    for (int i = 0; i < 50; i++)
        check_bad_object(s, 1000 + (CK_OBJECT_HANDLE)rand());
    CK(f->C_Finalize(NULL));
}

static void test_wrong_states(void **state)
{
    (void)state;
    CK(f->C_Initialize(NULL));
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "web");
    CK_OBJECT_HANDLE pub = p11t_find(s, CKO_PUBLIC_KEY, "web");
    CK_OBJECT_HANDLE donly = p11t_find(s, CKO_PRIVATE_KEY, "deriveonly");
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK_BYTE b[128];
    CK_ULONG n = sizeof b;
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Sign(s, b, 32, b, &n));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_SignUpdate(s, b, 32));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_SignFinal(s, b, &n));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Verify(s, b, 32, b, 64));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_VerifyFinal(s, b, 64));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Encrypt(s, b, 32, b, &n));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_DecryptFinal(s, b, &n));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_FindObjects(s, &k, 1, &n));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_FindObjectsFinal(s));
    CK(f->C_SignInit(s, &m, k));
    RV(CKR_OPERATION_ACTIVE, f->C_SignInit(s, &m, k));
    CK(f->C_SessionCancel(s, CKF_SIGN));
    CK(f->C_SignInit(s, &m, k)); /* cancelled: can start again */
    CK(f->C_SessionCancel(s, CKF_SIGN));
    CK(f->C_FindObjectsInit(s, NULL, 0));
    RV(CKR_OPERATION_ACTIVE, f->C_FindObjectsInit(s, NULL, 0));
    CK(f->C_FindObjectsFinal(s));
    /* Keys used for what they are not */
    RV(CKR_KEY_TYPE_INCONSISTENT, f->C_SignInit(s, &m, pub));
    RV(CKR_KEY_TYPE_INCONSISTENT, f->C_VerifyInit(s, &m, k));
    RV(CKR_KEY_FUNCTION_NOT_PERMITTED, f->C_SignInit(s, &m, donly));
    CK_MECHANISM rsa = {CKM_RSA_PKCS, NULL, 0};
    RV(CKR_KEY_TYPE_INCONSISTENT, f->C_SignInit(s, &rsa, k));
    RV(CKR_KEY_TYPE_INCONSISTENT, f->C_DecryptInit(s, &rsa, k));
    RV(CKR_KEY_TYPE_INCONSISTENT, f->C_EncryptInit(s, &rsa, pub));
    CK_MECHANISM ed = {CKM_EDDSA, NULL, 0};
    RV(CKR_KEY_TYPE_INCONSISTENT, f->C_SignInit(s, &ed, k));
    /* Mechanisms that are not there */
    CK_MECHANISM sha = {CKM_SHA256, NULL, 0}, junk = {0x7fffffff, NULL, 0};
    RV(CKR_MECHANISM_INVALID, f->C_SignInit(s, &sha, k));
    RV(CKR_MECHANISM_INVALID, f->C_SignInit(s, &junk, k));
    CK_MECHANISM ecdh_as_sign = {CKM_ECDH1_DERIVE, NULL, 0};
    RV(CKR_MECHANISM_INVALID, f->C_SignInit(s, &ecdh_as_sign, k));
    CK_MECHANISM_INFO mi;
    RV(CKR_MECHANISM_INVALID, f->C_GetMechanismInfo(0, CKM_SHA256, &mi));
    RV(CKR_MECHANISM_INVALID, f->C_DigestInit(s, &sha));
    /* Login state */
    RV(CKR_USER_NOT_LOGGED_IN, f->C_Logout(s));
    RV(CKR_USER_TYPE_INVALID, f->C_Login(s, 77, (CK_UTF8CHAR_PTR) "x", 1));
    RV(CKR_OPERATION_NOT_INITIALIZED,
       f->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR) "x", 1));
    /* Configured objects cannot be changed, token objects not made in R/O */
    RV(CKR_ACTION_PROHIBITED, f->C_DestroyObject(s, k));
    CK_ATTRIBUTE lab = {CKA_LABEL, "new", 3};
    RV(CKR_ACTION_PROHIBITED, f->C_SetAttributeValue(s, k, &lab, 1));
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE tok[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_TOKEN, &yes, 1}};
    CK_OBJECT_HANDLE o;
    RV(CKR_SESSION_READ_ONLY, f->C_CreateObject(s, tok, 2, &o));
    RV(CKR_TEMPLATE_INCOMPLETE, f->C_CreateObject(s, tok + 1, 1, &o));
    CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE imp[] = {{CKA_CLASS, &priv, sizeof priv}};
    RV(CKR_ATTRIBUTE_VALUE_INVALID, f->C_CreateObject(s, imp, 1, &o));
    RV(CKR_RANDOM_SEED_NOT_SUPPORTED, f->C_SeedRandom(s, b, 8));
    RV(CKR_FUNCTION_NOT_SUPPORTED, f->C_InitToken(0, (CK_UTF8CHAR_PTR) "1", 1, b));
    RV(CKR_FUNCTION_NOT_SUPPORTED, f->C_MessageSignInit(s, &m, k));
    RV(CKR_FUNCTION_NOT_PARALLEL, f->C_GetFunctionStatus(s));
    CK_SLOT_ID ev;
    RV(CKR_NO_EVENT, f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL));
    CK(f->C_Finalize(NULL));
}

static void test_short_buffers(void **state)
{
    (void)state;
    CK(f->C_Initialize(NULL));
    CK_SLOT_ID slots[4];
    CK_ULONG n = 0;
    CK(f->C_GetSlotList(CK_TRUE, NULL, &n));
    assert_int_equal(n, 2);
    n = 1;
    RV(CKR_BUFFER_TOO_SMALL, f->C_GetSlotList(CK_TRUE, slots, &n));
    assert_int_equal(n, 2);
    CK_MECHANISM_TYPE mechs[64];
    n = 0;
    CK(f->C_GetMechanismList(0, NULL, &n));
    CK_ULONG all = n;
    n = 2;
    RV(CKR_BUFFER_TOO_SMALL, f->C_GetMechanismList(0, mechs, &n));
    assert_int_equal(n, all);

    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "web");
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK_BYTE hash[32] = {1, 2, 3}, sig[64];
    CK(f->C_SignInit(s, &m, k));
    n = 10;
    RV(CKR_BUFFER_TOO_SMALL, f->C_Sign(s, hash, 32, sig, &n));
    assert_int_equal(n, 64);
    CK(f->C_Sign(s, hash, 32, sig, &n)); /* still active after a short buffer */
    /* Attributes: a short buffer answers CK_UNAVAILABLE_INFORMATION. */
    CK_BYTE lab[2];
    CK_ATTRIBUTE a = {CKA_LABEL, lab, sizeof lab};
    RV(CKR_BUFFER_TOO_SMALL, f->C_GetAttributeValue(s, k, &a, 1));
    assert_int_equal(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    /* Find with a zero-sized result array */
    CK_OBJECT_HANDLE oh;
    CK(f->C_FindObjectsInit(s, NULL, 0));
    CK(f->C_FindObjects(s, &oh, 0, &n));
    assert_int_equal(n, 0);
    CK(f->C_FindObjectsFinal(s));
    CK(f->C_Finalize(NULL));
}

static void test_bad_mechanism_params(void **state)
{
    (void)state;
    CK(f->C_Initialize(NULL));
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    CK_SESSION_HANDLE es = p11t_session(p11t_slot("dstack-ed25519"), 0);
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "web");
    CK_OBJECT_HANDLE ek = p11t_find(es, CKO_PRIVATE_KEY, "ssh");
    CK_BYTE b[65] = {4};
    CK_ULONG n;
    CK_MECHANISM m = {CKM_ECDSA, b, 4};
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_SignInit(s, &m, k));
    CK(f->C_SignInit(s, &(CK_MECHANISM){CKM_ECDSA, NULL, 0}, k)); /* nothing left over */
    CK(f->C_SessionCancel(s, CKF_SIGN));
    CK_EDDSA_PARAMS ep = {CK_TRUE, 0, NULL};
    CK_MECHANISM em = {CKM_EDDSA, &ep, sizeof ep};
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_SignInit(es, &em, ek));
    ep.phFlag = CK_FALSE;
    ep.ulContextDataLen = 3;
    ep.pContextData = b;
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_SignInit(es, &em, ek));
    em.ulParameterLen = 1;
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_SignInit(es, &em, ek));
    ep.ulContextDataLen = 0;
    em.ulParameterLen = sizeof ep;
    CK(f->C_SignInit(es, &em, ek)); /* pure Ed25519 parameters are fine */
    CK(f->C_SessionCancel(es, CKF_SIGN));

    CK_OBJECT_HANDLE out;
    CK_ECDH1_DERIVE_PARAMS dp = {CKD_SHA256_KDF, 0, NULL, 65, b};
    CK_MECHANISM dm = {CKM_ECDH1_DERIVE, &dp, sizeof dp};
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_DeriveKey(s, &dm, k, NULL, 0, &out));
    dp.kdf = CKD_NULL;
    dp.pPublicData = NULL;
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_DeriveKey(s, &dm, k, NULL, 0, &out));
    dp.pPublicData = b;
    dp.ulSharedDataLen = 4;
    dp.pSharedData = b;
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_DeriveKey(s, &dm, k, NULL, 0, &out));
    dm.ulParameterLen = 3;
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_DeriveKey(s, &dm, k, NULL, 0, &out));
    dm.pParameter = NULL;
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_DeriveKey(s, &dm, k, NULL, 0, &out));
    CK_MECHANISM notderive = {CKM_ECDSA, NULL, 0};
    RV(CKR_MECHANISM_INVALID, f->C_DeriveKey(s, &notderive, k, NULL, 0, &out));

    CK_MECHANISM kg = {CKM_EC_KEY_PAIR_GEN, b, 1};
    CK_ATTRIBUTE lab = {CKA_LABEL, "x", 1};
    CK_OBJECT_HANDLE h1, h2;
    RV(CKR_MECHANISM_PARAM_INVALID, f->C_GenerateKeyPair(s, &kg, NULL, 0, &lab, 1, &h1, &h2));
    kg.pParameter = NULL;
    kg.ulParameterLen = 0;
    RV(CKR_TEMPLATE_INCOMPLETE, f->C_GenerateKeyPair(s, &kg, NULL, 0, &lab, 1, &h1, &h2));
    static const CK_BYTE p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
    CK_ATTRIBUTE curve = {CKA_EC_PARAMS, (void *)p521, sizeof p521};
    RV(CKR_CURVE_NOT_SUPPORTED, f->C_GenerateKeyPair(s, &kg, &curve, 1, &lab, 1, &h1, &h2));
    CK_MECHANISM rg = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_ULONG bits = 1024;
    CK_ATTRIBUTE mb = {CKA_MODULUS_BITS, &bits, sizeof bits};
    RV(CKR_KEY_SIZE_RANGE, f->C_GenerateKeyPair(s, &rg, &mb, 1, &lab, 1, &h1, &h2));
    RV(CKR_TEMPLATE_INCOMPLETE, f->C_GenerateKeyPair(s, &rg, NULL, 0, &lab, 1, &h1, &h2));
    (void)n;
    CK(f->C_Finalize(NULL));
}

/* Random templates (valid pointers, random types, lengths and bytes)
 * through every template-taking function: any answer but a crash. */
static void test_random_templates(void **state)
{
    (void)state;
    static const CK_ATTRIBUTE_TYPE types[] = {CKA_CLASS,
                                              CKA_TOKEN,
                                              CKA_PRIVATE,
                                              CKA_LABEL,
                                              CKA_APPLICATION,
                                              CKA_VALUE,
                                              CKA_OBJECT_ID,
                                              CKA_CERTIFICATE_TYPE,
                                              CKA_ISSUER,
                                              CKA_SERIAL_NUMBER,
                                              CKA_KEY_TYPE,
                                              CKA_SUBJECT,
                                              CKA_ID,
                                              CKA_SENSITIVE,
                                              CKA_ENCRYPT,
                                              CKA_DECRYPT,
                                              CKA_WRAP,
                                              CKA_UNWRAP,
                                              CKA_SIGN,
                                              CKA_VERIFY,
                                              CKA_DERIVE,
                                              CKA_MODULUS,
                                              CKA_MODULUS_BITS,
                                              CKA_PUBLIC_EXPONENT,
                                              CKA_VALUE_LEN,
                                              CKA_EXTRACTABLE,
                                              CKA_LOCAL,
                                              CKA_MODIFIABLE,
                                              CKA_COPYABLE,
                                              CKA_DESTROYABLE,
                                              CKA_EC_PARAMS,
                                              CKA_EC_POINT,
                                              CKA_PUBLIC_KEY_INFO,
                                              CKA_ALLOWED_MECHANISMS,
                                              CKA_UNIQUE_ID,
                                              CKA_CERTIFICATE_CATEGORY,
                                              CKA_TRUSTED,
                                              CKA_CHECK_VALUE,
                                              CKA_START_DATE,
                                              0x80000001UL};
    static const CK_ULONG classes[] = {CKO_DATA,        CKO_CERTIFICATE, CKO_PUBLIC_KEY,
                                       CKO_PRIVATE_KEY, CKO_SECRET_KEY,  77};
    CK(f->C_Initialize(NULL));
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 1);
    unsigned char bytes[8][80];
    CK_ATTRIBUTE t[8];
    srand(1234);
    for (int iter = 0; iter < 2000; iter++) {
        CK_ULONG n = 1 + (CK_ULONG)(rand() % 8);
        for (CK_ULONG i = 0; i < n; i++) {
            for (size_t b = 0; b < sizeof bytes[i]; b++)
                bytes[i][b] = (unsigned char)rand();
            t[i].type = types[rand() % (int)(sizeof types / sizeof types[0])];
            t[i].pValue = bytes[i];
            t[i].ulValueLen = (CK_ULONG)(rand() % 3 == 0 ? 1 : rand() % 80);
            if (t[i].type == CKA_CLASS || rand() % 4 == 0) {
                CK_ULONG v = t[i].type == CKA_CLASS ? classes[rand() % 6] : (CK_ULONG)(rand() % 4);
                memcpy(bytes[i], &v, sizeof v);
                t[i].ulValueLen = sizeof v;
            }
        }
        CK_OBJECT_HANDLE o = 0, c = 0;
        if (f->C_CreateObject(s, t, n, &o) == CKR_OK) {
            f->C_SetAttributeValue(s, o, t, n);
            if (f->C_CopyObject(s, o, t, n, &c) == CKR_OK)
                f->C_DestroyObject(s, c);
        }
        CK_OBJECT_HANDLE found[4];
        CK_ULONG nf = 0;
        if (f->C_FindObjectsInit(s, t, n) == CKR_OK) {
            f->C_FindObjects(s, found, 4, &nf);
            f->C_FindObjectsFinal(s);
        }
        CK_OBJECT_HANDLE target = nf ? found[0] : (CK_OBJECT_HANDLE)(1 + rand() % 12);
        f->C_GetAttributeValue(s, target, t, n);
        f->C_SetAttributeValue(s, target, t, n);
        if (f->C_CopyObject(s, target, t, n, &c) == CKR_OK)
            f->C_DestroyObject(s, c);
        if (o)
            f->C_DestroyObject(s, o);
    }
    CK(f->C_Finalize(NULL));
}

/* No digest mechanism exists here (clients hash themselves): the digest
 * functions check the session and refuse the mechanism, as a token without
 * digests answers (pkcs11test), rather than saying they do not exist. */
static void test_unoffered_mechanisms(void **state)
{
    (void)state;
    CK(f->C_Initialize(NULL));
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    static const CK_MECHANISM_TYPE types[] = {CKM_MD5,    CKM_SHA_1,  CKM_SHA256,
                                              CKM_SHA384, CKM_SHA512, 999};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        CK_MECHANISM m = {types[i], NULL, 0};
        RV(CKR_MECHANISM_INVALID, f->C_DigestInit(s, &m));
        CK_MECHANISM_INFO mi;
        RV(CKR_MECHANISM_INVALID, f->C_GetMechanismInfo(p11t_slot("dstack"), types[i], &mi));
    }
    BAD(f->C_DigestInit(s, NULL));
    CK_BYTE b[64];
    CK_ULONG n = sizeof b;
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_Digest(s, b, 1, b, &n));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_DigestUpdate(s, b, 1));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_DigestKey(s, 1));
    RV(CKR_OPERATION_NOT_INITIALIZED, f->C_DigestFinal(s, b, &n));
    /* No secret-key generation either: arguments, then the mechanism. */
    static const CK_MECHANISM_TYPE kg[] = {CKM_DES_KEY_GEN, CKM_AES_KEY_GEN,
                                           CKM_GENERIC_SECRET_KEY_GEN};
    CK_ATTRIBUTE lab = {CKA_LABEL, "k", 1};
    CK_OBJECT_HANDLE k;
    for (size_t i = 0; i < sizeof kg / sizeof kg[0]; i++) {
        CK_MECHANISM m = {kg[i], NULL, 0};
        RV(CKR_MECHANISM_INVALID, f->C_GenerateKey(s, &m, &lab, 1, &k));
        BAD(f->C_GenerateKey(s, &m, NULL, 1, &k));
        BAD(f->C_GenerateKey(s, &m, &lab, 1, NULL));
    }
    BAD(f->C_GenerateKey(s, NULL, &lab, 1, &k));
    CK(f->C_Finalize(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_initialized),      cmocka_unit_test(test_null_pointers),
        cmocka_unit_test(test_bad_sessions),         cmocka_unit_test(test_bad_objects),
        cmocka_unit_test(test_wrong_states),         cmocka_unit_test(test_short_buffers),
        cmocka_unit_test(test_bad_mechanism_params), cmocka_unit_test(test_random_templates),
        cmocka_unit_test(test_unoffered_mechanisms),
    };
    if (p11t_setup(NULL, KEYS) != 0)
        return 1;
    f = T.f;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    p11t_teardown();
    return rc;
}
