/* provider/signature.c: every signature made through dstack.so is checked by
 * the default provider alone; digest-sign contexts duplicate mid-stream;
 * public keys imported into our keymgmt verify. */
#include "provtest.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/rsa.h>

static const unsigned char msg[] = "a message signed through the dstack provider";

static unsigned char *digest_sign(OSSL_LIB_CTX *ctx, const char *props, EVP_PKEY *k, const char *md,
                                  const OSSL_PARAM *params, size_t *len)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig;
    assert_int_equal(EVP_DigestSignInit_ex(m, &pctx, md, ctx, props, k, params), 1);
    assert_int_equal(EVP_DigestSign(m, NULL, len, msg, sizeof msg), 1);
    sig = malloc(*len);
    assert_non_null(sig);
    if (EVP_DigestSign(m, sig, len, msg, sizeof msg) != 1)
        fail_msg("sign: %s", pt_errors());
    EVP_MD_CTX_free(m);
    return sig;
}

static int digest_verify(OSSL_LIB_CTX *ctx, const char *props, EVP_PKEY *k, const char *md,
                         const OSSL_PARAM *params, const unsigned char *sig, size_t len,
                         const unsigned char *data, size_t dlen)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    int r;
    assert_int_equal(EVP_DigestVerifyInit_ex(m, NULL, md, ctx, props, k, params), 1);
    r = EVP_DigestVerify(m, sig, len, data, dlen);
    EVP_MD_CTX_free(m);
    return r;
}

static void roundtrip(pt_env *e, const char *uri, const char *md, const OSSL_PARAM *params)
{
    EVP_PKEY *k = pt_load(e, uri), *pub;
    unsigned char *sig, bad[sizeof msg];
    size_t len = 0;

    if (k == NULL)
        fail_msg("load %s: %s", uri, pt_errors());
    assert_string_equal(pt_provider_of(k), "dstack");
    pub = pt_public(e, k);
    sig = digest_sign(e->libctx, NULL, k, md, params, &len);
    assert_int_equal(digest_verify(e->check, NULL, pub, md, params, sig, len, msg, sizeof msg), 1);
    memcpy(bad, msg, sizeof msg);
    bad[0] ^= 1;
    assert_int_equal(digest_verify(e->check, NULL, pub, md, params, sig, len, bad, sizeof bad), 0);
    free(sig);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(k);
}

static void test_ecdsa(void **state)
{
    roundtrip(*state, "dstack:web", "SHA256", NULL);
    roundtrip(*state, "dstack:web", "SHA512", NULL);
    roundtrip(*state, "dstack:web", "SHA1", NULL);
    roundtrip(*state, "dstack:p384", "SHA384", NULL);
    roundtrip(*state, "dstack:k1", "SHA256", NULL);
}

static void test_ed25519(void **state)
{
    roundtrip(*state, "dstack:ed", NULL, NULL);
}

static void test_rsa_pkcs1(void **state)
{
    roundtrip(*state, "dstack:rsa", "SHA256", NULL);
    roundtrip(*state, "dstack:rsa", "SHA224", NULL);
}

static void test_rsa_pss_string_and_int_params(void **state)
{
    OSSL_PARAM strs[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, "pss", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, "digest", 0),
        OSSL_PARAM_construct_end(),
    };
    int pad = RSA_PKCS1_PSS_PADDING, salt = 17;
    OSSL_PARAM ints[] = {
        OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PAD_MODE, &pad),
        OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &salt),
        OSSL_PARAM_construct_end(),
    };
    OSSL_PARAM maxsalt[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, "pss", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, "max", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, "SHA384", 0),
        OSSL_PARAM_construct_end(),
    };
    roundtrip(*state, "dstack:rsa", "SHA256", strs);
    roundtrip(*state, "dstack:rsa", "SHA384", ints);
    roundtrip(*state, "dstack:rsa", "SHA512", maxsalt);
}

/* What TLS 1.3 does: the legacy setters (translated to strings by
 * libcrypto) after DigestSignInit, salt = digest length. */
static void test_rsa_pss_like_tls13(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:rsa"), *pub = pt_public(e, k);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char sig[512];
    size_t len = sizeof sig;
    OSSL_PARAM vp[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, "pss", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, "32", 0),
        OSSL_PARAM_construct_end(),
    };

    assert_int_equal(EVP_DigestSignInit_ex(m, &pctx, "SHA256", e->libctx, NULL, k, NULL), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &len, msg, sizeof msg), 1);
    assert_int_equal(digest_verify(e->check, NULL, pub, "SHA256", vp, sig, len, msg, sizeof msg),
                     1);
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(k);
}

/* EVP_DigestSignFinal duplicates the context; applications copy it too. */
static void test_dup_midstream(void **state)
{
    pt_env *e = *state;
    const char *uris[] = {"dstack:web", "dstack:rsa"};
    for (size_t i = 0; i < 2; i++) {
        EVP_PKEY *k = pt_load(e, uris[i]), *pub = pt_public(e, k);
        EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
        unsigned char sa[512], sb[512];
        size_t la = sizeof sa, lb = sizeof sb, half = sizeof msg / 2;

        assert_int_equal(EVP_DigestSignInit_ex(a, NULL, "SHA256", e->libctx, NULL, k, NULL), 1);
        assert_int_equal(EVP_DigestSignUpdate(a, msg, half), 1);
        assert_int_equal(EVP_MD_CTX_copy_ex(b, a), 1);
        assert_int_equal(EVP_DigestSignUpdate(a, msg + half, sizeof msg - half), 1);
        assert_int_equal(EVP_DigestSignUpdate(b, msg + half, sizeof msg - half), 1);
        assert_int_equal(EVP_DigestSignFinal(a, sa, &la), 1);
        assert_int_equal(EVP_DigestSignFinal(b, sb, &lb), 1);
        assert_int_equal(
            digest_verify(e->check, NULL, pub, "SHA256", NULL, sa, la, msg, sizeof msg), 1);
        assert_int_equal(
            digest_verify(e->check, NULL, pub, "SHA256", NULL, sb, lb, msg, sizeof msg), 1);
        EVP_MD_CTX_free(a);
        EVP_MD_CTX_free(b);
        EVP_PKEY_free(pub);
        EVP_PKEY_free(k);
    }
}

/* pkeyutl -sign: a precomputed hash through EVP_PKEY_sign. */
static void test_sign_hash(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *k = pt_load(e, "dstack:p384"), *pub = pt_public(e, k);
    unsigned char md[32], sig[128];
    size_t len = sizeof sig;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(e->libctx, k, NULL);
    EVP_PKEY_CTX *v = EVP_PKEY_CTX_new_from_pkey(e->check, pub, NULL);

    EVP_Digest(msg, sizeof msg, md, NULL, EVP_sha256(), NULL);
    assert_int_equal(EVP_PKEY_sign_init(c), 1);
    assert_int_equal(EVP_PKEY_sign(c, NULL, &len, md, sizeof md), 1);
    assert_true(len >= 100);
    assert_int_equal(EVP_PKEY_sign(c, sig, &len, md, sizeof md), 1);
    assert_int_equal(EVP_PKEY_verify_init(v), 1);
    assert_int_equal(EVP_PKEY_verify(v, sig, len, md, sizeof md), 1);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_CTX_free(v);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(k);
}

/* A default-provider key's public half imported into our keymgmt verifies
 * through our signature implementation. */
static void test_verify_imported(void **state)
{
    pt_env *e = *state;
    struct {
        const char *alg, *curve, *md;
    } cases[] = {{"EC", "P-256", "SHA256"}, {"ED25519", NULL, NULL}, {"RSA", NULL, "SHA256"}};

    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *priv = pt_gen(e->check, cases[i].alg, cases[i].curve), *ours = NULL;
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *fc = EVP_PKEY_CTX_new_from_name(e->libctx, cases[i].alg, "provider=dstack");
        unsigned char *sig, bad[sizeof msg];
        size_t len = 0;

        assert_int_equal(EVP_PKEY_todata(priv, EVP_PKEY_PUBLIC_KEY, &params), 1);
        assert_int_equal(EVP_PKEY_fromdata_init(fc), 1);
        assert_int_equal(EVP_PKEY_fromdata(fc, &ours, EVP_PKEY_PUBLIC_KEY, params), 1);
        assert_string_equal(pt_provider_of(ours), "dstack");
        sig = digest_sign(e->check, NULL, priv, cases[i].md, NULL, &len);
        assert_int_equal(digest_verify(e->libctx, "provider=dstack", ours, cases[i].md, NULL, sig,
                                       len, msg, sizeof msg),
                         1);
        memcpy(bad, msg, sizeof msg);
        bad[3] ^= 0x40;
        assert_int_equal(digest_verify(e->libctx, "provider=dstack", ours, cases[i].md, NULL, sig,
                                       len, bad, sizeof bad),
                         0);
        free(sig);
        OSSL_PARAM_free(params);
        EVP_PKEY_CTX_free(fc);
        EVP_PKEY_free(ours);
        EVP_PKEY_free(priv);
    }
}

/* A public key cannot sign: a clear error, no crash. */
static void test_public_key_cannot_sign(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *priv = pt_gen(e->check, "EC", "P-256"), *ours = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *fc = EVP_PKEY_CTX_new_from_name(e->libctx, "EC", "provider=dstack");
    EVP_MD_CTX *m = EVP_MD_CTX_new();

    assert_int_equal(EVP_PKEY_todata(priv, EVP_PKEY_PUBLIC_KEY, &params), 1);
    assert_int_equal(EVP_PKEY_fromdata_init(fc), 1);
    assert_int_equal(EVP_PKEY_fromdata(fc, &ours, EVP_PKEY_PUBLIC_KEY, params), 1);
    assert_int_not_equal(
        EVP_DigestSignInit_ex(m, NULL, "SHA256", e->libctx, "provider=dstack", ours, NULL), 1);
    assert_non_null(strstr(pt_errors(), "public key"));
    EVP_MD_CTX_free(m);
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(fc);
    EVP_PKEY_free(ours);
    EVP_PKEY_free(priv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdsa),
        cmocka_unit_test(test_ed25519),
        cmocka_unit_test(test_rsa_pkcs1),
        cmocka_unit_test(test_rsa_pss_string_and_int_params),
        cmocka_unit_test(test_rsa_pss_like_tls13),
        cmocka_unit_test(test_dup_midstream),
        cmocka_unit_test(test_sign_hash),
        cmocka_unit_test(test_verify_imported),
        cmocka_unit_test(test_public_key_cannot_sign),
    };
    return cmocka_run_group_tests(tests, pt_group_setup, pt_group_teardown);
}
