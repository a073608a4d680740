#include "hex.h"

/* Value of a hex digit, or -1; branch-free so that decoding a secret does not
 * leak its nibbles through timing. */
static int hex_val(unsigned char c)
{
    int d = c - '0', l = (c | 0x20) - 'a';
    int is_d = ((0 - (d >= 0 && d <= 9)));
    int is_l = ((0 - (l >= 0 && l <= 5)));
    return (d & is_d) | ((l + 10) & is_l) | (-1 & ~(is_d | is_l));
}

long dsk_hex_decode(const char *hex, size_t len, unsigned char *out, size_t out_max)
{
    if (!hex)
        return -1;
    if (len >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        hex += 2;
        len -= 2;
    }
    if (len % 2 || len / 2 > out_max)
        return -1;
    int bad = 0;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_val((unsigned char)hex[2 * i]), lo = hex_val((unsigned char)hex[2 * i + 1]);
        bad |= (hi | lo) < 0;
        out[i] = (unsigned char)(((unsigned)hi & 0xf) << 4 | ((unsigned)lo & 0xf));
    }
    return bad ? -1 : (long)(len / 2);
}

void dsk_hex_encode(const unsigned char *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        int hi = in[i] >> 4, lo = in[i] & 0xf;
        /* 'a'-10 added only when the nibble is > 9, without a branch. */
        out[2 * i] = (char)('0' + hi + ((9 - hi) >> 8 & ('a' - '0' - 10)));
        out[2 * i + 1] = (char)('0' + lo + ((9 - lo) >> 8 & ('a' - '0' - 10)));
    }
    out[2 * len] = '\0';
}
