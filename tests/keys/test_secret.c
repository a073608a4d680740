/* keys/secret.c: secret memory is usable, zeroed, excluded from dumps where
 * we map it ourselves, and works through OpenSSL's secure heap when one is
 * initialised. */
#include "keytest.h"

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
        cmocka_unit_test(test_secure_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
