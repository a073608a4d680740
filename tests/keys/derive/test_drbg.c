/* HMAC_DRBG against NIST CAVP known answers (HMAC_DRBG.rsp, no reseed,
 * [SHA-256], no additional input: the second 1024-bit output is compared). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include <openssl/provider.h>

#include "drbg.h"
#include "hex.h"

typedef struct cavp {
    const char *entropy, *nonce, *pers, *returned;
} cavp;

static const cavp vectors[] = {
    {"ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488",
     "659ba96c601dc69fc902940805ec0ca8", "",
     "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2"
     "460"
     "b6f73ebad0dc2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0"
     "668"
     "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8"},
    {"79737479ba4e7642a221fcfd1b820b134e9e3540a35bb48ffae29c20f5418ea3",
     "3593259c092bef4129bc2c6c9e19f343", "",
     "cf5ad5984f9e43917aa9087380dac46e410ddc8a7731859c84e9d0f31bd43655b924159413e2293b17610f211e09f"
     "770"
     "f172b8fb693a35b85d3b9e5e63b1dc252ac0e115002e9bedfb4b5b6fd43f33b8e0eafb2d072e1a6fee1f159df9b51"
     "e6c"
     "8da737e60d5032dd30544ec51558c6f080bdbdab1de8a939e961e06b5f1aca37"},
    {"5cacc68165a2e2ee20812f35ec73a79dbf30fd475476ac0c44fc6174cdac2b55",
     "6f885496c1e63af620becd9e71ecb824",
     "e72dd8590d4ed5295515c35ed6199e9d211b8f069b3058caa6670b96ef1208d0",
     "f1012cf543f94533df27fedfbf58e5b79a3dc517a9c402bdbfc9a0c0f721f9d53faf4aafdc4b8f7a1b580fcaa5233"
     "8d4"
     "bd95f58966a243cdcd3f446ed4bc546d9f607b190dd69954450d16cd0e2d6437067d8b44d19a6af7a7cfa8794e5fb"
     "d72"
     "8e8fb2f2e8db5dd4ff1aa275f35886098e80ff844886060da8b1e7137846b23b"},
};

static size_t seed_of(const cavp *v, unsigned char *seed, size_t max)
{
    long a = dsk_hex_decode(v->entropy, strlen(v->entropy), seed, max);
    long b = dsk_hex_decode(v->nonce, strlen(v->nonce), seed + a, max - (size_t)a);
    long c = dsk_hex_decode(v->pers, strlen(v->pers), seed + a + b, max - (size_t)(a + b));

    assert_true(a > 0 && b > 0 && c >= 0);
    return (size_t)(a + b + c);
}

static void test_cavp(void **state)
{
    OSSL_LIB_CTX *libctx = *state;

    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        unsigned char seed[96], out[128], want[128];
        size_t n = seed_of(&vectors[i], seed, sizeof seed);
        dsk_drbg d;

        assert_int_equal(dsk_hex_decode(vectors[i].returned, 256, want, sizeof want), 128);
        assert_int_equal(dsk_drbg_init(&d, libctx, seed, n, NULL), DSK_OK);
        assert_int_equal(dsk_drbg_generate(&d, out, sizeof out, NULL), DSK_OK);
        assert_memory_not_equal(out, want, sizeof out);
        assert_int_equal(dsk_drbg_generate(&d, out, sizeof out, NULL), DSK_OK);
        assert_memory_equal(out, want, sizeof out);
        dsk_drbg_free(&d);
    }
}

/* A request returns the leftmost bytes of the stream of V blocks, whatever
 * its length: 40 bytes are the start of what 64 bytes would have been. */
static void test_short_request_is_prefix(void **state)
{
    OSSL_LIB_CTX *libctx = *state;
    unsigned char seed[48], a[64], b[40], c[64], d2[64];
    dsk_drbg x, y;

    memset(seed, 0x5a, sizeof seed);
    assert_int_equal(dsk_drbg_init(&x, libctx, seed, sizeof seed, NULL), DSK_OK);
    assert_int_equal(dsk_drbg_init(&y, libctx, seed, sizeof seed, NULL), DSK_OK);
    assert_int_equal(dsk_drbg_generate(&x, a, sizeof a, NULL), DSK_OK);
    assert_int_equal(dsk_drbg_generate(&y, b, sizeof b, NULL), DSK_OK);
    assert_memory_equal(a, b, sizeof b);
    /* The update after each request makes the next output independent of
     * the request length. */
    assert_int_equal(dsk_drbg_generate(&x, c, sizeof c, NULL), DSK_OK);
    assert_int_equal(dsk_drbg_generate(&y, d2, sizeof d2, NULL), DSK_OK);
    assert_memory_equal(c, d2, sizeof c);
    assert_memory_not_equal(a, c, sizeof c);
    dsk_drbg_free(&x);
    dsk_drbg_free(&y);
}

static void test_limits_and_free(void **state)
{
    OSSL_LIB_CTX *libctx = *state;
    unsigned char seed[48] = {0}, out[16];
    static unsigned char big[65537];
    dsk_drbg d;
    dsk_error err = {0};

    assert_int_equal(dsk_drbg_init(&d, libctx, seed, sizeof seed, NULL), DSK_OK);
    assert_int_equal(dsk_drbg_generate(&d, big, 65536, NULL), DSK_OK);
    assert_int_equal(dsk_drbg_generate(&d, big, sizeof big, &err), DSK_E_ARGS);
    assert_non_null(strstr(err.msg, "65537"));
    assert_int_equal(dsk_drbg_generate(&d, out, 0, NULL), DSK_OK);
    dsk_drbg_free(&d);
    for (size_t i = 0; i < sizeof d.k; i++)
        assert_int_equal(d.k[i] | d.v[i], 0);
    assert_null(d.mac);
    assert_int_equal(dsk_drbg_generate(&d, out, sizeof out, NULL), DSK_E_ARGS);
    dsk_drbg_free(&d);
    dsk_drbg_free(NULL);
}

/* The provider reference is kept so that teardown can release it:
 * OSSL_LIB_CTX_free alone leaves it allocated. */
static OSSL_PROVIDER *default_provider;

static int setup(void **state)
{
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();

    if (libctx == NULL || (default_provider = OSSL_PROVIDER_load(libctx, "default")) == NULL)
        return -1;
    *state = libctx;
    return 0;
}

static int teardown(void **state)
{
    OSSL_PROVIDER_unload(default_provider);
    OSSL_LIB_CTX_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cavp),
        cmocka_unit_test(test_short_request_is_prefix),
        cmocka_unit_test(test_limits_and_free),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
