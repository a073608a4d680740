/* tool/pubfmt.c: each public key form from fixed bytes, checked against
 * encodings written out by hand here (RFC 4253 string/mpint, RFC 5656,
 * RFC 8709, base64url without padding). */
#include "tooltest.h"

#include <openssl/evp.h>

static char *fmt(const dsk_pub *p, dsk_pub_format f)
{
    unsigned char *out = NULL;
    size_t len = 0;
    dsk_error e = {0};
    char *s;
    if (dsk_pub_format_key(p, f, &out, &len, &e) != DSK_OK)
        fail_msg("format %d: %s", (int)f, e.msg);
    s = malloc(len + 1);
    memcpy(s, out, len);
    s[len] = '\0';
    free(out);
    return s;
}

static char *b64(const unsigned char *in, size_t len)
{
    char *s = malloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)s, in, (int)len);
    return s;
}

static void test_ssh_rsa_mpint(void **state)
{
    /* n with the top bit set gets a 0 byte; e = 65537 does not. */
    static const unsigned char n[] = {0x80, 0x01}, e[] = {0x01, 0x00, 0x01};
    static const unsigned char blob[] = {0, 0, 0, 7, 's', 's', 'h', '-', 'r', 's', 'a',  0,   0,
                                         0, 3, 1, 0, 1,   0,   0,   0,   3,   0,   0x80, 0x01};
    dsk_pub p = {
        .type = DSK_KEY_RSA_2048, .n = n, .n_len = 2, .e = e, .e_len = 3, .comment = "web"};
    char *want = b64(blob, sizeof blob), *line = fmt(&p, DSK_PUB_SSH), expect[128];
    snprintf(expect, sizeof expect, "ssh-rsa %s web\n", want);
    assert_string_equal(line, expect);
    free(line);
    free(want);
}

static void test_ssh_ecdsa_ed25519(void **state)
{
    unsigned char pt[65], blob[4 + 19 + 4 + 8 + 4 + 65], ed[32], eblob[4 + 11 + 4 + 32];
    char expect[256], *want, *line;
    size_t o = 0;

    pt[0] = 0x04;
    for (int i = 1; i < 65; i++)
        pt[i] = (unsigned char)i;
    memcpy(blob,
           "\0\0\0\x13"
           "ecdsa-sha2-nistp256"
           "\0\0\0\x08"
           "nistp256"
           "\0\0\0\x41",
           4 + 19 + 4 + 8 + 4);
    o = 4 + 19 + 4 + 8 + 4;
    memcpy(blob + o, pt, 65);
    dsk_pub p = {.type = DSK_KEY_EC_P256, .point = pt, .point_len = 65};
    want = b64(blob, sizeof blob);
    line = fmt(&p, DSK_PUB_SSH);
    snprintf(expect, sizeof expect, "ecdsa-sha2-nistp256 %s\n", want); /* no comment */
    assert_string_equal(line, expect);
    free(line);
    free(want);

    memset(ed, 0xab, sizeof ed);
    memcpy(eblob,
           "\0\0\0\x0b"
           "ssh-ed25519"
           "\0\0\0\x20",
           4 + 11 + 4);
    memcpy(eblob + 19, ed, 32);
    dsk_pub q = {.type = DSK_KEY_ED25519, .point = ed, .point_len = 32, .comment = "ed"};
    want = b64(eblob, sizeof eblob);
    line = fmt(&q, DSK_PUB_SSH);
    snprintf(expect, sizeof expect, "ssh-ed25519 %s ed\n", want);
    assert_string_equal(line, expect);
    free(line);
    free(want);
}

static void test_jwk(void **state)
{
    unsigned char ed[32], pt[97], n[3] = {0xfb, 0xff, 0xfe}, e[3] = {1, 0, 1};
    char *s;

    memset(ed, 0xff, sizeof ed);
    dsk_pub p = {.type = DSK_KEY_ED25519, .point = ed, .point_len = 32};
    s = fmt(&p, DSK_PUB_JWK);
    assert_string_equal(s, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":"
                           "\"__________________________________________8\"}\n");
    free(s);

    pt[0] = 4;
    memset(pt + 1, 0xfb, 48); /* base64url of fb fb fb is "-_v7" */
    memset(pt + 49, 0x00, 48);
    dsk_pub q = {.type = DSK_KEY_EC_P384, .point = pt, .point_len = 97};
    s = fmt(&q, DSK_PUB_JWK);
    assert_non_null(strstr(s, "\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"-_v7-_v7"));
    assert_non_null(strstr(s, "\"y\":\"AAAAAAAA"));
    assert_null(strchr(s, '='));
    free(s);

    dsk_pub r = {.type = DSK_KEY_RSA_3072, .n = n, .n_len = 3, .e = e, .e_len = 3};
    s = fmt(&r, DSK_PUB_JWK);
    assert_string_equal(s, "{\"kty\":\"RSA\",\"n\":\"-__-\",\"e\":\"AQAB\"}\n");
    free(s);

    pt[0] = 4;
    dsk_pub k1 = {.type = DSK_KEY_SECP256K1, .point = pt, .point_len = 65};
    s = fmt(&k1, DSK_PUB_JWK);
    assert_non_null(strstr(s, "\"crv\":\"secp256k1\""));
    free(s);
}

static void test_pem_der_eth(void **state)
{
    static const unsigned char spki[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    dsk_pub p = {.type = DSK_KEY_SECP256K1,
                 .spki = spki,
                 .spki_len = sizeof spki,
                 .eth = "0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0"};
    unsigned char *out = NULL;
    size_t len = 0;
    char *s;

    assert_int_equal(dsk_pub_format_key(&p, DSK_PUB_DER, &out, &len, NULL), DSK_OK);
    assert_int_equal(len, sizeof spki);
    assert_memory_equal(out, spki, sizeof spki);
    free(out);
    s = fmt(&p, DSK_PUB_PEM);
    assert_string_equal(s, "-----BEGIN PUBLIC KEY-----\nMAMCAQE=\n-----END PUBLIC KEY-----\n");
    free(s);
    s = fmt(&p, DSK_PUB_ETH);
    assert_string_equal(s, "0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0\n");
    free(s);
}

static void test_refused(void **state)
{
    unsigned char pt[65] = {4};
    unsigned char *out = (unsigned char *)"x";
    size_t len = 1;
    dsk_error e = {0};
    dsk_pub k1 = {.type = DSK_KEY_SECP256K1, .point = pt, .point_len = 65};
    dsk_pub p256 = {.type = DSK_KEY_EC_P256, .point = pt, .point_len = 65};
    dsk_pub_format f;

    assert_int_equal(dsk_pub_format_key(&k1, DSK_PUB_SSH, &out, &len, &e), DSK_E_UNSUPPORTED);
    assert_msg_has(&e, "secp256k1 key has no OpenSSH form");
    assert_null(out);
    assert_int_equal(dsk_pub_format_key(&p256, DSK_PUB_ETH, &out, &len, &e), DSK_E_UNSUPPORTED);
    assert_msg_has(&e, "only secp256k1 keys do");
    assert_int_equal(dsk_pub_format_parse("jwk", &f, &e), DSK_OK);
    assert_int_equal(f, DSK_PUB_JWK);
    assert_int_equal(dsk_pub_format_parse("PEM", &f, &e), DSK_E_ARGS);
    assert_msg_has(&e, "use pem, der, ssh, eth or jwk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssh_rsa_mpint), cmocka_unit_test(test_ssh_ecdsa_ed25519),
        cmocka_unit_test(test_jwk),           cmocka_unit_test(test_pem_der_eth),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
