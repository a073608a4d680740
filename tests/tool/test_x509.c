/* tool/x509.c: --subject and --san parsing, and requests and certificates
 * built for a key (made from fixed material, no agent) that the default
 * provider verifies, with the asked-for names, validity and extensions. */
#include "tooltest.h"

#include <openssl/pem.h>

/* keys/internal.h: a key from material, for tests without an agent. */
dsk_status dsk_key_derive_from_material(dsk_key *k, const unsigned char m[32], dsk_error *err);

static dsk_key *test_key(dsk_keystore **ks, dsk_key_type t)
{
    dsk_client_opts o = {.endpoint = "/nonexistent/dsk-tool-x509.sock"};
    dsk_key_desc d = {.label = "t", .type = t};
    unsigned char m[32];
    dsk_key *k = NULL;
    memset(m, 0x5a, sizeof m);
    assert_int_equal(dsk_keystore_new(&o, ks, NULL), DSK_OK);
    assert_int_equal(dsk_keystore_add(*ks, &d, &k, NULL), DSK_OK);
    assert_int_equal(dsk_key_derive_from_material(k, m, NULL), DSK_OK);
    return k;
}

static void test_subject(void **state)
{
    X509_NAME *n = NULL;
    dsk_error e = {0};
    char buf[256];

    assert_int_equal(dsk_x509_parse_subject("/CN=a\\/b/O=Org Inc/C=DE/2.5.4.5=42", &n, &e), DSK_OK);
    X509_NAME_oneline(n, buf, sizeof buf);
    assert_string_equal(buf,
                        "/CN=a\\/b/O=Org Inc/C=DE/serialNumber=42"); /* oneline escapes the / */
    assert_int_equal(X509_NAME_entry_count(n), 4);
    X509_NAME_free(n);

    static const struct {
        const char *in, *msg;
    } bad[] = {
        {"CN=x", "write it as /CN=name"},
        {"/", "write it as /CN=name"},
        {"/CN", "'CN' is not FIELD=value"},
        {"/CN=", "'CN=' is not FIELD=value"},
        {"/=x", "is not FIELD=value"},
        {"/XX=y", "unknown field 'XX'"},
        {"/C=Germany", "value of C is not allowed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(dsk_x509_parse_subject(bad[i].in, &n, &e), DSK_E_ARGS);
        assert_null(n);
        assert_msg_has(&e, bad[i].msg);
    }
}

static void test_san(void **state)
{
    static const struct {
        const char *in;
        int type;
    } good[] = {
        {"DNS:example.com", GEN_DNS}, {"example.com", GEN_DNS}, {"IP:10.0.0.1", GEN_IPADD},
        {"::1", GEN_IPADD},           {"127.0.0.1", GEN_IPADD}, {"email:a@b.c", GEN_EMAIL},
        {"URI:https://x/", GEN_URI},
    };
    GENERAL_NAME *g = NULL;
    dsk_error e = {0};

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(dsk_x509_parse_san(good[i].in, &g, &e), DSK_OK);
        assert_int_equal(g->type, good[i].type);
        GENERAL_NAME_free(g);
    }
    assert_int_equal(dsk_x509_parse_san("IP:300.1.1.1", &g, &e), DSK_E_ARGS);
    assert_msg_has(&e, "not an IPv4 or IPv6 address");
    assert_int_equal(dsk_x509_parse_san("DNS:", &g, &e), DSK_E_ARGS);
    assert_msg_has(&e, "empty name");
    assert_int_equal(dsk_x509_parse_san("DNS:a b", &g, &e), DSK_E_ARGS);
    assert_msg_has(&e, "printable ASCII");
    assert_null(g);
}

static void test_cert_and_req(void **state)
{
    static const char *sans[] = {"DNS:web.example", "IP:127.0.0.1"};
    static const unsigned char ext_der[] = {0x04, 0x02, 0xde, 0xad};
    dsk_x509_ext ext = {"2.25.1234", 0, ext_der, sizeof ext_der};
    dsk_x509_spec s = {"/CN=web.example", sans, 2, 30, &ext, 1};
    dsk_keystore *ks = NULL;
    dsk_key *k = test_key(&ks, DSK_KEY_EC_P256);
    char *pem = NULL;
    dsk_error e = {0};
    BIO *b;
    X509 *x;
    X509_REQ *r;
    EVP_PKEY *pub;

    assert_int_equal(dsk_x509_make_cert(k, &s, &pem, &e), DSK_OK);
    b = BIO_new_mem_buf(pem, -1);
    x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    pub = X509_get0_pubkey(x);
    assert_int_equal(X509_verify(x, pub), 1);
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
    assert_int_equal(X509_check_ca(x), 0);
    assert_int_equal(X509_check_host(x, "web.example", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    ASN1_OBJECT *extra = OBJ_txt2obj("2.25.1234", 1);
    assert_true(X509_get_ext_by_OBJ(x, extra, -1) >= 0);
    ASN1_OBJECT_free(extra);
    /* 30 days: after 29, before 31 */
    assert_true(X509_cmp_time(X509_get0_notAfter(x), &(time_t){time(NULL) + 29 * 86400}) > 0);
    assert_true(X509_cmp_time(X509_get0_notAfter(x), &(time_t){time(NULL) + 31 * 86400}) < 0);
    /* the serial is positive and long (random) */
    assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(x)), 16);
    X509_free(x);
    free(pem);

    assert_int_equal(dsk_x509_make_req(k, &s, &pem, &e), DSK_OK);
    b = BIO_new_mem_buf(pem, -1);
    r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(r);
    assert_int_equal(X509_REQ_verify(r, X509_REQ_get0_pubkey(r)), 1);
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(r);
    assert_int_equal(sk_X509_EXTENSION_num(exts), 2); /* SAN and the extra one */
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(r);
    free(pem);

    s.days = 0;
    assert_int_equal(dsk_x509_make_cert(k, &s, &pem, &e), DSK_E_ARGS);
    assert_msg_has(&e, "--days 0");
    s.days = 1;
    s.subject = "CN=x";
    assert_int_equal(dsk_x509_make_req(k, &s, &pem, &e), DSK_E_ARGS);
    assert_null(pem);
    dsk_keystore_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject),
        cmocka_unit_test(test_san),
        cmocka_unit_test(test_cert_and_req),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
