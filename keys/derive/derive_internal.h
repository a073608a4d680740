/* Shared inside keys/derive only. */
#ifndef DSK_DERIVE_INTERNAL_H
#define DSK_DERIVE_INTERNAL_H

#include <stddef.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "conf.h"
#include "status.h"

/* HKDF salt of contract v1 (ASCII, no terminator). */
#define DSK_DERIVE_V1_SALT "dstack-pkcs11/derive/v1"

/* The type's name in the contract ("ec-p256", ...): the HKDF info. Frozen
 * here rather than taken from conf/ so that no change elsewhere can move it.
 * NULL for an invalid type. */
const char *dsk_derive_type_info(dsk_key_type t);

/* out = HKDF-SHA256(IKM = m, salt = DSK_DERIVE_V1_SALT, info = the type's
 * name, L = len). out is SECRET. */
dsk_status dsk_derive_hkdf(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                           unsigned char *out, size_t len, dsk_error *err);

dsk_status dsk_derive_secp256k1(OSSL_LIB_CTX *libctx, const unsigned char m[32], EVP_PKEY **out,
                                dsk_error *err);
/* d = int(M) on P-256, never reduced (docs/derivation.md section 10). */
dsk_status dsk_derive_tappd_p256(OSSL_LIB_CTX *libctx, const unsigned char m[32], EVP_PKEY **out,
                                 dsk_error *err);
dsk_status dsk_derive_ed25519(OSSL_LIB_CTX *libctx, const unsigned char m[32], EVP_PKEY **out,
                              dsk_error *err);
dsk_status dsk_derive_nist(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                           EVP_PKEY **out, dsk_error *err);
dsk_status dsk_derive_rsa(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                          EVP_PKEY **out, dsk_error *err);

/* RSA prime search of contract v1 (rsa_prime.c), see docs/derivation.md. */
#define DSK_DERIVE_MR_ROUNDS 5
#define DSK_DERIVE_MAX_CANDIDATES 100000

/* Find the next prime of `bits` bits (a multiple of 8) from the DRBG stream:
 * draw candidates, apply the acceptance tests in the contract's order and
 * return the first accepted one in out (a BIGNUM the caller owns). If other is
 * not NULL it is the prime already found, and a candidate too close to it is
 * rejected. DSK_E_BAD_INPUT if no candidate is accepted within
 * DSK_DERIVE_MAX_CANDIDATES draws. */
struct dsk_drbg;
dsk_status dsk_derive_find_prime(struct dsk_drbg *drbg, int bits, const BIGNUM *other, BIGNUM *out,
                                 BN_CTX *bnctx, dsk_error *err);

/* What one prime search did, step by step (tests/vectors/rsa-search-v1.json
 * pins it): every candidate drawn is counted once, as rejected by the first
 * rule that refused it or as tested by Miller-Rabin; every base drawn is
 * counted, and the redrawn ones (b <= 1 or b >= w - 1) again separately. */
typedef struct dsk_prime_trace {
    long candidates;
    long rejected_trial_division; /* an odd prime below 2048 divides it */
    long rejected_e_rule;         /* w mod 65537 == 1 */
    long rejected_distance;       /* |w - other| <= 2^(bits - 100) */
    long rejected_miller_rabin;   /* composite */
    long mr_tested;
    long base_draws;
    long base_redraws;
} dsk_prime_trace;

/* dsk_derive_find_prime that also fills *trace (zeroed first). */
dsk_status dsk_derive_find_prime_traced(struct dsk_drbg *drbg, int bits, const BIGNUM *other,
                                        BIGNUM *out, BN_CTX *bnctx, dsk_prime_trace *trace,
                                        dsk_error *err);

/* dsk_derive_rsa that also reports both searches: trace[0] the first prime
 * found, trace[1] the second (before p and q are ordered). */
dsk_status dsk_derive_rsa_traced(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                                 EVP_PKEY **out, dsk_prime_trace trace[2], dsk_error *err);

#endif
