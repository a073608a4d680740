/* Keccak-256 as Ethereum and dstack use it: the original Keccak padding
 * (0x01), not FIPS 202 SHA3-256 (0x06). OpenSSL 3.0 offers only the latter,
 * so the simulator carries its own small implementation. */
#ifndef DSK_SIM_KECCAK_H
#define DSK_SIM_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define DSK_KECCAK256_LEN 32

/* Legacy Keccak-256 of len bytes of data into out (32 bytes). */
void dsk_keccak256(const void *data, size_t len, uint8_t out[DSK_KECCAK256_LEN]);

/* The same sponge (rate 136 bytes, 32-byte output) with a chosen domain
 * padding byte: 0x01 gives Keccak-256, 0x06 gives SHA3-256. Exposed so that
 * the tests can check the permutation against OpenSSL's SHA3-256. */
void dsk_keccak256_pad(const void *data, size_t len, uint8_t pad,
                       uint8_t out[DSK_KECCAK256_LEN]);

#endif
