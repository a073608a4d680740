/* common/sha256.c against FIPS 180-4's examples and against OpenSSL for
 * every length across the one- and two-block padding boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/evp.h>

#include "sha256.h"

static void test_known(void **state)
{
    (void)state;
    static const struct {
        const char *in, *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned char md[32];
        char hex[65];
        dsk_sha256(v[i].in, strlen(v[i].in), md);
        for (int j = 0; j < 32; j++)
            snprintf(hex + 2 * j, 3, "%02x", md[j]);
        assert_string_equal(hex, v[i].hex);
    }
}

static void test_against_openssl(void **state)
{
    (void)state;
    unsigned char buf[300];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof buf; len++) {
        unsigned char a[32], b[32];
        unsigned int bl = 0;
        dsk_sha256(buf, len, a);
        assert_int_equal(EVP_Digest(buf, len, b, &bl, EVP_sha256(), NULL), 1);
        assert_int_equal(bl, 32);
        assert_memory_equal(a, b, 32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_against_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
