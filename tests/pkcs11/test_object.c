/* object.c, template.c, pubkey.c: session objects in memory — data and
 * certificate objects, public keys made from attributes, copies of token
 * keys (as pkcs11-provider makes), changes and destruction, search. */
#include "p11test.h"

#include <string.h>

#include <openssl/x509.h>

static CK_SLOT_ID slot;

static void test_data_objects(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = p11t_session(slot, 0), s2 = p11t_session(slot, 0);
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_LABEL, "note", 4},
        {CKA_APPLICATION, "app", 3},
        {CKA_VALUE, "hello", 5},
    };
    CK_OBJECT_HANDLE o;
    CK(T.f->C_CreateObject(s, t, 4, &o));
    assert_false(p11t_attr_bool(s, o, CKA_TOKEN));
    assert_true(p11t_attr_bool(s, o, CKA_MODIFIABLE));
    CK_ULONG n;
    unsigned char *v = p11t_attr(s, o, CKA_VALUE, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(v, "hello", 5);
    free(v);
    /* Visible to the application's other sessions */
    assert_int_equal(p11t_find(s2, CKO_DATA, "note"), o);
    /* Change the label (all or nothing) */
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE bad[] = {{CKA_LABEL, "renamed", 7}, {CKA_TOKEN, &yes, 1}};
    assert_int_equal(T.f->C_SetAttributeValue(s, o, bad, 2), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(p11t_find(s, CKO_DATA, "note"), o);
    CK(T.f->C_SetAttributeValue(s, o, bad, 1));
    assert_int_equal(p11t_find(s, CKO_DATA, "note"), 0);
    assert_int_equal(p11t_find(s, CKO_DATA, "renamed"), o);
    CK_ATTRIBUTE unknown = {CKA_MODULUS, "x", 1};
    assert_int_equal(T.f->C_SetAttributeValue(s, o, &unknown, 1), CKR_ATTRIBUTE_TYPE_INVALID);
    /* Copy, then destroy the original */
    CK_OBJECT_HANDLE c;
    CK_ATTRIBUTE nl = {CKA_LABEL, "copy", 4};
    CK(T.f->C_CopyObject(s, o, &nl, 1, &c));
    assert_int_not_equal(c, o);
    CK(T.f->C_DestroyObject(s, o));
    assert_int_equal(p11t_find(s, CKO_DATA, "renamed"), 0);
    v = p11t_attr(s, c, CKA_VALUE, &n);
    assert_memory_equal(v, "hello", 5);
    free(v);
    /* Non-copyable, non-destroyable */
    CK_BBOOL no = CK_FALSE;
    CK_ATTRIBUTE lock[] = {{CKA_COPYABLE, &no, 1}, {CKA_DESTROYABLE, &no, 1}};
    CK(T.f->C_SetAttributeValue(s, c, lock, 2));
    CK_OBJECT_HANDLE c2;
    assert_int_equal(T.f->C_CopyObject(s, c, NULL, 0, &c2), CKR_ACTION_PROHIBITED);
    assert_int_equal(T.f->C_DestroyObject(s, c), CKR_ACTION_PROHIBITED);
    CK_ATTRIBUTE unlock = {CKA_COPYABLE, &yes, 1};
    assert_int_equal(T.f->C_SetAttributeValue(s, c, &unlock, 1), CKR_ATTRIBUTE_READ_ONLY);
    /* Session objects go with the session that made them */
    CK(T.f->C_CloseSession(s));
    assert_int_equal(p11t_find(s2, CKO_DATA, "copy"), 0);
    CK(T.f->C_CloseSession(s2));
}

static void test_token_objects_in_memory(void **state)
{
    (void)state;
    CK_SESSION_HANDLE rw = p11t_session(slot, 1);
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls}, {CKA_TOKEN, &yes, 1}, {CKA_LABEL, "kept", 4}};
    CK_OBJECT_HANDLE o;
    CK(T.f->C_CreateObject(rw, t, 3, &o));
    CK(T.f->C_CloseSession(rw));
    CK_SESSION_HANDLE ro = p11t_session(slot, 0);
    assert_int_equal(p11t_find(ro, CKO_DATA, "kept"), o);
    assert_int_equal(T.f->C_DestroyObject(ro, o), CKR_SESSION_READ_ONLY);
    CK(T.f->C_CloseSession(ro));
    rw = p11t_session(slot, 1);
    CK(T.f->C_DestroyObject(rw, o));
    CK(T.f->C_CloseSession(rw));
}

static void test_certificate_object(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = p11t_session(slot, 0);
    /* The configured certificate's DER, stored again as a session object */
    CK_ULONG n;
    unsigned char *der = p11t_attr(s, p11t_find(s, CKO_CERTIFICATE, "web"), CKA_VALUE, &n);
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls},
                        {CKA_CERTIFICATE_TYPE, &ct, sizeof ct},
                        {CKA_VALUE, der, n},
                        {CKA_LABEL, "imported", 8}};
    CK_OBJECT_HANDLE o;
    assert_int_equal(T.f->C_CreateObject(s, t, 2, &o), CKR_TEMPLATE_INCOMPLETE);
    CK(T.f->C_CreateObject(s, t, 4, &o));
    /* Subject, issuer and serial filled from the certificate */
    CK_ULONG sn;
    unsigned char *subj = p11t_attr(s, o, CKA_SUBJECT, &sn);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)n);
    unsigned char *want = NULL;
    int wl = i2d_X509_NAME(X509_get_subject_name(x), &want);
    assert_int_equal(sn, (CK_ULONG)wl);
    assert_memory_equal(subj, want, sn);
    OPENSSL_free(want);
    X509_free(x);
    free(subj);
    free(der);
    CK_CERTIFICATE_TYPE other = CKC_WTLS;
    t[1].pValue = &other;
    assert_int_equal(T.f->C_CreateObject(s, t, 4, &o), CKR_ATTRIBUTE_VALUE_INVALID);
    CK(T.f->C_CloseSession(s));
}

static void test_copy_token_key(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = p11t_session(slot, 0);
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "web");
    CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
    CK_ATTRIBUTE t[] = {{CKA_TOKEN, &no, 1}, {CKA_LABEL, "web-copy", 8}};
    CK_OBJECT_HANDLE c;
    CK(T.f->C_CopyObject(s, k, t, 2, &c));
    assert_false(p11t_attr_bool(s, c, CKA_TOKEN));
    assert_true(p11t_attr_bool(s, c, CKA_SENSITIVE));
    assert_false(p11t_attr_bool(s, c, CKA_EXTRACTABLE));
    /* The copy signs with the same key */
    unsigned char dg[32] = {1}, sig[64];
    CK_ULONG len = sizeof sig;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK(T.f->C_SignInit(s, &m, c));
    CK(T.f->C_Sign(s, dg, 32, sig, &len));
    CK_OBJECT_HANDLE pub = p11t_find(s, CKO_PUBLIC_KEY, "web");
    CK(T.f->C_VerifyInit(s, &m, pub));
    CK(T.f->C_Verify(s, dg, 32, sig, len));
    /* A copy cannot do more than the key, nor become extractable */
    CK_ATTRIBUTE dec = {CKA_DECRYPT, &yes, 1};
    CK_OBJECT_HANDLE c2;
    assert_int_equal(T.f->C_CopyObject(s, k, &dec, 1, &c2), CKR_ATTRIBUTE_VALUE_INVALID);
    CK_ATTRIBUTE ext = {CKA_EXTRACTABLE, &yes, 1};
    assert_int_equal(T.f->C_CopyObject(s, k, &ext, 1, &c2), CKR_ATTRIBUTE_READ_ONLY);
    CK_ATTRIBUTE unsens = {CKA_SENSITIVE, &no, 1};
    assert_int_equal(T.f->C_SetAttributeValue(s, c, &unsens, 1), CKR_ATTRIBUTE_READ_ONLY);
    /* But it may do less */
    CK_ATTRIBUTE nosign = {CKA_SIGN, &no, 1};
    CK(T.f->C_SetAttributeValue(s, c, &nosign, 1));
    assert_int_equal(T.f->C_SignInit(s, &m, c), CKR_KEY_FUNCTION_NOT_PERMITTED);
    CK(T.f->C_DestroyObject(s, c));
    CK(T.f->C_CloseSession(s));
}

static void test_public_key_objects(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = p11t_session(slot, 0);
    CK_OBJECT_HANDLE pub = p11t_find(s, CKO_PUBLIC_KEY, "p384");
    CK_ULONG pl, ptl, kl;
    unsigned char *params = p11t_attr(s, pub, CKA_EC_PARAMS, &pl);
    unsigned char *point = p11t_attr(s, pub, CKA_EC_POINT, &ptl);
    unsigned char *spki = p11t_attr(s, pub, CKA_PUBLIC_KEY_INFO, &kl);
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls},
                        {CKA_KEY_TYPE, &kt, sizeof kt},
                        {CKA_EC_PARAMS, params, pl},
                        {CKA_EC_POINT, point, ptl},
                        {CKA_LABEL, "peer", 4}};
    CK_OBJECT_HANDLE o;
    CK(T.f->C_CreateObject(s, t, 5, &o));
    CK_ULONG n;
    unsigned char *got = p11t_attr(s, o, CKA_PUBLIC_KEY_INFO, &n);
    assert_int_equal(n, kl);
    assert_memory_equal(got, spki, n);
    free(got);
    /* The raw point (without the OCTET STRING) is accepted too */
    t[3].pValue = point + 2;
    t[3].ulValueLen = ptl - 2;
    CK_OBJECT_HANDLE o2;
    CK(T.f->C_CreateObject(s, t, 5, &o2));
    got = p11t_attr(s, o2, CKA_EC_POINT, &n);
    assert_int_equal(n, ptl);
    assert_memory_equal(got, point, n);
    free(got);
    /* It verifies what the token key signs */
    unsigned char dg[48] = {7}, sig[96];
    CK_ULONG len = sizeof sig;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK(T.f->C_SignInit(s, &m, p11t_find(s, CKO_PRIVATE_KEY, "p384")));
    CK(T.f->C_Sign(s, dg, sizeof dg, sig, &len));
    CK(T.f->C_VerifyInit(s, &m, o));
    CK(T.f->C_Verify(s, dg, sizeof dg, sig, len));
    /* Mismatched key type, missing parts, garbage */
    CK_KEY_TYPE rsa = CKK_RSA;
    t[1].pValue = &rsa;
    assert_int_equal(T.f->C_CreateObject(s, t, 5, &o2), CKR_TEMPLATE_INCOMPLETE);
    t[1].pValue = &kt;
    assert_int_equal(T.f->C_CreateObject(s, t, 3, &o2), CKR_TEMPLATE_INCOMPLETE);
    t[3].pValue = "garbage";
    t[3].ulValueLen = 7;
    assert_int_equal(T.f->C_CreateObject(s, t, 5, &o2), CKR_ATTRIBUTE_VALUE_INVALID);
    /* From a SubjectPublicKeyInfo */
    CK_ATTRIBUTE t2[] = {{CKA_CLASS, &cls, sizeof cls},
                         {CKA_KEY_TYPE, &kt, sizeof kt},
                         {CKA_PUBLIC_KEY_INFO, spki, kl}};
    CK(T.f->C_CreateObject(s, t2, 3, &o2));
    free(params);
    free(point);
    free(spki);
    CK(T.f->C_CloseSession(s));
}

/* RSA from modulus and exponent, Ed25519 from its point with either form of
 * parameters: the same SubjectPublicKeyInfo as the token's own key. */
static void same_spki(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE a, CK_OBJECT_HANDLE b)
{
    CK_ULONG na, nb;
    unsigned char *va = p11t_attr(s, a, CKA_PUBLIC_KEY_INFO, &na);
    unsigned char *vb = p11t_attr(s, b, CKA_PUBLIC_KEY_INFO, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(va, vb, na);
    free(va);
    free(vb);
}

static void test_rsa_and_ed25519_public_keys(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = p11t_session(slot, 0);
    CK_OBJECT_HANDLE rsa = p11t_find(s, CKO_PUBLIC_KEY, "rsa");
    CK_ULONG nl, el;
    unsigned char *n = p11t_attr(s, rsa, CKA_MODULUS, &nl);
    unsigned char *e = p11t_attr(s, rsa, CKA_PUBLIC_EXPONENT, &el);
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_RSA;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls},
                        {CKA_KEY_TYPE, &kt, sizeof kt},
                        {CKA_MODULUS, n, nl},
                        {CKA_PUBLIC_EXPONENT, e, el}};
    CK_OBJECT_HANDLE o;
    CK(T.f->C_CreateObject(s, t, 4, &o));
    same_spki(s, o, rsa);
    /* Encrypt with the new object, decrypt with the token key */
    CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
    unsigned char ct[256], pt[256];
    CK_ULONG cl = sizeof ct, pl = sizeof pt;
    CK(T.f->C_EncryptInit(s, &m, o));
    CK(T.f->C_Encrypt(s, (CK_BYTE_PTR) "hi", 2, ct, &cl));
    CK(T.f->C_DecryptInit(s, &m, p11t_find(s, CKO_PRIVATE_KEY, "rsa")));
    CK(T.f->C_Decrypt(s, ct, cl, pt, &pl));
    assert_int_equal(pl, 2);
    assert_memory_equal(pt, "hi", 2);
    free(n);
    free(e);

    CK_SESSION_HANDLE es = p11t_session(p11t_slot("dstack-ed25519"), 0);
    CK_OBJECT_HANDLE ed = p11t_find(es, CKO_PUBLIC_KEY, "ssh");
    CK_ULONG ptl;
    unsigned char *point = p11t_attr(es, ed, CKA_EC_POINT, &ptl);
    static const unsigned char printable[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                              'd',  's',  '2', '5', '5', '1', '9'};
    CK_KEY_TYPE ekt = CKK_EC_EDWARDS;
    CK_ATTRIBUTE et[] = {{CKA_CLASS, &cls, sizeof cls},
                         {CKA_KEY_TYPE, &ekt, sizeof ekt},
                         {CKA_EC_POINT, point, ptl},
                         {CKA_EC_PARAMS, (void *)printable, sizeof printable}};
    CK(T.f->C_CreateObject(es, et, 3, &o));
    same_spki(es, o, ed);
    CK(T.f->C_CreateObject(es, et, 4, &o));
    same_spki(es, o, ed);
    free(point);
    CK(T.f->C_CloseSession(es));
    CK(T.f->C_CloseSession(s));
}

static void test_find(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = p11t_session(slot, 0);
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t = {CKA_CLASS, &cls, sizeof cls};
    CK_OBJECT_HANDLE h[2];
    CK_ULONG n, total = 0;
    CK(T.f->C_FindObjectsInit(s, &t, 1));
    do {
        CK(T.f->C_FindObjects(s, h, 2, &n));
        total += n;
    } while (n);
    CK(T.f->C_FindObjectsFinal(s));
    assert_int_equal(total, 4);
    /* A template value of the wrong size matches nothing */
    CK_ATTRIBUTE bad = {CKA_CLASS, &cls, 1};
    CK(T.f->C_FindObjectsInit(s, &bad, 1));
    CK(T.f->C_FindObjects(s, h, 2, &n));
    CK(T.f->C_FindObjectsFinal(s));
    assert_int_equal(n, 0);
    CK(T.f->C_CloseSession(s));
}

static int setup(void **state)
{
    if (p11t_group_setup(state) != 0)
        return -1;
    slot = p11t_slot("dstack");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_objects),
        cmocka_unit_test(test_token_objects_in_memory),
        cmocka_unit_test(test_certificate_object),
        cmocka_unit_test(test_copy_token_key),
        cmocka_unit_test(test_public_key_objects),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_rsa_and_ed25519_public_keys),
    };
    return cmocka_run_group_tests(tests, setup, p11t_group_teardown);
}
