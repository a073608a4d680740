/* bench-pkcs11: C_Sign throughput of dstack-pkcs11.so beside raw OpenSSL
 * and SoftHSM2, and the time from C_Initialize to the first signature.
 *
 * A backend ("impl") prepares one key per case, then hands out one worker
 * context per thread; a worker signs once per call. Nothing here is secret:
 * the OpenSSL and SoftHSM keys are throw-away benchmark keys. */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>

typedef enum bench_case {
    BENCH_P256 = 0, /* ECDSA P-256 over a 32-byte hash */
    BENCH_ED25519,  /* Ed25519 over a 32-byte message */
    BENCH_RSA2048,  /* RSA-2048 PKCS#1 v1.5 with SHA-256 over a 32-byte message */
    BENCH_OAEP,     /* RSA-2048 OAEP (SHA-256) decryption of a 32-byte message */
    BENCH_K1,       /* ECDSA secp256k1 over a 32-byte hash; raw peer: libsecp256k1 */
    BENCH_CASE_COUNT
} bench_case;

const char *bench_case_name(bench_case c);

typedef struct bench_impl bench_impl;
struct bench_impl {
    const char *name;
    /* Per-thread signing context for case c; NULL on error (message printed). */
    void *(*worker_new)(bench_impl *impl, bench_case c);
    /* One signature; 0 on success. */
    int (*sign)(void *worker);
    void (*worker_free)(void *worker);
    void (*free)(bench_impl *impl);
};

/* SoftHSM2 runs the first cases only (its keys are generated for these). */
#define BENCH_HSM_CASES BENCH_OAEP

/* Raw OpenSSL on in-memory keys generated at start (libsecp256k1 for
 * BENCH_K1). */
bench_impl *bench_ossl_new(void);

/* A PKCS#11 module. Keys are found by label in the token labelled
 * token (token_ed for Ed25519). If pin is not NULL the module is logged in
 * with it; if generate is set, missing keys are generated as token objects
 * (for SoftHSM2). Labels: "p256", "ed", "rsa2048". */
typedef struct bench_p11_opts {
    const char *name;
    const char *module;
    const char *token;
    const char *token_ed;
    const char *pin;
    int generate;
    int hsm; /* only the first BENCH_HSM_CASES cases */
} bench_p11_opts;
bench_impl *bench_p11_new(const bench_p11_opts *o);

/* Load the module afresh, C_Initialize, find the key, sign once, then
 * C_Finalize: the seconds this took (time to first signature), < 0 on error. */
double bench_p11_first_sign(const bench_p11_opts *o, bench_case c);

double bench_now(void);

#endif
