/* keygen.c: deterministic key pairs from the label (path
 * "pkcs11/generated/<label>"): the same label gives the same key in a new
 * process life, a different label or type another key; C_GenerateRandom. */
#include "p11test.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char k1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};

/* Generates and returns the DER public key (malloc'd) */
static unsigned char *gen(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mt, const char *label,
                          const unsigned char *params, size_t plen, CK_ULONG bits, CK_ULONG *len,
                          CK_OBJECT_HANDLE *priv_out)
{
    CK_MECHANISM m = {mt, NULL, 0};
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE pub[] = {{CKA_VERIFY, &yes, 1}, {CKA_EC_PARAMS, (void *)params, plen}};
    CK_ATTRIBUTE pubr[] = {{CKA_VERIFY, &yes, 1},
                           {CKA_MODULUS_BITS, &bits, sizeof bits},
                           {CKA_PUBLIC_EXPONENT, "\x01\x00\x01", 3}};
    CK_ATTRIBUTE priv[] = {
        {CKA_LABEL, (void *)label, strlen(label)}, {CKA_SIGN, &yes, 1}, {CKA_SENSITIVE, &yes, 1}};
    CK_OBJECT_HANDLE hpub, hpriv;
    if (bits)
        CK(T.f->C_GenerateKeyPair(s, &m, pubr, 3, priv, 3, &hpub, &hpriv));
    else
        CK(T.f->C_GenerateKeyPair(s, &m, pub, params ? 2 : 1, priv, 3, &hpub, &hpriv));
    assert_true(p11t_attr_bool(s, hpriv, CKA_LOCAL));
    assert_int_equal(p11t_attr_ulong(s, hpriv, CKA_KEY_GEN_MECHANISM), mt);
    assert_false(p11t_attr_bool(s, hpriv, CKA_TOKEN));
    CK_ULONG n1, n2;
    unsigned char *id1 = p11t_attr(s, hpriv, CKA_ID, &n1), *id2 = p11t_attr(s, hpub, CKA_ID, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(id1, id2, n1);
    free(id1);
    free(id2);
    /* It signs, and the public half verifies */
    CK_MECHANISM sm = {mt == CKM_EC_KEY_PAIR_GEN         ? CKM_ECDSA_SHA256
                       : mt == CKM_RSA_PKCS_KEY_PAIR_GEN ? CKM_SHA256_RSA_PKCS
                                                         : CKM_EDDSA,
                       NULL, 0};
    unsigned char sig[512];
    CK_ULONG sl = sizeof sig;
    CK(T.f->C_SignInit(s, &sm, hpriv));
    CK(T.f->C_Sign(s, (CK_BYTE_PTR) "data", 4, sig, &sl));
    CK(T.f->C_VerifyInit(s, &sm, hpub));
    CK(T.f->C_Verify(s, (CK_BYTE_PTR) "data", 4, sig, sl));
    if (priv_out)
        *priv_out = hpriv;
    return p11t_attr(s, hpub, CKA_PUBLIC_KEY_INFO, len);
}

static void test_deterministic(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    CK_ULONG a, b, c, d, e, r1;
    unsigned char *ka = gen(s, CKM_EC_KEY_PAIR_GEN, "gen-1", p256, sizeof p256, 0, &a, NULL);
    unsigned char *kb = gen(s, CKM_EC_KEY_PAIR_GEN, "gen-2", p256, sizeof p256, 0, &b, NULL);
    unsigned char *kc = gen(s, CKM_EC_KEY_PAIR_GEN, "gen-1", k1, sizeof k1, 0, &c, NULL);
    unsigned char *kd = gen(s, CKM_EC_EDWARDS_KEY_PAIR_GEN, "gen-1", NULL, 0, 0, &d, NULL);
    unsigned char *kr = gen(s, CKM_RSA_PKCS_KEY_PAIR_GEN, "gen-1", NULL, 0, 2048, &r1, NULL);
    assert_false(a == b && !memcmp(ka, kb, a));
    assert_false(a == c && !memcmp(ka, kc, a));
    assert_int_equal(d, 44);
    assert_true(r1 > 256);
    /* A new life of the module: the same label gives the same key */
    CK(T.f->C_Finalize(NULL));
    CK(T.f->C_Initialize(NULL));
    s = p11t_session(p11t_slot("dstack"), 0);
    unsigned char *ka2 = gen(s, CKM_EC_KEY_PAIR_GEN, "gen-1", p256, sizeof p256, 0, &e, NULL);
    assert_int_equal(a, e);
    assert_memory_equal(ka, ka2, a);
    CK_ULONG d2, r2;
    unsigned char *kd2 = gen(s, CKM_EC_EDWARDS_KEY_PAIR_GEN, "gen-1", NULL, 0, 0, &d2, NULL);
    assert_memory_equal(kd, kd2, d);
    unsigned char *kr2 = gen(s, CKM_RSA_PKCS_KEY_PAIR_GEN, "gen-1", NULL, 0, 2048, &r2, NULL);
    assert_int_equal(r1, r2);
    assert_memory_equal(kr, kr2, r1);
    /* A generated key may share a label with a configured key */
    CK_ULONG w;
    free(gen(s, CKM_EC_KEY_PAIR_GEN, "web", p256, sizeof p256, 0, &w, NULL));
    free(ka), free(kb), free(kc), free(kd), free(ka2), free(kd2), free(kr), free(kr2);
    CK(T.f->C_CloseSession(s));
}

static void test_templates(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, (void *)p256, sizeof p256}};
    CK_ATTRIBUTE nolabel[] = {{CKA_SIGN, &yes, 1}};
    CK_ATTRIBUTE extractable[] = {{CKA_LABEL, "x", 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_ATTRIBUTE insensitive[] = {{CKA_LABEL, "x", 1}, {CKA_SENSITIVE, &no, 1}};
    CK_ATTRIBUTE token[] = {{CKA_LABEL, "x", 1}, {CKA_TOKEN, &yes, 1}};
    CK_ATTRIBUTE decrypt[] = {{CKA_LABEL, "x", 1}, {CKA_DECRYPT, &yes, 1}};
    CK_OBJECT_HANDLE a, b;
    assert_int_equal(T.f->C_GenerateKeyPair(s, &m, pub, 1, nolabel, 1, &a, &b),
                     CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(T.f->C_GenerateKeyPair(s, &m, pub, 1, extractable, 2, &a, &b),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(T.f->C_GenerateKeyPair(s, &m, pub, 1, insensitive, 2, &a, &b),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(T.f->C_GenerateKeyPair(s, &m, pub, 1, token, 2, &a, &b),
                     CKR_SESSION_READ_ONLY);
    assert_int_equal(T.f->C_GenerateKeyPair(s, &m, pub, 1, decrypt, 2, &a, &b),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    /* Nothing was left behind by the failures */
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, "x", 1}};
    CK_ULONG n;
    CK(T.f->C_FindObjectsInit(s, t, 2));
    CK(T.f->C_FindObjects(s, &a, 1, &n));
    CK(T.f->C_FindObjectsFinal(s));
    assert_int_equal(n, 0);
    /* A token key in memory, in a R/W session: outlives the session */
    CK_SESSION_HANDLE rw = p11t_session(p11t_slot("dstack"), 1);
    CK(T.f->C_GenerateKeyPair(rw, &m, pub, 1, token, 2, &a, &b));
    CK(T.f->C_CloseSession(rw));
    assert_int_equal(p11t_find(s, CKO_PRIVATE_KEY, "x"), b);
    CK(T.f->C_CloseSession(s));
}

static void test_random(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = p11t_session(p11t_slot("dstack"), 0);
    unsigned char a[64] = {0}, b[64] = {0}, zero[64] = {0};
    CK(T.f->C_GenerateRandom(s, a, sizeof a));
    CK(T.f->C_GenerateRandom(s, b, sizeof b));
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    CK(T.f->C_GenerateRandom(s, a, 0));
    /* Local: works with dstack down */
    p11t_sim_stop();
    CK(T.f->C_GenerateRandom(s, a, sizeof a));
    p11t_sim_start();
    CK(T.f->C_CloseSession(s));
}

/* With a PIN: login is checked before dstack is asked (a logged-out caller
 * gets CKR_USER_NOT_LOGGED_IN even with dstack down, and nothing is stored),
 * and a logged-in user cannot make a private key with CKA_PRIVATE = FALSE,
 * which would stay usable after logout. Derived secrets likewise. */
static void test_with_pin(void **state)
{
    (void)state;
    p11t_restart("pin = 4321\n", NULL);
    CK_SLOT_ID slot = p11t_slot("dstack");
    CK_SESSION_HANDLE s = p11t_session(slot, 0);
    CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL no = CK_FALSE;
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, (void *)p256, sizeof p256}};
    CK_ATTRIBUTE priv[] = {{CKA_LABEL, "pinned", 6}};
    CK_ATTRIBUTE public_priv[] = {{CKA_LABEL, "pinned", 6}, {CKA_PRIVATE, &no, 1}};
    CK_OBJECT_HANDLE a, b;
    p11t_sim_stop();
    assert_int_equal(T.f->C_GenerateKeyPair(s, &m, pub, 1, priv, 1, &a, &b),
                     CKR_USER_NOT_LOGGED_IN);
    p11t_sim_start();
    assert_int_equal(T.f->C_GenerateKeyPair(s, &m, pub, 1, priv, 1, &a, &b),
                     CKR_USER_NOT_LOGGED_IN);
    CK(T.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "4321", 4));
    assert_int_equal(T.f->C_GenerateKeyPair(s, &m, pub, 1, public_priv, 2, &a, &b),
                     CKR_TEMPLATE_INCONSISTENT);
    CK(T.f->C_GenerateKeyPair(s, &m, pub, 1, priv, 1, &a, &b));
    assert_true(p11t_attr_bool(s, b, CKA_PRIVATE));
    /* An ECDH secret from a private key is private too. */
    CK_OBJECT_HANDLE web = p11t_find(s, CKO_PRIVATE_KEY, "web");
    CK_ULONG plen;
    unsigned char *point = p11t_attr(s, a, CKA_EC_POINT, &plen);
    CK_ECDH1_DERIVE_PARAMS dp = {CKD_NULL, 0, NULL, plen, point};
    CK_MECHANISM dm = {CKM_ECDH1_DERIVE, &dp, sizeof dp};
    CK_ATTRIBUTE sec_pub[] = {{CKA_PRIVATE, &no, 1}};
    CK_OBJECT_HANDLE sk;
    assert_int_equal(T.f->C_DeriveKey(s, &dm, web, sec_pub, 1, &sk), CKR_TEMPLATE_INCONSISTENT);
    CK(T.f->C_DeriveKey(s, &dm, web, NULL, 0, &sk));
    assert_true(p11t_attr_bool(s, sk, CKA_PRIVATE));
    /* ...and no copy makes either public. */
    CK_OBJECT_HANDLE cp;
    assert_int_equal(T.f->C_CopyObject(s, sk, sec_pub, 1, &cp), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(T.f->C_CopyObject(s, b, sec_pub, 1, &cp), CKR_ATTRIBUTE_READ_ONLY);
    free(point);
    CK(T.f->C_Logout(s));
    CK_ATTRIBUTE lab = {CKA_LABEL, NULL, 0};
    assert_int_equal(T.f->C_GetAttributeValue(s, sk, &lab, 1), CKR_OBJECT_HANDLE_INVALID);
    CK_MECHANISM sm = {CKM_ECDSA, NULL, 0};
    assert_int_equal(T.f->C_SignInit(s, &sm, b), CKR_KEY_HANDLE_INVALID);
    CK(T.f->C_CloseSession(s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_with_pin),
    };
    return cmocka_run_group_tests(tests, p11t_group_setup, p11t_group_teardown);
}
