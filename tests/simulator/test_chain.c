/* The reference vectors of dstack-protocol.md, byte for byte, and the
 * signature chain verified by public-key recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "internal.h"
#include "trust.h"

static void assert_hex(const uint8_t *b, size_t len, const char *want)
{
    char *hex = malloc(2 * len + 1);
    assert_non_null(hex);
    dsk_hex_encode(b, len, hex);
    assert_string_equal(hex, want);
    free(hex);
}

static void derive(const char *path, uint8_t key[32])
{
    dsk_sim_appkeys keys;
    dsk_sim_appkeys_default(&keys);
    assert_int_equal(dsk_sim_derive_key(keys.k256_key, path, strlen(path), key, NULL), DSK_OK);
}

static void test_key_vectors(void **state)
{
    (void)state;
    uint8_t key[32], pub[33];
    size_t pl = 0;
    derive("test/wallet", key);
    assert_hex(key, 32, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    assert_int_equal(dsk_sim_public_key(DSK_SIM_ALG_SECP256K1, key, pub, &pl, NULL), DSK_OK);
    assert_int_equal(pl, 33);
    assert_hex(pub, 33, "032eb32fe300c29e10f805c8bd345e5601b1c6d0e10d645d49f9d6aae8bb0664f7");
    derive("/eth/main-wallet", key);
    assert_hex(key, 32, "62c7c9aeca728358c9abd15ac95fdea1bcd7832e5d9d621fbc10a69448ab6c62");
    assert_int_equal(dsk_sim_public_key(DSK_SIM_ALG_SECP256K1, key, pub, &pl, NULL), DSK_OK);
    assert_hex(pub, 33, "02db8af749ee56bf043b058418e04e1173217534d25117eb16cf0ff329b5869d25");
}

/* Ethereum address = last 20 bytes of keccak256(uncompressed point x||y). */
static void test_ethereum_address(void **state)
{
    (void)state;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_pubkey pub;
    uint8_t key[32], unc[65], h[32];
    size_t ul = sizeof unc;
    derive("/eth/main-wallet", key);
    assert_int_equal(secp256k1_ec_pubkey_create(ctx, &pub, key), 1);
    secp256k1_ec_pubkey_serialize(ctx, unc, &ul, &pub, SECP256K1_EC_UNCOMPRESSED);
    dsk_keccak256(unc + 1, 64, h);
    assert_hex(h + 12, 20, "3a9c91c6deb255d7965b0991576b4a1c0438aea0");
    derive("test/wallet", key);
    assert_int_equal(secp256k1_ec_pubkey_create(ctx, &pub, key), 1);
    ul = sizeof unc;
    secp256k1_ec_pubkey_serialize(ctx, unc, &ul, &pub, SECP256K1_EC_UNCOMPRESSED);
    dsk_keccak256(unc + 1, 64, h);
    assert_hex(h + 12, 20, "2c252b5cb99ea2f6a3d43c3975f760f6a29658ab");
    secp256k1_context_destroy(ctx);
}

static void test_chain0_vector(void **state)
{
    (void)state;
    dsk_sim_appkeys keys;
    uint8_t key[32], pub[33], sig[DSK_SIM_SIG_LEN];
    size_t pl = 0;
    dsk_sim_appkeys_default(&keys);
    derive("test/wallet", key);
    assert_int_equal(dsk_sim_public_key(DSK_SIM_ALG_SECP256K1, key, pub, &pl, NULL), DSK_OK);
    assert_int_equal(dsk_sim_chain_sign(keys.k256_key, "signing", pub, pl, sig, NULL), DSK_OK);
    assert_hex(sig, sizeof sig,
               "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c"
               "33798d20477d877040fe6d7d9ea7aa39b853a7a3e56c2c0e36bba3e8e12a65b000");
}

static void test_ed25519_vector(void **state)
{
    (void)state;
    uint8_t key[32], pub[33];
    size_t pl = 0;
    derive("test/wallet", key);
    assert_int_equal(dsk_sim_public_key(DSK_SIM_ALG_ED25519, key, pub, &pl, NULL), DSK_OK);
    assert_int_equal(pl, 32);
    assert_hex(pub, 32, "4f019bbd5f3d098befc637447b35356e4df6a8a8733d1f820e6d1a85af83da5e");
}

/* Recover the signer of a 65-byte r||s||v signature over hash. */
static void recover(const uint8_t sig[65], const uint8_t hash[32], uint8_t out[33])
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pub;
    size_t ol = 33;
    assert_true(sig[64] <= 1);
    assert_int_equal(secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig, sig[64]), 1);
    assert_int_equal(secp256k1_ecdsa_recover(ctx, &pub, &rs, hash), 1);
    secp256k1_ec_pubkey_serialize(ctx, out, &ol, &pub, SECP256K1_EC_COMPRESSED);
    secp256k1_context_destroy(ctx);
}

/* The verification a client does: app key from chain[0], KMS root key from
 * chain[1] over keccak256("dstack-kms-issued:" || app_id || app pubkey). */
static void test_chain_recovery(void **state)
{
    (void)state;
    dsk_sim_appkeys keys;
    uint8_t key[32], pub[33], sig[65], hash[32], app_pub[33], kms_pub[33];
    size_t pl = 0;
    dsk_sim_appkeys_default(&keys);
    derive("test/wallet", key);
    assert_int_equal(dsk_sim_public_key(DSK_SIM_ALG_SECP256K1, key, pub, &pl, NULL), DSK_OK);
    assert_int_equal(dsk_sim_chain_sign(keys.k256_key, "signing", pub, pl, sig, NULL), DSK_OK);

    char msg[128];
    strcpy(msg, "signing:");
    dsk_hex_encode(pub, 33, msg + 8);
    dsk_keccak256(msg, strlen(msg), hash);
    recover(sig, hash, app_pub);
    assert_hex(app_pub, 33, "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c");

    uint8_t kmsg[18 + 20 + 33];
    memcpy(kmsg, "dstack-kms-issued:", 18);
    memcpy(kmsg + 18, keys.app_id, 20);
    memcpy(kmsg + 38, app_pub, 33);
    dsk_keccak256(kmsg, sizeof kmsg, hash);
    assert_int_equal(keys.k256_signature_len, 65);
    recover(keys.k256_signature, hash, kms_pub);
    assert_hex(kms_pub, 33, "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6");
}

/* Low S: s <= n/2 in every signature (libsecp256k1 normalises). */
static void test_low_s(void **state)
{
    (void)state;
    static const uint8_t half_n[32] = {
        0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};
    dsk_sim_appkeys keys;
    uint8_t hash[32], sig[65];
    dsk_sim_appkeys_default(&keys);
    for (int i = 0; i < 64; i++) {
        dsk_keccak256(&i, sizeof i, hash);
        assert_int_equal(dsk_sim_sign_recoverable(keys.k256_key, hash, sig, NULL), DSK_OK);
        assert_true(memcmp(sig + 32, half_n, 32) <= 0);
        assert_true(sig[64] <= 1);
    }
}

/* The hand-written HKDF equals OpenSSL's for short info, and has no limit
 * on the path length (OpenSSL 3.0's has). */
static void test_hkdf_matches_openssl(void **state)
{
    (void)state;
    dsk_sim_appkeys keys;
    uint8_t mine[32], ref[32];
    char path[1000];
    dsk_sim_appkeys_default(&keys);
    for (size_t len = 0; len < sizeof path; len += 37) {
        memset(path, 'a' + (int)(len % 26), len);
        assert_int_equal(dsk_sim_derive_key(keys.k256_key, path, len, mine, NULL), DSK_OK);
        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
        EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
            OSSL_PARAM_construct_octet_string("salt", (char *)"RATLS", 5),
            OSSL_PARAM_construct_octet_string("key", keys.k256_key, 32),
            OSSL_PARAM_construct_octet_string("info", path, len),
            OSSL_PARAM_construct_end(),
        };
        assert_int_equal(EVP_KDF_derive(kctx, ref, sizeof ref, params), 1);
        EVP_KDF_CTX_free(kctx);
        EVP_KDF_free(kdf);
        assert_memory_equal(mine, ref, 32);
    }
    char *big = malloc(100000);
    assert_non_null(big);
    memset(big, 'x', 100000);
    assert_int_equal(dsk_sim_derive_key(keys.k256_key, big, 100000, mine, NULL), DSK_OK);
    assert_int_equal(dsk_sim_derive_key(keys.k256_key, big, 99999, ref, NULL), DSK_OK);
    assert_memory_not_equal(mine, ref, 32);
    free(big);
}

static void test_algorithm_names(void **state)
{
    (void)state;
    dsk_sim_algorithm a = DSK_SIM_ALG_ED25519;
    assert_int_equal(dsk_sim_algorithm_parse("secp256k1", &a), DSK_OK);
    assert_int_equal(a, DSK_SIM_ALG_SECP256K1);
    a = DSK_SIM_ALG_ED25519;
    assert_int_equal(dsk_sim_algorithm_parse("", &a), DSK_OK);
    assert_int_equal(a, DSK_SIM_ALG_SECP256K1);
    a = DSK_SIM_ALG_ED25519;
    assert_int_equal(dsk_sim_algorithm_parse("k256", &a), DSK_OK);
    assert_int_equal(a, DSK_SIM_ALG_SECP256K1);
    assert_int_equal(dsk_sim_algorithm_parse("ed25519", &a), DSK_OK);
    assert_int_equal(a, DSK_SIM_ALG_ED25519);
    assert_int_equal(dsk_sim_algorithm_parse("Ed25519", &a), DSK_E_UNSUPPORTED);
    assert_int_equal(dsk_sim_algorithm_parse("p256", &a), DSK_E_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_vectors),      cmocka_unit_test(test_ethereum_address),
        cmocka_unit_test(test_chain0_vector),    cmocka_unit_test(test_ed25519_vector),
        cmocka_unit_test(test_chain_recovery),   cmocka_unit_test(test_low_s),
        cmocka_unit_test(test_hkdf_matches_openssl), cmocka_unit_test(test_algorithm_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
