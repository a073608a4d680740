/* keys/pubkey.c: every public form against OpenSSL's default provider, the
 * dstack SDK equivalence (same keys and Ethereum address as the SDKs for a
 * path), and the mapping of imported public keys to our types. */
#include "keytest.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

/* The M the SDK documentation gives for two paths (dstack-protocol.md). */
#define M_TEST_WALLET "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5"
#define M_MAIN_WALLET "62c7c9aeca728358c9abd15ac95fdea1bcd7832e5d9d621fbc10a69448ab6c62"

static dsk_key *key_from_hex(dsk_keystore *ks, const char *label, dsk_key_type t, const char *mhex)
{
    unsigned char m[32];
    dsk_key_desc d = {.label = label, .type = t};
    dsk_key *k = NULL;
    dsk_error e = {0};
    kt_hex(mhex, m, 32);
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    if (dsk_key_derive_from_material(k, m, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    return k;
}

static void test_sdk_equivalence(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    const unsigned char *pt;
    size_t len;
    unsigned char want[33];
    char addr[43];
    EVP_PKEY *pk;
    (void)state;

    dsk_key *k = key_from_hex(ks, "main", DSK_KEY_SECP256K1, M_MAIN_WALLET);
    assert_int_equal(dsk_key_eth_address(k, addr, NULL), DSK_OK);
    assert_string_equal(addr, "0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0");
    /* the compressed key the SDK prints, compressed by OpenSSL from our point */
    pk = kt_default_pub(k);
    unsigned char full[65], comp[33];
    size_t fl = 0;
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, full, sizeof full, &fl), 1);
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT *ep = EC_POINT_new(g);
    assert_int_equal(EC_POINT_oct2point(g, ep, full, fl, NULL), 1);
    assert_int_equal(EC_POINT_point2oct(g, ep, POINT_CONVERSION_COMPRESSED, comp, 33, NULL), 33);
    kt_hex("02db8af749ee56bf043b058418e04e1173217534d25117eb16cf0ff329b5869d25", want, 33);
    assert_memory_equal(comp, want, 33);
    EC_POINT_free(ep);
    EC_GROUP_free(g);
    EVP_PKEY_free(pk);

    k = key_from_hex(ks, "wallet", DSK_KEY_SECP256K1, M_TEST_WALLET);
    assert_int_equal(dsk_key_eth_address(k, addr, NULL), DSK_OK);
    assert_string_equal(addr, "0x2c252B5cb99EA2F6a3D43C3975f760F6A29658ab");

    /* Ed25519: M is the RFC 8032 seed */
    k = key_from_hex(ks, "ed", DSK_KEY_ED25519, M_TEST_WALLET);
    assert_int_equal(dsk_key_public_point(k, &pt, &len, NULL), DSK_OK);
    assert_int_equal(len, 32);
    kt_hex("4f019bbd5f3d098befc637447b35356e4df6a8a8733d1f820e6d1a85af83da5e", want, 32);
    assert_memory_equal(pt, want, 32);
    dsk_keystore_free(ks);
}

static void test_ec_point_matches_openssl(void **state)
{
    static const dsk_key_type types[] = {DSK_KEY_SECP256K1, DSK_KEY_EC_P256, DSK_KEY_EC_P384};
    dsk_keystore *ks = kt_store(NULL);
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        const dsk_type_info *ti = dsk_type_info_get(types[i]);
        dsk_key *k = kt_key(ks, ti->name, types[i], "pubkey");
        const unsigned char *pt;
        size_t len, ol = 0;
        unsigned char buf[200];
        char addr[43];
        dsk_error e = {0};
        EVP_PKEY *pk = kt_default_pub(k);
        assert_int_equal(dsk_key_public_point(k, &pt, &len, NULL), DSK_OK);
        assert_int_equal(
            EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &ol), 1);
        assert_int_equal(len, 1 + 2 * (size_t)ti->bits / 8);
        assert_int_equal(len, ol);
        assert_memory_equal(pt, buf, len);
        assert_int_equal(pt[0], 0x04);
        if (types[i] != DSK_KEY_SECP256K1) {
            assert_int_equal(dsk_key_eth_address(k, addr, &e), DSK_E_UNSUPPORTED);
            assert_non_null(strstr(e.msg, ti->name));
        }
        const unsigned char *n, *ex;
        size_t nl, el;
        assert_int_equal(dsk_key_rsa_public(k, &n, &nl, &ex, &el, &e), DSK_E_UNSUPPORTED);
        EVP_PKEY_free(pk);
    }
    dsk_keystore_free(ks);
}

static void test_rsa_public(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key *k = kt_key(ks, "rsa", DSK_KEY_RSA_2048, "pubkey");
    const unsigned char *n, *e, *pt;
    size_t nl, el, pl;
    BIGNUM *bn = NULL, *be = NULL;
    unsigned char buf[256];
    (void)state;
    EVP_PKEY *pk = kt_default_pub(k);
    assert_int_equal(dsk_key_rsa_public(k, &n, &nl, &e, &el, NULL), DSK_OK);
    assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &be), 1);
    assert_int_equal(nl, 256);
    assert_int_equal(BN_bn2bin(bn, buf), 256);
    assert_memory_equal(n, buf, 256);
    assert_int_equal(el, 3); /* 65537, no leading zeros */
    assert_int_equal(BN_bn2bin(be, buf), 3);
    assert_memory_equal(e, buf, 3);
    assert_int_equal(dsk_key_public_point(k, &pt, &pl, NULL), DSK_E_UNSUPPORTED);
    BN_free(bn);
    BN_free(be);
    EVP_PKEY_free(pk);
    dsk_keystore_free(ks);
}

static void test_add_public_maps_types(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    (void)state;
    for (int t = 0; t <= DSK_KEY_RSA_2048; t++) {
        char label[16];
        snprintf(label, sizeof label, "k%d", t);
        dsk_key *k = kt_key(ks, label, (dsk_key_type)t, "public");
        const unsigned char *der, *der2;
        size_t len, len2;
        dsk_key *pub = NULL, *again = NULL;
        assert_int_equal(dsk_key_spki(k, &der, &len, NULL), DSK_OK);
        assert_int_equal(dsk_keystore_add_public(ks, der, len, &pub, NULL), DSK_OK);
        assert_int_equal(dsk_key_get_type(pub), t);
        assert_false(dsk_key_has_private(pub));
        assert_true(dsk_key_is_derived(pub));
        assert_int_equal(dsk_key_derive(pub, NULL), DSK_OK);
        assert_int_equal(dsk_key_spki(pub, &der2, &len2, NULL), DSK_OK);
        assert_int_equal(len2, len);
        assert_memory_equal(der2, der, len);
        /* the same SPKI again gives the same object */
        assert_int_equal(dsk_keystore_add_public(ks, der, len, &again, NULL), DSK_OK);
        assert_ptr_equal(again, pub);
        assert_null(dsk_keystore_find(ks, dsk_key_label(pub)));
    }
    dsk_keystore_free(ks);
}

static void add_generated(dsk_keystore *ks, EVP_PKEY *pk, dsk_status want, const char *msg_part)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(pk, &der);
    dsk_key *k = NULL;
    dsk_error e = {0};
    assert_true(n > 0);
    assert_int_equal(dsk_keystore_add_public(ks, der, (size_t)n, &k, &e), want);
    if (want != DSK_OK) {
        assert_null(k);
        assert_non_null(strstr(e.msg, msg_part));
    }
    OPENSSL_free(der);
    EVP_PKEY_free(pk);
}

static void test_add_public_rejects(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    unsigned char junk[40] = {0x30, 0x26, 0x01};
    dsk_key *k = NULL;
    dsk_error e = {0};
    (void)state;
    add_generated(ks, EVP_EC_gen("secp521r1"), DSK_E_UNSUPPORTED, "secp521r1");
    add_generated(ks, EVP_RSA_gen(1024), DSK_E_UNSUPPORTED, "1024");
    add_generated(ks, EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), DSK_E_UNSUPPORTED, "X25519");
    add_generated(ks, EVP_EC_gen("prime256v1"), DSK_OK, NULL);
    assert_int_equal(dsk_keystore_add_public(ks, junk, sizeof junk, &k, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_keystore_add_public(ks, NULL, 3, &k, &e), DSK_E_ARGS);
    assert_int_equal(dsk_keystore_add_public(ks, junk, 0, &k, &e), DSK_E_ARGS);
    dsk_keystore_free(ks);
}

/* keys/pubkey.c writes EC and Ed25519 SPKIs itself: each is what OpenSSL's
 * default provider encodes for the same public key, for derived keys of
 * every such type and for an imported key OpenSSL made. */
static void test_spki_is_openssls(void **state)
{
    static const dsk_key_type types[] = {DSK_KEY_SECP256K1, DSK_KEY_ED25519,    DSK_KEY_EC_P256,
                                         DSK_KEY_EC_P384,   DSK_KEY_TAPPD_P256, DSK_KEY_RSA_2048};
    dsk_keystore *ks = kt_store(NULL);
    (void)state;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        dsk_key *k = kt_key(ks, dsk_type_info_get(types[i])->name, types[i], "spki");
        const unsigned char *der;
        size_t len;
        unsigned char *ossl = NULL;
        EVP_PKEY *pk = kt_default_pub(k); /* parsed by OpenSSL ... */
        int n = i2d_PUBKEY(pk, &ossl);    /* ... and encoded again by it */
        assert_int_equal(dsk_key_spki(k, &der, &len, NULL), DSK_OK);
        assert_int_equal((size_t)n, len);
        assert_memory_equal(der, ossl, len);
        OPENSSL_free(ossl);
        EVP_PKEY_free(pk);
    }
    for (size_t i = 0; i < 3; i++) {
        static const char *const curves[] = {"P-384", "secp256k1", "ED25519"};
        EVP_PKEY *pk = i < 2 ? EVP_EC_gen(curves[i]) : EVP_PKEY_Q_keygen(NULL, NULL, curves[i]);
        unsigned char *ossl = NULL;
        const unsigned char *der;
        size_t len;
        dsk_key *pub = NULL;
        assert_non_null(pk);
        int n = i2d_PUBKEY(pk, &ossl);
        assert_true(n > 0);
        assert_int_equal(dsk_keystore_add_public(ks, ossl, (size_t)n, &pub, NULL), DSK_OK);
        assert_int_equal(dsk_key_spki(pub, &der, &len, NULL), DSK_OK);
        assert_int_equal((size_t)n, len);
        assert_memory_equal(der, ossl, len);
        OPENSSL_free(ossl);
        EVP_PKEY_free(pk);
    }
    dsk_keystore_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdk_equivalence),    cmocka_unit_test(test_ec_point_matches_openssl),
        cmocka_unit_test(test_rsa_public),         cmocka_unit_test(test_add_public_maps_types),
        cmocka_unit_test(test_add_public_rejects), cmocka_unit_test(test_spki_is_openssls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
