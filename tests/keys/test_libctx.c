/* keys/libctx.c: a private library context with the default provider only,
 * the same for every thread, and untouched by the application's openssl.cnf
 * (which here names a provider that cannot load: were our context to read
 * it, nothing would work). */
#include "keytest.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/provider.h>

static char conf_path[64];

static void *get_ctx(void *arg)
{
    *(OSSL_LIB_CTX **)arg = dsk_keys_libctx();
    return NULL;
}

static void test_private_and_shared(void **state)
{
    pthread_t t[4];
    OSSL_LIB_CTX *got[4];
    (void)state;
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, get_ctx, &got[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_non_null(got[0]);
    for (int i = 1; i < 4; i++)
        assert_ptr_equal(got[i], got[0]);
    assert_ptr_not_equal(got[0], OSSL_LIB_CTX_get0_global_default());
    assert_ptr_equal(dsk_keys_libctx(), got[0]);
    /* only the shield: the default provider's algorithms, re-exported
     * (keys/shield.c), from a second private context */
    assert_int_equal(OSSL_PROVIDER_available(got[0], "dsk-shield"), 1);
    assert_int_equal(OSSL_PROVIDER_available(got[0], "default"), 0);
    assert_int_equal(OSSL_PROVIDER_available(got[0], "legacy"), 0);
    assert_int_equal(OSSL_PROVIDER_available(got[0], "broken"), 0);
}

static void test_works_despite_config(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_desc d = {.label = "web", .type = DSK_KEY_EC_P256};
    dsk_key *k = NULL;
    dsk_sign_params p = {.scheme = DSK_SIG_ECDSA};
    unsigned char m[32] = {42}, h[32] = {1}, sig[64];
    size_t sl = sizeof sig;
    (void)state;
    /* the application's default context did read the file, and is unusable */
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    assert_null(md);
    /* ours is not affected */
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    assert_int_equal(dsk_key_derive_from_material(k, m, NULL), DSK_OK);
    assert_int_equal(dsk_key_sign(k, &p, h, 32, sig, &sl, NULL), DSK_OK);
    assert_int_equal(dsk_key_verify(k, &p, h, 32, sig, sl, NULL), DSK_OK);
    dsk_keystore_free(ks);
}

static void test_keys_live_in_private_ctx(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_desc d = {.label = "ed", .type = DSK_KEY_ED25519};
    dsk_key *k = NULL;
    unsigned char m[32] = {7};
    (void)state;
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    assert_int_equal(dsk_key_derive_from_material(k, m, NULL), DSK_OK);
    /* our key's provider is the shield of OUR context, its type named by
     * OID first (no legacy NID: no ENGINE lookup) */
    const OSSL_PROVIDER *prov = EVP_PKEY_get0_provider(k->mat->pkey);
    assert_non_null(prov);
    assert_string_equal(OSSL_PROVIDER_get0_name(prov), "dsk-shield");
    assert_string_equal(EVP_PKEY_get0_type_name(k->mat->pkey), "1.3.101.112");
    assert_true(EVP_PKEY_is_a(k->mat->pkey, "ED25519"));
    EVP_PKEY_CTX *ctx = dsk_key_pkey_ctx(k);
    assert_non_null(ctx);
    EVP_PKEY_CTX_free(ctx);
    dsk_keystore_free(ks);
}

int main(void)
{
    /* Before any OpenSSL call: a config that activates an unloadable provider. */
    snprintf(conf_path, sizeof conf_path, "/tmp/dsk-keys-libctx-%d.cnf", (int)getpid());
    FILE *f = fopen(conf_path, "w");
    if (f == NULL)
        return 1;
    fputs("openssl_conf = init\n[init]\nproviders = provs\n[provs]\nbroken = broken_sect\n"
          "[broken_sect]\nmodule = /nonexistent/broken.so\nactivate = 1\n",
          f);
    fclose(f);
    setenv("OPENSSL_CONF", conf_path, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_private_and_shared),
        cmocka_unit_test(test_works_despite_config),
        cmocka_unit_test(test_keys_live_in_private_ctx),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(conf_path);
    return r;
}
