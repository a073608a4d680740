/* Keccak-256 as Ethereum and dstack use it (original Keccak padding 0x01,
 * not SHA3's 0x06), because OpenSSL 3.0 offers only SHA3. The one Keccak of
 * the project: keys/ (Ethereum addresses), the signature chain and the
 * simulator use it. Public data only, so no constant-time or wiping
 * concerns. Checked by tests/trust/test_keccak.c. */
#include "trust.h"

#include <stdint.h>
#include <string.h>

#define RATE 136 /* 1600 - 2*256 bits, in bytes */

static const uint64_t round_consts[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* rho rotation amounts and pi lane order, walking the lanes from (1,0). */
static const unsigned rho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                 27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
static const unsigned pi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

static uint64_t rotl(uint64_t x, unsigned n)
{
    return (x << n) | (x >> (64 - n));
}

static void keccak_f(uint64_t s[25])
{
    for (int r = 0; r < 24; r++) {
        uint64_t c[5], t;

        for (int x = 0; x < 5; x++)
            c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
        for (int x = 0; x < 5; x++) {
            t = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                s[y + x] ^= t;
        }
        t = s[1];
        for (int i = 0; i < 24; i++) {
            uint64_t next = s[pi[i]];
            s[pi[i]] = rotl(t, rho[i]);
            t = next;
        }
        for (int y = 0; y < 25; y += 5) {
            for (int x = 0; x < 5; x++)
                c[x] = s[y + x];
            for (int x = 0; x < 5; x++)
                s[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
        }
        s[0] ^= round_consts[r];
    }
}

/* Lanes are little-endian whatever the host order. */
static void absorb_block(uint64_t s[25], const unsigned char *b)
{
    for (int i = 0; i < RATE / 8; i++) {
        uint64_t v = 0;
        for (int j = 7; j >= 0; j--)
            v = (v << 8) | b[8 * i + j];
        s[i] ^= v;
    }
    keccak_f(s);
}

void dsk_keccak256_pad(const void *data, size_t len, unsigned char pad,
                       unsigned char out[DSK_KECCAK256_LEN])
{
    const unsigned char *in = data;
    uint64_t s[25] = {0};
    unsigned char last[RATE];

    while (len >= RATE) {
        absorb_block(s, in);
        in += RATE;
        len -= RATE;
    }
    memset(last, 0, sizeof last);
    if (len > 0)
        memcpy(last, in, len);
    last[len] ^= pad;
    last[RATE - 1] ^= 0x80;
    absorb_block(s, last);
    for (int i = 0; i < 32; i++)
        out[i] = (unsigned char)(s[i / 8] >> (8 * (i % 8)));
}

void dsk_keccak256(const void *in, size_t len, unsigned char out[DSK_KECCAK256_LEN])
{
    dsk_keccak256_pad(in, len, 0x01, out);
}

