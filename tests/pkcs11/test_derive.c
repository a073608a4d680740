/* derive.c: ECDH1 with CKD_NULL against a peer key made by OpenSSL; the
 * secret object and its attributes. */
#include "p11test.h"

#include <string.h>

#include <openssl/core_names.h>

static CK_SESSION_HANDLE s;

static void ecdh_case(const char *label, const char *group, int wrap_point)
{
    CK_OBJECT_HANDLE k = p11t_find(s, CKO_PRIVATE_KEY, label);
    EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
    assert_non_null(peer);
    unsigned char pt[200], wrapped[210];
    size_t ptlen = 0;
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(peer, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &ptlen), 1);
    wrapped[0] = 0x04;
    wrapped[1] = (unsigned char)ptlen;
    memcpy(wrapped + 2, pt, ptlen);
    CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, NULL, wrap_point ? ptlen + 2 : ptlen,
                                wrap_point ? wrapped : pt};
    CK_MECHANISM m = {CKM_ECDH1_DERIVE, &p, sizeof p};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
    /* the template pkcs11-tool --derive uses */
    CK_ATTRIBUTE t[] = {
        {CKA_TOKEN, &no, 1},     {CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &kt, sizeof kt},
        {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1},    {CKA_ENCRYPT, &yes, 1},
        {CKA_DECRYPT, &yes, 1},  {CKA_WRAP, &yes, 1},           {CKA_UNWRAP, &yes, 1}};
    CK_OBJECT_HANDLE sk;
    CK(T.f->C_DeriveKey(s, &m, k, t, 9, &sk));
    CK_ULONG n;
    unsigned char *v = p11t_attr(s, sk, CKA_VALUE, &n);
    /* The same secret in OpenSSL, from the token's public key */
    EVP_PKEY *mine = p11t_pkey(s, p11t_find(s, CKO_PUBLIC_KEY, label));
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(peer, NULL);
    unsigned char want[100];
    size_t wl = sizeof want;
    assert_int_equal(EVP_PKEY_derive_init(c), 1);
    assert_int_equal(EVP_PKEY_derive_set_peer(c, mine), 1);
    assert_int_equal(EVP_PKEY_derive(c, want, &wl), 1);
    assert_int_equal(n, wl);
    assert_memory_equal(v, want, wl);
    assert_int_equal(p11t_attr_ulong(s, sk, CKA_VALUE_LEN), wl);
    assert_int_equal(p11t_attr_ulong(s, sk, CKA_CLASS), CKO_SECRET_KEY);
    assert_false(p11t_attr_bool(s, sk, CKA_TOKEN));
    free(v);
    /* Sensitive if the template says so */
    CK_ATTRIBUTE t2[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_SENSITIVE, &yes, 1}};
    CK(T.f->C_DeriveKey(s, &m, k, t2, 2, &sk));
    CK_ATTRIBUTE a = {CKA_VALUE, want, sizeof want};
    assert_int_equal(T.f->C_GetAttributeValue(s, sk, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
    /* Truncated by CKA_VALUE_LEN */
    CK_ULONG vl = 16;
    CK_ATTRIBUTE t3[] = {{CKA_VALUE_LEN, &vl, sizeof vl}};
    CK(T.f->C_DeriveKey(s, &m, k, t3, 1, &sk));
    v = p11t_attr(s, sk, CKA_VALUE, &n);
    assert_int_equal(n, 16);
    assert_memory_equal(v, want, 16);
    free(v);
    vl = 1000;
    assert_int_equal(T.f->C_DeriveKey(s, &m, k, t3, 1, &sk), CKR_TEMPLATE_INCONSISTENT);
    CK_OBJECT_CLASS data = CKO_DATA;
    CK_ATTRIBUTE t4[] = {{CKA_CLASS, &data, sizeof data}};
    assert_int_equal(T.f->C_DeriveKey(s, &m, k, t4, 1, &sk), CKR_TEMPLATE_INCONSISTENT);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(mine);
    EVP_PKEY_free(peer);
}

static void test_ecdh(void **state)
{
    (void)state;
    ecdh_case("web", "P-256", 0);
    ecdh_case("web", "P-256", 1);
    ecdh_case("p384", "P-384", 0);
    ecdh_case("wallet", "secp256k1", 1);
}

static void test_refused(void **state)
{
    (void)state;
    CK_SESSION_HANDLE es = p11t_session(p11t_slot("dstack-ed25519"), 0);
    unsigned char pt[65] = {4};
    CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, NULL, sizeof pt, pt};
    CK_MECHANISM m = {CKM_ECDH1_DERIVE, &p, sizeof p};
    CK_OBJECT_HANDLE sk;
    /* Ed25519 and RSA keys do not derive; public keys neither */
    assert_int_equal(T.f->C_DeriveKey(es, &m, p11t_find(es, CKO_PRIVATE_KEY, "ssh"), NULL, 0, &sk),
                     CKR_KEY_TYPE_INCONSISTENT);
    assert_int_equal(T.f->C_DeriveKey(s, &m, p11t_find(s, CKO_PRIVATE_KEY, "rsa"), NULL, 0, &sk),
                     CKR_KEY_TYPE_INCONSISTENT);
    assert_int_equal(T.f->C_DeriveKey(s, &m, p11t_find(s, CKO_PUBLIC_KEY, "web"), NULL, 0, &sk),
                     CKR_KEY_TYPE_INCONSISTENT);
    /* A point that is not on the curve */
    memset(pt + 1, 0x11, 64);
    assert_int_equal(T.f->C_DeriveKey(s, &m, p11t_find(s, CKO_PRIVATE_KEY, "web"), NULL, 0, &sk),
                     CKR_MECHANISM_PARAM_INVALID);
    CK(T.f->C_CloseSession(es));
}

static int setup(void **state)
{
    if (p11t_group_setup(state) != 0)
        return -1;
    s = p11t_session(p11t_slot("dstack"), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdh),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, setup, p11t_group_teardown);
}
