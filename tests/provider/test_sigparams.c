/* provider/sigparams.c: pad-mode and saltlen accepted and answered as
 * integers or strings, bad values refused, algorithm-id from a live
 * context equal to the default provider's. */
#include "provtest.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

static EVP_PKEY_CTX *rsa_ctx(pt_env *e, EVP_MD_CTX *m, EVP_PKEY *k)
{
    EVP_PKEY_CTX *pc = NULL;
    assert_int_equal(EVP_DigestSignInit_ex(m, &pc, "SHA256", e->libctx, NULL, k, NULL), 1);
    return pc;
}

static void test_pad_and_salt_both_ways(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:rsa");
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = rsa_ctx(e, m, k);
    int pad = 0, salt = 0;
    char spad[16], ssalt[16], mgf1[16];
    OSSL_PARAM set_s[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, "pss", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, "digest", 0),
        OSSL_PARAM_construct_end(),
    };
    OSSL_PARAM get_i[] = {
        OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PAD_MODE, &pad),
        OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &salt),
        OSSL_PARAM_construct_end(),
    };
    OSSL_PARAM get_s[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, spad, sizeof spad),
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, ssalt, sizeof ssalt),
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, mgf1, sizeof mgf1),
        OSSL_PARAM_construct_end(),
    };

    assert_int_equal(EVP_PKEY_CTX_set_params(pc, set_s), 1);
    assert_int_equal(EVP_PKEY_CTX_get_params(pc, get_i), 1);
    assert_int_equal(pad, RSA_PKCS1_PSS_PADDING);
    assert_int_equal(salt, RSA_PSS_SALTLEN_DIGEST);

    pad = RSA_PKCS1_PADDING;
    salt = 20;
    OSSL_PARAM set_i[] = {
        OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PAD_MODE, &pad),
        OSSL_PARAM_construct_end(),
    };
    assert_int_equal(EVP_PKEY_CTX_set_params(pc, set_i), 1);
    assert_int_equal(EVP_PKEY_CTX_get_params(pc, get_s), 1);
    assert_string_equal(spad, "pkcs1");
    pad = RSA_PKCS1_PSS_PADDING;
    OSSL_PARAM set_i2[] = {
        OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PAD_MODE, &pad),
        OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &salt),
        OSSL_PARAM_construct_end(),
    };
    assert_int_equal(EVP_PKEY_CTX_set_params(pc, set_i2), 1);
    assert_int_equal(EVP_PKEY_CTX_get_params(pc, get_s), 1);
    assert_string_equal(spad, "pss");
    assert_string_equal(ssalt, "20");
    assert_string_equal(mgf1, "SHA256");

    EVP_MD_CTX_free(m);
    EVP_PKEY_free(k);
}

static void test_bad_values_refused(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:rsa");
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = rsa_ctx(e, m, k);
    int x931 = RSA_X931_PADDING;
    OSSL_PARAM oaep[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, "oaep", 0),
        OSSL_PARAM_construct_end(),
    };
    OSSL_PARAM x931p[] = {
        OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PAD_MODE, &x931),
        OSSL_PARAM_construct_end(),
    };
    OSSL_PARAM salt[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, "lots", 0),
        OSSL_PARAM_construct_end(),
    };
    assert_int_not_equal(EVP_PKEY_CTX_set_params(pc, oaep), 1);
    assert_int_not_equal(EVP_PKEY_CTX_set_params(pc, x931p), 1);
    assert_int_not_equal(EVP_PKEY_CTX_set_params(pc, salt), 1);
    ERR_clear_error();
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(k);
}

/* algorithm-id from a live digest-sign context, as `req`/`x509` read it. */
static void test_algorithm_id_like_default(void **state)
{
    pt_env *e = *state;
    const char *uris[] = {"dstack:p384", "dstack:rsa", "dstack:ed"};
    const char *algs[] = {"EC", "RSA", "ED25519"}, *curves[] = {"P-384", NULL, NULL};
    const char *mds[] = {"SHA384", "SHA512", NULL};
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *k = pt_load(e, uris[i]), *ref = pt_gen(e->check, algs[i], curves[i]);
        unsigned char a[128], b[128];
        OSSL_PARAM pa[] = {OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, a, sizeof a),
                           OSSL_PARAM_END};
        OSSL_PARAM pb[] = {OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, b, sizeof b),
                           OSSL_PARAM_END};
        EVP_MD_CTX *ma = EVP_MD_CTX_new(), *mb = EVP_MD_CTX_new();
        EVP_PKEY_CTX *ca = NULL, *cb = NULL;
        assert_int_equal(EVP_DigestSignInit_ex(ma, &ca, mds[i], e->libctx, NULL, k, NULL), 1);
        assert_int_equal(EVP_DigestSignInit_ex(mb, &cb, mds[i], e->check, NULL, ref, NULL), 1);
        assert_int_equal(EVP_PKEY_CTX_get_params(ca, pa), 1);
        assert_int_equal(EVP_PKEY_CTX_get_params(cb, pb), 1);
        assert_int_equal(pa[0].return_size, pb[0].return_size);
        assert_memory_equal(a, b, pa[0].return_size);
        EVP_MD_CTX_free(ma);
        EVP_MD_CTX_free(mb);
        EVP_PKEY_free(ref);
        EVP_PKEY_free(k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pad_and_salt_both_ways),
        cmocka_unit_test(test_bad_values_refused),
        cmocka_unit_test(test_algorithm_id_like_default),
    };
    return cmocka_run_group_tests(tests, pt_group_setup, pt_group_teardown);
}
