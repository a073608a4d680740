/* keys/v1pub.c: a /v1 GetKey reply's public_key must be its key's. The
 * published vectors of dstack's docs/guest-api-v1.md are the known answers. */
#include "keytest.h"

static void check(const char *alg, const char *key_hex, const char *pub_hex, dsk_status want)
{
    unsigned char m[32], pub[33];
    size_t n = strlen(pub_hex) / 2;
    dsk_error e = {0};
    kt_hex(key_hex, m, 32);
    kt_hex(pub_hex, pub, n);
    assert_int_equal(dsk_keys_check_getkey_public(alg, m, pub, n, &e), want);
    /* a flipped bit and a short key never pass */
    pub[n - 1] ^= 1;
    assert_int_equal(dsk_keys_check_getkey_public(alg, m, pub, n, &e), DSK_E_MALFORMED);
    assert_non_null(strstr(e.msg, "is not the public key of the key"));
    pub[n - 1] ^= 1;
    assert_int_equal(dsk_keys_check_getkey_public(alg, m, pub, n - 1, &e), DSK_E_MALFORMED);
}

static void test_published(void **state)
{
    (void)state;
    check("secp256k1", "5510330f86902ddae38c6d89c93a8408019332c17a429e1abd01c4a28d1544a6",
          "03d962450a41748021c8b02787ac36ce642ff0ae25f4c55019eb527e1112cfd764", DSK_OK);
    check("secp256k1", "59f60584ce6fd2a3a31997256db9d77322463fc8a6b1520110401bcb1ee92387",
          "0377c7fb050db181d392266a3cee9adb2901c6d665f11bac68be5457f577ba4908", DSK_OK);
    check("ed25519", "42da8bf0b479ed125c370e3b91f982735bf08ff592abbd586985affa43ee96a1",
          "c833107822b003ff5675b33b90b151d4315c3ab9162b17d876e8dffde41abf9b", DSK_OK);
    /* the secp256k1 public key for the ed25519 key's bytes is another key */
    unsigned char m[32], pub[32];
    kt_hex("b023493030669cf22e9cafa6a464d4cf3ae4edfe5474ec796710f21ea011946d", m, 32);
    kt_hex("a3dc149fd5b765eab2eb7d3174fa939e39386898f10b15b7b146f6f1358ecf2a", pub, 32);
    assert_int_equal(dsk_keys_check_getkey_public("ed25519", m, pub, 32, NULL), DSK_OK);
    assert_int_equal(dsk_keys_check_getkey_public("secp256k1", m, pub, 32, NULL), DSK_E_MALFORMED);
}

static void test_out_of_range(void **state)
{
    (void)state;
    unsigned char m[32], pub[33] = {0x02};
    dsk_error e = {0};
    memset(m, 0xff, sizeof m);
    assert_int_equal(dsk_keys_check_getkey_public("secp256k1", m, pub, 33, &e), DSK_E_MALFORMED);
    assert_non_null(strstr(e.msg, "not a secp256k1 scalar"));
    memset(m, 0, sizeof m);
    assert_int_equal(dsk_keys_check_getkey_public("secp256k1", m, pub, 33, &e), DSK_E_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published),
        cmocka_unit_test(test_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
