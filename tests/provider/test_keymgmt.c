/* provider/keymgmt.c: opaque keys. Export never gives the private key,
 * import takes public keys only, match pairs keys with certificates, dup
 * keeps a usable key. */
#include "provtest.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

static void test_export_refuses_private(void **state)
{
    pt_env *e = *state;
    const char *uris[] = {"dstack:web", "dstack:ed", "dstack:rsa"};
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *k = pt_load(e, uris[i]);
        OSSL_PARAM *params = NULL;
        assert_non_null(k);
        assert_int_equal(EVP_PKEY_todata(k, EVP_PKEY_KEYPAIR, &params), 0);
        assert_null(params);
        assert_non_null(strstr(pt_errors(), "never leaves the provider"));
        assert_int_equal(EVP_PKEY_todata(k, EVP_PKEY_PUBLIC_KEY, &params), 1);
        assert_null(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PRIV_KEY));
        assert_null(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_D));
        if (i == 2)
            assert_non_null(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_N));
        else
            assert_non_null(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY));
        OSSL_PARAM_free(params);
        EVP_PKEY_free(k);
    }
}

static EVP_PKEY *import_into_dstack(pt_env *e, const char *alg, EVP_PKEY *from, int selection)
{
    EVP_PKEY_CTX *fc = EVP_PKEY_CTX_new_from_name(e->libctx, alg, "provider=dstack");
    OSSL_PARAM *params = NULL;
    EVP_PKEY *out = NULL;
    assert_int_equal(EVP_PKEY_todata(from, selection, &params), 1);
    assert_int_equal(EVP_PKEY_fromdata_init(fc), 1);
    if (EVP_PKEY_fromdata(fc, &out, selection, params) != 1)
        out = NULL;
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(fc);
    return out;
}

static void test_import_refuses_private(void **state)
{
    pt_env *e = *state;
    struct {
        const char *alg, *curve;
    } cases[] = {{"EC", "P-256"}, {"ED25519", NULL}, {"RSA", NULL}};
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *priv = pt_gen(e->check, cases[i].alg, cases[i].curve);
        assert_null(import_into_dstack(e, cases[i].alg, priv, EVP_PKEY_KEYPAIR));
        assert_non_null(strstr(pt_errors(), "imports public keys only"));
        EVP_PKEY *pub = import_into_dstack(e, cases[i].alg, priv, EVP_PKEY_PUBLIC_KEY);
        assert_non_null(pub);
        assert_string_equal(pt_provider_of(pub), "dstack");
        /* the imported public key matches the original key pair */
        assert_int_equal(EVP_PKEY_eq(pub, priv), 1);
        EVP_PKEY_free(pub);
        EVP_PKEY_free(priv);
    }
}

static void test_import_refuses_foreign_curve(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *priv = pt_gen(e->check, "EC", "P-521");
    assert_null(import_into_dstack(e, "EC", priv, EVP_PKEY_PUBLIC_KEY));
    assert_non_null(strstr(pt_errors(), "secp521r1"));
    EVP_PKEY_free(priv);
}

static X509 *self_signed(pt_env *e, EVP_PKEY *k)
{
    X509 *x = X509_new_ex(e->libctx, NULL);
    X509_NAME *n = X509_NAME_new();
    assert_non_null(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"t", -1, -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    assert_int_equal(X509_set_pubkey(x, k), 1);
    if (X509_sign(x, k, EVP_PKEY_is_a(k, "ED25519") ? NULL : EVP_sha256()) <= 0)
        fail_msg("X509_sign: %s", pt_errors());
    X509_NAME_free(n);
    return x;
}

/* What SSL_CTX_check_private_key and nginx do. */
static void test_match_certificate(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *web = pt_load(e, "dstack:web"), *p384 = pt_load(e, "dstack:p384");
    EVP_PKEY *rsa = pt_load(e, "dstack:rsa"), *other = pt_gen(e->check, "EC", "P-256");
    X509 *c_web = self_signed(e, web), *c_rsa = self_signed(e, rsa);

    assert_int_equal(X509_check_private_key(c_web, web), 1);
    assert_int_equal(X509_check_private_key(c_rsa, rsa), 1);
    assert_int_equal(X509_check_private_key(c_web, p384), 0);
    assert_int_equal(X509_check_private_key(c_web, rsa), 0);
    ERR_clear_error();
    assert_int_equal(EVP_PKEY_eq(web, other), 0);
    assert_int_equal(EVP_PKEY_eq(web, web), 1);
    X509_free(c_web);
    X509_free(c_rsa);
    EVP_PKEY_free(web);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(other);
}

static void test_dup_signs(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:web"), *d = EVP_PKEY_dup(k), *pub = pt_public(e, k);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned char sig[128];
    size_t len = sizeof sig;

    assert_non_null(d);
    assert_string_equal(pt_provider_of(d), "dstack");
    assert_int_equal(EVP_DigestSignInit_ex(m, NULL, "SHA256", e->libctx, NULL, d, NULL), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &len, (const unsigned char *)"x", 1), 1);
    EVP_MD_CTX_free(m);
    m = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit_ex(m, NULL, "SHA256", e->check, NULL, pub, NULL), 1);
    assert_int_equal(EVP_DigestVerify(m, sig, len, (const unsigned char *)"x", 1), 1);
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(d);
    EVP_PKEY_free(k);
}

/* The default provider's names: certificate/key pairing and libssl's key
 * type lookup depend on them. */
static void test_names(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *web = pt_load(e, "dstack:web"), *ed = pt_load(e, "dstack:ed");
    EVP_PKEY *rsa = pt_load(e, "dstack:rsa");
    assert_true(EVP_PKEY_is_a(web, "EC") && EVP_PKEY_is_a(web, "id-ecPublicKey"));
    assert_true(EVP_PKEY_is_a(ed, "ED25519") && EVP_PKEY_is_a(ed, "1.3.101.112"));
    assert_true(EVP_PKEY_is_a(rsa, "RSA") && EVP_PKEY_is_a(rsa, "rsaEncryption"));
    assert_int_equal(EVP_PKEY_get_id(web), EVP_PKEY_EC);
    assert_int_equal(EVP_PKEY_get_id(rsa), EVP_PKEY_RSA);
    /* The type name is the default provider's while no ENGINE is the
     * default: OpenSSL 3.5's `pkeyutl -derive` compares it with the peer's
     * ("EC"), and the OID-first names made it fail there. */
    assert_string_equal(EVP_PKEY_get0_type_name(web), "EC");
    assert_string_equal(EVP_PKEY_get0_type_name(ed), "ED25519");
    assert_string_equal(EVP_PKEY_get0_type_name(rsa), "RSA");
    EVP_PKEY_free(web);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(rsa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_refuses_private),
        cmocka_unit_test(test_import_refuses_private),
        cmocka_unit_test(test_import_refuses_foreign_curve),
        cmocka_unit_test(test_match_certificate),
        cmocka_unit_test(test_dup_signs),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, pt_group_setup, pt_group_teardown);
}
