/* crypt.c: RSA-OAEP and PKCS#1 v1.5 encryption with the public key (in the
 * module and in OpenSSL) and decryption with the token key; lengths and the
 * operation lifetime. */
#include "p11test.h"

#include <string.h>

#include <openssl/rsa.h>

static CK_SESSION_HANDLE s;
static CK_OBJECT_HANDLE k, pub;
static const unsigned char msg[] = "a secret for the token";

static size_t ossl_encrypt(int oaep, const EVP_MD *md, const char *label, unsigned char *out)
{
    EVP_PKEY *pk = p11t_pkey(s, pub);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
    size_t n = 512;
    assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
    EVP_PKEY_CTX_set_rsa_padding(c, oaep ? RSA_PKCS1_OAEP_PADDING : RSA_PKCS1_PADDING);
    if (oaep) {
        EVP_PKEY_CTX_set_rsa_oaep_md(c, md);
        EVP_PKEY_CTX_set_rsa_mgf1_md(c, md);
        if (label) {
            unsigned char *l = OPENSSL_memdup(label, strlen(label));
            EVP_PKEY_CTX_set0_rsa_oaep_label(c, l, (int)strlen(label));
        }
    }
    assert_int_equal(EVP_PKEY_encrypt(c, out, &n, msg, sizeof msg), 1);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(pk);
    return n;
}

static void test_decrypt(void **state)
{
    (void)state;
    unsigned char ct[512], pt[512];
    /* OAEP SHA-256 with a label, as OpenSSL encrypts it */
    size_t n = ossl_encrypt(1, EVP_sha256(), "lbl", ct);
    CK_RSA_PKCS_OAEP_PARAMS op = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, "lbl", 3};
    CK_MECHANISM m = {CKM_RSA_PKCS_OAEP, &op, sizeof op};
    CK(T.f->C_DecryptInit(s, &m, k));
    CK_ULONG len = 0;
    CK(T.f->C_Decrypt(s, ct, n, NULL, &len)); /* upper bound, still active */
    assert_int_equal(len, 256);
    len = 4;
    assert_int_equal(T.f->C_Decrypt(s, ct, n, pt, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, sizeof msg); /* exact size once known */
    CK(T.f->C_Decrypt(s, ct, n, pt, &len));
    assert_int_equal(len, sizeof msg);
    assert_memory_equal(pt, msg, len);
    /* A wrong label fails and ends the operation */
    op.pSourceData = "xyz";
    CK(T.f->C_DecryptInit(s, &m, k));
    len = sizeof pt;
    assert_int_equal(T.f->C_Decrypt(s, ct, n, pt, &len), CKR_ENCRYPTED_DATA_INVALID);
    assert_int_equal(T.f->C_Decrypt(s, ct, n, pt, &len), CKR_OPERATION_NOT_INITIALIZED);
    /* PKCS#1 v1.5 */
    n = ossl_encrypt(0, NULL, NULL, ct);
    CK_MECHANISM p1 = {CKM_RSA_PKCS, NULL, 0};
    CK(T.f->C_DecryptInit(s, &p1, k));
    len = sizeof pt;
    CK(T.f->C_Decrypt(s, ct, n, pt, &len));
    assert_int_equal(len, sizeof msg);
    assert_memory_equal(pt, msg, len);
    /* Multi-part: collected, done at the end */
    CK(T.f->C_DecryptInit(s, &p1, k));
    len = sizeof pt;
    CK(T.f->C_DecryptUpdate(s, ct, 100, pt, &len));
    assert_int_equal(len, 0);
    len = sizeof pt;
    CK(T.f->C_DecryptUpdate(s, ct + 100, n - 100, pt, &len));
    len = sizeof pt;
    CK(T.f->C_DecryptFinal(s, pt, &len));
    assert_memory_equal(pt, msg, sizeof msg);
    /* Wrong length */
    CK(T.f->C_DecryptInit(s, &p1, k));
    len = sizeof pt;
    assert_int_equal(T.f->C_Decrypt(s, ct, n - 1, pt, &len), CKR_ENCRYPTED_DATA_LEN_RANGE);
}

static void test_encrypt(void **state)
{
    (void)state;
    unsigned char ct[512], pt[512];
    CK_RSA_PKCS_OAEP_PARAMS op = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
    CK_MECHANISM m = {CKM_RSA_PKCS_OAEP, &op, sizeof op};
    CK(T.f->C_EncryptInit(s, &m, pub));
    CK_ULONG len = sizeof ct;
    CK(T.f->C_Encrypt(s, (CK_BYTE_PTR)msg, sizeof msg, ct, &len));
    assert_int_equal(len, 256);
    CK(T.f->C_DecryptInit(s, &m, k));
    CK_ULONG plen = sizeof pt;
    CK(T.f->C_Decrypt(s, ct, len, pt, &plen));
    assert_int_equal(plen, sizeof msg);
    assert_memory_equal(pt, msg, plen);
    /* Too long for OAEP SHA-1 with a 2048-bit key (max 214 bytes) */
    unsigned char big[215] = {0};
    CK(T.f->C_EncryptInit(s, &m, pub));
    len = sizeof ct;
    assert_int_equal(T.f->C_Encrypt(s, big, sizeof big, ct, &len), CKR_DATA_LEN_RANGE);
    CK(T.f->C_EncryptInit(s, &m, pub));
    len = sizeof ct;
    CK(T.f->C_Encrypt(s, big, 214, ct, &len));
    /* Bad OAEP parameters */
    op.hashAlg = 0x999;
    assert_int_equal(T.f->C_EncryptInit(s, &m, pub), CKR_MECHANISM_PARAM_INVALID);
    op.hashAlg = CKM_SHA256;
    op.source = 7;
    op.ulSourceDataLen = 2;
    op.pSourceData = "ab";
    assert_int_equal(T.f->C_DecryptInit(s, &m, k), CKR_MECHANISM_PARAM_INVALID);
    op.source = CKZ_DATA_SPECIFIED;
    op.pSourceData = NULL;
    assert_int_equal(T.f->C_DecryptInit(s, &m, k), CKR_MECHANISM_PARAM_INVALID);
    m.ulParameterLen = 4;
    assert_int_equal(T.f->C_DecryptInit(s, &m, k), CKR_MECHANISM_PARAM_INVALID);
}

/* Absurd lengths: no sum wraps around, no label is copied unbounded. The
 * buffers are small; a length check that wrapped would read far past them. */
static void test_absurd_lengths(void **state)
{
    (void)state;
    unsigned char ct[512], in[16] = {0};
    static const CK_ULONG lens[] = {(CK_ULONG)-1, (CK_ULONG)-5, (CK_ULONG)-11, (CK_ULONG)-40,
                                    (CK_ULONG)-42};
    CK_RSA_PKCS_OAEP_PARAMS op = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
    CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, &op, sizeof op}, p1 = {CKM_RSA_PKCS, NULL, 0};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        CK_ULONG len = sizeof ct;
        CK(T.f->C_EncryptInit(s, &p1, pub));
        assert_int_equal(T.f->C_Encrypt(s, in, lens[i], ct, &len), CKR_DATA_LEN_RANGE);
        len = sizeof ct;
        CK(T.f->C_EncryptInit(s, &oaep, pub));
        assert_int_equal(T.f->C_Encrypt(s, in, lens[i], ct, &len), CKR_DATA_LEN_RANGE);
        len = sizeof ct;
        CK(T.f->C_DecryptInit(s, &p1, k));
        assert_int_equal(T.f->C_Decrypt(s, in, lens[i], ct, &len), CKR_ENCRYPTED_DATA_LEN_RANGE);
    }
    /* An OAEP label longer than any use: refused before it is copied. */
    op.pSourceData = in;
    op.ulSourceDataLen = (CK_ULONG)1 << 40;
    assert_int_equal(T.f->C_EncryptInit(s, &oaep, pub), CKR_MECHANISM_PARAM_INVALID);
    op.ulSourceDataLen = (CK_ULONG)-1;
    assert_int_equal(T.f->C_DecryptInit(s, &oaep, k), CKR_MECHANISM_PARAM_INVALID);
    op.ulSourceDataLen = 64 * 1024 + 1;
    assert_int_equal(T.f->C_DecryptInit(s, &oaep, k), CKR_MECHANISM_PARAM_INVALID);
}

static int setup(void **state)
{
    if (p11t_group_setup(state) != 0)
        return -1;
    s = p11t_session(p11t_slot("dstack"), 0);
    k = p11t_find(s, CKO_PRIVATE_KEY, "rsa");
    pub = p11t_find(s, CKO_PUBLIC_KEY, "rsa");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decrypt),
        cmocka_unit_test(test_encrypt),
        cmocka_unit_test(test_absurd_lengths),
    };
    return cmocka_run_group_tests(tests, setup, p11t_group_teardown);
}
