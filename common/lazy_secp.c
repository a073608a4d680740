/* The libsecp256k1 wrappers (lazy_secp.h). On a failed load each returns
 * what the library returns on failure (0, NULL), after lazy.c's one line
 * naming the library; callers already treat 0 as "operation failed". */
#define DSK_LAZY_IMPL
#include "lazy_secp.h"

static struct dsk_lazy_lib secp =
    DSK_LAZY_LIB(DSK_SECP256K1_SONAME, "for secp256k1 keys and dstack signature chains");

typedef const secp256k1_context *ctx_t;

DSK_LAZY_FN(secp, NULL, secp256k1_context *, secp256k1_context_create, (unsigned int flags),
            (flags))
DSK_LAZY_VOID(secp, secp256k1_context_destroy, (secp256k1_context * ctx), (ctx))
DSK_LAZY_FN(secp, 0, int, secp256k1_context_randomize,
            (secp256k1_context * ctx, const unsigned char *seed32), (ctx, seed32))
DSK_LAZY_FN(secp, 0, int, secp256k1_ec_pubkey_create,
            (ctx_t ctx, secp256k1_pubkey *pubkey, const unsigned char *seckey),
            (ctx, pubkey, seckey))
DSK_LAZY_FN(secp, 0, int, secp256k1_ec_pubkey_parse,
            (ctx_t ctx, secp256k1_pubkey *pubkey, const unsigned char *input, size_t inputlen),
            (ctx, pubkey, input, inputlen))
DSK_LAZY_FN(secp, 0, int, secp256k1_ec_pubkey_serialize,
            (ctx_t ctx, unsigned char *output, size_t *outputlen, const secp256k1_pubkey *pubkey,
             unsigned int flags),
            (ctx, output, outputlen, pubkey, flags))
DSK_LAZY_FN(secp, 0, int, secp256k1_ec_seckey_verify, (ctx_t ctx, const unsigned char *seckey),
            (ctx, seckey))
DSK_LAZY_FN(secp, 0, int, secp256k1_ecdh,
            (ctx_t ctx, unsigned char *output, const secp256k1_pubkey *pubkey,
             const unsigned char *seckey, secp256k1_ecdh_hash_function hashfp, void *data),
            (ctx, output, pubkey, seckey, hashfp, data))
DSK_LAZY_FN(secp, 0, int, secp256k1_ecdsa_recover,
            (ctx_t ctx, secp256k1_pubkey *pubkey, const secp256k1_ecdsa_recoverable_signature *sig,
             const unsigned char *msghash32),
            (ctx, pubkey, sig, msghash32))
DSK_LAZY_FN(secp, 0, int, secp256k1_ecdsa_recoverable_signature_parse_compact,
            (ctx_t ctx, secp256k1_ecdsa_recoverable_signature *sig, const unsigned char *input64,
             int recid),
            (ctx, sig, input64, recid))
DSK_LAZY_FN(secp, 0, int, secp256k1_ecdsa_sign,
            (ctx_t ctx, secp256k1_ecdsa_signature *sig, const unsigned char *msghash32,
             const unsigned char *seckey, secp256k1_nonce_function noncefp, const void *ndata),
            (ctx, sig, msghash32, seckey, noncefp, ndata))
DSK_LAZY_FN(secp, 0, int, secp256k1_ecdsa_signature_serialize_compact,
            (ctx_t ctx, unsigned char *output64, const secp256k1_ecdsa_signature *sig),
            (ctx, output64, sig))
DSK_LAZY_FN(secp, 0, int, secp256k1_ecdsa_signature_serialize_der,
            (ctx_t ctx, unsigned char *output, size_t *outputlen,
             const secp256k1_ecdsa_signature *sig),
            (ctx, output, outputlen, sig))

const secp256k1_context *dsk_lazy_secp256k1_context_static(void)
{
    static void *_Atomic slot;
    void *p = atomic_load_explicit(&slot, memory_order_acquire);
    if (!p && (p = dsk_lazy_sym(&secp, "secp256k1_context_static")))
        atomic_store_explicit(&slot, p, memory_order_release);
    /* dlsym gives the variable's address; the context is its value. */
    return p ? *(const secp256k1_context *const *)p : NULL;
}
