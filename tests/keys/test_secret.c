/* keys/secret.c: secret memory is usable, zeroed, excluded from dumps where
 * we map it ourselves, and works through OpenSSL's secure heap when one is
 * initialised. */
#include "keytest.h"

#include <pthread.h>

#include <openssl/crypto.h>

static void fill_check(unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        assert_int_equal(p[i], 0);
    memset(p, 0xab, len);
    assert_int_equal(p[len - 1], 0xab);
}

/* The flags of the mapping that holds p, from /proc/self/smaps (VmFlags). */
static int mapping_has_flag(const void *p, const char *flag)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    int in = 0, found = 0;
    uintptr_t a = (uintptr_t)p;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        if (line[0] != 'V' && sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
            in = a >= lo && a < hi;
        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            found = strstr(line, flag) != NULL;
            break;
        }
    }
    fclose(f);
    return found;
}

static void test_own_pages(void **state)
{
    static const size_t sizes[] = {1, 32, 4095, 4096, 4097, 100000};
    (void)state;
    assert_false(CRYPTO_secure_malloc_initialized());
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = dsk_secret_alloc(sizes[i]);
        assert_non_null(p);
        fill_check(p, sizes[i]);
        /* "dd" = MADV_DONTDUMP in the kernel's VmFlags */
        assert_int_equal(mapping_has_flag(p, " dd"), 1);
        dsk_secret_free(p, sizes[i]);
    }
    dsk_secret_free(NULL, 10);
    void *z = dsk_secret_alloc(0);
    assert_non_null(z);
    dsk_secret_free(z, 0);
}

/* The mapping [lo, hi) that holds p, from /proc/self/maps. */
static int mapping_of(const void *p, uintptr_t *lo_out, uintptr_t *hi_out)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    uintptr_t a = (uintptr_t)p;
    int found = 0;
    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && a >= lo && a < hi) {
            *lo_out = lo;
            *hi_out = hi;
            found = 1;
        }
    }
    fclose(f);
    return found;
}

/* Small blocks come from one pool mapped once and reused: a freed slot is
 * handed out again (wiped), many live blocks share one mapping, and once
 * every slot is taken the next block gets pages of its own. */
static void test_pool_reuse(void **state)
{
    enum { N = 200 };
    static unsigned char *blocks[N];
    uintptr_t lo, hi, lo2, hi2;
    (void)state;
    unsigned char *a = dsk_secret_alloc(512);
    assert_non_null(a);
    memset(a, 0x5a, 512);
    dsk_secret_free(a, 512);
    unsigned char *b = dsk_secret_alloc(300);
    assert_ptr_equal(a, b); /* the same slot again: no new mapping */
    fill_check(b, 300);
    for (size_t i = 300; i < 512; i++)
        assert_int_equal(b[i], 0); /* the whole slot was wiped */
    assert_int_equal(mapping_has_flag(b, " dd"), 1);
    assert_true(mapping_of(b, &lo, &hi));
    dsk_secret_free(b, 300);

    size_t in_pool = 0;
    for (size_t i = 0; i < N; i++) {
        blocks[i] = dsk_secret_alloc(32);
        assert_non_null(blocks[i]);
        fill_check(blocks[i], 32);
        blocks[i][0] = (unsigned char)i;
        assert_int_equal(mapping_has_flag(blocks[i], " dd"), 1);
        if (mapping_of(blocks[i], &lo2, &hi2) && lo2 == lo && hi2 == hi)
            in_pool++;
    }
    assert_int_equal(in_pool, 128); /* every slot, then pages of their own */
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(blocks[i][0], (unsigned char)i); /* no slot handed out twice */
        dsk_secret_free(blocks[i], 32);
    }
    /* a block larger than a slot is never in the pool */
    unsigned char *big = dsk_secret_alloc(513);
    assert_true(mapping_of(big, &lo2, &hi2));
    assert_false(lo2 == lo && hi2 == hi);
    dsk_secret_free(big, 513);
}

/* Two threads taking and returning slots never get the same one. */
static void *churn(void *arg)
{
    unsigned char tag = (unsigned char)(uintptr_t)arg;
    for (int i = 0; i < 20000; i++) {
        unsigned char *p = dsk_secret_alloc(64);
        if (p == NULL || p[0] != 0)
            return (void *)1;
        memset(p, tag, 64);
        for (int k = 0; k < 64; k++)
            if (p[k] != tag)
                return (void *)1;
        dsk_secret_free(p, 64);
    }
    return NULL;
}

static void test_pool_threads(void **state)
{
    pthread_t t[2];
    void *r[2];
    (void)state;
    for (uintptr_t i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)(i + 1)), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], &r[i]), 0);
        assert_null(r[i]);
    }
}

static void test_secure_heap(void **state)
{
    (void)state;
    /* a block mapped before the secure heap exists is still freed correctly */
    unsigned char *before = dsk_secret_alloc(64);
    assert_non_null(before);
    assert_int_equal(CRYPTO_secure_malloc_init(1 << 16, 32), 1);
    unsigned char *p = dsk_secret_alloc(100);
    assert_non_null(p);
    assert_true(CRYPTO_secure_allocated(p));
    fill_check(p, 100);
    size_t used = CRYPTO_secure_used();
    assert_true(used >= 100);
    dsk_secret_free(p, 100);
    assert_true(CRYPTO_secure_used() < used);
    assert_false(CRYPTO_secure_allocated(before));
    dsk_secret_free(before, 64);
    CRYPTO_secure_malloc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_pages),
        cmocka_unit_test(test_pool_reuse),
        cmocka_unit_test(test_pool_threads),
        cmocka_unit_test(test_secure_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
