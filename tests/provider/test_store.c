/* provider/store.c: dstack: URIs by label and inline, errors that name the
 * label and the file, store parameters tolerated. */
#include "provtest.h"

#include <stdio.h>
#include <string.h>

#include <openssl/store.h>
#include <openssl/x509.h>

static int same_public(pt_env *e, EVP_PKEY *a, EVP_PKEY *b)
{
    EVP_PKEY *pa = pt_public(e, a), *pb = pt_public(e, b);
    int r = EVP_PKEY_eq(pa, pb);
    EVP_PKEY_free(pa);
    EVP_PKEY_free(pb);
    return r == 1;
}

static void test_label(void **state)
{
    pt_env *e = *state;
    struct {
        const char *uri, *type;
    } cases[] = {{"dstack:web", "EC"},     {"dstack:p384", "EC"}, {"dstack:k1", "EC"},
                 {"dstack:ed", "ED25519"}, {"dstack:rsa", "RSA"}, {"DSTACK:web", "EC"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EVP_PKEY *k = pt_load(e, cases[i].uri);
        if (k == NULL)
            fail_msg("%s: %s", cases[i].uri, pt_errors());
        assert_string_equal(pt_provider_of(k), "dstack");
        assert_true(EVP_PKEY_is_a(k, cases[i].type));
        EVP_PKEY_free(k);
    }
}

/* The inline form names the same key as a label with the same path and
 * type; percent-escapes decode; another type is another key. */
static void test_inline(void **state)
{
    pt_env *e = *state;
    EVP_PKEY *web = pt_load(e, "dstack:web");
    EVP_PKEY *a = pt_load(e, "dstack:path=/my-app/web;type=ec-p256");
    EVP_PKEY *b = pt_load(e, "dstack:type=ec-p256;path=%2Fmy-app%2fweb");
    EVP_PKEY *c = pt_load(e, "dstack:path=/my-app/web;type=ec-p384");
    EVP_PKEY *d = pt_load(e, "dstack:path=/my-app/web;type=ec-p256;purpose=other");
    assert_non_null(web);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(d);
    assert_true(same_public(e, web, a));
    assert_true(same_public(e, web, b));
    /* dstack-protocol.md: the purpose does not change the key */
    assert_true(same_public(e, web, d));
    assert_false(same_public(e, web, c));
    assert_int_equal(EVP_PKEY_get_bits(c), 384);
    EVP_PKEY_free(web);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
    EVP_PKEY_free(c);
    EVP_PKEY_free(d);
}

static void test_unknown_label_names_label_and_file(void **state)
{
    pt_env *e = *state;
    const char *errs;
    assert_null(pt_load(e, "dstack:nosuchkey"));
    errs = pt_errors();
    assert_non_null(strstr(errs, "'nosuchkey'"));
    assert_non_null(strstr(errs, e->conf));
}

static void test_bad_uris(void **state)
{
    pt_env *e = *state;
    const char *bad[] = {"dstack:",
                         "dstack:path=/x;type=ec-p999",
                         "dstack:type=ec-p256",
                         "dstack:path=/x;color=red",
                         "dstack:path=%zz;type=ec-p256",
                         "dstack:path=/x;path=/y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(pt_load(e, bad[i]));
        assert_non_null(strstr(pt_errors(), "dstack"));
    }
}

/* expect CERT: the key's self-signed certificate (the one the PKCS#11
 * module shows, keys/selfcert.c): CN=<label>, the key's public key, signed
 * by the key. Once, then EOF. */
static void test_expect_cert(void **state)
{
    pt_env *e = *state;
    OSSL_STORE_CTX *sc =
        OSSL_STORE_open_ex("dstack:web", e->libctx, NULL, NULL, NULL, NULL, NULL, NULL);
    OSSL_STORE_INFO *info;
    EVP_PKEY *k = pt_load(e, "dstack:web");
    X509 *x;
    char cn[32];
    assert_non_null(sc);
    assert_int_equal(OSSL_STORE_expect(sc, OSSL_STORE_INFO_CERT), 1);
    info = OSSL_STORE_load(sc);
    if (info == NULL)
        fail_msg("no certificate: %s", pt_errors());
    assert_int_equal(OSSL_STORE_INFO_get_type(info), OSSL_STORE_INFO_CERT);
    x = OSSL_STORE_INFO_get1_CERT(info);
    assert_non_null(x);
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    assert_string_equal(cn, "web");
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), k), 1);
    assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
    assert_null(OSSL_STORE_load(sc));
    assert_true(OSSL_STORE_eof(sc));
    X509_free(x);
    EVP_PKEY_free(k);
    OSSL_STORE_INFO_free(info);
    OSSL_STORE_close(sc);
}

/* expect PUBKEY gives the public key; a private load gives our key. */
static void test_expect_pubkey(void **state)
{
    pt_env *e = *state;
    OSSL_STORE_CTX *sc =
        OSSL_STORE_open_ex("dstack:web", e->libctx, NULL, NULL, NULL, NULL, NULL, NULL);
    OSSL_STORE_INFO *info;
    EVP_PKEY *pub, *k = pt_load(e, "dstack:web");
    assert_int_equal(OSSL_STORE_expect(sc, OSSL_STORE_INFO_PUBKEY), 1);
    info = OSSL_STORE_load(sc);
    assert_non_null(info);
    assert_int_equal(OSSL_STORE_INFO_get_type(info), OSSL_STORE_INFO_PUBKEY);
    pub = OSSL_STORE_INFO_get1_PUBKEY(info);
    assert_int_equal(EVP_PKEY_eq(pub, k), 1);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(k);
    OSSL_STORE_INFO_free(info);
    OSSL_STORE_close(sc);
}

/* The tool's own way: OSSL_STORE with a property query as -propquery. */
static void test_properties_tolerated(void **state)
{
    pt_env *e = *state;
    OSSL_STORE_CTX *sc = OSSL_STORE_open_ex("dstack:web", e->libctx, "?provider=dstack", NULL, NULL,
                                            NULL, NULL, NULL);
    OSSL_STORE_INFO *info;
    assert_non_null(sc);
    info = OSSL_STORE_load(sc);
    assert_non_null(info);
    assert_int_equal(OSSL_STORE_INFO_get_type(info), OSSL_STORE_INFO_PKEY);
    OSSL_STORE_INFO_free(info);
    OSSL_STORE_close(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label),
        cmocka_unit_test(test_inline),
        cmocka_unit_test(test_unknown_label_names_label_and_file),
        cmocka_unit_test(test_bad_uris),
        cmocka_unit_test(test_expect_cert),
        cmocka_unit_test(test_expect_pubkey),
        cmocka_unit_test(test_properties_tolerated),
    };
    return cmocka_run_group_tests(tests, pt_group_setup, pt_group_teardown);
}
