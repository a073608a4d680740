/* trust/keccak.c: Keccak-256 known answers, the sponge against OpenSSL's
 * SHA3-256 for every length around the block size, and the two paddings
 * differing (the tests of the former keys/ and simulator/ copies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <string.h>

#include "hex.h"
#include "trust.h"

static void check(const void *data, size_t len, const char *want)
{
    unsigned char out[32];
    char hex[65];
    dsk_keccak256(data, len, out);
    dsk_hex_encode(out, sizeof out, hex);
    assert_string_equal(hex, want);
}

static void test_known_answers(void **state)
{
    (void)state;
    check("", 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    check("abc", 3, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    check("The quick brown fox jumps over the lazy dog", 43,
          "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
    /* The Ethereum function selector text: transfer(address,uint256) = a9059cbb... */
    check("transfer(address,uint256)", 25,
          "a9059cbb2ab09eb219583f4a59a5d0623ade346d962bcd4e46b11da047c9049b");
}

/* With SHA3's padding byte the sponge must equal OpenSSL's SHA3-256 for every
 * length up to a bit over four blocks (the rate is 136 bytes). */
static void test_sponge_matches_sha3(void **state)
{
    unsigned char data[600], mine[32], ref[32];
    (void)state;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 131 + 7);
    for (size_t len = 0; len <= sizeof data; len++) {
        unsigned int rl = 0;
        dsk_keccak256_pad(data, len, 0x06, mine);
        assert_int_equal(EVP_Digest(data, len, ref, &rl, EVP_sha3_256(), NULL), 1);
        assert_int_equal(rl, 32);
        if (memcmp(mine, ref, 32) != 0)
            fail_msg("SHA3-256 mismatch at length %zu", len);
    }
}

/* The two paddings differ: Keccak-256 is not SHA3-256. */
static void test_padding_differs(void **state)
{
    unsigned char k[32], s[32];
    (void)state;
    dsk_keccak256("", 0, k);
    dsk_keccak256_pad("", 0, 0x06, s);
    assert_memory_not_equal(k, s, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_sponge_matches_sha3),
        cmocka_unit_test(test_padding_differs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
