/* attrs.c: the attributes of every class answered as the standard says:
 * values, sensitivity, unknown types, length queries, short buffers and the
 * rule that every template entry is processed. */
#include "p11test.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/x509.h>

static CK_SESSION_HANDLE s, es;

static void test_private_ec(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "web");
    assert_int_equal(p11t_attr_ulong(s, k, CKA_CLASS), CKO_PRIVATE_KEY);
    assert_int_equal(p11t_attr_ulong(s, k, CKA_KEY_TYPE), CKK_EC);
    assert_true(p11t_attr_bool(s, k, CKA_TOKEN));
    assert_false(p11t_attr_bool(s, k, CKA_PRIVATE)); /* no PIN: public */
    assert_true(p11t_attr_bool(s, k, CKA_SENSITIVE));
    assert_true(p11t_attr_bool(s, k, CKA_ALWAYS_SENSITIVE));
    assert_false(p11t_attr_bool(s, k, CKA_EXTRACTABLE));
    assert_true(p11t_attr_bool(s, k, CKA_NEVER_EXTRACTABLE));
    assert_false(p11t_attr_bool(s, k, CKA_ALWAYS_AUTHENTICATE));
    assert_true(p11t_attr_bool(s, k, CKA_SIGN));
    assert_true(p11t_attr_bool(s, k, CKA_DERIVE));
    assert_false(p11t_attr_bool(s, k, CKA_DECRYPT));
    assert_false(p11t_attr_bool(s, k, CKA_UNWRAP));
    assert_false(p11t_attr_bool(s, k, CKA_MODIFIABLE));
    assert_false(p11t_attr_bool(s, k, CKA_DESTROYABLE));
    assert_false(p11t_attr_bool(s, k, CKA_LOCAL));
    assert_int_equal(p11t_attr_ulong(s, k, CKA_KEY_GEN_MECHANISM), CK_UNAVAILABLE_INFORMATION);
    CK_ULONG n;
    unsigned char *v = p11t_attr(s, k, CKA_LABEL, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(v, "web", 3);
    free(v);
    /* The id: first 8 bytes of SHA-256(label), the same on the public key */
    unsigned char md[32];
    EVP_Digest("web", 3, md, NULL, EVP_sha256(), NULL);
    v = p11t_attr(s, k, CKA_ID, &n);
    assert_int_equal(n, 8);
    assert_memory_equal(v, md, 8);
    free(v);
    static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07};
    v = p11t_attr(s, k, CKA_EC_PARAMS, &n);
    assert_int_equal(n, sizeof p256);
    assert_memory_equal(v, p256, n);
    free(v);
    /* Public values on the private key too, the same as on the public key */
    CK_OBJECT_HANDLE pub = p11t_find(s, CKO_PUBLIC_KEY, "web");
    CK_ULONG n2;
    v = p11t_attr(s, k, CKA_EC_POINT, &n);
    unsigned char *v2 = p11t_attr(s, pub, CKA_EC_POINT, &n2);
    assert_int_equal(n, 67);
    assert_int_equal(n, n2);
    assert_memory_equal(v, v2, n);
    free(v);
    free(v2);
    v = p11t_attr(s, k, CKA_PUBLIC_KEY_INFO, &n);
    v2 = p11t_attr(s, pub, CKA_PUBLIC_KEY_INFO, &n2);
    assert_int_equal(n, n2);
    assert_memory_equal(v, v2, n);
    free(v);
    free(v2);
    /* The private value is sensitive */
    unsigned char buf[64];
    CK_ATTRIBUTE a = {CKA_VALUE, buf, sizeof buf};
    assert_int_equal(T.f->C_GetAttributeValue(s, k, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    /* Allowed mechanisms: what the key can do, all usable */
    CK_MECHANISM_TYPE *mech = (CK_MECHANISM_TYPE *)p11t_attr(s, k, CKA_ALLOWED_MECHANISMS, &n);
    int ecdsa = 0, ecdh = 0;
    for (CK_ULONG i = 0; i < n / sizeof *mech; i++) {
        ecdsa |= mech[i] == CKM_ECDSA;
        ecdh |= mech[i] == CKM_ECDH1_DERIVE;
        assert_int_not_equal(mech[i], CKM_RSA_PKCS);
        assert_int_not_equal(mech[i], CKM_EDDSA);
    }
    assert_true(ecdsa && ecdh);
    free(mech);
}

static void test_public_ec(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE pub = p11t_find(s, CKO_PUBLIC_KEY, "p384");
    assert_true(p11t_attr_bool(s, pub, CKA_VERIFY));
    assert_false(p11t_attr_bool(s, pub, CKA_ENCRYPT));
    assert_false(p11t_attr_bool(s, pub, CKA_PRIVATE));
    CK_ULONG n;
    unsigned char *pt = p11t_attr(s, pub, CKA_EC_POINT, &n);
    assert_int_equal(n, 99);
    assert_int_equal(pt[0], 0x04);
    assert_int_equal(pt[1], 97);
    assert_int_equal(pt[2], 0x04);
    /* The point is the one of the SubjectPublicKeyInfo */
    EVP_PKEY *pk = p11t_pkey(s, pub);
    unsigned char enc[200];
    size_t elen = 0;
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, enc, sizeof enc, &elen), 1);
    assert_int_equal(elen, 97);
    assert_memory_equal(enc, pt + 2, 97);
    EVP_PKEY_free(pk);
    free(pt);
    unsigned char buf[8];
    CK_ATTRIBUTE a = {CKA_SENSITIVE, buf, sizeof buf};
    assert_int_equal(T.f->C_GetAttributeValue(s, pub, &a, 1), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
}

static void test_ed25519(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE k = p11t_find(es, CKO_PRIVATE_KEY, "ssh");
    CK_OBJECT_HANDLE pub = p11t_find(es, CKO_PUBLIC_KEY, "ssh");
    assert_int_not_equal(k, 0);
    /* Not in the default token */
    assert_int_equal(p11t_find(s, CKO_PRIVATE_KEY, "ssh"), 0);
    assert_int_equal(p11t_attr_ulong(es, k, CKA_KEY_TYPE), CKK_EC_EDWARDS);
    assert_false(p11t_attr_bool(es, k, CKA_DERIVE));
    CK_ULONG n;
    unsigned char *v = p11t_attr(es, pub, CKA_EC_PARAMS, &n);
    static const unsigned char oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
    assert_int_equal(n, sizeof oid);
    assert_memory_equal(v, oid, n);
    free(v);
    v = p11t_attr(es, pub, CKA_EC_POINT, &n);
    assert_int_equal(n, 34);
    assert_int_equal(v[0], 0x04);
    assert_int_equal(v[1], 32);
    EVP_PKEY *pk = p11t_pkey(es, pub);
    unsigned char raw[32];
    size_t rl = sizeof raw;
    assert_int_equal(EVP_PKEY_get_raw_public_key(pk, raw, &rl), 1);
    assert_memory_equal(raw, v + 2, 32);
    EVP_PKEY_free(pk);
    free(v);
}

static void test_rsa(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "rsa");
    CK_OBJECT_HANDLE pub = p11t_find(s, CKO_PUBLIC_KEY, "rsa");
    assert_int_equal(p11t_attr_ulong(s, k, CKA_KEY_TYPE), CKK_RSA);
    assert_true(p11t_attr_bool(s, k, CKA_DECRYPT));
    assert_true(p11t_attr_bool(s, pub, CKA_ENCRYPT));
    assert_int_equal(p11t_attr_ulong(s, pub, CKA_MODULUS_BITS), 2048);
    CK_ULONG n, e;
    unsigned char *mod = p11t_attr(s, k, CKA_MODULUS, &n);
    unsigned char *exp = p11t_attr(s, k, CKA_PUBLIC_EXPONENT, &e);
    assert_int_equal(n, 256);
    assert_true(mod[0] & 0x80);
    assert_int_equal(e, 3);
    assert_memory_equal(exp, "\x01\x00\x01", 3);
    free(mod);
    free(exp);
    static const CK_ATTRIBUTE_TYPE secret[] = {CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
                                               CKA_PRIME_2,          CKA_EXPONENT_1,
                                               CKA_EXPONENT_2,       CKA_COEFFICIENT};
    for (size_t i = 0; i < 6; i++) {
        CK_ATTRIBUTE a = {secret[i], NULL, 0};
        assert_int_equal(T.f->C_GetAttributeValue(s, k, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
        assert_int_equal(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    }
}

/* A key without `certificate =` has a self-signed certificate object made
 * by the key on first read (keys/selfcert.c): CN=<label>, the key's id,
 * the key's public key, verified by it; the attributes agree with the value. */
/* A certificate object has the CKA_ID of its key pair (what programs
 * that find keys through certificates pair them by). */
static void same_id_as_key(CK_OBJECT_HANDLE cert, const char *label)
{
    CK_ULONG idn, kidn;
    unsigned char *id = p11t_attr(s, cert, CKA_ID, &idn);
    unsigned char *kid = p11t_attr(s, p11t_find(s, CKO_PRIVATE_KEY, label), CKA_ID, &kidn);
    assert_int_equal(idn, kidn);
    assert_memory_equal(id, kid, idn);
    free(id);
    free(kid);
}

static void test_selfsigned_certificate(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE c = p11t_find(s, CKO_CERTIFICATE, "rsa");
    CK_ULONG n, sn;
    assert_int_not_equal(c, 0);
    unsigned char *subj = p11t_attr(s, c, CKA_SUBJECT, &sn);
    unsigned char *der = p11t_attr(s, c, CKA_VALUE, &n);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)n);
    assert_non_null(x);
    char cn[32];
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    assert_string_equal(cn, "rsa");
    unsigned char *want = NULL;
    int wl = i2d_X509_NAME(X509_get_subject_name(x), &want);
    assert_int_equal(sn, (CK_ULONG)wl);
    assert_memory_equal(subj, want, sn);
    OPENSSL_free(want);
    /* the key's public key, and it verifies the certificate */
    CK_ULONG kl;
    unsigned char *spki =
        p11t_attr(s, p11t_find(s, CKO_PUBLIC_KEY, "rsa"), CKA_PUBLIC_KEY_INFO, &kl);
    const unsigned char *sp = spki;
    EVP_PKEY *pub = d2i_PUBKEY(NULL, &sp, (long)kl);
    assert_non_null(pub);
    assert_int_equal(X509_verify(x, pub), 1);
    unsigned char *cspki = p11t_attr(s, c, CKA_PUBLIC_KEY_INFO, &n);
    assert_int_equal(n, kl);
    assert_memory_equal(cspki, spki, kl);
    same_id_as_key(c, "rsa");
    free(cspki);
    EVP_PKEY_free(pub);
    free(spki);
    X509_free(x);
    free(der);
    free(subj);
}

static void test_certificate(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE c = p11t_find(s, CKO_CERTIFICATE, "web");
    assert_int_not_equal(c, 0);
    assert_int_equal(p11t_attr_ulong(s, c, CKA_CERTIFICATE_TYPE), CKC_X_509);
    assert_int_equal(p11t_attr_ulong(s, c, CKA_CERTIFICATE_CATEGORY), 1);
    assert_false(p11t_attr_bool(s, c, CKA_TRUSTED));
    CK_ULONG n;
    unsigned char *der = p11t_attr(s, c, CKA_VALUE, &n);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)n);
    assert_non_null(x);
    unsigned char *subj = p11t_attr(s, c, CKA_SUBJECT, &n);
    unsigned char *want = NULL;
    int wl = i2d_X509_NAME(X509_get_subject_name(x), &want);
    assert_int_equal(n, (CK_ULONG)wl);
    assert_memory_equal(subj, want, n);
    OPENSSL_free(want);
    free(subj);
    unsigned char *serial = p11t_attr(s, c, CKA_SERIAL_NUMBER, &n);
    assert_memory_equal(serial, "\x02\x02\x10\x92", 4); /* INTEGER 4242 */
    free(serial);
    unsigned char *cv = p11t_attr(s, c, CKA_CHECK_VALUE, &n);
    unsigned char sha1[20];
    CK_ULONG dl;
    unsigned char *val = p11t_attr(s, c, CKA_VALUE, &dl);
    EVP_Digest(val, dl, sha1, NULL, EVP_sha1(), NULL);
    assert_int_equal(n, 3);
    assert_memory_equal(cv, sha1, 3);
    free(cv);
    free(val);
    /* Same CKA_ID as the key pair */
    same_id_as_key(c, "web");
    X509_free(x);
    free(der);
}

static void test_template_rules(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, "web");
    CK_OBJECT_CLASS cls = 0;
    unsigned char small[2], val[8], label[16];
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_VALUE, val, sizeof val},     /* sensitive */
        {CKA_MODULUS, val, sizeof val},   /* not an EC attribute */
        {CKA_LABEL, small, sizeof small}, /* too small */
        {CKA_ID, NULL, 0},                /* length query */
        {CKA_LABEL, label, sizeof label},
        {0x80001234UL, val, sizeof val}, /* vendor, unknown */
    };
    CK_RV rv = T.f->C_GetAttributeValue(s, k, t, 7);
    assert_true(rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
                rv == CKR_BUFFER_TOO_SMALL);
    /* Every entry was processed. */
    assert_int_equal(cls, CKO_PRIVATE_KEY);
    assert_int_equal(t[0].ulValueLen, sizeof cls);
    assert_int_equal(t[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(t[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(t[3].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(t[4].ulValueLen, 8);
    assert_int_equal(t[5].ulValueLen, 3);
    assert_memory_equal(label, "web", 3);
    assert_int_equal(t[6].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    /* One kind of problem gives its own code */
    assert_int_equal(T.f->C_GetAttributeValue(s, k, &t[2], 1), CKR_ATTRIBUTE_TYPE_INVALID);
    t[3].ulValueLen = sizeof small;
    assert_int_equal(T.f->C_GetAttributeValue(s, k, &t[3], 1), CKR_BUFFER_TOO_SMALL);
    CK(T.f->C_GetAttributeValue(s, k, NULL, 0));
    CK_ULONG size = 0;
    CK(T.f->C_GetObjectSize(s, k, &size));
    assert_true(size > 0);
}

static void test_search_without_derivation(void **state)
{
    (void)state;
    /* With dstack stopped, searching by class, label, id and key type works. */
    p11t_sim_stop();
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    unsigned char md[32];
    EVP_Digest("p384", 4, md, NULL, EVP_sha256(), NULL);
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &kt, sizeof kt},
        {CKA_ID, md, 8},
    };
    CK_OBJECT_HANDLE found[16];
    CK_ULONG n = 0;
    CK(T.f->C_FindObjectsInit(s, t, 3));
    CK(T.f->C_FindObjects(s, found, 16, &n));
    CK(T.f->C_FindObjectsFinal(s));
    assert_int_equal(n, 1);
    CK_ULONG ln;
    unsigned char *l = p11t_attr(s, found[0], CKA_LABEL, &ln);
    assert_memory_equal(l, "p384", 4);
    free(l);
    /* All objects of the token: 4 key pairs, each with a certificate (web's
     * configured, the others self-signed) */
    CK(T.f->C_FindObjectsInit(s, NULL, 0));
    CK(T.f->C_FindObjects(s, found, 16, &n));
    CK(T.f->C_FindObjectsFinal(s));
    assert_int_equal(n, 4 * 3);
    /* a self-signed certificate's subject, issuer and serial come without
     * dstack, its value does not */
    CK_OBJECT_HANDLE c = p11t_find(s, CKO_CERTIFICATE, "rsa");
    assert_int_not_equal(c, 0);
    free(p11t_attr(s, c, CKA_SUBJECT, &ln));
    free(p11t_attr(s, c, CKA_ISSUER, &ln));
    free(p11t_attr(s, c, CKA_SERIAL_NUMBER, &ln));
    CK_ATTRIBUTE v = {CKA_VALUE, NULL, 0};
    assert_int_equal(T.f->C_GetAttributeValue(s, c, &v, 1), CKR_DEVICE_ERROR);
    p11t_sim_start();
}

static int setup(void **state)
{
    if (p11t_group_setup(state) != 0)
        return -1;
    s = p11t_session(p11t_slot("dstack"), 0);
    es = p11t_session(p11t_slot("dstack-ed25519"), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_without_derivation),
        cmocka_unit_test(test_private_ec),
        cmocka_unit_test(test_public_ec),
        cmocka_unit_test(test_ed25519),
        cmocka_unit_test(test_rsa),
        cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_selfsigned_certificate),
        cmocka_unit_test(test_template_rules),
    };
    return cmocka_run_group_tests(tests, setup, p11t_group_teardown);
}
