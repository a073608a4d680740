/* provider/keymgmt_params.c: every parameter answered the way the default
 * provider answers it for a key of the same type; the SubjectPublicKeyInfo
 * built for imported keys is the one OpenSSL writes. */
#include "provtest.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "internal.h"

static const struct {
    const char *uri, *alg, *curve;
} cases[] = {
    {"dstack:web", "EC", "P-256"},    {"dstack:p384", "EC", "P-384"},
    {"dstack:k1", "EC", "secp256k1"}, {"dstack:ed", "ED25519", NULL},
    {"dstack:rsa", "RSA", NULL},
};

static void test_sizes_like_default(void **state)
{
    pt_env *e = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EVP_PKEY *k = pt_load(e, cases[i].uri),
                 *ref = pt_gen(e->check, cases[i].alg, cases[i].curve);
        char a[64] = "", b[64] = "";
        assert_non_null(k);
        assert_int_equal(EVP_PKEY_get_bits(k), EVP_PKEY_get_bits(ref));
        assert_int_equal(EVP_PKEY_get_security_bits(k), EVP_PKEY_get_security_bits(ref));
        assert_int_equal(EVP_PKEY_get_size(k), EVP_PKEY_get_size(ref));
        assert_int_equal(EVP_PKEY_get_default_digest_name(k, a, sizeof a),
                         EVP_PKEY_get_default_digest_name(ref, b, sizeof b));
        assert_string_equal(a, b);
        if (cases[i].curve != NULL) {
            assert_int_equal(EVP_PKEY_get_group_name(k, a, sizeof a, NULL), 1);
            assert_int_equal(EVP_PKEY_get_group_name(ref, b, sizeof b, NULL), 1);
            assert_string_equal(a, b);
            assert_int_equal(EVP_PKEY_get_ec_point_conv_form(k),
                             EVP_PKEY_get_ec_point_conv_form(ref));
        }
        EVP_PKEY_free(ref);
        EVP_PKEY_free(k);
    }
}

static void test_public_parts_match_spki(void **state)
{
    pt_env *e = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EVP_PKEY *k = pt_load(e, cases[i].uri), *pub = pt_public(e, k);
        if (strcmp(cases[i].alg, "RSA") == 0) {
            BIGNUM *n1 = NULL, *n2 = NULL, *e1 = NULL, *e2 = NULL;
            assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n1), 1);
            assert_int_equal(EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n2), 1);
            assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e1), 1);
            assert_int_equal(EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e2), 1);
            assert_int_equal(BN_cmp(n1, n2), 0);
            assert_int_equal(BN_cmp(e1, e2), 0);
            BN_free(n1), BN_free(n2), BN_free(e1), BN_free(e2);
        } else {
            unsigned char p1[200], p2[200];
            size_t l1 = 0, l2 = 0;
            assert_int_equal(
                EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, p1, sizeof p1, &l1), 1);
            assert_int_equal(
                EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, p2, sizeof p2, &l2),
                1);
            assert_true(l1 > 0);
            assert_int_equal(l1, l2);
            assert_memory_equal(p1, p2, l1);
        }
        EVP_PKEY_free(pub);
        EVP_PKEY_free(k);
    }
}

/* dsk_pkey_build_spki from imported parts equals OpenSSL's own encoding. */
static void test_build_spki(void **state)
{
    pt_env *e = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EVP_PKEY *ref = pt_gen(e->check, cases[i].alg, cases[i].curve);
        OSSL_PARAM *params = NULL;
        dsk_pkey pk = {.prov = NULL, .alg = cases[i].alg};
        unsigned char *want = NULL, *got = NULL;
        int wlen = i2d_PUBKEY(ref, &want);
        size_t glen = 0;
        dsk_error err = {0};

        assert_int_equal(EVP_PKEY_todata(ref, EVP_PKEY_PUBLIC_KEY, &params), 1);
        assert_int_equal(dsk_pkey_import_params(&pk, EVP_PKEY_PUBLIC_KEY, params), 1);
        assert_int_equal(dsk_pkey_build_spki(&pk, &got, &glen, &err), DSK_OK);
        assert_int_equal((int)glen, wlen);
        assert_memory_equal(got, want, glen);
        free(got);
        OPENSSL_free(want);
        free(pk.pub);
        free(pk.n);
        free(pk.e);
        OSSL_PARAM_free(params);
        EVP_PKEY_free(ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_like_default),
        cmocka_unit_test(test_public_parts_match_spki),
        cmocka_unit_test(test_build_spki),
    };
    return cmocka_run_group_tests(tests, pt_group_setup, pt_group_teardown);
}
