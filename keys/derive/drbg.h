/* HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, 10.1.2), deterministic:
 * instantiated from caller-supplied seed material, never reseeded, no
 * additional input. Used only by the RSA prime search of contract v1, which
 * needs a byte stream that every implementation reproduces exactly.
 *
 * The state is SECRET: dsk_drbg_free wipes it. Not thread-safe: one per
 * derivation. */
#ifndef DSK_DRBG_H
#define DSK_DRBG_H

#include <stddef.h>

#include <openssl/evp.h>

#include "status.h"

typedef struct dsk_drbg {
    unsigned char k[32];
    unsigned char v[32];
    EVP_MAC_CTX *mac; /* HMAC-SHA256 in the caller's library context */
} dsk_drbg;

/* Instantiate with seed_material = entropy_input || nonce || personalization
 * (the caller concatenates; contract v1 uses 48 HKDF bytes and nothing else).
 * On failure the state is wiped and needs no dsk_drbg_free. */
dsk_status dsk_drbg_init(dsk_drbg *d, OSSL_LIB_CTX *libctx, const unsigned char *seed,
                         size_t seed_len, dsk_error *err);

/* One Generate call: len bytes (at most 65536, the SP 800-90A limit per
 * request), then the state update with empty additional input. */
dsk_status dsk_drbg_generate(dsk_drbg *d, unsigned char *out, size_t len, dsk_error *err);

/* Wipe the state and free the MAC context. NULL and repeated calls are fine. */
void dsk_drbg_free(dsk_drbg *d);

#endif
