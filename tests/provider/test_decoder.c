/* provider/decoder.c: a PEM reference file becomes the dstack key both
 * through PEM_read_bio_PrivateKey (nginx, curl) and through the file: store
 * (the openssl tool); every other PEM block still decodes as before. */
#include "provtest.h"

#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"

static EVP_PKEY *pem_read(pt_env *e, const char *text)
{
    BIO *b = BIO_new_mem_buf(text, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey_ex(b, NULL, NULL, NULL, e->libctx, NULL);
    BIO_free(b);
    return k;
}

static void check_same_key(pt_env *e, EVP_PKEY *k, const char *uri)
{
    EVP_PKEY *want = pt_load(e, uri), *a = pt_public(e, k), *b = pt_public(e, want);
    assert_string_equal(pt_provider_of(k), "dstack");
    assert_int_equal(EVP_PKEY_eq(a, b), 1);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
    EVP_PKEY_free(want);
}

static void test_pem_read_private_key(void **state)
{
    pt_env *e = *state;
    const char *uris[] = {"dstack:web", "dstack:ed", "dstack:rsa",
                          "dstack:path=/a%3Bb;type=ec-p384"};
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        char *pem = dsk_ref_pem(uris[i]);
        EVP_PKEY *k = pem_read(e, pem);
        if (k == NULL)
            fail_msg("%s: %s", uris[i], pt_errors());
        check_same_key(e, k, uris[i]);
        EVP_PKEY_free(k);
        free(pem);
    }
}

/* The openssl tool reads -key/-inkey files through the file: store. */
static void test_file_store(void **state)
{
    pt_env *e = *state;
    char *pem = dsk_ref_pem("dstack:p384");
    const char *path = pt_write(e, "p384.ref.pem", pem);
    EVP_PKEY *k = pt_load(e, path);
    if (k == NULL)
        fail_msg("%s", pt_errors());
    check_same_key(e, k, "dstack:p384");
    EVP_PKEY_free(k);
    free(pem);
}

/* Text before the block (comments) is skipped, as PEM readers do. */
static void test_leading_text(void **state)
{
    pt_env *e = *state;
    char *pem = dsk_ref_pem("dstack:web"), text[512];
    EVP_PKEY *k;
    snprintf(text, sizeof text, "# the web key of my-app\n\n%s", pem);
    k = pem_read(e, text);
    assert_non_null(k);
    check_same_key(e, k, "dstack:web");
    EVP_PKEY_free(k);
    free(pem);
}

/* Plain keys and certificates are not ours: they decode as always. */
static void test_other_pem_passes(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *plain = pt_gen(e->check, "EC", "P-256"), *back;
    BIO *mem = BIO_new(BIO_s_mem());
    X509 *x = X509_new(), *xb;
    char *text;
    long n;

    assert_int_equal(PEM_write_bio_PrivateKey(mem, plain, NULL, NULL, 0, NULL, NULL), 1);
    n = BIO_get_mem_data(mem, &text);
    text[n - 1] = '\0'; /* ends with a newline we can spare */
    back = pem_read(e, text);
    assert_non_null(back);
    assert_string_equal(pt_provider_of(back), "default");
    assert_int_equal(EVP_PKEY_eq(back, plain), 1);
    EVP_PKEY_free(back);

    /* A certificate file read with the key reader gives no key, no crash;
     * read as a certificate it works. */
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 60);
    X509_set_pubkey(x, plain);
    assert_true(X509_sign(x, plain, EVP_sha256()) > 0);
    BIO_reset(mem);
    assert_int_equal(PEM_write_bio_X509(mem, x), 1);
    xb = PEM_read_bio_X509(mem, NULL, NULL, NULL);
    assert_non_null(xb);
    assert_int_equal(X509_cmp(x, xb), 0);
    X509_free(xb);
    X509_free(x);
    BIO_free(mem);
    EVP_PKEY_free(plain);
}

/* nginx setups that keep the certificate and the key in one file. */
static void test_after_certificate(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *plain = pt_gen(e->check, "EC", "P-256"), *k;
    X509 *x = X509_new();
    BIO *mem = BIO_new(BIO_s_mem());
    char *ref = dsk_ref_pem("dstack:rsa"), *text;

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 9);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 60);
    X509_set_pubkey(x, plain);
    assert_true(X509_sign(x, plain, EVP_sha256()) > 0);
    assert_int_equal(PEM_write_bio_X509(mem, x), 1);
    assert_true(BIO_puts(mem, ref) > 0);
    assert_int_equal(BIO_write(mem, "", 1), 1);
    BIO_get_mem_data(mem, &text);
    k = pem_read(e, text);
    if (k == NULL)
        fail_msg("%s", pt_errors());
    check_same_key(e, k, "dstack:rsa");
    EVP_PKEY_free(k);
    free(ref);
    BIO_free(mem);
    X509_free(x);
    EVP_PKEY_free(plain);
}

static void test_bad_reference_blocks(void **state)
{
    pt_env *e = *state;
    /* base64("not-a-uri") and base64("dstack:nosuchkey") */
    const char *not_uri = "-----BEGIN DSTACK KEY REFERENCE-----\nbm90LWEtdXJp\n"
                          "-----END DSTACK KEY REFERENCE-----\n";
    const char *unknown = "-----BEGIN DSTACK KEY REFERENCE-----\nZHN0YWNrOm5vc3VjaGtleQ==\n"
                          "-----END DSTACK KEY REFERENCE-----\n";
    const char *no_end = "-----BEGIN DSTACK KEY REFERENCE-----\nZHN0YWNrOndlYg==\n";

    assert_null(pem_read(e, not_uri));
    assert_non_null(strstr(pt_errors(), "does not hold a dstack: URI"));
    assert_null(pem_read(e, unknown));
    assert_non_null(strstr(pt_errors(), "'nosuchkey'"));
    assert_null(pem_read(e, no_end));
    assert_non_null(strstr(pt_errors(), "no END line"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pem_read_private_key), cmocka_unit_test(test_file_store),
        cmocka_unit_test(test_leading_text),         cmocka_unit_test(test_other_pem_passes),
        cmocka_unit_test(test_after_certificate),    cmocka_unit_test(test_bad_reference_blocks),
    };
    return cmocka_run_group_tests(tests, pt_group_setup, pt_group_teardown);
}
