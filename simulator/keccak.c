#include "keccak.h"

#include <string.h>

#define KECCAK_RATE 136 /* bytes: 1600 - 2 * 256 bits */
#define KECCAK_ROUNDS 24

static const uint64_t round_constants[KECCAK_ROUNDS] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
    0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* Rotation offsets and lane order of the combined rho and pi steps, walking
 * the lanes along pi's cycle starting at lane 1. */
static const unsigned rho_offsets[24] = {
    1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14,
    27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};
static const unsigned pi_lanes[24] = {
    10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4,
    15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};

static uint64_t rotl64(uint64_t x, unsigned n)
{
    return (x << n) | (x >> (64 - n));
}

static void keccak_f1600(uint64_t st[25])
{
    for (int round = 0; round < KECCAK_ROUNDS; round++) {
        uint64_t c[5], t;
        for (int x = 0; x < 5; x++)
            c[x] = st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
        for (int x = 0; x < 5; x++) {
            t = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                st[y + x] ^= t;
        }
        t = st[1];
        for (int i = 0; i < 24; i++) {
            unsigned j = pi_lanes[i];
            uint64_t next = st[j];
            st[j] = rotl64(t, rho_offsets[i]);
            t = next;
        }
        for (int y = 0; y < 25; y += 5) {
            for (int x = 0; x < 5; x++)
                c[x] = st[y + x];
            for (int x = 0; x < 5; x++)
                st[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
        }
        st[0] ^= round_constants[round];
    }
}

/* Lanes are little-endian whatever the host order. */
static void absorb_block(uint64_t st[25], const uint8_t *block)
{
    for (int i = 0; i < KECCAK_RATE / 8; i++) {
        uint64_t lane = 0;
        for (int b = 7; b >= 0; b--)
            lane = (lane << 8) | block[i * 8 + b];
        st[i] ^= lane;
    }
    keccak_f1600(st);
}

void dsk_keccak256_pad(const void *data, size_t len, uint8_t pad,
                       uint8_t out[DSK_KECCAK256_LEN])
{
    uint64_t st[25] = {0};
    uint8_t last[KECCAK_RATE];
    const uint8_t *p = data;

    for (; len >= KECCAK_RATE; len -= KECCAK_RATE, p += KECCAK_RATE)
        absorb_block(st, p);
    memset(last, 0, sizeof last);
    if (len)
        memcpy(last, p, len);
    last[len] ^= pad;
    last[KECCAK_RATE - 1] ^= 0x80;
    absorb_block(st, last);

    for (int i = 0; i < DSK_KECCAK256_LEN; i++)
        out[i] = (uint8_t)(st[i / 8] >> (8 * (i % 8)));
}

void dsk_keccak256(const void *data, size_t len, uint8_t out[DSK_KECCAK256_LEN])
{
    dsk_keccak256_pad(data, len, 0x01, out);
}
