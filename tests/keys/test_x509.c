/* keys/x509.c: certificates and requests signed by a key of every type,
 * checked by the default provider with the key's public half; secp256k1
 * signatures low-S; public-only keys and keys without sign usage refused. */
#include "keytest.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

static X509 *new_cert(EVP_PKEY *pub)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    assert_non_null(x);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0),
        1);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
    assert_int_equal(X509_set_subject_name(x, n), 1);
    assert_int_equal(X509_set_issuer_name(x, n), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    assert_int_equal(X509_set_pubkey(x, pub), 1);
    X509_NAME_free(n);
    return x;
}

/* s <= n/2 for a DER ECDSA signature on secp256k1. */
static int is_low_s(const ASN1_BIT_STRING *bits)
{
    const unsigned char *p = ASN1_STRING_get0_data(bits);
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, ASN1_STRING_length(bits));
    BIGNUM *half = NULL;
    const BIGNUM *s;
    int low;
    assert_non_null(sig);
    ECDSA_SIG_get0(sig, NULL, &s);
    assert_int_not_equal(
        BN_hex2bn(&half, "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0"), 0);
    low = BN_cmp(s, half) <= 0;
    BN_free(half);
    ECDSA_SIG_free(sig);
    return low;
}

static void test_every_type(void **state)
{
    static const struct {
        dsk_key_type t;
        int md_nid; /* expected digest of the signature algorithm, NID_undef for Ed25519 */
    } types[] = {
        {DSK_KEY_SECP256K1, NID_sha256}, {DSK_KEY_ED25519, NID_undef},
        {DSK_KEY_EC_P256, NID_sha256},   {DSK_KEY_EC_P384, NID_sha384},
        {DSK_KEY_RSA_2048, NID_sha256},  {DSK_KEY_RSA_3072, NID_sha256},
        {DSK_KEY_RSA_4096, NID_sha256},
    };
    dsk_keystore *ks = kt_store(NULL);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const char *name = dsk_key_type_name(types[i].t);
        dsk_key *k = kt_key(ks, name, types[i].t, name);
        EVP_PKEY *pub = kt_default_pub(k);
        X509 *x = new_cert(pub);
        X509_REQ *req = X509_REQ_new();
        dsk_error e = {0};
        int md = -1, pk = -1;

        assert_int_equal(dsk_key_sign_x509(k, x, &e), DSK_OK);
        if (X509_verify(x, pub) != 1)
            fail_msg("%s: certificate does not verify", name);
        assert_int_equal(OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk), 1);
        assert_int_equal(md, types[i].md_nid);
        if (types[i].t == DSK_KEY_SECP256K1) {
            const ASN1_BIT_STRING *sig;
            X509_get0_signature(&sig, NULL, x);
            assert_true(is_low_s(sig));
        }
        /* The re-encoded certificate still verifies (the low-S rewrite
         * went into what i2d writes). */
        unsigned char *der = NULL;
        const unsigned char *p;
        int n = i2d_X509(x, &der);
        assert_true(n > 0);
        p = der;
        X509 *back = d2i_X509(NULL, &p, n);
        assert_non_null(back);
        assert_int_equal(X509_verify(back, pub), 1);
        X509_free(back);
        OPENSSL_free(der);

        assert_non_null(req);
        /* As dstack-key csr does: OpenSSL 3.5 refuses to verify a request
         * whose version was never set ("unsupported version"). */
        assert_int_equal(X509_REQ_set_version(req, 0), 1);
        assert_int_equal(X509_REQ_set_pubkey(req, pub), 1);
        assert_int_equal(dsk_key_sign_x509_req(k, req, &e), DSK_OK);
        if (X509_REQ_verify(req, pub) != 1)
            fail_msg("%s: request does not verify", name);
        if (types[i].t == DSK_KEY_SECP256K1) {
            const ASN1_BIT_STRING *sig;
            X509_REQ_get0_signature(req, &sig, NULL);
            assert_true(is_low_s(sig));
        }
        X509_REQ_free(req);
        X509_free(x);
        EVP_PKEY_free(pub);
    }
    dsk_keystore_free(ks);
}

/* Many secp256k1 signatures: about half would be high-S without the rewrite. */
static void test_k1_always_low_s(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key *k = kt_key(ks, "k1", DSK_KEY_SECP256K1, "low-s");
    EVP_PKEY *pub = kt_default_pub(k);
    for (int i = 0; i < 24; i++) {
        X509 *x = new_cert(pub);
        const ASN1_BIT_STRING *sig;
        assert_int_equal(dsk_key_sign_x509(k, x, NULL), DSK_OK);
        X509_get0_signature(&sig, NULL, x);
        assert_true(is_low_s(sig));
        assert_int_equal(X509_verify(x, pub), 1);
        X509_free(x);
    }
    EVP_PKEY_free(pub);
    dsk_keystore_free(ks);
}

static void test_refused(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key *k = kt_key(ks, "src", DSK_KEY_EC_P256, "refused");
    const unsigned char *spki;
    size_t len;
    dsk_key *pubonly = NULL, *nosign = NULL;
    dsk_key_desc d = {
        .label = "decrypt-only", .type = DSK_KEY_RSA_2048, .usage = DSK_USAGE_DECRYPT};
    EVP_PKEY *pub = kt_default_pub(k);
    X509 *x = new_cert(pub);
    dsk_error e = {0};

    assert_int_equal(dsk_key_spki(k, &spki, &len, &e), DSK_OK);
    assert_int_equal(dsk_keystore_add_public(ks, spki, len, &pubonly, &e), DSK_OK);
    assert_int_equal(dsk_key_sign_x509(pubonly, x, &e), DSK_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "public key only"));
    assert_int_equal(dsk_keystore_add(ks, &d, &nosign, &e), DSK_OK);
    assert_int_equal(dsk_key_sign_x509(nosign, x, &e), DSK_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "does not allow"));
    assert_int_equal(dsk_key_sign_x509(NULL, x, &e), DSK_E_ARGS);
    assert_int_equal(dsk_key_sign_x509_req(k, NULL, &e), DSK_E_ARGS);
    X509_free(x);
    EVP_PKEY_free(pub);
    dsk_keystore_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_k1_always_low_s),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
