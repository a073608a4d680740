/* Hex encoding for key material: constant time in the data (no table lookups
 * or branches indexed by secret nibbles). */
#ifndef DSK_HEX_H
#define DSK_HEX_H

#include <stddef.h>

/* Decode len hex digits (an optional "0x" prefix is skipped) into out, which
 * must hold len/2 bytes. Returns the number of bytes written, or -1 when the
 * text is not hex of even length or does not fit in out_max. */
long dsk_hex_decode(const char *hex, size_t len, unsigned char *out, size_t out_max);

/* Encode len bytes as lowercase hex into out (2*len+1 bytes, NUL-terminated). */
void dsk_hex_encode(const unsigned char *in, size_t len, char *out);

#endif
