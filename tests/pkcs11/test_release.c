/* object.c, keygen.c, pubkey.c (issue 13 item 6): C_DestroyObject of a
 * generated key pair or of a C_CreateObject public key releases its entry
 * in the key store, and an entry still in use by an operation or by
 * another object (a copy) stays until that use ends.
 *
 * Unlike the other pkcs11 tests this one links the module's sources (as the
 * fuzz target does) so that it can read the size of the module's key store;
 * it drives the module only through its function list, against a real
 * simulator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "../../keys/internal.h"
#include "../../pkcs11/internal.h"
#include "simproc.h"

#define CK(call) assert_int_equal((call), CKR_OK)

static CK_FUNCTION_LIST_PTR f;
static dsk_test_sim sim;
static char conf_path[400];

static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

static int setup(void **state)
{
    (void)state;
    if (dsk_test_sim_start(&sim, NULL) != 0)
        return -1;
    snprintf(conf_path, sizeof conf_path, "%s/p11.conf", sim.dir);
    FILE *fp = fopen(conf_path, "w");
    if (!fp)
        return -1;
    fprintf(fp, "[token]\nendpoint = %s\nlog_level = none\n\n[key web]\ntype = ec-p256\n",
            sim.sock);
    fclose(fp);
    setenv("DSTACK_PKCS11_CONF", conf_path, 1);
    if (C_GetFunctionList(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    f->C_Finalize(NULL);
    unlink(conf_path);
    return dsk_test_sim_stop(&sim) == 0 ? 0 : -1;
}

/* Entries in the module's key store: labelled keys, public-only keys and
 * derived materials. */
static size_t store_size(void)
{
    size_t n = dsk_p11.ks->nkeys + dsk_p11.ks->npubkeys;
    for (const dsk_keymat *m = dsk_p11.ks->mats; m != NULL; m = m->next)
        n++;
    return n;
}

static CK_SESSION_HANDLE session(void)
{
    CK_SLOT_ID slots[4];
    CK_ULONG n = 4;
    CK_SESSION_HANDLE s;
    CK(f->C_GetSlotList(CK_TRUE, slots, &n));
    assert_true(n >= 1);
    CK(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
    return s;
}

static void generate(CK_SESSION_HANDLE s, const char *label, CK_OBJECT_HANDLE *hpub,
                     CK_OBJECT_HANDLE *hpriv)
{
    CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE pub[] = {{CKA_VERIFY, &yes, 1}, {CKA_EC_PARAMS, (void *)p256, sizeof p256}};
    CK_ATTRIBUTE priv[] = {{CKA_LABEL, (void *)label, strlen(label)}, {CKA_SIGN, &yes, 1}};
    CK(f->C_GenerateKeyPair(s, &m, pub, 2, priv, 2, hpub, hpriv));
}

static void sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k)
{
    CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
    unsigned char sig[64];
    CK_ULONG sl = sizeof sig;
    CK(f->C_SignInit(s, &m, k));
    CK(f->C_Sign(s, (CK_BYTE_PTR) "data", 4, sig, &sl));
}

/* A fresh P-256 public key made by OpenSSL, as a C_CreateObject template. */
static CK_OBJECT_HANDLE import_public(CK_SESSION_HANDLE s)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    unsigned char pt[65], der[67];
    size_t ptlen = 0;
    assert_non_null(pk);
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &ptlen), 1);
    assert_int_equal(ptlen, 65);
    EVP_PKEY_free(pk);
    der[0] = 0x04;
    der[1] = 65;
    memcpy(der + 2, pt, 65);
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls},
                        {CKA_KEY_TYPE, &kt, sizeof kt},
                        {CKA_EC_PARAMS, (void *)p256, sizeof p256},
                        {CKA_EC_POINT, der, sizeof der}};
    CK_OBJECT_HANDLE h;
    CK(f->C_CreateObject(s, t, 4, &h));
    return h;
}

static void test_generate_destroy_is_bounded(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = session();
    CK_OBJECT_HANDLE pub, priv;
    char label[32];
    size_t base = store_size();
    for (int i = 0; i < 20; i++) {
        snprintf(label, sizeof label, "cycle-%d", i);
        generate(s, label, &pub, &priv);
        assert_true(store_size() > base);
        sign(s, priv);
        CK(f->C_DestroyObject(s, priv));
        CK(f->C_DestroyObject(s, pub));
        assert_int_equal(store_size(), base);
    }
    for (int i = 0; i < 20; i++) {
        CK_OBJECT_HANDLE h = import_public(s);
        assert_true(store_size() > base);
        CK(f->C_DestroyObject(s, h));
        assert_int_equal(store_size(), base);
    }
    /* session objects go with their session, and release their keys too */
    generate(s, "closed-with-session", &pub, &priv);
    (void)import_public(s);
    CK(f->C_CloseSession(s));
    assert_int_equal(store_size(), base);
}

static void test_in_use_stays(void **state)
{
    (void)state;
    CK_SESSION_HANDLE s = session(), s2 = session();
    CK_OBJECT_HANDLE pub, priv, copy;
    size_t base = store_size();

    /* an operation in another session keeps the key until it ends */
    generate(s, "busy", &pub, &priv);
    size_t with = store_size();
    CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
    CK(f->C_SignInit(s2, &m, priv));
    CK(f->C_DestroyObject(s, priv));
    CK(f->C_DestroyObject(s, pub));
    assert_int_equal(store_size(), with);
    unsigned char sig[64];
    CK_ULONG sl = sizeof sig;
    CK(f->C_Sign(s2, (CK_BYTE_PTR) "data", 4, sig, &sl));
    assert_int_equal(store_size(), base);

    /* a copy keeps it; the same label made again meanwhile is the same entry */
    generate(s, "copied", &pub, &priv);
    with = store_size();
    CK(f->C_CopyObject(s, priv, NULL, 0, &copy));
    CK(f->C_DestroyObject(s, priv));
    CK(f->C_DestroyObject(s, pub));
    assert_int_equal(store_size(), with);
    generate(s, "copied", &pub, &priv);
    assert_int_equal(store_size(), with);
    CK(f->C_DestroyObject(s, priv));
    CK(f->C_DestroyObject(s, pub));
    sign(s, copy);
    CK(f->C_DestroyObject(s, copy));
    assert_int_equal(store_size(), base);

    /* C_SetAttributeValue works on a copy of the object: no reference lost */
    generate(s, "relabelled", &pub, &priv);
    CK_ATTRIBUTE lab = {CKA_LABEL, "other", 5};
    CK(f->C_SetAttributeValue(s, priv, &lab, 1));
    sign(s, priv);
    CK(f->C_DestroyObject(s, priv));
    CK(f->C_DestroyObject(s, pub));
    assert_int_equal(store_size(), base);

    /* configured keys are never released */
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, "web", 3}};
    CK_OBJECT_HANDLE web;
    CK_ULONG n = 0;
    CK(f->C_FindObjectsInit(s, t, 2));
    CK(f->C_FindObjects(s, &web, 1, &n));
    CK(f->C_FindObjectsFinal(s));
    assert_int_equal(n, 1);
    CK(f->C_CopyObject(s, web, NULL, 0, &copy));
    CK(f->C_DestroyObject(s, copy));
    sign(s, web);
    assert_int_equal(store_size(), base);
    CK(f->C_CloseSession(s));
    CK(f->C_CloseSession(s2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_destroy_is_bounded),
        cmocka_unit_test(test_in_use_stays),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
