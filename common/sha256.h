/* SHA-256 of a short public string without OpenSSL (FIPS 180-4). Only for
 * work done while loading, before any key is used: the PKCS#11 token serial
 * is SHA-256(label), and computing it through OpenSSL at C_Initialize
 * started our library context and fetched every digest — 5.3 M
 * instructions, half of a `p11-kit list-modules` process (issue 14 §3).
 * Everything that touches keys keeps using OpenSSL (keys/hash.c). */
#ifndef DSK_SHA256_H
#define DSK_SHA256_H

#include <stddef.h>

void dsk_sha256(const void *data, size_t len, unsigned char out[32]);

#endif
