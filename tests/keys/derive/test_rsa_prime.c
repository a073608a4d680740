/* The prime search of contract v1 on its own: what it accepts, and that the
 * distance rule really moves the search on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/provider.h>

#include "derive_internal.h"
#include "drbg.h"

typedef struct fixture {
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov;
    BN_CTX *bnctx;
} fixture;

static void seeded(fixture *fx, unsigned char tag, dsk_drbg *d)
{
    unsigned char seed[48];

    memset(seed, tag, sizeof seed);
    assert_int_equal(dsk_drbg_init(d, fx->libctx, seed, sizeof seed, NULL), DSK_OK);
}

/* Every accepted value has exactly `bits` bits with the top two set, is odd,
 * prime, and p - 1 is coprime to 65537. */
static void check_prime_shape(fixture *fx, const BIGNUM *p, int bits)
{
    assert_int_equal(BN_num_bits(p), bits);
    assert_true(BN_is_bit_set(p, bits - 2));
    assert_true(BN_is_odd(p));
    assert_int_equal(BN_check_prime(p, fx->bnctx, NULL), 1);
    assert_int_not_equal(BN_mod_word(p, 65537), 1);
    for (BN_ULONG r = 3; r < 2048; r += 2)
        if (BN_mod_word(p, r) == 0)
            fail_msg("accepted value divisible by %lu", (unsigned long)r);
}

static void test_accepts_primes_of_the_right_shape(void **state)
{
    fixture *fx = *state;
    int sizes[] = {1024, 1536};

    for (size_t i = 0; i < 2; i++) {
        for (unsigned char tag = 1; tag <= 2 - (int)i; tag++) {
            dsk_drbg d;
            BIGNUM *p = BN_new(), *q = BN_new();

            seeded(fx, tag, &d);
            assert_int_equal(dsk_derive_find_prime(&d, sizes[i], NULL, p, fx->bnctx, NULL), DSK_OK);
            assert_int_equal(dsk_derive_find_prime(&d, sizes[i], p, q, fx->bnctx, NULL), DSK_OK);
            check_prime_shape(fx, p, sizes[i]);
            check_prime_shape(fx, q, sizes[i]);
            assert_int_not_equal(BN_cmp(p, q), 0);
            BN_free(p);
            BN_free(q);
            dsk_drbg_free(&d);
        }
    }
}

/* Same seed twice: the same prime. Same seed with `other` equal to that
 * prime: the first acceptable candidate is now too close (distance 0), so
 * the search continues to a different prime. */
static void test_deterministic_and_distance_rule(void **state)
{
    fixture *fx = *state;
    dsk_drbg a, b, c;
    BIGNUM *p1 = BN_new(), *p2 = BN_new(), *p3 = BN_new();

    seeded(fx, 9, &a);
    seeded(fx, 9, &b);
    seeded(fx, 9, &c);
    assert_int_equal(dsk_derive_find_prime(&a, 1024, NULL, p1, fx->bnctx, NULL), DSK_OK);
    assert_int_equal(dsk_derive_find_prime(&b, 1024, NULL, p2, fx->bnctx, NULL), DSK_OK);
    assert_int_equal(BN_cmp(p1, p2), 0);
    assert_int_equal(dsk_derive_find_prime(&c, 1024, p1, p3, fx->bnctx, NULL), DSK_OK);
    assert_int_not_equal(BN_cmp(p1, p3), 0);
    check_prime_shape(fx, p3, 1024);
    BN_free(p1);
    BN_free(p2);
    BN_free(p3);
    dsk_drbg_free(&a);
    dsk_drbg_free(&b);
    dsk_drbg_free(&c);
}

static void test_broken_drbg_is_an_error(void **state)
{
    fixture *fx = *state;
    dsk_drbg d;
    BIGNUM *p = BN_new();
    dsk_error err = {0};

    seeded(fx, 4, &d);
    dsk_drbg_free(&d); /* a freed DRBG refuses to generate */
    assert_int_not_equal(dsk_derive_find_prime(&d, 1024, NULL, p, fx->bnctx, &err), DSK_OK);
    assert_true(err.msg[0] != '\0');
    BN_free(p);
}

static int setup(void **state)
{
    static fixture fx;

    fx.libctx = OSSL_LIB_CTX_new();
    if (fx.libctx == NULL || (fx.prov = OSSL_PROVIDER_load(fx.libctx, "default")) == NULL)
        return -1;
    fx.bnctx = BN_CTX_new_ex(fx.libctx);
    *state = &fx;
    return fx.bnctx == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;

    BN_CTX_free(fx->bnctx);
    OSSL_PROVIDER_unload(fx->prov);
    OSSL_LIB_CTX_free(fx->libctx);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_primes_of_the_right_shape),
        cmocka_unit_test(test_deterministic_and_distance_rule),
        cmocka_unit_test(test_broken_drbg_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
