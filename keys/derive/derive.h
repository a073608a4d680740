/* keys/derive — derivation contract v1: dstack key material -> typed keys.
 *
 * The contract is docs/derivation.md; tests/vectors/ holds the vectors an
 * independent implementation reproduces. Changing what these functions
 * compute loses users' keys: a new rule needs a new DSK_DERIVE_VERSION and a
 * new function, never an edit of dsk_derive_v1.
 *
 * Owner: the derivation engineer. Used by keys/ only. */
#ifndef DSK_DERIVE_H
#define DSK_DERIVE_H

#include <openssl/evp.h>

#include "conf.h" /* dsk_key_type */
#include "status.h"

#define DSK_DERIVE_VERSION 1

/* Key types are named to OpenSSL by OID, never "EC"/"RSA"/"ED25519": a name
 * with a legacy NID makes EVP_PKEY_CTX_new_from_name ask the ENGINE tables
 * first, and an application's default ENGINE then takes the key over (see
 * keys/shield.c). The OIDs are names of the same provider algorithms. */
#define DSK_KEYMGMT_EC "1.2.840.10045.2.1"
#define DSK_KEYMGMT_RSA "1.2.840.113549.1.1.1"
#define DSK_KEYMGMT_ED25519 "1.3.101.112"

/* Build the private key of type t from the 32 dstack bytes m (contract v1,
 * docs/derivation.md) as an EVP_PKEY in libctx (a private library context
 * with the default provider). m is SECRET; every intermediate is wiped.
 *
 * On success *out is a new key the caller frees with EVP_PKEY_free. Errors:
 * DSK_E_ARGS (NULL argument, unknown type), DSK_E_BAD_INPUT (m is not usable
 * for the type: a secp256k1 scalar 0 or >= n, or no RSA prime within the
 * contract's candidate bound; the message says so and suggests another path),
 * DSK_E_NOMEM, DSK_E_CRYPTO. The message never contains key bytes and does
 * not name the key: the caller prefixes the label.
 *
 * Thread-safe: no shared state; libctx may be shared between threads. */
dsk_status dsk_derive_v1(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                         EVP_PKEY **out, dsk_error *err);

/* The getKey algorithm to request for type t: "ed25519" or "secp256k1".
 * NULL for an invalid type. */
const char *dsk_derive_getkey_algorithm(dsk_key_type t);

#endif
