/* DER AlgorithmIdentifiers of the signature schemes (sigalg.c). Each writes
 * into out (max bytes) and returns the length, or 0 when the combination has
 * no identifier or out is too small. */
#ifndef DSK_PROVIDER_SIGALG_H
#define DSK_PROVIDER_SIGALG_H

#include <stddef.h>

#include "keys.h"

size_t dsk_sigalg_ecdsa(dsk_hash h, unsigned char *out, size_t max);
size_t dsk_sigalg_ed25519(unsigned char *out, size_t max);
size_t dsk_sigalg_rsa_pkcs1(dsk_hash h, unsigned char *out, size_t max);
/* salt: the concrete salt length in bytes. */
size_t dsk_sigalg_rsa_pss(dsk_hash h, dsk_hash mgf1, long salt, unsigned char *out, size_t max);

#endif
