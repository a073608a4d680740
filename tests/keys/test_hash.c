/* keys/hash.c: multi-part hashing equals OpenSSL's one-shot digests, copies
 * are independent, random bytes come out. */
#include "keytest.h"

#include <pthread.h>

static void test_matches_default(void **state)
{
    static const dsk_hash all[] = {DSK_HASH_SHA1, DSK_HASH_SHA224, DSK_HASH_SHA256, DSK_HASH_SHA384,
                                   DSK_HASH_SHA512};
    unsigned char msg[1000];
    (void)state;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i ^ (i >> 3));
    for (size_t i = 0; i < 5; i++) {
        unsigned char want[64], got[64], got2[64];
        dsk_hash_ctx *c = NULL, *d = NULL;
        size_t n = dsk_hash_size(all[i]);
        assert_int_equal(EVP_Digest(msg, sizeof msg, want, NULL,
                                    EVP_get_digestbyname(dsk_hash_name(all[i])), NULL),
                         1);
        assert_int_equal(dsk_hash_new(all[i], &c, NULL), DSK_OK);
        assert_int_equal(dsk_hash_update(c, msg, 1, NULL), DSK_OK);
        assert_int_equal(dsk_hash_update(c, NULL, 0, NULL), DSK_OK);
        assert_int_equal(dsk_hash_update(c, msg + 1, 500, NULL), DSK_OK);
        /* a copy finishes the same message independently */
        assert_int_equal(dsk_hash_dup(c, &d, NULL), DSK_OK);
        assert_int_equal(dsk_hash_update(c, msg + 501, sizeof msg - 501, NULL), DSK_OK);
        assert_int_equal(dsk_hash_final(c, got, NULL), DSK_OK);
        assert_memory_equal(got, want, n);
        assert_int_equal(dsk_hash_update(d, msg + 501, sizeof msg - 501, NULL), DSK_OK);
        assert_int_equal(dsk_hash_final(d, got2, NULL), DSK_OK);
        assert_memory_equal(got2, want, n);
        dsk_hash_free(c);
        dsk_hash_free(d);
    }
}

static void test_bad_args(void **state)
{
    dsk_hash_ctx *c = (dsk_hash_ctx *)1;
    dsk_error e = {0};
    unsigned char out[64];
    (void)state;
    assert_int_equal(dsk_hash_new(DSK_HASH_NONE, &c, &e), DSK_E_UNSUPPORTED);
    assert_null(c);
    assert_int_equal(dsk_hash_new((dsk_hash)40, &c, &e), DSK_E_UNSUPPORTED);
    assert_int_equal(dsk_hash_new(DSK_HASH_SHA256, NULL, &e), DSK_E_ARGS);
    assert_int_equal(dsk_hash_update(NULL, out, 1, &e), DSK_E_ARGS);
    assert_int_equal(dsk_hash_final(NULL, out, &e), DSK_E_ARGS);
    assert_int_equal(dsk_hash_dup(NULL, &c, &e), DSK_E_ARGS);
    dsk_hash_free(NULL);
}

static void *hash_many(void *arg)
{
    int *ok = arg;
    unsigned char want[32], got[32];
    EVP_Digest("x", 1, want, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 500; i++) {
        dsk_hash_ctx *c = NULL;
        if (dsk_hash_new(DSK_HASH_SHA256, &c, NULL) != DSK_OK)
            return NULL;
        dsk_hash_update(c, (const unsigned char *)"x", 1, NULL);
        dsk_hash_final(c, got, NULL);
        dsk_hash_free(c);
        if (memcmp(got, want, 32) == 0)
            (*ok)++;
    }
    return NULL;
}

/* The digest cache is filled once even when first use is concurrent. */
static void test_threads(void **state)
{
    pthread_t t[4];
    int ok[4] = {0};
    (void)state;
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hash_many, &ok[i]);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(ok[i], 500);
    }
}

static void test_random(void **state)
{
    unsigned char a[64] = {0}, b[64] = {0}, zero[64] = {0};
    (void)state;
    assert_int_equal(dsk_random(a, sizeof a, NULL), DSK_OK);
    assert_int_equal(dsk_random(b, sizeof b, NULL), DSK_OK);
    assert_memory_not_equal(a, zero, 64);
    assert_memory_not_equal(a, b, 64);
    assert_int_equal(dsk_random(NULL, 0, NULL), DSK_OK);
    assert_int_equal(dsk_random(NULL, 5, NULL), DSK_E_ARGS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads), /* first: the cache is filled under contention */
        cmocka_unit_test(test_matches_default),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
