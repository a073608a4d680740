/* What trust/'s files share; not a public API. */
#ifndef DSK_TRUST_INTERNAL_H
#define DSK_TRUST_INTERNAL_H

#include <stddef.h>

#include "trust.h"

/* Recover the SEC1-compressed secp256k1 key that signed hash with link
 * (r || s || v, 65 bytes). Returns NULL on success, else the reason: a
 * recovery id outside 0..3, a high-S s, r or s out of range, or no key. */
const char *dsk_trust_recover(const unsigned char hash[DSK_KECCAK256_LEN],
                              const unsigned char link[DSK_CHAIN_LINK_LEN],
                              unsigned char out[DSK_SECP256K1_PUB_LEN]);

/* Public key length of a GetKey algorithm name, 0 if unknown. */
size_t dsk_trust_pubkey_len(const char *algorithm);

/* Hex of up to 33 bytes into a 67-byte buffer. */
void dsk_trust_hex33(const unsigned char *in, size_t len, char out[67]);

#endif
