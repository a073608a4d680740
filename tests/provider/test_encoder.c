/* provider/encoder.c: writing a dstack key as a private key PEM gives
 * exactly the reference file, never key material; public keys encode as
 * the default provider encodes them. */
#include "provtest.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/x509.h>

/* The reference file, written out here from its documented definition. */
static char *expected_ref(const char *uri)
{
    unsigned char b64[256];
    char *out = malloc(512);
    int n = EVP_EncodeBlock(b64, (const unsigned char *)uri, (int)strlen(uri));
    assert_true(n > 0 && n <= 64);
    snprintf(out, 512,
             "-----BEGIN DSTACK KEY REFERENCE-----\n%s\n-----END DSTACK KEY REFERENCE-----\n",
             (char *)b64);
    return out;
}

static char *write_private(pt_env *e, EVP_PKEY *k)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *data, *out = NULL;
    long n;
    if (PEM_write_bio_PrivateKey_ex(mem, k, NULL, NULL, 0, NULL, NULL, e->libctx, NULL) == 1) {
        /* BIO memory is not NUL-terminated: copy by length, not strndup
         * (which may look for the NUL past the end). */
        n = BIO_get_mem_data(mem, &data);
        out = malloc((size_t)n + 1);
        if (out != NULL) {
            memcpy(out, data, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(mem);
    return out;
}

static void test_private_pem_is_the_reference(void **state)
{
    pt_env *e = *state;
    const char *uris[] = {"dstack:web", "dstack:ed", "dstack:rsa",
                          "dstack:path=/x/y;type=secp256k1"};
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        EVP_PKEY *k = pt_load(e, uris[i]);
        char *got = write_private(e, k), *want = expected_ref(uris[i]);
        if (got == NULL)
            fail_msg("%s: %s", uris[i], pt_errors());
        assert_string_equal(got, want);
        free(got);
        free(want);
        EVP_PKEY_free(k);
    }
}

/* DER private key output has no encoder of ours: it fails rather than
 * exporting anything. */
static void test_der_private_refused(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:web");
    unsigned char *der = NULL;
    assert_true(i2d_PrivateKey(k, &der) <= 0);
    assert_null(der);
    ERR_clear_error();
    EVP_PKEY_free(k);
}

static void test_public_pem_like_default(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:rsa"), *pub = pt_public(e, k);
    BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());
    char *da, *db;
    long na, nb;
    assert_int_equal(PEM_write_bio_PUBKEY(a, k), 1);
    assert_int_equal(PEM_write_bio_PUBKEY(b, pub), 1);
    na = BIO_get_mem_data(a, &da);
    nb = BIO_get_mem_data(b, &db);
    assert_int_equal(na, nb);
    assert_memory_equal(da, db, (size_t)na);
    BIO_free(a);
    BIO_free(b);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_private_pem_is_the_reference),
        cmocka_unit_test(test_der_private_refused),
        cmocka_unit_test(test_public_pem_like_default),
    };
    return cmocka_run_group_tests(tests, pt_group_setup, pt_group_teardown);
}
