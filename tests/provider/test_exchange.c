/* provider/exchange.c: ECDH between a dstack key and a default-provider
 * peer gives the secret the peer computes. */
#include "provtest.h"

#include <string.h>

#include <openssl/err.h>

static size_t derive(OSSL_LIB_CTX *ctx, EVP_PKEY *k, EVP_PKEY *peer, unsigned char *out)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(ctx, k, NULL);
    size_t len = 0;
    assert_int_equal(EVP_PKEY_derive_init(c), 1);
    if (EVP_PKEY_derive_set_peer(c, peer) != 1)
        fail_msg("set_peer: %s", pt_errors());
    assert_int_equal(EVP_PKEY_derive(c, NULL, &len), 1);
    if (EVP_PKEY_derive(c, out, &len) != 1)
        fail_msg("derive: %s", pt_errors());
    EVP_PKEY_CTX_free(c);
    return len;
}

static void test_ecdh(void **state)
{
    pt_env *e = *state;
    struct {
        const char *uri, *curve;
        size_t len;
    } cases[] = {
        {"dstack:web", "P-256", 32}, {"dstack:p384", "P-384", 48}, {"dstack:k1", "secp256k1", 32}};
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *k = pt_load(e, cases[i].uri), *pub = pt_public(e, k);
        EVP_PKEY *peer = pt_gen(e->check, "EC", cases[i].curve), *peer_pub = pt_public(e, peer);
        unsigned char a[64], b[64];
        size_t la = derive(e->libctx, k, peer_pub, a), lb = derive(e->check, peer, pub, b);
        assert_int_equal(la, cases[i].len);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        EVP_PKEY_free(peer_pub);
        EVP_PKEY_free(peer);
        EVP_PKEY_free(pub);
        EVP_PKEY_free(k);
    }
}

/* libcrypto hands the peer to us through import: a peer that carries its
 * private key is refused (we import public keys only), with that reason. */
static void test_peer_with_private_key_refused(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:web"), *peer = pt_gen(e->check, "EC", "P-256");
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(e->libctx, k, NULL);
    assert_int_equal(EVP_PKEY_derive_init(c), 1);
    assert_int_not_equal(EVP_PKEY_derive_set_peer(c, peer), 1);
    assert_non_null(strstr(pt_errors(), "imports public keys only"));
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(k);
}

static void test_wrong_curve_and_ed25519(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:web"), *ed = pt_load(e, "dstack:ed");
    EVP_PKEY *peer_key = pt_gen(e->check, "EC", "P-384"), *peer = pt_public(e, peer_key);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(e->libctx, k, NULL);
    assert_int_equal(EVP_PKEY_derive_init(c), 1);
    assert_int_not_equal(EVP_PKEY_derive_set_peer(c, peer), 1);
    ERR_clear_error();
    EVP_PKEY_CTX_free(c);
    c = EVP_PKEY_CTX_new_from_pkey(e->libctx, ed, NULL);
    assert_int_not_equal(EVP_PKEY_derive_init(c), 1);
    ERR_clear_error();
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(peer_key);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdh),
        cmocka_unit_test(test_peer_with_private_key_refused),
        cmocka_unit_test(test_wrong_curve_and_ed25519),
    };
    return cmocka_run_group_tests(tests, pt_group_setup, pt_group_teardown);
}
