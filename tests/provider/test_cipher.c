/* provider/cipher.c: RSA decryption with a dstack key of what the default
 * provider encrypted (PKCS#1 v1.5, OAEP with digest and label, the TLS 1.2
 * premaster padding), and encryption with imported public keys. */
#include "provtest.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

static size_t encrypt_with(OSSL_LIB_CTX *ctx, const char *props, EVP_PKEY *k,
                           const OSSL_PARAM *params, const unsigned char *in, size_t inlen,
                           unsigned char *out)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(ctx, k, props);
    size_t len = 512;
    assert_int_equal(EVP_PKEY_encrypt_init_ex(c, params), 1);
    if (EVP_PKEY_encrypt(c, out, &len, in, inlen) != 1)
        fail_msg("encrypt: %s", pt_errors());
    EVP_PKEY_CTX_free(c);
    return len;
}

static int decrypt_with(OSSL_LIB_CTX *ctx, EVP_PKEY *k, const OSSL_PARAM *params,
                        const unsigned char *in, size_t inlen, unsigned char *out, size_t *outlen)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(ctx, k, NULL);
    int r;
    assert_int_equal(EVP_PKEY_decrypt_init_ex(c, params), 1);
    r = EVP_PKEY_decrypt(c, out, outlen, in, inlen);
    EVP_PKEY_CTX_free(c);
    return r;
}

static void test_pkcs1_and_oaep(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:rsa"), *pub = pt_public(e, k);
    static const unsigned char pt[] = "session key 0123456789";
    unsigned char ct[512], out[512];
    size_t ctlen, outlen;
    OSSL_PARAM oaep[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, "oaep", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, "SHA384", 0),
        OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, "lbl", 3),
        OSSL_PARAM_construct_end(),
    };
    OSSL_PARAM wrong_label[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, "oaep", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, "SHA384", 0),
        OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, "xyz", 3),
        OSSL_PARAM_construct_end(),
    };

    ctlen = encrypt_with(e->check, NULL, pub, NULL, pt, sizeof pt, ct);
    outlen = sizeof out;
    assert_int_equal(decrypt_with(e->libctx, k, NULL, ct, ctlen, out, &outlen), 1);
    assert_int_equal(outlen, sizeof pt);
    assert_memory_equal(out, pt, sizeof pt);

    ctlen = encrypt_with(e->check, NULL, pub, oaep, pt, sizeof pt, ct);
    outlen = sizeof out;
    assert_int_equal(decrypt_with(e->libctx, k, oaep, ct, ctlen, out, &outlen), 1);
    assert_int_equal(outlen, sizeof pt);
    assert_memory_equal(out, pt, sizeof pt);
    outlen = sizeof out;
    assert_int_not_equal(decrypt_with(e->libctx, k, wrong_label, ct, ctlen, out, &outlen), 1);
    ERR_clear_error();
    EVP_PKEY_free(pub);
    EVP_PKEY_free(k);
}

/* What libssl does with a TLS 1.2 RSA key exchange. */
static void test_tls_premaster(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:rsa"), *pub = pt_public(e, k);
    unsigned char pms[48], ct[512], out[48];
    size_t ctlen, outlen = sizeof out;
    int pad = RSA_PKCS1_WITH_TLS_PADDING;
    unsigned int client = 0x0303, negotiated = 0x0303;
    OSSL_PARAM tls[] = {
        OSSL_PARAM_construct_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, &pad),
        OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION, &client),
        OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_TLS_NEGOTIATED_VERSION, &negotiated),
        OSSL_PARAM_construct_end(),
    };

    assert_int_equal(RAND_bytes(pms, sizeof pms), 1);
    pms[0] = 0x03;
    pms[1] = 0x03;
    ctlen = encrypt_with(e->check, NULL, pub, NULL, pms, sizeof pms, ct);
    assert_int_equal(decrypt_with(e->libctx, k, tls, ct, ctlen, out, &outlen), 1);
    assert_int_equal(outlen, 48);
    assert_memory_equal(out, pms, 48);

    /* A wrong version in the premaster gives a random premaster, no error. */
    pms[1] = 0x01;
    ctlen = encrypt_with(e->check, NULL, pub, NULL, pms, sizeof pms, ct);
    outlen = sizeof out;
    assert_int_equal(decrypt_with(e->libctx, k, tls, ct, ctlen, out, &outlen), 1);
    assert_int_equal(outlen, 48);
    assert_memory_not_equal(out, pms, 48);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(k);
}

/* Encryption with a public key imported into our keymgmt, decrypted by the
 * default provider; decryption with it is refused. */
static void test_encrypt_imported(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *priv = pt_gen(e->check, "RSA", NULL), *ours = NULL;
    EVP_PKEY_CTX *fc = EVP_PKEY_CTX_new_from_name(e->libctx, "RSA", "provider=dstack");
    OSSL_PARAM *params = NULL;
    static const unsigned char pt[] = "to the default provider";
    unsigned char ct[512], out[512];
    size_t ctlen, outlen = sizeof out;
    EVP_PKEY_CTX *c;

    assert_int_equal(EVP_PKEY_todata(priv, EVP_PKEY_PUBLIC_KEY, &params), 1);
    assert_int_equal(EVP_PKEY_fromdata_init(fc), 1);
    assert_int_equal(EVP_PKEY_fromdata(fc, &ours, EVP_PKEY_PUBLIC_KEY, params), 1);
    ctlen = encrypt_with(e->libctx, "provider=dstack", ours, NULL, pt, sizeof pt, ct);
    assert_int_equal(decrypt_with(e->check, priv, NULL, ct, ctlen, out, &outlen), 1);
    assert_int_equal(outlen, sizeof pt);
    assert_memory_equal(out, pt, sizeof pt);

    c = EVP_PKEY_CTX_new_from_pkey(e->libctx, ours, "provider=dstack");
    assert_int_not_equal(EVP_PKEY_decrypt_init(c), 1);
    assert_non_null(strstr(pt_errors(), "public key"));
    EVP_PKEY_CTX_free(c);
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(fc);
    EVP_PKEY_free(ours);
    EVP_PKEY_free(priv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkcs1_and_oaep),
        cmocka_unit_test(test_tls_premaster),
        cmocka_unit_test(test_encrypt_imported),
    };
    return cmocka_run_group_tests(tests, pt_group_setup, pt_group_teardown);
}
