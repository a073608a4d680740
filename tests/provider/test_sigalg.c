/* provider/sigalg.c: our AlgorithmIdentifiers are byte for byte what the
 * default provider gives for the same scheme; RSASSA-PSS parameters parse
 * back to what was asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "internal.h"
#include "sigalg.h"

static EVP_PKEY *gen(const char *alg, const char *curve)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    assert_int_equal(EVP_PKEY_keygen_init(c), 1);
    if (curve)
        assert_int_equal(EVP_PKEY_CTX_set_group_name(c, curve), 1);
    assert_int_equal(EVP_PKEY_generate(c, &k), 1);
    EVP_PKEY_CTX_free(c);
    return k;
}

static size_t default_algid(EVP_PKEY *k, const char *md, unsigned char *out, size_t max)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    OSSL_PARAM p[] = {
        OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, out, max),
        OSSL_PARAM_END,
    };
    assert_int_equal(EVP_DigestSignInit_ex(m, &pc, md, NULL, NULL, k, NULL), 1);
    assert_int_equal(EVP_PKEY_CTX_get_params(pc, p), 1);
    EVP_MD_CTX_free(m);
    return p[0].return_size;
}

static const struct {
    dsk_hash h;
    const char *name;
} hashes[] = {
    {DSK_HASH_SHA1, "SHA1"},     {DSK_HASH_SHA224, "SHA224"}, {DSK_HASH_SHA256, "SHA256"},
    {DSK_HASH_SHA384, "SHA384"}, {DSK_HASH_SHA512, "SHA512"},
};

static void test_like_default(void **state)
{
    EVP_PKEY *ec = gen("EC", "P-256"), *rsa = gen("RSA", NULL), *ed = gen("ED25519", NULL);
    unsigned char want[128], got[128];
    size_t wl, gl;
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
        wl = default_algid(ec, hashes[i].name, want, sizeof want);
        gl = dsk_sigalg_ecdsa(hashes[i].h, got, sizeof got);
        assert_int_equal(gl, wl);
        assert_memory_equal(got, want, wl);
        wl = default_algid(rsa, hashes[i].name, want, sizeof want);
        gl = dsk_sigalg_rsa_pkcs1(hashes[i].h, got, sizeof got);
        assert_int_equal(gl, wl);
        assert_memory_equal(got, want, wl);
    }
    wl = default_algid(ed, NULL, want, sizeof want);
    gl = dsk_sigalg_ed25519(got, sizeof got);
    assert_int_equal(gl, wl);
    assert_memory_equal(got, want, wl);
    assert_int_equal(dsk_sigalg_ecdsa(DSK_HASH_NONE, got, sizeof got), 0);
    assert_int_equal(dsk_sigalg_ecdsa(DSK_HASH_SHA256, got, 4), 0);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
}

static void check_pss(dsk_hash h, dsk_hash mgf1, long salt, int want_md, int want_mgf1)
{
    unsigned char der[128];
    const unsigned char *p = der;
    size_t len = dsk_sigalg_rsa_pss(h, mgf1, salt, der, sizeof der);
    X509_ALGOR *alg;
    const ASN1_OBJECT *oid;
    int ptype;
    const void *pval;
    const ASN1_STRING *seq;
    RSA_PSS_PARAMS *pss;

    assert_true(len > 0);
    alg = d2i_X509_ALGOR(NULL, &p, (long)len);
    assert_non_null(alg);
    assert_int_equal(p - der, (long)len);
    X509_ALGOR_get0(&oid, &ptype, &pval, alg);
    assert_int_equal(OBJ_obj2nid(oid), NID_rsassaPss);
    assert_int_equal(ptype, V_ASN1_SEQUENCE);
    seq = pval;
    p = ASN1_STRING_get0_data(seq);
    pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(seq));
    assert_non_null(pss);
    if (want_md == NID_sha1) {
        assert_null(pss->hashAlgorithm);
    } else {
        X509_ALGOR_get0(&oid, NULL, NULL, pss->hashAlgorithm);
        assert_int_equal(OBJ_obj2nid(oid), want_md);
    }
    if (want_mgf1 == NID_sha1) {
        assert_null(pss->maskGenAlgorithm);
    } else {
        X509_ALGOR *mh;
        X509_ALGOR_get0(&oid, &ptype, &pval, pss->maskGenAlgorithm);
        assert_int_equal(OBJ_obj2nid(oid), NID_mgf1);
        assert_int_equal(ptype, V_ASN1_SEQUENCE);
        p = ASN1_STRING_get0_data(pval);
        mh = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(pval));
        assert_non_null(mh);
        X509_ALGOR_get0(&oid, NULL, NULL, mh);
        assert_int_equal(OBJ_obj2nid(oid), want_mgf1);
        X509_ALGOR_free(mh);
    }
    if (salt == 20)
        assert_null(pss->saltLength);
    else
        assert_int_equal(ASN1_INTEGER_get(pss->saltLength), salt);
    RSA_PSS_PARAMS_free(pss);
    X509_ALGOR_free(alg);
}

static void test_pss(void **state)
{
    check_pss(DSK_HASH_SHA256, DSK_HASH_NONE, 32, NID_sha256, NID_sha256);
    check_pss(DSK_HASH_SHA384, DSK_HASH_SHA512, 222, NID_sha384, NID_sha512);
    check_pss(DSK_HASH_SHA1, DSK_HASH_SHA1, 20, NID_sha1, NID_sha1);
    check_pss(DSK_HASH_SHA512, DSK_HASH_SHA256, 0, NID_sha512, NID_sha256);
}

static void test_hash_names(void **state)
{
    assert_int_equal(dsk_prov_hash("SHA2-256"), DSK_HASH_SHA256);
    assert_int_equal(dsk_prov_hash("sha384"), DSK_HASH_SHA384);
    assert_int_equal(dsk_prov_hash("SHA-1"), DSK_HASH_SHA1);
    assert_int_equal(dsk_prov_hash("MD5"), DSK_HASH_NONE);
    assert_int_equal(dsk_prov_hash(NULL), DSK_HASH_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_like_default),
        cmocka_unit_test(test_pss),
        cmocka_unit_test(test_hash_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
