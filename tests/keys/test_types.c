/* keys/types.c: the static type table agrees with what OpenSSL's default
 * provider says about real keys of each type; digest helpers. */
#include "keytest.h"

#include <openssl/core_names.h>

static void test_table_matches_openssl(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    (void)state;
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
        const dsk_type_info *ti = dsk_type_info_get((dsk_key_type)t);
        char label[32];
        assert_non_null(ti);
        assert_int_equal(ti->type, t);
        if (t >= DSK_KEY_RSA_3072)
            continue; /* slow to derive; sizes are checked by the RSA-2048 case */
        snprintf(label, sizeof label, "t%d", t);
        dsk_key *k = kt_key(ks, label, (dsk_key_type)t, "types");
        EVP_PKEY *pk = kt_default_pub(k);
        assert_true(EVP_PKEY_is_a(pk, ti->ossl_name));
        assert_int_equal(EVP_PKEY_get_bits(pk), ti->bits);
        assert_int_equal(EVP_PKEY_get_security_bits(pk), ti->security_bits);
        if (ti->params_der != NULL) {
            /* the AlgorithmIdentifier parameters (or the Ed25519 OID) are in the SPKI */
            const unsigned char *der;
            size_t len;
            assert_int_equal(dsk_key_spki(k, &der, &len, NULL), DSK_OK);
            assert_non_null(memmem(der, len, ti->params_der, ti->params_der_len));
        }
        if (ti->group != NULL) {
            char g[64];
            size_t gl;
            assert_int_equal(
                EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, g, sizeof g, &gl),
                1);
            assert_string_equal(g, ti->group);
            assert_int_equal(EVP_PKEY_get_size(pk), (int)ti->max_der_sig);
        } else {
            assert_int_equal(EVP_PKEY_get_size(pk), (int)ti->max_sig);
        }
        EVP_PKEY_free(pk);
    }
    assert_null(dsk_type_info_get(DSK_KEY_TYPE_COUNT));
    assert_null(dsk_type_info_get((dsk_key_type)-1));
    dsk_keystore_free(ks);
}

static void test_rsa_sizes(void **state)
{
    (void)state;
    assert_int_equal(dsk_type_info_get(DSK_KEY_RSA_3072)->max_sig, 384);
    assert_int_equal(dsk_type_info_get(DSK_KEY_RSA_4096)->max_sig, 512);
    assert_int_equal(dsk_type_info_get(DSK_KEY_RSA_4096)->bits, 4096);
    assert_null(dsk_type_info_get(DSK_KEY_RSA_2048)->params_der);
}

static void test_usages(void **state)
{
    (void)state;
    assert_int_equal(dsk_keys_type_usages(DSK_KEY_ED25519), DSK_USAGE_SIGN);
    assert_int_equal(dsk_keys_type_usages(DSK_KEY_EC_P256), DSK_USAGE_SIGN | DSK_USAGE_DERIVE);
    assert_int_equal(dsk_keys_type_usages(DSK_KEY_SECP256K1), DSK_USAGE_SIGN | DSK_USAGE_DERIVE);
    assert_int_equal(dsk_keys_type_usages(DSK_KEY_RSA_4096), DSK_USAGE_SIGN | DSK_USAGE_DECRYPT);
    assert_int_equal(dsk_keys_type_usages(DSK_KEY_TYPE_COUNT), 0);
}

static void test_hash_helpers(void **state)
{
    static const dsk_hash all[] = {DSK_HASH_SHA1, DSK_HASH_SHA224, DSK_HASH_SHA256, DSK_HASH_SHA384,
                                   DSK_HASH_SHA512};
    (void)state;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *n = dsk_hash_name(all[i]);
        assert_non_null(n);
        assert_int_equal(dsk_hash_from_name(n), all[i]);
        assert_int_equal(dsk_hash_size(all[i]), (size_t)EVP_MD_get_size(EVP_get_digestbyname(n)));
    }
    assert_int_equal(dsk_hash_from_name("sha-256"), DSK_HASH_SHA256);
    assert_int_equal(dsk_hash_from_name("SHA2-384"), DSK_HASH_SHA384);
    assert_int_equal(dsk_hash_from_name("md5"), DSK_HASH_NONE);
    assert_int_equal(dsk_hash_from_name(NULL), DSK_HASH_NONE);
    assert_int_equal(dsk_hash_size(DSK_HASH_NONE), 0);
    assert_null(dsk_hash_name(DSK_HASH_NONE));
    assert_null(dsk_hash_name((dsk_hash)99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_openssl),
        cmocka_unit_test(test_rsa_sizes),
        cmocka_unit_test(test_usages),
        cmocka_unit_test(test_hash_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
