/* keys/ecdh.c: ECDH both ways with OpenSSL's default provider, every peer
 * encoding, wrong curves and points, usage and buffer rules. */
#include "keytest.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

static void default_derive(EVP_PKEY *priv, EVP_PKEY *peer, unsigned char *out, size_t *ol)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(priv, NULL);
    assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
    assert_int_equal(EVP_PKEY_derive_set_peer(ctx, peer), 1);
    assert_int_equal(EVP_PKEY_derive(ctx, out, ol), 1);
    EVP_PKEY_CTX_free(ctx);
}

static void test_both_ways(void **state)
{
    static const dsk_key_type types[] = {DSK_KEY_SECP256K1, DSK_KEY_EC_P256, DSK_KEY_EC_P384};
    dsk_keystore *ks = kt_store(NULL);
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        const dsk_type_info *ti = dsk_type_info_get(types[i]);
        size_t fl = (size_t)ti->bits / 8;
        dsk_key *k = kt_key(ks, ti->name, types[i], "ecdh");
        EVP_PKEY *peer = EVP_EC_gen(ti->group), *ours = kt_default_pub(k);
        unsigned char want[64], got[64], pt[100], comp[60], wrapped[102], *spki = NULL;
        size_t wl = sizeof want, gl, ptl = 0, cl = 0;
        int sl = i2d_PUBKEY(peer, &spki);
        /* the default provider: peer private x our public */
        default_derive(peer, ours, want, &wl);
        assert_int_equal(wl, fl);
        assert_int_equal(
            EVP_PKEY_get_octet_string_param(peer, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &ptl), 1);
        gl = 0;
        assert_int_equal(dsk_key_ecdh(k, pt, ptl, NULL, &gl, NULL), DSK_OK);
        assert_int_equal(gl, fl);
        /* uncompressed point */
        gl = sizeof got;
        assert_int_equal(dsk_key_ecdh(k, pt, ptl, got, &gl, NULL), DSK_OK);
        assert_int_equal(gl, fl);
        assert_memory_equal(got, want, fl);
        /* SubjectPublicKeyInfo */
        gl = sizeof got;
        assert_int_equal(dsk_key_ecdh(k, spki, (size_t)sl, got, &gl, NULL), DSK_OK);
        assert_memory_equal(got, want, fl);
        /* compressed point */
        EC_GROUP *g = EC_GROUP_new_by_curve_name(OBJ_sn2nid(ti->group));
        EC_POINT *ep = EC_POINT_new(g);
        assert_int_equal(EC_POINT_oct2point(g, ep, pt, ptl, NULL), 1);
        cl = EC_POINT_point2oct(g, ep, POINT_CONVERSION_COMPRESSED, comp, sizeof comp, NULL);
        EC_POINT_free(ep);
        EC_GROUP_free(g);
        assert_int_equal(cl, 1 + fl);
        gl = sizeof got;
        assert_int_equal(dsk_key_ecdh(k, comp, cl, got, &gl, NULL), DSK_OK);
        assert_memory_equal(got, want, fl);
        /* DER OCTET STRING around the point (CKA_EC_POINT form) */
        wrapped[0] = 0x04;
        wrapped[1] = (unsigned char)ptl;
        memcpy(wrapped + 2, pt, ptl);
        gl = sizeof got;
        assert_int_equal(dsk_key_ecdh(k, wrapped, ptl + 2, got, &gl, NULL), DSK_OK);
        assert_memory_equal(got, want, fl);
        /* too small a buffer */
        gl = fl - 1;
        assert_int_equal(dsk_key_ecdh(k, pt, ptl, got, &gl, NULL), DSK_E_BUFFER_TOO_SMALL);
        assert_int_equal(gl, fl);
        OPENSSL_free(spki);
        EVP_PKEY_free(peer);
        EVP_PKEY_free(ours);
    }
    dsk_keystore_free(ks);
}

static void test_bad_peers(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key *k = kt_key(ks, "web", DSK_KEY_EC_P256, "ecdh");
    EVP_PKEY *other = EVP_EC_gen("secp384r1");
    unsigned char *spki = NULL, pt[100], out[32];
    size_t ptl = 0, ol = sizeof out;
    dsk_error e = {0};
    int sl = i2d_PUBKEY(other, &spki);
    (void)state;
    /* wrong curve as SPKI */
    assert_int_equal(dsk_key_ecdh(k, spki, (size_t)sl, out, &ol, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "secp384r1"));
    assert_non_null(strstr(e.msg, "key 'web' (ec-p256)"));
    /* wrong curve as a point: the length does not fit */
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(other, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &ptl), 1);
    assert_int_equal(dsk_key_ecdh(k, pt, ptl, out, &ol, &e), DSK_E_BAD_INPUT);
    /* a point not on the curve */
    memset(pt, 0x11, 65);
    pt[0] = 0x04;
    assert_int_equal(dsk_key_ecdh(k, pt, 65, out, &ol, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "not on curve"));
    /* a compressed x with no point */
    memset(pt, 0xff, 33);
    pt[0] = 0x02;
    assert_int_equal(dsk_key_ecdh(k, pt, 33, out, &ol, &e), DSK_E_BAD_INPUT);
    /* an Ed25519 SPKI */
    OPENSSL_free(spki);
    spki = NULL;
    EVP_PKEY_free(other);
    other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    sl = i2d_PUBKEY(other, &spki);
    assert_int_equal(dsk_key_ecdh(k, spki, (size_t)sl, out, &ol, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_key_ecdh(k, pt, 0, out, &ol, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_key_ecdh(k, NULL, 0, out, &ol, &e), DSK_E_ARGS);
    /* keys that cannot derive */
    dsk_key *ed = kt_key(ks, "ed", DSK_KEY_ED25519, "ecdh");
    assert_int_equal(dsk_key_ecdh(ed, pt, 65, out, &ol, &e), DSK_E_UNSUPPORTED);
    assert_string_equal(e.msg, "key 'ed' (ed25519) does not support ECDH");
    dsk_key_desc d = {
        .label = "signer", .path = "ecdh", .type = DSK_KEY_EC_P256, .usage = DSK_USAGE_SIGN};
    dsk_key *signer = NULL;
    assert_int_equal(dsk_keystore_add(ks, &d, &signer, NULL), DSK_OK);
    assert_int_equal(dsk_key_ecdh(signer, pt, 65, out, &ol, &e), DSK_E_UNSUPPORTED);
    assert_string_equal(e.msg, "key 'signer' (ec-p256) does not allow derive");
    OPENSSL_free(spki);
    EVP_PKEY_free(other);
    dsk_keystore_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_ways),
        cmocka_unit_test(test_bad_peers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
