/* RSA keys of contract v1: every structural rule of docs/derivation.md
 * checked on the key OpenSSL holds, for 2048 and 3072 bits (4096 follows the
 * same code path and is slow under valgrind; its exact values are checked
 * against the independent implementation in test_derive.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/provider.h>

#include "derive.h"
#include "derive_internal.h"

static BIGNUM *get_bn(EVP_PKEY *key, const char *name)
{
    BIGNUM *bn = NULL;

    assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
    return bn;
}

static void check_rsa(OSSL_LIB_CTX *libctx, dsk_key_type t, int nlen, unsigned char tag)
{
    unsigned char m[32];
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *pctx;
    BN_CTX *bnctx = BN_CTX_new();
    BIGNUM *n, *e, *d, *p, *q, *dp, *dq, *qinv;
    BIGNUM *t1 = BN_new(), *p1 = BN_new(), *q1 = BN_new(), *lcm = BN_new(), *g = BN_new();

    for (int i = 0; i < 32; i++)
        m[i] = (unsigned char)(tag * 37 + i);
    assert_int_equal(dsk_derive_v1(libctx, t, m, &key, NULL), DSK_OK);
    n = get_bn(key, OSSL_PKEY_PARAM_RSA_N);
    e = get_bn(key, OSSL_PKEY_PARAM_RSA_E);
    d = get_bn(key, OSSL_PKEY_PARAM_RSA_D);
    p = get_bn(key, OSSL_PKEY_PARAM_RSA_FACTOR1);
    q = get_bn(key, OSSL_PKEY_PARAM_RSA_FACTOR2);
    dp = get_bn(key, OSSL_PKEY_PARAM_RSA_EXPONENT1);
    dq = get_bn(key, OSSL_PKEY_PARAM_RSA_EXPONENT2);
    qinv = get_bn(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);

    assert_int_equal(BN_num_bits(n), nlen);
    assert_true(BN_is_word(e, 65537));
    /* p, q: nlen/2 bits with the top two set, p the larger, far apart. */
    assert_int_equal(BN_num_bits(p), nlen / 2);
    assert_int_equal(BN_num_bits(q), nlen / 2);
    assert_true(BN_is_bit_set(p, nlen / 2 - 2) && BN_is_bit_set(q, nlen / 2 - 2));
    assert_true(BN_cmp(p, q) > 0);
    assert_int_equal(BN_sub(t1, p, q), 1);
    assert_true(BN_num_bits(t1) > nlen / 2 - 100);
    assert_int_equal(BN_mul(t1, p, q, bnctx), 1);
    assert_int_equal(BN_cmp(t1, n), 0);
    /* d = e^-1 mod lcm(p-1, q-1), reduced (not mod phi). */
    assert_int_equal(BN_sub(p1, p, BN_value_one()), 1);
    assert_int_equal(BN_sub(q1, q, BN_value_one()), 1);
    assert_int_equal(BN_gcd(g, p1, q1, bnctx), 1);
    assert_int_equal(BN_mul(lcm, p1, q1, bnctx), 1);
    assert_int_equal(BN_div(lcm, NULL, lcm, g, bnctx), 1);
    assert_true(BN_cmp(d, lcm) < 0);
    assert_int_equal(BN_mod_mul(t1, d, e, lcm, bnctx), 1);
    assert_true(BN_is_one(t1));
    /* CRT values. */
    assert_int_equal(BN_mod(t1, d, p1, bnctx), 1);
    assert_int_equal(BN_cmp(t1, dp), 0);
    assert_int_equal(BN_mod(t1, d, q1, bnctx), 1);
    assert_int_equal(BN_cmp(t1, dq), 0);
    assert_int_equal(BN_mod_mul(t1, qinv, q, p, bnctx), 1);
    assert_true(BN_is_one(t1));
    assert_true(BN_cmp(qinv, p) < 0);
    /* OpenSSL agrees it is a consistent key pair. */
    pctx = EVP_PKEY_CTX_new_from_pkey(libctx, key, NULL);
    assert_non_null(pctx);
    assert_int_equal(EVP_PKEY_pairwise_check(pctx), 1);
    assert_int_equal(EVP_PKEY_private_check(pctx), 1);
    EVP_PKEY_CTX_free(pctx);

    BN_free(n);
    BN_free(e);
    BN_clear_free(d);
    BN_clear_free(p);
    BN_clear_free(q);
    BN_clear_free(dp);
    BN_clear_free(dq);
    BN_clear_free(qinv);
    BN_free(t1);
    BN_free(p1);
    BN_free(q1);
    BN_free(lcm);
    BN_free(g);
    BN_CTX_free(bnctx);
    EVP_PKEY_free(key);
}

static void test_rsa2048_structure(void **state)
{
    for (unsigned char tag = 1; tag <= 2; tag++)
        check_rsa(*state, DSK_KEY_RSA_2048, 2048, tag);
}

static void test_rsa3072_structure(void **state)
{
    check_rsa(*state, DSK_KEY_RSA_3072, 3072, 5);
}

/* Two RSA sizes from the same material share no prime. */
static void test_sizes_unrelated(void **state)
{
    unsigned char m[32];
    EVP_PKEY *a = NULL, *b = NULL;
    BIGNUM *na = NULL, *nb = NULL, *g = BN_new();
    BN_CTX *bnctx = BN_CTX_new();

    memset(m, 0x42, sizeof m);
    assert_int_equal(dsk_derive_v1(*state, DSK_KEY_RSA_2048, m, &a, NULL), DSK_OK);
    assert_int_equal(dsk_derive_v1(*state, DSK_KEY_RSA_3072, m, &b, NULL), DSK_OK);
    na = get_bn(a, OSSL_PKEY_PARAM_RSA_N);
    nb = get_bn(b, OSSL_PKEY_PARAM_RSA_N);
    assert_int_equal(BN_gcd(g, na, nb, bnctx), 1);
    assert_true(BN_is_one(g));
    BN_free(na);
    BN_free(nb);
    BN_free(g);
    BN_CTX_free(bnctx);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
}

static void test_not_an_rsa_type(void **state)
{
    unsigned char m[32] = {7};
    EVP_PKEY *key = NULL;

    dsk_error err = {0};

    /* The dispatch never does this; the function still refuses cleanly. */
    assert_int_equal(dsk_derive_rsa(*state, DSK_KEY_EC_P256, m, &key, &err), DSK_E_ARGS);
    assert_null(key);
    assert_non_null(strstr(err.msg, "not an RSA type"));
}

/* The provider reference is kept so that teardown can release it:
 * OSSL_LIB_CTX_free alone leaves it allocated. */
static OSSL_PROVIDER *default_provider;

static int setup(void **state)
{
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();

    if (libctx == NULL || (default_provider = OSSL_PROVIDER_load(libctx, "default")) == NULL)
        return -1;
    *state = libctx;
    return 0;
}

static int teardown(void **state)
{
    OSSL_PROVIDER_unload(default_provider);
    OSSL_LIB_CTX_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa2048_structure),
        cmocka_unit_test(test_rsa3072_structure),
        cmocka_unit_test(test_sizes_unrelated),
        cmocka_unit_test(test_not_an_rsa_type),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
