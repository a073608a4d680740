/* Ethereum addresses (EIP-55) of secp256k1 keys, over trust/'s Keccak-256. */
#include "internal.h"
#include "trust.h"

void dsk_eth_address(const unsigned char point[65], char out[43])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char h[32];
    char lower[40];

    /* The address is the last 20 bytes of keccak(X||Y), without the 0x04. */
    dsk_keccak256(point + 1, 64, h);
    for (int i = 0; i < 20; i++) {
        lower[2 * i] = digits[h[12 + i] >> 4];
        lower[2 * i + 1] = digits[h[12 + i] & 15];
    }
    dsk_eth_checksum(lower, out);
}

void dsk_eth_checksum(const char lower[40], char out[43])
{
    unsigned char ch[32];

    /* EIP-55: upper-case a letter when the matching nibble of keccak(hex) >= 8. */
    dsk_keccak256((const unsigned char *)lower, 40, ch);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        unsigned nib = (i % 2 == 0) ? (ch[i / 2] >> 4) : (ch[i / 2] & 15);
        char c = lower[i];
        out[2 + i] = (c >= 'a' && nib >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[42] = '\0';
}
