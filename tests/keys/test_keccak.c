/* keys/keccak.c: Keccak-256 known answers, the sponge against OpenSSL's
 * SHA3-256 for every length around the block size, EIP-55 vectors and the
 * dstack SDK addresses from their published public keys. */
#include "keytest.h"

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

static void expect_keccak(const char *msg, size_t len, const char *hex)
{
    unsigned char want[32], got[32];
    kt_hex(hex, want, 32);
    dsk_keys_keccak256((const unsigned char *)msg, len, got);
    assert_memory_equal(got, want, 32);
}

static void test_known_answers(void **state)
{
    (void)state;
    expect_keccak("", 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    expect_keccak("abc", 3, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    expect_keccak("The quick brown fox jumps over the lazy dog", 43,
                  "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

/* With SHA3's padding byte the sponge must equal OpenSSL's SHA3-256 for every
 * length up to three blocks (the rate is 136 bytes). */
static void test_sponge_matches_sha3(void **state)
{
    unsigned char msg[3 * 136 + 5], want[32], got[32];
    (void)state;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof msg; len++) {
        assert_int_equal(EVP_Digest(msg, len, want, NULL, EVP_sha3_256(), NULL), 1);
        dsk_keys_keccak256_pad(msg, len, 0x06, got);
        if (memcmp(got, want, 32) != 0)
            fail_msg("SHA3-256 mismatch at length %zu", len);
    }
    /* and the Keccak padding really differs */
    dsk_keys_keccak256(msg, 10, got);
    EVP_Digest(msg, 10, want, NULL, EVP_sha3_256(), NULL);
    assert_memory_not_equal(got, want, 32);
}

static void test_eip55_vectors(void **state)
{
    static const char *const v[] = {
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    };
    (void)state;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char lower[40], out[43];
        for (int j = 0; j < 40; j++) {
            char c = v[i][2 + j];
            lower[j] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
        }
        dsk_eth_checksum(lower, out);
        assert_string_equal(out, v[i]);
    }
}

/* Decompress the published key with OpenSSL, then our address. */
static void expect_address(const char *compressed_hex, const char *addr)
{
    unsigned char comp[33], full[65];
    char out[43];
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT *pt = EC_POINT_new(g);
    kt_hex(compressed_hex, comp, 33);
    assert_int_equal(EC_POINT_oct2point(g, pt, comp, 33, NULL), 1);
    assert_int_equal(EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, full, 65, NULL), 65);
    dsk_eth_address(full, out);
    assert_string_equal(out, addr);
    EC_POINT_free(pt);
    EC_GROUP_free(g);
}

static void test_sdk_addresses(void **state)
{
    (void)state;
    expect_address("032eb32fe300c29e10f805c8bd345e5601b1c6d0e10d645d49f9d6aae8bb0664f7",
                   "0x2c252B5cb99EA2F6a3D43C3975f760F6A29658ab");
    expect_address("02db8af749ee56bf043b058418e04e1173217534d25117eb16cf0ff329b5869d25",
                   "0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_sponge_matches_sha3),
        cmocka_unit_test(test_eip55_vectors),
        cmocka_unit_test(test_sdk_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
