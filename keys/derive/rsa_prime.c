/* The deterministic prime search of contract v1 (docs/derivation.md, "RSA").
 * Every DRBG draw is part of the contract: a draw added, skipped or resized
 * here changes every RSA key derived after it. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "drbg.h"
#include "derive_internal.h"

#define PUBLIC_EXPONENT 65537
#define SMALL_PRIME_BOUND 2048 /* trial division by the odd primes below this */
#define MAX_GROUPS 128

/* Products of consecutive odd primes below SMALL_PRIME_BOUND, each fitting in
 * a BN_ULONG, so that one BN_mod_word covers several primes. How the primes
 * are grouped does not change which candidates are rejected. */
typedef struct small_primes {
    unsigned short prime[SMALL_PRIME_BOUND / 2];
    size_t nprime;
    BN_ULONG product[MAX_GROUPS];
    size_t group_end[MAX_GROUPS]; /* one past the last prime of each group */
    size_t ngroup;
} small_primes;

static void small_primes_init(small_primes *sp)
{
    unsigned char composite[SMALL_PRIME_BOUND] = {0};
    BN_ULONG prod = 1;

    sp->nprime = 0;
    sp->ngroup = 0;
    for (unsigned i = 3; i < SMALL_PRIME_BOUND; i += 2) {
        if (composite[i])
            continue;
        for (unsigned j = i * i; j < SMALL_PRIME_BOUND; j += 2 * i)
            composite[j] = 1;
        if (prod > ((BN_ULONG)-1 - 1) / i) {
            sp->product[sp->ngroup] = prod;
            sp->group_end[sp->ngroup++] = sp->nprime;
            prod = 1;
        }
        prod *= i;
        sp->prime[sp->nprime++] = (unsigned short)i;
    }
    sp->product[sp->ngroup] = prod;
    sp->group_end[sp->ngroup++] = sp->nprime;
}

/* 1 if no odd prime below SMALL_PRIME_BOUND divides w, 0 if one does, -1 on
 * error. */
static int small_prime_free(const small_primes *sp, const BIGNUM *w)
{
    size_t first = 0;

    for (size_t g = 0; g < sp->ngroup; g++) {
        BN_ULONG r = BN_mod_word(w, sp->product[g]);

        if (r == (BN_ULONG)-1)
            return -1;
        for (size_t i = first; i < sp->group_end[g]; i++)
            if (r % sp->prime[i] == 0)
                return 0;
        first = sp->group_end[g];
    }
    return 1;
}

/* Draw `bytes` bytes from the DRBG as a big-endian integer. */
static dsk_status draw(dsk_drbg *drbg, unsigned char *buf, size_t bytes, BIGNUM *out,
                       dsk_error *err)
{
    dsk_status st = dsk_drbg_generate(drbg, buf, bytes, err);

    if (st == DSK_OK && BN_bin2bn(buf, (int)bytes, out) == NULL)
        st = dsk_error_set(err, DSK_E_NOMEM, "derive: out of memory (RSA)");
    OPENSSL_cleanse(buf, bytes);
    return st;
}

/* FIPS 186-5 B.3.1 Miller-Rabin with DSK_DERIVE_MR_ROUNDS rounds; each base
 * is drawn as wlen bits and redrawn while b <= 1 or b >= w - 1. A failing
 * round ends the test, so no further bases are drawn. *prime = 1 or 0. */
static dsk_status miller_rabin(dsk_drbg *drbg, const BIGNUM *w, int bits, unsigned char *buf,
                               BN_CTX *bnctx, int *prime, dsk_prime_trace *tr, dsk_error *err)
{
    dsk_status st = DSK_E_CRYPTO;
    size_t bytes = (size_t)bits / 8;
    BN_MONT_CTX *mont = NULL;
    BIGNUM *w1, *m, *b, *z;
    int a = 0;

    *prime = 0;
    BN_CTX_start(bnctx);
    w1 = BN_CTX_get(bnctx);
    m = BN_CTX_get(bnctx);
    b = BN_CTX_get(bnctx);
    z = BN_CTX_get(bnctx);
    mont = BN_MONT_CTX_new();
    if (z == NULL || mont == NULL || BN_MONT_CTX_set(mont, w, bnctx) != 1 ||
        BN_sub(w1, w, BN_value_one()) != 1) {
        st = dsk_error_set(err, DSK_E_NOMEM, "derive: out of memory (RSA)");
        goto done;
    }
    while (!BN_is_bit_set(w1, a))
        a++;
    if (BN_rshift(m, w1, a) != 1)
        goto done;
    for (int round = 0; round < DSK_DERIVE_MR_ROUNDS; round++) {
        int passed = 0;

        for (;;) {
            if ((st = draw(drbg, buf, bytes, b, err)) != DSK_OK)
                goto done;
            st = DSK_E_CRYPTO;
            tr->base_draws++;
            if (BN_cmp(b, BN_value_one()) > 0 && BN_cmp(b, w1) < 0)
                break;
            tr->base_redraws++; /* no cap: see docs/derivation.md */
        }
        if (BN_mod_exp_mont(z, b, m, w, bnctx, mont) != 1)
            goto done;
        passed = BN_is_one(z) || BN_cmp(z, w1) == 0;
        for (int j = 1; j < a && !passed; j++) {
            if (BN_mod_sqr(z, z, w, bnctx) != 1)
                goto done;
            if (BN_cmp(z, w1) == 0)
                passed = 1;
            else if (BN_is_one(z))
                break;
        }
        if (!passed) {
            st = DSK_OK;
            goto done;
        }
    }
    *prime = 1;
    st = DSK_OK;
done:
    if (st == DSK_E_CRYPTO)
        dsk_error_set(err, DSK_E_CRYPTO, "derive: Miller-Rabin test failed to run");
    BN_MONT_CTX_free(mont);
    BN_CTX_end(bnctx);
    return st;
}

dsk_status dsk_derive_find_prime(dsk_drbg *drbg, int bits, const BIGNUM *other, BIGNUM *out,
                                 BN_CTX *bnctx, dsk_error *err)
{
    dsk_prime_trace unused;
    return dsk_derive_find_prime_traced(drbg, bits, other, out, bnctx, &unused, err);
}

dsk_status dsk_derive_find_prime_traced(dsk_drbg *drbg, int bits, const BIGNUM *other, BIGNUM *out,
                                        BN_CTX *bnctx, dsk_prime_trace *tr, dsk_error *err)
{
    dsk_status st = DSK_E_NOMEM;
    size_t bytes = (size_t)bits / 8;
    unsigned char *buf = OPENSSL_secure_malloc(bytes);
    small_primes sp;
    BIGNUM *diff, *limit;

    BN_CTX_start(bnctx);
    diff = BN_CTX_get(bnctx);
    limit = BN_CTX_get(bnctx);
    if (buf == NULL || limit == NULL || BN_set_bit(limit, bits - 100) != 1) {
        dsk_error_set(err, DSK_E_NOMEM, "derive: out of memory (RSA)");
        goto done;
    }
    memset(tr, 0, sizeof *tr);
    small_primes_init(&sp);
    /* The limit counts candidates drawn, whatever rule rejects them. */
    for (long tries = 0; tries < DSK_DERIVE_MAX_CANDIDATES; tries++) {
        int ok;

        if ((st = draw(drbg, buf, bytes, out, err)) != DSK_OK)
            goto done;
        st = DSK_E_CRYPTO;
        tr->candidates++;
        if (BN_set_bit(out, bits - 1) != 1 || BN_set_bit(out, bits - 2) != 1 ||
            BN_set_bit(out, 0) != 1)
            goto done;
        if ((ok = small_prime_free(&sp, out)) < 0)
            goto done;
        if (!ok) {
            tr->rejected_trial_division++;
            continue;
        }
        if (BN_mod_word(out, PUBLIC_EXPONENT) == 1) {
            tr->rejected_e_rule++;
            continue;
        }
        if (other != NULL) {
            if (BN_sub(diff, out, other) != 1)
                goto done;
            BN_set_negative(diff, 0);
            if (BN_cmp(diff, limit) <= 0) {
                tr->rejected_distance++;
                continue;
            }
        }
        tr->mr_tested++;
        if ((st = miller_rabin(drbg, out, bits, buf, bnctx, &ok, tr, err)) != DSK_OK)
            goto done;
        if (ok)
            goto done;
        tr->rejected_miller_rabin++;
    }
    st = dsk_error_set(err, DSK_E_BAD_INPUT,
                       "derive: no RSA prime within %d candidates for this material; "
                       "use another path",
                       DSK_DERIVE_MAX_CANDIDATES);
done:
    if (st == DSK_E_CRYPTO)
        dsk_error_set(err, DSK_E_CRYPTO, "derive: RSA prime search failed");
    BN_CTX_end(bnctx);
    OPENSSL_secure_clear_free(buf, bytes);
    return st;
}
