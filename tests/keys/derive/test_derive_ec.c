/* EC types of contract v1: secp256k1 and Ed25519 use the material as is;
 * P-256/P-384 reduce an HKDF output into [1, n-1]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/provider.h>

#include "derive.h"
#include "derive_internal.h"
#include "hex.h"

static void scalar_m(const BIGNUM *v, unsigned char m[32])
{
    assert_int_equal(BN_bn2binpad(v, m, 32), 32);
}

/* The encoded public key of `key` equals `point` on `group`. */
static void assert_pub_is(EVP_PKEY *key, const EC_GROUP *group, const EC_POINT *point)
{
    unsigned char got[133], want[133];
    size_t glen = 0, wlen;

    assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, got,
                                                     sizeof got, &glen),
                     1);
    wlen = EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, want, sizeof want, NULL);
    assert_int_equal(glen, wlen);
    assert_memory_equal(got, want, wlen);
}

/* M = 1 gives G, M = n - 1 gives -G: the scalar is M itself. */
static void test_secp256k1_scalar_is_material(void **state)
{
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT *neg = EC_POINT_dup(EC_GROUP_get0_generator(group), group);
    BIGNUM *v = BN_dup(EC_GROUP_get0_order(group));
    unsigned char m[32];
    EVP_PKEY *key = NULL;

    assert_non_null(neg);
    assert_int_equal(BN_set_word(v, 1), 1);
    scalar_m(v, m);
    assert_int_equal(dsk_derive_v1(*state, DSK_KEY_SECP256K1, m, &key, NULL), DSK_OK);
    assert_pub_is(key, group, EC_GROUP_get0_generator(group));
    EVP_PKEY_free(key);
    key = NULL;

    assert_non_null(BN_copy(v, EC_GROUP_get0_order(group)));
    assert_int_equal(BN_sub_word(v, 1), 1);
    scalar_m(v, m);
    assert_int_equal(EC_POINT_invert(group, neg, NULL), 1);
    assert_int_equal(dsk_derive_v1(*state, DSK_KEY_SECP256K1, m, &key, NULL), DSK_OK);
    assert_pub_is(key, group, neg);
    EVP_PKEY_free(key);
    BN_free(v);
    EC_POINT_free(neg);
    EC_GROUP_free(group);
}

/* 0, n, n + 1 and 2^256 - 1 are not reduced: they are refused. */
static void test_secp256k1_unusable_material(void **state)
{
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_secp256k1);
    BIGNUM *v = BN_new();
    unsigned char m[32];
    const int add[] = {0, 1};

    for (int i = -1; i < 3; i++) {
        EVP_PKEY *key = (EVP_PKEY *)&key;
        dsk_error err = {0};

        if (i < 0) {
            memset(m, 0, sizeof m);
        } else if (i < 2) {
            assert_non_null(BN_copy(v, EC_GROUP_get0_order(group)));
            assert_int_equal(BN_add_word(v, (BN_ULONG)add[i]), 1);
            scalar_m(v, m);
        } else {
            memset(m, 0xff, sizeof m);
        }
        assert_int_equal(dsk_derive_v1(*state, DSK_KEY_SECP256K1, m, &key, &err), DSK_E_BAD_INPUT);
        assert_null(key);
        assert_non_null(strstr(err.msg, "secp256k1"));
        assert_non_null(strstr(err.msg, "another path"));
    }
    BN_free(v);
    EC_GROUP_free(group);
}

/* RFC 8032 7.1 TEST 1: the material is the seed. */
static void test_ed25519_rfc8032(void **state)
{
    unsigned char seed[32], pub[32], want_pub[32], sig[64], want_sig[64];
    size_t plen = sizeof pub, slen = sizeof sig;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    dsk_hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", 64, seed,
                   32);
    dsk_hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", 64, want_pub,
                   32);
    dsk_hex_decode(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
        "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        128, want_sig, 64);
    assert_int_equal(dsk_derive_v1(*state, DSK_KEY_ED25519, seed, &key, NULL), DSK_OK);
    assert_int_equal(EVP_PKEY_get_raw_public_key(key, pub, &plen), 1);
    assert_memory_equal(pub, want_pub, 32);
    assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, NULL, *state, NULL, key, NULL), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)"", 0), 1);
    assert_memory_equal(sig, want_sig, 64);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
}

/* d = (c mod (n - 1)) + 1 with c the first N + 64 bits of the HKDF output,
 * recomputed here from the KDF and compared with the key's scalar. */
static void check_nist(OSSL_LIB_CTX *libctx, dsk_key_type t, int nid, size_t clen)
{
    EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
    BN_CTX *bnctx = BN_CTX_new();
    BIGNUM *c = NULL, *n1 = BN_dup(EC_GROUP_get0_order(group)), *want = BN_new(), *d = NULL;
    unsigned char m[32], okm[56];
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *pctx;

    assert_int_equal(BN_sub_word(n1, 1), 1);
    for (int round = 0; round < 8; round++) {
        memset(m, 0x30 + round, sizeof m);
        assert_int_equal(dsk_derive_v1(libctx, t, m, &key, NULL), DSK_OK);
        assert_int_equal(dsk_derive_hkdf(libctx, t, m, okm, clen, NULL), DSK_OK);
        c = BN_bin2bn(okm, (int)clen, NULL);
        assert_int_equal(BN_mod(want, c, n1, bnctx), 1);
        assert_int_equal(BN_add_word(want, 1), 1);
        assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
        assert_int_equal(BN_cmp(d, want), 0);
        assert_true(BN_cmp(d, EC_GROUP_get0_order(group)) < 0 && !BN_is_zero(d));
        pctx = EVP_PKEY_CTX_new_from_pkey(libctx, key, NULL);
        assert_int_equal(EVP_PKEY_pairwise_check(pctx), 1);
        EVP_PKEY_CTX_free(pctx);
        BN_free(c);
        BN_clear_free(d);
        d = NULL;
        EVP_PKEY_free(key);
        key = NULL;
    }
    BN_free(n1);
    BN_free(want);
    BN_CTX_free(bnctx);
    EC_GROUP_free(group);
}

static void test_p256_reduction(void **state)
{
    check_nist(*state, DSK_KEY_EC_P256, NID_X9_62_prime256v1, 40);
}

static void test_p384_reduction(void **state)
{
    check_nist(*state, DSK_KEY_EC_P384, NID_secp384r1, 56);
}

static void test_nist_refuses_other_types(void **state)
{
    unsigned char m[32] = {1};
    EVP_PKEY *key = NULL;

    assert_int_equal(dsk_derive_nist(*state, DSK_KEY_SECP256K1, m, &key, NULL), DSK_E_ARGS);
    assert_null(key);
    assert_int_equal(dsk_derive_hkdf(*state, DSK_KEY_TYPE_COUNT, m, (unsigned char *)&key, 1, NULL),
                     DSK_E_ARGS);
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
        cmocka_unit_test(test_secp256k1_scalar_is_material),
        cmocka_unit_test(test_secp256k1_unusable_material),
        cmocka_unit_test(test_ed25519_rfc8032),
        cmocka_unit_test(test_p256_reduction),
        cmocka_unit_test(test_p384_reduction),
        cmocka_unit_test(test_nist_refuses_other_types),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
