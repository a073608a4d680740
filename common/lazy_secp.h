/* libsecp256k1, mapped at first use (lazy.h): include this instead of
 * <secp256k1.h> (+ _recovery, _ecdh) in code that ends up in the front
 * ends' .so files. The functions below and secp256k1_context_static become
 * wrappers in lazy_secp.c; a missing one fails at link time (-z defs). */
#ifndef DSK_LAZY_SECP_H
#define DSK_LAZY_SECP_H

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>

#include "lazy.h"

#define DSK_SECP_FUNCTIONS(X)                                                                      \
    X(secp256k1_context_create)                                                                    \
    X(secp256k1_context_destroy)                                                                   \
    X(secp256k1_context_randomize)                                                                 \
    X(secp256k1_ec_pubkey_create)                                                                  \
    X(secp256k1_ec_pubkey_parse)                                                                   \
    X(secp256k1_ec_pubkey_serialize)                                                               \
    X(secp256k1_ec_seckey_verify)                                                                  \
    X(secp256k1_ecdh)                                                                              \
    X(secp256k1_ecdsa_recover)                                                                     \
    X(secp256k1_ecdsa_recoverable_signature_parse_compact)                                         \
    X(secp256k1_ecdsa_sign)                                                                        \
    X(secp256k1_ecdsa_signature_serialize_compact)                                                 \
    X(secp256k1_ecdsa_signature_serialize_der)

DSK_SECP_FUNCTIONS(DSK_LAZY_DECLARE)

/* The library's static (no precomputation) context, or NULL if it cannot be
 * mapped — every wrapper then fails before using it. */
const secp256k1_context *dsk_lazy_secp256k1_context_static(void);

#ifndef DSK_LAZY_IMPL
#define secp256k1_context_create dsk_lazy_secp256k1_context_create
#define secp256k1_context_destroy dsk_lazy_secp256k1_context_destroy
#define secp256k1_context_randomize dsk_lazy_secp256k1_context_randomize
#define secp256k1_ec_pubkey_create dsk_lazy_secp256k1_ec_pubkey_create
#define secp256k1_ec_pubkey_parse dsk_lazy_secp256k1_ec_pubkey_parse
#define secp256k1_ec_pubkey_serialize dsk_lazy_secp256k1_ec_pubkey_serialize
#define secp256k1_ec_seckey_verify dsk_lazy_secp256k1_ec_seckey_verify
#define secp256k1_ecdh dsk_lazy_secp256k1_ecdh
#define secp256k1_ecdsa_recover dsk_lazy_secp256k1_ecdsa_recover
#define secp256k1_ecdsa_recoverable_signature_parse_compact                                        \
    dsk_lazy_secp256k1_ecdsa_recoverable_signature_parse_compact
#define secp256k1_ecdsa_sign dsk_lazy_secp256k1_ecdsa_sign
#define secp256k1_ecdsa_signature_serialize_compact                                                \
    dsk_lazy_secp256k1_ecdsa_signature_serialize_compact
#define secp256k1_ecdsa_signature_serialize_der dsk_lazy_secp256k1_ecdsa_signature_serialize_der
#define secp256k1_context_static (dsk_lazy_secp256k1_context_static())
#endif

#endif
