/* sign.c and op.c: every signature mechanism for every key type, checked by
 * OpenSSL against the key's CKA_PUBLIC_KEY_INFO; C_Verify; multi-part; the
 * operation lifetime rules; the Ethereum wallet key. */
#include "p11test.h"

#include <pthread.h>
#include <string.h>

#include <openssl/sha.h>

static CK_SESSION_HANDLE s, es;

static const unsigned char msg[] = "the quick brown fox jumps over the lazy dog, 3 times";

static CK_OBJECT_HANDLE priv(const char *label)
{
    CK_OBJECT_HANDLE o = p11t_find(strcmp(label, "ssh") ? s : es, CKO_PRIVATE_KEY, label);
    assert_int_not_equal(o, 0);
    return o;
}

static CK_OBJECT_HANDLE pub(const char *label)
{
    CK_OBJECT_HANDLE o = p11t_find(strcmp(label, "ssh") ? s : es, CKO_PUBLIC_KEY, label);
    assert_int_not_equal(o, 0);
    return o;
}

static CK_SESSION_HANDLE sess(const char *label)
{
    return strcmp(label, "ssh") ? s : es;
}

/* One-call signing (as OpenSSH does), then two-call (as GnuTLS does). */
static size_t sign(const char *label, CK_MECHANISM *m, const unsigned char *in, size_t len,
                   unsigned char *sig, int two_calls)
{
    CK_SESSION_HANDLE h = sess(label);
    CK_ULONG n = 1024;
    CK(T.f->C_SignInit(h, m, priv(label)));
    if (two_calls) {
        CK(T.f->C_Sign(h, (CK_BYTE_PTR)in, len, NULL, &n));
        assert_true(n > 0 && n <= 1024);
    }
    CK(T.f->C_Sign(h, (CK_BYTE_PTR)in, len, sig, &n));
    return n;
}

static void verify_here(const char *label, CK_MECHANISM *m, const unsigned char *in, size_t len,
                        unsigned char *sig, size_t siglen)
{
    CK_SESSION_HANDLE h = sess(label);
    CK(T.f->C_VerifyInit(h, m, pub(label)));
    CK(T.f->C_Verify(h, (CK_BYTE_PTR)in, len, sig, siglen));
    sig[siglen / 2] ^= 1;
    CK(T.f->C_VerifyInit(h, m, pub(label)));
    assert_int_equal(T.f->C_Verify(h, (CK_BYTE_PTR)in, len, sig, siglen), CKR_SIGNATURE_INVALID);
    sig[siglen / 2] ^= 1;
    CK(T.f->C_VerifyInit(h, m, pub(label)));
    assert_int_equal(T.f->C_Verify(h, (CK_BYTE_PTR)in, len, sig, siglen - 1),
                     CKR_SIGNATURE_LEN_RANGE);
}

static void test_ecdsa(void **state)
{
    (void)state;
    static const struct {
        CK_MECHANISM_TYPE m;
        const char *md;
    } mechs[] = {
        {CKM_ECDSA_SHA1, "SHA1"},     {CKM_ECDSA_SHA224, "SHA224"}, {CKM_ECDSA_SHA256, "SHA256"},
        {CKM_ECDSA_SHA384, "SHA384"}, {CKM_ECDSA_SHA512, "SHA512"},
    };
    static const struct {
        const char *label;
        size_t siglen;
    } keys[] = {
        {"web", 64},
        {"p384", 96},
        {"wallet", 64},
    };
    unsigned char sig[1024];
    for (size_t k = 0; k < 3; k++) {
        EVP_PKEY *pk = p11t_pkey(s, pub(keys[k].label));
        for (size_t i = 0; i < 5; i++) {
            CK_MECHANISM m = {mechs[i].m, NULL, 0};
            const EVP_MD *md = EVP_get_digestbyname(mechs[i].md);
            size_t n = sign(keys[k].label, &m, msg, sizeof msg, sig, (int)(i & 1));
            assert_int_equal(n, keys[k].siglen); /* raw r||s, padded */
            assert_true(p11t_verify(pk, md, 0, -1, msg, sizeof msg, sig, n));
            verify_here(keys[k].label, &m, msg, sizeof msg, sig, n);
        }
        /* CKM_ECDSA over a digest */
        unsigned char dg[32];
        SHA256(msg, sizeof msg, dg);
        CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
        size_t n = sign(keys[k].label, &m, dg, sizeof dg, sig, 1);
        assert_int_equal(n, keys[k].siglen);
        assert_true(p11t_verify(pk, EVP_sha256(), 1, -1, dg, sizeof dg, sig, n));
        verify_here(keys[k].label, &m, dg, sizeof dg, sig, n);
        EVP_PKEY_free(pk);
    }
}

static void test_eddsa(void **state)
{
    (void)state;
    unsigned char sig[128];
    EVP_PKEY *pk = p11t_pkey(es, pub("ssh"));
    CK_MECHANISM m = {CKM_EDDSA, NULL, 0};
    size_t n = sign("ssh", &m, msg, sizeof msg, sig, 0);
    assert_int_equal(n, 64);
    assert_true(p11t_verify(pk, NULL, 0, -1, msg, sizeof msg, sig, n));
    verify_here("ssh", &m, msg, sizeof msg, sig, n);
    /* Multi-part: the module buffers the message. */
    CK(T.f->C_SignInit(es, &m, priv("ssh")));
    CK(T.f->C_SignUpdate(es, (CK_BYTE_PTR)msg, 10));
    CK(T.f->C_SignUpdate(es, (CK_BYTE_PTR)msg + 10, sizeof msg - 10));
    CK_ULONG len = sizeof sig;
    CK(T.f->C_SignFinal(es, sig, &len));
    assert_true(p11t_verify(pk, NULL, 0, -1, msg, sizeof msg, sig, len));
    CK(T.f->C_VerifyInit(es, &m, pub("ssh")));
    CK(T.f->C_VerifyUpdate(es, (CK_BYTE_PTR)msg, 5));
    CK(T.f->C_VerifyUpdate(es, (CK_BYTE_PTR)msg + 5, sizeof msg - 5));
    CK(T.f->C_VerifyFinal(es, sig, len));
    EVP_PKEY_free(pk);
}

static void test_rsa(void **state)
{
    (void)state;
    static const struct {
        CK_MECHANISM_TYPE m, hash;
        CK_RSA_PKCS_MGF_TYPE mgf;
        const char *md;
        int pss;
    } mechs[] = {
        {CKM_SHA1_RSA_PKCS, 0, 0, "SHA1", -1},
        {CKM_SHA224_RSA_PKCS, 0, 0, "SHA224", -1},
        {CKM_SHA256_RSA_PKCS, 0, 0, "SHA256", -1},
        {CKM_SHA384_RSA_PKCS, 0, 0, "SHA384", -1},
        {CKM_SHA512_RSA_PKCS, 0, 0, "SHA512", -1},
        {CKM_SHA1_RSA_PKCS_PSS, CKM_SHA_1, CKG_MGF1_SHA1, "SHA1", 20},
        {CKM_SHA224_RSA_PKCS_PSS, CKM_SHA224, CKG_MGF1_SHA224, "SHA224", 28},
        {CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, "SHA256", 32},
        {CKM_SHA384_RSA_PKCS_PSS, CKM_SHA384, CKG_MGF1_SHA384, "SHA384", 48},
        {CKM_SHA512_RSA_PKCS_PSS, CKM_SHA512, CKG_MGF1_SHA512, "SHA512", 64},
    };
    unsigned char sig[1024];
    EVP_PKEY *pk = p11t_pkey(s, pub("rsa"));
    for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++) {
        CK_RSA_PKCS_PSS_PARAMS pp = {mechs[i].hash, mechs[i].mgf, (CK_ULONG)mechs[i].pss};
        CK_MECHANISM m = {mechs[i].m, mechs[i].pss >= 0 ? &pp : NULL,
                          mechs[i].pss >= 0 ? sizeof pp : 0};
        const EVP_MD *md = EVP_get_digestbyname(mechs[i].md);
        size_t n = sign("rsa", &m, msg, sizeof msg, sig, (int)(i & 1));
        assert_int_equal(n, 256);
        assert_true(p11t_verify(pk, md, 0, mechs[i].pss, msg, sizeof msg, sig, n));
        verify_here("rsa", &m, msg, sizeof msg, sig, n);
        if (mechs[i].pss >= 0) {
            /* The same hash in the parameters as in the mechanism, or refused. */
            pp.hashAlg = mechs[i].hash == CKM_SHA256 ? CKM_SHA384 : CKM_SHA256;
            assert_int_equal(T.f->C_SignInit(s, &m, priv("rsa")), CKR_MECHANISM_PARAM_INVALID);
            pp.hashAlg = mechs[i].hash;
            pp.sLen = 1000;
            assert_int_equal(T.f->C_SignInit(s, &m, priv("rsa")), CKR_MECHANISM_PARAM_INVALID);
            pp.mgf = 0x77;
            pp.sLen = 0;
            assert_int_equal(T.f->C_SignInit(s, &m, priv("rsa")), CKR_MECHANISM_PARAM_INVALID);
            m.pParameter = NULL;
            m.ulParameterLen = 0;
            assert_int_equal(T.f->C_SignInit(s, &m, priv("rsa")), CKR_MECHANISM_PARAM_INVALID);
        }
    }
    /* Raw mechanisms over a digest: PSS, and PKCS#1 v1.5 with a DigestInfo. */
    unsigned char dg[32];
    SHA256(msg, sizeof msg, dg);
    CK_RSA_PKCS_PSS_PARAMS pp = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    CK_MECHANISM m = {CKM_RSA_PKCS_PSS, &pp, sizeof pp};
    size_t n = sign("rsa", &m, dg, sizeof dg, sig, 1);
    assert_true(p11t_verify(pk, EVP_sha256(), 1, 32, dg, sizeof dg, sig, n));
    verify_here("rsa", &m, dg, sizeof dg, sig, n);
    CK(T.f->C_SignInit(s, &m, priv("rsa")));
    CK_ULONG len = sizeof sig;
    assert_int_equal(T.f->C_Sign(s, dg, 31, sig, &len), CKR_DATA_LEN_RANGE);
    static const unsigned char prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                           0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                           0x01, 0x05, 0x00, 0x04, 0x20};
    unsigned char di[sizeof prefix + 32];
    memcpy(di, prefix, sizeof prefix);
    memcpy(di + sizeof prefix, dg, 32);
    CK_MECHANISM raw = {CKM_RSA_PKCS, NULL, 0};
    n = sign("rsa", &raw, di, sizeof di, sig, 0);
    assert_true(p11t_verify(pk, EVP_sha256(), 1, -1, dg, sizeof dg, sig, n));
    verify_here("rsa", &raw, di, sizeof di, sig, n);
    EVP_PKEY_free(pk);
    /* Absurd lengths: no sum wraps around (the buffer is small; a check that
     * wrapped would read far past it). */
    static const CK_ULONG lens[] = {(CK_ULONG)-1, (CK_ULONG)-5, (CK_ULONG)-11};
    CK_OBJECT_HANDLE rk = p11t_find(s, CKO_PRIVATE_KEY, "rsa");
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        CK_ULONG sl = sizeof sig;
        CK(T.f->C_SignInit(s, &raw, rk));
        assert_int_equal(T.f->C_Sign(s, di, lens[i], sig, &sl), CKR_DATA_LEN_RANGE);
    }
}

static void test_multipart(void **state)
{
    (void)state;
    unsigned char sig[512];
    EVP_PKEY *pk = p11t_pkey(s, pub("web"));
    CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
    CK(T.f->C_SignInit(s, &m, priv("web")));
    CK(T.f->C_SignUpdate(s, (CK_BYTE_PTR)msg, 7));
    CK(T.f->C_SignUpdate(s, NULL, 0));
    CK(T.f->C_SignUpdate(s, (CK_BYTE_PTR)msg + 7, sizeof msg - 7));
    CK_ULONG len = 0;
    CK(T.f->C_SignFinal(s, NULL, &len)); /* length query keeps it */
    assert_int_equal(len, 64);
    len = 3;
    assert_int_equal(T.f->C_SignFinal(s, sig, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 64);
    CK(T.f->C_SignFinal(s, sig, &len));
    assert_true(p11t_verify(pk, EVP_sha256(), 0, -1, msg, sizeof msg, sig, len));
    assert_int_equal(T.f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    CK(T.f->C_VerifyInit(s, &m, pub("web")));
    CK(T.f->C_VerifyUpdate(s, (CK_BYTE_PTR)msg, sizeof msg));
    CK(T.f->C_VerifyFinal(s, sig, len));
    CK(T.f->C_VerifyInit(s, &m, pub("web")));
    CK(T.f->C_VerifyUpdate(s, (CK_BYTE_PTR)msg, sizeof msg - 1));
    assert_int_equal(T.f->C_VerifyFinal(s, sig, len), CKR_SIGNATURE_INVALID);
    /* C_Sign cannot finish a multi-part operation; it ends it. */
    CK(T.f->C_SignInit(s, &m, priv("web")));
    CK(T.f->C_SignUpdate(s, (CK_BYTE_PTR)msg, 7));
    len = sizeof sig;
    assert_int_not_equal(T.f->C_Sign(s, (CK_BYTE_PTR)msg, 7, sig, &len), CKR_OK);
    assert_int_equal(T.f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    EVP_PKEY_free(pk);
}

static void test_lifetime(void **state)
{
    (void)state;
    unsigned char sig[128], dg[32] = {9};
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK_ULONG len = 0;
    CK(T.f->C_SignInit(s, &m, priv("web")));
    CK(T.f->C_Sign(s, dg, 32, NULL, &len)); /* length: still active */
    assert_int_equal(len, 64);
    assert_int_equal(T.f->C_SignInit(s, &m, priv("web")), CKR_OPERATION_ACTIVE);
    len = 63;
    assert_int_equal(T.f->C_Sign(s, dg, 32, sig, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 64);
    len = sizeof sig;
    CK(T.f->C_Sign(s, dg, 32, sig, &len)); /* success ends it */
    assert_int_equal(T.f->C_Sign(s, dg, 32, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    /* An error ends it too */
    CK(T.f->C_SignInit(s, &m, priv("web")));
    len = sizeof sig;
    assert_int_equal(T.f->C_Sign(s, dg, 0, sig, &len), CKR_DATA_LEN_RANGE);
    assert_int_equal(T.f->C_Sign(s, dg, 32, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    /* Verify always ends (sig is a valid signature of dg: spoil it) */
    sig[5] ^= 0x40;
    CK(T.f->C_VerifyInit(s, &m, pub("web")));
    assert_int_equal(T.f->C_Verify(s, dg, 32, sig, 64), CKR_SIGNATURE_INVALID);
    assert_int_equal(T.f->C_Verify(s, dg, 32, sig, 64), CKR_OPERATION_NOT_INITIALIZED);
    /* Sign and verify at once in one session are independent */
    CK(T.f->C_SignInit(s, &m, priv("web")));
    CK(T.f->C_VerifyInit(s, &m, pub("web")));
    len = sizeof sig;
    CK(T.f->C_Sign(s, dg, 32, sig, &len));
    CK(T.f->C_Verify(s, dg, 32, sig, len));
}

static void test_eth_wallet(void **state)
{
    (void)state;
    CK_ULONG len = 0;
    unsigned char *pt = p11t_attr(s, pub("wallet"), CKA_EC_POINT, &len);
    /* DER OCTET STRING around 04 || X || Y */
    assert_int_equal(len, 67);
    assert_int_equal(pt[0], 0x04);
    assert_int_equal(pt[1], 65);
    assert_int_equal(pt[2], 0x04);
    unsigned char h[32];
    p11t_keccak256(pt + 3, 64, h);
    free(pt);
    static const unsigned char want[20] = {0x3a, 0x9c, 0x91, 0xc6, 0xde, 0xb2, 0x55,
                                           0xd7, 0x96, 0x5b, 0x09, 0x91, 0x57, 0x6b,
                                           0x4a, 0x1c, 0x04, 0x38, 0xae, 0xa0};
    assert_memory_equal(h + 12, want, 20); /* 0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0 */
    /* The hasher is checked too: Keccak-256("") */
    p11t_keccak256(NULL, 0, h);
    assert_int_equal(h[0], 0xc5);
    assert_int_equal(h[31], 0x70);

    unsigned char dg[32], sig[64];
    p11t_keccak256(msg, sizeof msg, dg);
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    size_t n = sign("wallet", &m, dg, 32, sig, 0);
    assert_int_equal(n, 64);
    EVP_PKEY *pk = p11t_pkey(s, pub("wallet"));
    assert_true(p11t_verify(pk, NULL, 1, -1, dg, 32, sig, n));
    EVP_PKEY_free(pk);
}

/* Many threads, a session each, signing at once (as pkcs11-tool
 * --test-threads and the benchmarks do); every signature must verify. */
/* No cmocka assertion in threads: they would longjmp across stacks. */
static CK_OBJECT_HANDLE find_raw(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls, const char *label)
{
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, (void *)label, strlen(label)}};
    CK_OBJECT_HANDLE o = 0;
    CK_ULONG n = 0;
    if (T.f->C_FindObjectsInit(h, t, 2) != CKR_OK)
        return 0;
    T.f->C_FindObjects(h, &o, 1, &n);
    T.f->C_FindObjectsFinal(h);
    return n ? o : 0;
}

static CK_SLOT_ID slot_dstack, slot_ed;

static void *signer(void *arg)
{
    const char *label = arg;
    CK_SESSION_HANDLE h = 0;
    long bad = 0;
    int ed = !strcmp(label, "ssh");
    if (T.f->C_OpenSession(ed ? slot_ed : slot_dstack, CKF_SERIAL_SESSION, NULL, NULL, &h) !=
        CKR_OK)
        return (void *)1;
    CK_OBJECT_HANDLE k = find_raw(h, CKO_PRIVATE_KEY, label);
    CK_OBJECT_HANDLE pk = find_raw(h, CKO_PUBLIC_KEY, label);
    CK_MECHANISM m = {ed ? CKM_EDDSA : CKM_ECDSA_SHA256, NULL, 0};
    for (int i = 0; i < 20; i++) {
        unsigned char data[8] = {(unsigned char)i}, sig[128];
        CK_ULONG len = sizeof sig;
        if (T.f->C_SignInit(h, &m, k) != CKR_OK || T.f->C_Sign(h, data, 8, sig, &len) != CKR_OK ||
            T.f->C_VerifyInit(h, &m, pk) != CKR_OK || T.f->C_Verify(h, data, 8, sig, len) != CKR_OK)
            bad++;
    }
    if (T.f->C_CloseSession(h) != CKR_OK)
        bad++;
    return (void *)bad;
}

static void test_threads(void **state)
{
    (void)state;
    static const char *const labels[] = {"web", "wallet", "ssh", "p384", "web", "ssh"};
    pthread_t t[6];
    slot_dstack = p11t_slot("dstack");
    slot_ed = p11t_slot("dstack-ed25519");
    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&t[i], NULL, signer, (void *)labels[i]), 0);
    for (int i = 0; i < 6; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        assert_null(r);
    }
}

static int setup(void **state)
{
    if (p11t_group_setup(state) != 0)
        return -1;
    s = p11t_session(p11t_slot("dstack"), 0);
    es = p11t_session(p11t_slot("dstack-ed25519"), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdsa),    cmocka_unit_test(test_eddsa),
        cmocka_unit_test(test_rsa),      cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_lifetime), cmocka_unit_test(test_eth_wallet),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, p11t_group_teardown);
}
