/* keys/selfcert.c: the self-signed certificate of every key. Subject,
 * issuer and serial come without derivation and match the full
 * certificate; the certificate verifies with the key's public key (in the
 * application's default context), holds the documented fields, and is
 * byte-identical on every call where the signature scheme is deterministic. */
#include "keytest.h"

#include <openssl/sha.h>
#include <openssl/x509v3.h>

static X509 *parse(const dsk_cert *c)
{
    const unsigned char *p = c->der;
    X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
    assert_non_null(x);
    assert_ptr_equal(p, c->der + c->der_len);
    return x;
}

static void check_type(dsk_key_type t, const char *label, int deterministic, const char *sigalg)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_desc d = {.label = label, .type = t, .path = "/app/tls"};
    dsk_key *k = NULL;
    dsk_cert names, a, b;
    dsk_error e = {0};
    unsigned char m[32] = {9};
    char cn[64];
    X509 *x;
    EVP_PKEY *pub;
    const unsigned char *spki = NULL;
    size_t spki_len = 0;

    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    /* before any derivation, and without an agent */
    if (dsk_key_selfsigned_names(k, &names, &e) != DSK_OK)
        fail_msg("names: %s", e.msg);
    assert_int_equal(dsk_key_is_derived(k), 0);
    assert_int_equal(dsk_key_derive_from_material(k, m, NULL), DSK_OK);
    if (dsk_key_selfsigned(k, &a, &e) != DSK_OK)
        fail_msg("%s: %s", label, e.msg);
    assert_int_equal(dsk_key_selfsigned(k, &b, NULL), DSK_OK);

    assert_int_equal(a.subject_len, names.subject_len);
    assert_memory_equal(a.subject, names.subject, names.subject_len);
    assert_memory_equal(a.issuer, names.issuer, names.issuer_len);
    assert_int_equal(a.serial_len, names.serial_len);
    assert_memory_equal(a.serial, names.serial, names.serial_len);
    assert_int_equal(names.serial_len, 2 + 16);
    assert_int_equal(dsk_key_spki(k, &spki, &spki_len, NULL), DSK_OK);
    assert_int_equal(a.spki_len, spki_len);
    assert_memory_equal(a.spki, spki, spki_len);

    x = parse(&a);
    pub = kt_default_pub(k);
    assert_int_equal(X509_verify(x, pub), 1);
    assert_int_equal(X509_get_version(x), 2);
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    assert_string_equal(cn, label);
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
    assert_int_equal(ASN1_TIME_compare(X509_get0_notBefore(x), X509_get0_notBefore(x)), 0);
    {
        ASN1_TIME *nb = ASN1_TIME_new(), *na = ASN1_TIME_new();
        ASN1_TIME_set_string(nb, "20250101000000Z");
        ASN1_TIME_set_string(na, "99991231235959Z");
        assert_int_equal(ASN1_TIME_compare(X509_get0_notBefore(x), nb), 0);
        assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(x), na), 0);
        ASN1_TIME_free(nb);
        ASN1_TIME_free(na);
    }
    assert_int_equal(X509_check_ca(x), 0);
    assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
    assert_non_null(X509_get0_subject_key_id(x));
    assert_string_equal(OBJ_nid2sn(X509_get_signature_nid(x)), sigalg);

    if (deterministic) {
        assert_int_equal(a.der_len, b.der_len);
        assert_memory_equal(a.der, b.der, a.der_len);
    } else {
        X509 *y = parse(&b);
        assert_int_equal(X509_verify(y, pub), 1);
        X509_free(y);
    }
    X509_free(x);
    EVP_PKEY_free(pub);
    dsk_cert_free(&names);
    dsk_cert_free(&a);
    dsk_cert_free(&b);
    dsk_keystore_free(ks);
}

static void test_p256(void **state)
{
    (void)state;
    check_type(DSK_KEY_EC_P256, "web", 0, "ecdsa-with-SHA256");
}

static void test_p384(void **state)
{
    (void)state;
    check_type(DSK_KEY_EC_P384, "p384", 0, "ecdsa-with-SHA384");
}

static void test_rsa(void **state)
{
    (void)state;
    check_type(DSK_KEY_RSA_2048, "signer", 1, "RSA-SHA256");
}

static void test_ed25519(void **state)
{
    (void)state;
    check_type(DSK_KEY_ED25519, "ssh", 1, "ED25519");
}

/* The serial depends on the key's description only: same description, same
 * serial in another store; another label or path, another serial. */
static void test_serial_rule(void **state)
{
    dsk_keystore *s1 = kt_store(NULL), *s2 = kt_store(NULL);
    dsk_key_desc d = {.label = "web", .type = DSK_KEY_EC_P256, .path = "/app/tls"};
    dsk_key_desc d2 = {.label = "web2", .type = DSK_KEY_EC_P256, .path = "/app/tls"};
    dsk_key *a = NULL, *b = NULL, *c = NULL;
    dsk_cert na, nb, nc;
    (void)state;
    assert_int_equal(dsk_keystore_add(s1, &d, &a, NULL), DSK_OK);
    assert_int_equal(dsk_keystore_add(s2, &d, &b, NULL), DSK_OK);
    assert_int_equal(dsk_keystore_add(s2, &d2, &c, NULL), DSK_OK);
    assert_int_equal(dsk_key_selfsigned_names(a, &na, NULL), DSK_OK);
    assert_int_equal(dsk_key_selfsigned_names(b, &nb, NULL), DSK_OK);
    assert_int_equal(dsk_key_selfsigned_names(c, &nc, NULL), DSK_OK);
    assert_memory_equal(na.serial, nb.serial, na.serial_len);
    assert_memory_not_equal(na.serial, nc.serial, na.serial_len);
    dsk_cert_free(&na);
    dsk_cert_free(&nb);
    dsk_cert_free(&nc);
    dsk_keystore_free(s1);
    dsk_keystore_free(s2);
}

/* The serial is the documented rule (docs/recipes.md), computed here by
 * OpenSSL's SHA-256: selfcert.c's own SHA-256 (common/sha256.c) gives the
 * serial every earlier version gave, so certificates do not change. */
static void test_serial_documented(void **state)
{
    static const char rule[] = "dstack-pkcs11 self-signed v1\0web\0/app/tls\0signing\0ec-p256";
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_desc d = {
        .label = "web", .type = DSK_KEY_EC_P256, .path = "/app/tls", .purpose = "signing"};
    dsk_key *k = NULL;
    dsk_cert n;
    unsigned char h[32];
    (void)state;
    SHA256((const unsigned char *)rule, sizeof rule, h); /* sizeof: with the last NUL */
    h[0] = (unsigned char)((h[0] & 0x7f) | 0x40);
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    assert_int_equal(dsk_key_selfsigned_names(k, &n, NULL), DSK_OK);
    assert_int_equal(n.serial_len, 18);
    assert_int_equal(n.serial[0], 0x02); /* INTEGER */
    assert_int_equal(n.serial[1], 16);
    assert_memory_equal(n.serial + 2, h, 16);
    dsk_cert_free(&n);
    dsk_keystore_free(ks);
}

/* The subject is written by selfcert.c itself; it is the DER OpenSSL's
 * X509_NAME gives for CN=<label>: as the UTF8String OpenSSL chooses for
 * UTF-8 text (labels up to 64 bytes, commonName's upper bound, where the old
 * code asked OpenSSL), and as an explicit UTF8String for the long labels
 * (1- and 2-byte DER lengths) OpenSSL refused before. */
static void check_name(const char *label)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_desc d = {.label = label, .type = DSK_KEY_EC_P256, .path = "/app/tls"};
    dsk_key *k = NULL;
    dsk_cert c;
    X509_NAME *n = X509_NAME_new();
    unsigned char *der = NULL;
    int type = strlen(label) <= 64 ? MBSTRING_UTF8 : V_ASN1_UTF8STRING;

    assert_non_null(n);
    assert_int_equal(X509_NAME_add_entry_by_NID(n, NID_commonName, type,
                                                (const unsigned char *)label, -1, -1, 0),
                     1);
    int len = i2d_X509_NAME(n, &der);
    assert_true(len > 0);
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    assert_int_equal(dsk_key_selfsigned_names(k, &c, NULL), DSK_OK);
    assert_int_equal(c.subject_len, (size_t)len);
    assert_memory_equal(c.subject, der, (size_t)len);
    assert_int_equal(c.issuer_len, (size_t)len);
    assert_memory_equal(c.issuer, der, (size_t)len);
    OPENSSL_free(der);
    X509_NAME_free(n);
    dsk_cert_free(&c);
    dsk_keystore_free(ks);
}

static void test_names_der(void **state)
{
    char mid[131], big[301];
    (void)state;
    memset(mid, 'm', sizeof mid - 1);
    mid[sizeof mid - 1] = '\0';
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    check_name("web");
    check_name("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87 \xe2\x82\xac"); /* UTF-8 */
    check_name("a label of sixty-four bytes, the upper bound of commonName......");
    check_name(mid);
    check_name(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_p256),        cmocka_unit_test(test_p384),
        cmocka_unit_test(test_rsa),         cmocka_unit_test(test_ed25519),
        cmocka_unit_test(test_serial_rule), cmocka_unit_test(test_serial_documented),
        cmocka_unit_test(test_names_der),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
