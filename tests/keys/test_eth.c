/* keys/eth.c: EIP-55 vectors and the dstack SDK addresses from their
 * published public keys (Keccak-256 itself is tested in tests/trust/). */
#include "keytest.h"

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

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
        cmocka_unit_test(test_eip55_vectors),
        cmocka_unit_test(test_sdk_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
