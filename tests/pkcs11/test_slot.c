/* slot.c and mech.c: tokens as configured, their identity (what RFC 7512
 * URIs match), and a truthful mechanism list. */
#include "p11test.h"

#include <string.h>

static void test_tokens(void **state)
{
    (void)state;
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8;
    CK(T.f->C_GetSlotList(CK_FALSE, slots, &n));
    assert_int_equal(n, 2);
    CK_ULONG np = 8;
    CK_SLOT_ID present[8];
    CK(T.f->C_GetSlotList(CK_TRUE, present, &np));
    assert_int_equal(np, 2);
    CK_TOKEN_INFO a, b;
    CK(T.f->C_GetTokenInfo(slots[0], &a));
    CK(T.f->C_GetTokenInfo(slots[1], &b));
    assert_memory_equal(a.label, "dstack                          ", 32);
    assert_memory_equal(b.label, "dstack-ed25519                  ", 32);
    assert_memory_equal(a.manufacturerID, "dstack                          ", 32);
    assert_memory_equal(a.model, "dstack-pkcs11   ", 16);
    /* Serial: 16 hex digits of SHA-256(label), distinct per token */
    unsigned char md[32];
    char hex[17];
    EVP_Digest("dstack", 6, md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    assert_memory_equal(a.serialNumber, hex, 16);
    assert_memory_not_equal(a.serialNumber, b.serialNumber, 16);
    CK_FLAGS want = CKF_RNG | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED;
    assert_int_equal(a.flags & want, want);
    assert_int_equal(a.flags & (CKF_LOGIN_REQUIRED | CKF_WRITE_PROTECTED), 0);
    CK_SLOT_INFO si;
    CK(T.f->C_GetSlotInfo(slots[0], &si));
    assert_int_equal(si.flags & CKF_TOKEN_PRESENT, CKF_TOKEN_PRESENT);
    assert_int_equal(si.flags & CKF_REMOVABLE_DEVICE, 0);
}

static void test_token_of_its_own(void **state)
{
    (void)state;
    CK(T.f->C_Finalize(NULL));
    p11t_teardown();
    /* A renamed default token, a key with token = ..., and an Ed25519 key
     * placed in the default token on purpose. */
    assert_int_equal(p11t_setup("label = vault\n", "[key a]\ntype = ec-p256\n"
                                                   "[key b]\ntype = ec-p256\ntoken = backup\n"
                                                   "[key e]\ntype = ed25519\ntoken = vault\n"
                                                   "[key f]\ntype = ed25519\n"),
                     0);
    CK(T.f->C_Initialize(NULL));
    CK_ULONG n = 0;
    CK(T.f->C_GetSlotList(CK_TRUE, NULL, &n));
    assert_int_equal(n, 3);
    CK_SESSION_HANDLE v = p11t_session(p11t_slot("vault"), 0);
    CK_SESSION_HANDLE bk = p11t_session(p11t_slot("backup"), 0);
    CK_SESSION_HANDLE ed = p11t_session(p11t_slot("vault-ed25519"), 0);
    assert_int_not_equal(p11t_find(v, CKO_PRIVATE_KEY, "a"), 0);
    assert_int_not_equal(p11t_find(v, CKO_PRIVATE_KEY, "e"), 0);
    assert_int_not_equal(p11t_find(bk, CKO_PRIVATE_KEY, "b"), 0);
    assert_int_not_equal(p11t_find(ed, CKO_PRIVATE_KEY, "f"), 0);
    assert_int_equal(p11t_find(v, CKO_PRIVATE_KEY, "b"), 0);
}

static void test_mechanisms(void **state)
{
    (void)state;
    CK_SLOT_ID slot = p11t_slot("vault");
    CK_MECHANISM_TYPE list[64];
    CK_ULONG n = 64;
    CK(T.f->C_GetMechanismList(slot, list, &n));
    static const CK_MECHANISM_TYPE must[] = {
        CKM_ECDSA,
        CKM_ECDSA_SHA1,
        CKM_ECDSA_SHA224,
        CKM_ECDSA_SHA256,
        CKM_ECDSA_SHA384,
        CKM_ECDSA_SHA512,
        CKM_EDDSA,
        CKM_RSA_PKCS,
        CKM_RSA_PKCS_PSS,
        CKM_SHA1_RSA_PKCS,
        CKM_SHA256_RSA_PKCS,
        CKM_SHA512_RSA_PKCS_PSS,
        CKM_RSA_PKCS_OAEP,
        CKM_ECDH1_DERIVE,
        CKM_EC_KEY_PAIR_GEN,
        CKM_EC_EDWARDS_KEY_PAIR_GEN,
        CKM_RSA_PKCS_KEY_PAIR_GEN,
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        int found = 0;
        for (CK_ULONG k = 0; k < n; k++)
            found |= list[k] == must[i];
        assert_true(found);
    }
    for (CK_ULONG k = 0; k < n; k++) {
        /* No digests, and every listed mechanism has its info */
        assert_int_not_equal(list[k], CKM_SHA256);
        assert_int_not_equal(list[k], CKM_SHA_1);
        CK_MECHANISM_INFO mi;
        CK(T.f->C_GetMechanismInfo(slot, list[k], &mi));
        assert_int_not_equal(mi.flags, 0);
        assert_true(mi.ulMinKeySize <= mi.ulMaxKeySize);
        assert_int_equal(mi.flags & CKF_DIGEST, 0);
    }
    CK_MECHANISM_INFO mi;
    CK(T.f->C_GetMechanismInfo(slot, CKM_RSA_PKCS, &mi));
    assert_int_equal(mi.flags & (CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT),
                     CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT);
    assert_int_equal(mi.ulMinKeySize, 2048);
    assert_int_equal(mi.ulMaxKeySize, 4096);
    CK(T.f->C_GetMechanismInfo(slot, CKM_ECDH1_DERIVE, &mi));
    assert_int_equal(mi.flags & CKF_DERIVE, CKF_DERIVE);
    CK(T.f->C_GetMechanismInfo(slot, CKM_ECDSA, &mi));
    assert_int_equal(mi.flags & (CKF_SIGN | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS),
                     CKF_SIGN | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS);
    assert_int_equal(mi.flags & CKF_DECRYPT, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_token_of_its_own),
        cmocka_unit_test(test_mechanisms),
    };
    return cmocka_run_group_tests(tests, p11t_group_setup, p11t_group_teardown);
}
