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

/* The DER of x with its outer signatureAlgorithm given an extra parameter
 * OpenSSL accepts but writes back differently: a constructed universal tag
 * 0 (`20 00`) comes back as a primitive `00 00`, which it then refuses to
 * read (found by fuzz_cert; tests/fuzz/corpus/cert/sigalg-eoc.der). */
/* DER header at d: returns its size, sets *len to the content length. */
static size_t der_hdr(const unsigned char *d, size_t *len)
{
    if (d[1] < 0x80) {
        *len = d[1];
        return 2;
    }
    size_t n = d[1] & 0x7f;
    *len = 0;
    for (size_t i = 0; i < n; i++)
        *len = (*len << 8) | d[2 + i];
    return 2 + n;
}

static size_t put_len(unsigned char *q, size_t len)
{
    if (len < 0x80) {
        q[0] = (unsigned char)len;
        return 1;
    }
    if (len < 0x100) {
        q[0] = 0x81, q[1] = (unsigned char)len;
        return 2;
    }
    q[0] = 0x82, q[1] = (unsigned char)(len >> 8), q[2] = (unsigned char)len;
    return 3;
}

static unsigned char *odd_cert(X509 *x, size_t *len)
{
    unsigned char *der = NULL;
    int dl = i2d_X509(x, &der);
    size_t outer_len, tbs_len, alg_len;
    assert_true(dl > 8 && der[0] == 0x30);
    size_t h0 = der_hdr(der, &outer_len);
    assert_int_equal(der[h0], 0x30);
    size_t tbs_end = h0 + der_hdr(der + h0, &tbs_len) + tbs_len;
    assert_int_equal(der[tbs_end], 0x30);
    size_t ah = der_hdr(der + tbs_end, &alg_len);
    assert_true(ah == 2 && alg_len < 0x7e);
    size_t rest = (size_t)dl - (tbs_end + 2 + alg_len);
    size_t body = (tbs_end - h0) + 2 + alg_len + 2 + rest;
    unsigned char *out = malloc(4 + body), *q = out;
    *q++ = 0x30;
    q += put_len(q, body);
    memcpy(q, der + h0, tbs_end - h0), q += tbs_end - h0;
    *q++ = 0x30, *q++ = (unsigned char)(alg_len + 2);
    memcpy(q, der + tbs_end + 2, alg_len), q += alg_len;
    *q++ = 0x20, *q++ = 0x00;
    memcpy(q, der + tbs_end + 2 + alg_len, rest), q += rest;
    *len = (size_t)(q - out);
    OPENSSL_free(der);
    return out;
}

static int contains(const unsigned char *hay, size_t hl, const unsigned char *n, size_t nl)
{
    return nl && memmem(hay, hl, n, nl) != NULL;
}

/* The certificate's own bytes are kept, not OpenSSL's re-encoding. */
static void test_file_bytes_kept(void **state)
{
    (void)state;
    EVP_PKEY *k;
    X509 *x = make_cert(&k);
    size_t len;
    unsigned char *odd = odd_cert(x, &len);
    /* OpenSSL reads it, but what it writes back it cannot read. */
    const unsigned char *p = odd;
    X509 *y = d2i_X509(NULL, &p, (long)len);
    assert_non_null(y);
    unsigned char *re = NULL;
    int rl = i2d_X509(y, &re);
    assert_true(rl == (int)len && memcmp(re, odd, len) != 0);
    p = re;
    X509 *z = d2i_X509(NULL, &p, rl);
    assert_null(z);
    ERR_clear_error();
    dsk_cert c;
    assert_int_equal(dsk_cert_parse(odd, len, "odd.der", &c, NULL), DSK_OK);
    assert_int_equal(c.der_len, len);
    assert_memory_equal(c.der, odd, len);
    assert_true(contains(odd, len, c.subject, c.subject_len));
    assert_true(contains(odd, len, c.issuer, c.issuer_len));
    assert_true(contains(odd, len, c.serial, c.serial_len));
    assert_true(contains(odd, len, c.spki, c.spki_len));
    expect_der(c.spki, c.spki_len, enc_pub, k);
    dsk_cert_free(&c);
    /* The same as PEM */
    BIO *b = BIO_new(BIO_s_mem());
    assert_true(PEM_write_bio(b, "CERTIFICATE", "", odd, (long)len) > 0);
    char *pem;
    long pl = BIO_get_mem_data(b, &pem);
    assert_int_equal(dsk_cert_parse((unsigned char *)pem, (size_t)pl, "odd.pem", &c, NULL), DSK_OK);
    assert_int_equal(c.der_len, len);
    assert_memory_equal(c.der, odd, len);
    dsk_cert_free(&c);
    BIO_free(b);
    X509_free(y);
    OPENSSL_free(re);
    free(odd);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* A BER certificate (indefinite length) that OpenSSL would accept is
 * refused with a message that says how to fix it. */
static void test_ber_refused(void **state)
{
    (void)state;
    EVP_PKEY *k;
    X509 *x = make_cert(&k);
    unsigned char *der = NULL;
    assert_true(i2d_X509(x, &der) > 0);
    /* outer SEQUENCE with indefinite length + end-of-contents */
    size_t outer_len, h0 = der_hdr(der, &outer_len);
    size_t bl = 2 + outer_len + 2;
    unsigned char *ber = malloc(bl);
    ber[0] = 0x30, ber[1] = 0x80;
    memcpy(ber + 2, der + h0, outer_len);
    ber[bl - 2] = 0, ber[bl - 1] = 0;
    dsk_cert c;
    dsk_error e = {0};
    dsk_status st = dsk_cert_parse(ber, bl, "ber.der", &c, &e);
    assert_int_equal(st, DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "ber.der"));
    assert_int_equal(ERR_peek_error(), 0);
    free(ber);
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pem_and_der),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_file_bytes_kept),
        cmocka_unit_test(test_ber_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
