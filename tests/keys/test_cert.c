/* keys/cert.c: a certificate made here with OpenSSL, given as PEM and DER,
 * comes back in the pieces OpenSSL itself encodes; bad input is refused. */
#include "keytest.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static X509 *make_cert(EVP_PKEY **keyout)
{
    EVP_PKEY *k = EVP_EC_gen("prime256v1");
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    assert_non_null(k);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234567);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"dstack test", -1, -1,
                               0);
    X509_set_subject_name(x, n);
    X509_NAME_free(n);
    n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"issuer", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_NAME_free(n);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    *keyout = k;
    return x;
}

static void expect_der(const unsigned char *got, size_t gl,
                       int (*enc)(const void *, unsigned char **), const void *obj)
{
    unsigned char *der = NULL;
    int n = enc(obj, &der);
    assert_true(n > 0);
    assert_int_equal(gl, (size_t)n);
    assert_memory_equal(got, der, gl);
    OPENSSL_free(der);
}

static int enc_name(const void *o, unsigned char **p)
{
    return i2d_X509_NAME((X509_NAME *)o, p);
}
static int enc_int(const void *o, unsigned char **p)
{
    return i2d_ASN1_INTEGER((ASN1_INTEGER *)o, p);
}
static int enc_x509(const void *o, unsigned char **p)
{
    return i2d_X509((X509 *)o, p);
}
static int enc_pub(const void *o, unsigned char **p)
{
    return i2d_PUBKEY((EVP_PKEY *)o, p);
}

static void check_fields(const dsk_cert *c, X509 *x, EVP_PKEY *k)
{
    expect_der(c->der, c->der_len, enc_x509, x);
    expect_der(c->subject, c->subject_len, enc_name, X509_get_subject_name(x));
    expect_der(c->issuer, c->issuer_len, enc_name, X509_get_issuer_name(x));
    expect_der(c->serial, c->serial_len, enc_int, X509_get0_serialNumber(x));
    expect_der(c->spki, c->spki_len, enc_pub, k);
}

static void test_pem_and_der(void **state)
{
    EVP_PKEY *k;
    X509 *x = make_cert(&k);
    dsk_cert c;
    unsigned char *der = NULL;
    int dl = i2d_X509(x, &der);
    BIO *b = BIO_new(BIO_s_mem());
    char *pem;
    long pl;
    (void)state;
    assert_int_equal(dsk_cert_parse(der, (size_t)dl, "cert.der", &c, NULL), DSK_OK);
    check_fields(&c, x, k);
    dsk_cert_free(&c);
    /* PEM, with text before it as `openssl x509 -text` writes */
    BIO_puts(b, "Certificate:\n    some text\n");
    PEM_write_bio_X509(b, x);
    pl = BIO_get_mem_data(b, &pem);
    assert_int_equal(dsk_cert_parse((unsigned char *)pem, (size_t)pl, "cert.pem", &c, NULL),
                     DSK_OK);
    check_fields(&c, x, k);
    dsk_cert_free(&c);
    dsk_cert_free(&c); /* freeing twice is harmless: the struct was cleared */
    BIO_free(b);
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void test_bad_input(void **state)
{
    EVP_PKEY *k;
    X509 *x = make_cert(&k);
    unsigned char *der = NULL, junk[100];
    int dl = i2d_X509(x, &der);
    dsk_cert c;
    dsk_error e = {0};
    static const char bad_pem[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    (void)state;
    assert_int_equal(dsk_cert_parse(der, (size_t)dl - 1, "short.der", &c, &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "short.der"));
    /* trailing bytes after the DER */
    unsigned char *longer = malloc((size_t)dl + 1);
    memcpy(longer, der, (size_t)dl);
    longer[dl] = 0;
    assert_int_equal(dsk_cert_parse(longer, (size_t)dl + 1, "long.der", &c, &e), DSK_E_CONFIG);
    memset(junk, 0x30, sizeof junk);
    assert_int_equal(dsk_cert_parse(junk, sizeof junk, NULL, &c, &e), DSK_E_CONFIG);
    assert_int_equal(
        dsk_cert_parse((const unsigned char *)bad_pem, sizeof bad_pem - 1, "bad.pem", &c, &e),
        DSK_E_CONFIG);
    assert_int_equal(dsk_cert_parse(NULL, 5, "x", &c, &e), DSK_E_ARGS);
    assert_int_equal(dsk_cert_parse(junk, 0, "x", &c, &e), DSK_E_ARGS);
    /* our failures leave nothing on the application's OpenSSL error queue */
    assert_int_equal(ERR_peek_error(), 0);
    free(longer);
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pem_and_der),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
