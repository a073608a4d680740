/* common/hex.c: dsk_hex_decode against a plain reference decoder, and the
 * round trip through dsk_hex_encode. The first input byte picks out_max. */
#include <ctype.h>

#include "fuzz.h"
#include "hex.h"

static int nibble(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* What dsk_hex_decode promises (hex.h), written the obvious way. */
static long reference(const char *hex, size_t len, unsigned char *out, size_t out_max)
{
    if (len >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        hex += 2;
        len -= 2;
    }
    if (len % 2 != 0 || len / 2 > out_max)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = nibble((unsigned char)hex[2 * i]), lo = nibble((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(len / 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t out_max, hexlen;
    const char *hex;
    unsigned char *got, *want;
    char *enc;
    long n, m;

    if (size == 0)
        return 0;
    /* 255 = "room enough", else a size that may be too small. */
    out_max = data[0] == 255 ? size : data[0];
    hex = (const char *)data + 1;
    hexlen = size - 1;
    got = malloc(out_max + 1);
    want = malloc(out_max + 1);
    enc = malloc(2 * out_max + 1);
    if (got == NULL || want == NULL || enc == NULL)
        goto done;

    n = dsk_hex_decode(hex, hexlen, got, out_max);
    m = reference(hex, hexlen, want, out_max);
    DSK_FUZZ_ASSERT(n == m);
    if (n > 0) {
        const char *digits = hex + (hexlen - 2 * (size_t)n);
        DSK_FUZZ_ASSERT(memcmp(got, want, (size_t)n) == 0);
        dsk_hex_encode(got, (size_t)n, enc);
        DSK_FUZZ_ASSERT(strlen(enc) == 2 * (size_t)n);
        for (size_t i = 0; i < 2 * (size_t)n; i++)
            DSK_FUZZ_ASSERT(enc[i] == tolower((unsigned char)digits[i]));
    }
done:
    free(got);
    free(want);
    free(enc);
    return 0;
}
