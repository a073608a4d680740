/* Shared inside keys/ only (and by its unit tests). Not for the front ends. */
#ifndef DSK_KEYS_INTERNAL_H
#define DSK_KEYS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "keys.h"

/* Largest uncompressed EC point we hold (P-384: 1 + 2*48). */
#define DSK_MAX_POINT 97
/* Largest RSA modulus in bytes (rsa-4096). */
#define DSK_MAX_RSA_BYTES 512

/* A hash index (index.c): items embed a link (as their first member, so a
 * link is also the item); chains are walked comparing link->hash first. */
typedef struct dsk_index_link {
    struct dsk_index_link *next;
    uint64_t hash;
} dsk_index_link;
typedef struct dsk_index {
    dsk_index_link **bucket;
    size_t nbucket, count;
} dsk_index;
/* FNV-1a of n bytes continuing from h (0 to start). */
uint64_t dsk_index_hash(const void *p, size_t n, uint64_t h);
/* Insert (growing the table); -1 if out of memory (nothing changed). */
int dsk_index_add(dsk_index *ix, dsk_index_link *l, uint64_t hash);
/* Take l (which is in ix) out again. */
void dsk_index_remove(dsk_index *ix, dsk_index_link *l);
/* The chain where items of this hash are; walk ->next, compare ->hash. */
dsk_index_link *dsk_index_first(const dsk_index *ix, uint64_t hash);
void dsk_index_free(dsk_index *ix);

/* Keys made at run time and never released (inline URIs, public keys the
 * provider imports) stay until the store is freed: these caps bound that
 * growth. Held keys (dsk_keystore_add_held) count too while they live. */
#define DSK_KEYSTORE_MAX_KEYS 16384
#define DSK_KEYSTORE_MAX_PUBLIC 4096

/* What the derivation gives: one per distinct (path, purpose, type), shared
 * by every label configured with that triple so that it is derived once.
 * Public-only material (dsk_keystore_add_public) is ready from birth.
 *
 * pkey holds the private key inside OpenSSL's own memory: OpenSSL keeps EC
 * scalars and RSA factors in BIGNUMs it clears (BN_clear_free) when the key
 * is freed; we cannot place them in locked memory ourselves. Everything we
 * hold outside OpenSSL (M, the GetKey reply) is in dsk_secret memory and
 * wiped. The public forms are computed once, before `ready` is published, and
 * never change after: readers need no lock. */
/* ECDSA signing contexts kept per key: one per thread signing at once is
 * enough; more threads than this duplicate the template as before. */
#define DSK_SIGN_POOL 8

typedef struct dsk_keymat {
    dsk_index_link link;  /* first: ks->mat_index by (path, purpose, type) */
    pthread_mutex_t lock; /* serialises derivation only */
    atomic_int ready;     /* 1 once pkey and the public forms are set (release) */
    /* Failed GetKey attempts so far, and the error of the last (both under
     * lock): a caller that was already waiting when an attempt failed gets
     * that attempt's error instead of starting another full timeout behind
     * it; a caller that arrives after it tries again (key.c). */
    atomic_ulong failures;
    dsk_error last_error;
    char *path;    /* v0: the path; v1: the domain */
    char *purpose; /* v0 only; "" under v1 */
    dsk_key_type type;
    dsk_api api;
    int has_private;
    EVP_PKEY *pkey;      /* SECRET inside (unless public-only); owned */
    unsigned char *spki; /* DER SubjectPublicKeyInfo, owned */
    size_t spki_len;
    unsigned char point[DSK_MAX_POINT]; /* EC 04||X||Y, Ed25519 raw 32 */
    size_t point_len;
    unsigned char rsa_n[DSK_MAX_RSA_BYTES];
    size_t rsa_n_len;
    unsigned char rsa_e[8];
    size_t rsa_e_len;
    char eth[43]; /* secp256k1 only, else "" */
    /* secp256k1 with a private part: the scalar, big-endian, in dsk_secret
     * memory, for libsecp256k1 (k1.c). Set before `ready`; NULL otherwise. */
    unsigned char *k1_sec;
    /* The chain the agent gave with M (public), set before ready, for
     * dsk_key_provenance and statements (provenance.c). */
    int have_chain;
    unsigned char chain_pub[DSK_SECP256K1_PUB_LEN]; /* public key of M the chain covers */
    size_t chain_pub_len;
    unsigned char link0[DSK_CHAIN_LINK_LEN], link1[DSK_CHAIN_LINK_LEN];
    size_t link1_len;
    atomic_int verdict_logged; /* the verdict is logged once per key */
    /* A signing context for pkey, initialised once (sign.c) and only ever
     * duplicated after that: creating one per signature cost a method fetch
     * and a sign-init. Published with compare-and-swap; owned; holds a
     * reference to pkey (freed by dsk_keymat_drop_sign_ctx). */
    _Atomic(EVP_PKEY_CTX *) sign_tmpl;
    /* ECDSA contexts that signed and came back for the next signature
     * (sign.c): taking one is an atomic exchange, where duplicating the
     * template bumped and dropped reference counts that every signing
     * thread shares. Owned; freed by dsk_keymat_drop_sign_ctx. */
    _Atomic(EVP_PKEY_CTX *) sign_pool[DSK_SIGN_POOL];
    size_t nkeys; /* dsk_key objects over this material (ks->lock): freed at 0 */
    struct dsk_keymat *next, *prev;
} dsk_keymat;

struct dsk_key {
    dsk_index_link link; /* first: ks->key_index by label, or pub_index by SPKI */
    char *label;
    unsigned usage;
    dsk_keymat *mat; /* owned by the store */
    dsk_keystore *ks;
    struct dsk_key *next, *prev;
    /* Under ks->lock. refs: holders (dsk_keystore_add_held, dsk_key_hold).
     * transient: made by a _held call and never added plainly since, so
     * it goes (wiped, with its material unless shared) at its last release. */
    size_t refs;
    int transient;
};

struct dsk_keystore {
    pthread_mutex_t lock; /* guards the lists below (add/find), never held for I/O */
    dsk_client *client;
    dsk_key *keys;    /* labelled keys */
    dsk_key *pubkeys; /* public-only keys */
    dsk_keymat *mats;
    dsk_index key_index, mat_index, pub_index; /* over the three lists above */
    size_t nkeys, npubkeys;
    size_t max_keys, max_public; /* DSK_KEYSTORE_MAX_*; tests lower them */
    atomic_ulong getkey_calls;   /* test aid: GetKey requests sent */
    /* Reads of public values fail at once until this time (CLOCK_MONOTONIC
     * ms; 0 = never): set when a GetKey times out, for the request timeout
     * (stall_ms) after it, and cleared by any answer (key.c). */
    atomic_llong stall_until;
    long stall_ms;
    dsk_verify_mode verify; /* provenance settings (provenance.c); set before use */
    unsigned char (*roots)[DSK_SECP256K1_PUB_LEN];
    size_t n_roots;
    int have_app_id; /* configured, or 2 once read from /Info */
    unsigned char app_id[DSK_APP_ID_LEN];
    struct dsk_keystore *reg_next; /* fork.c's list of live stores */
};

/* After GetKey, before the key is installed (provenance.c): remember the
 * chain in mat, and under verify = warn/require check it (logging the
 * verdict once per key). Under require a key that is not anchored is
 * DSK_E_REFUSED with a message naming the socket and both roots. reply->key
 * is M, SECRET, only read. Caller holds mat->lock. */
dsk_status dsk_keys_check_chain(dsk_key *k, const dsk_key_reply *reply, dsk_error *err);

/* Keep a store's locks usable across fork (fork.c). */
void dsk_keys_fork_register(dsk_keystore *ks);
void dsk_keys_fork_unregister(dsk_keystore *ks);

/* The private library context: created once, only the "default" provider,
 * never freed (see libctx.c). NULL only if OpenSSL cannot allocate it. */
OSSL_LIB_CTX *dsk_keys_libctx(void);
/* The shield (shield.c): a new library context whose only provider
 * re-exports OpenSSL's default provider (loaded in a second private context)
 * with key types named by OID first and RSA/EC objects stripped of any
 * ENGINE method, so that no application ENGINE reaches our keys. NULL if
 * OpenSSL cannot build it. Called once, by libctx.c. */
OSSL_LIB_CTX *dsk_keys_shield_ctx(void);
/* A public key from a DER SubjectPublicKeyInfo (exactly len bytes) in the
 * private context, through the provider decoders only: d2i_PUBKEY asks the
 * ENGINE tables first and may return an engine's legacy key. NULL if the
 * bytes are not one. */
EVP_PKEY *dsk_keys_d2i_spki(const unsigned char *der, size_t len);
/* 0 once OpenSSL has run its exit-time cleanup (OPENSSL_cleanup): from then
 * on no OpenSSL object may be touched, so teardown only wipes what it owns
 * and leaves OpenSSL's objects to the exiting process. */
int dsk_keys_openssl_alive(void);
/* A fetched digest from the private context, cached for the process; NULL
 * for DSK_HASH_NONE or an unknown value. */
const EVP_MD *dsk_keys_md(dsk_hash h);

/* Number of GetKey requests the store has sent (tests prove "derived once"). */
unsigned long dsk_keystore_getkey_calls(const dsk_keystore *ks);

/* Derive k's material from the 32 bytes m (as GetKey would give) and
 * publish it, unless already derived. m is SECRET and not kept. Used by
 * dsk_key_derive and by tests that need a key without a dstack agent. */
dsk_status dsk_key_derive_from_material(dsk_key *k, const unsigned char m[32], dsk_error *err);

/* Under v1 the agent returns public_key beside the key: check that it is
 * the public key of m for the GetKey algorithm ("secp256k1": SEC1
 * compressed; "ed25519": raw). DSK_E_MALFORMED if not (v1pub.c). */
dsk_status dsk_keys_check_getkey_public(const char *algorithm, const unsigned char m[32],
                                        const unsigned char *pub, size_t pub_len, dsk_error *err);

/* "key 'web' (path '/a')" or "key 'web' (api v1, domain 'a')": the prefix of
 * every derivation message. */
void dsk_key_name_prefix(const dsk_key *k, dsk_error *err);

/* Fill mat's public forms from mat->pkey (pubkey.c). */
dsk_status dsk_keymat_public_forms(dsk_keymat *mat, dsk_error *err);

/* Map an OpenSSL key to our type: DSK_E_UNSUPPORTED with a message if it is
 * none of ours (pubkey.c). */
dsk_status dsk_keys_pkey_type(const EVP_PKEY *pkey, dsk_key_type *out, dsk_error *err);

/* "key 'web' (ec-p256)" for messages: format and arguments, so that the
 * success path never formats anything. */
#define DSK_KEY_FMT "key '%s' (%s)"
#define DSK_KEY_ARGS(k) (k)->label, dsk_type_info_get((k)->mat->type)->name
/* The same into buf. */
void dsk_key_describe(const dsk_key *k, char *buf, size_t len);
/* DSK_OK if k allows `usage` (and has a private part if need_private) and is
 * derived (deriving now if needed); else an error naming the key and the
 * operation `what` ("sign", "decrypt", ...). */
dsk_status dsk_key_ready_for(dsk_key *k, unsigned usage, int need_private, const char *what,
                             dsk_error *err);

/* Record a failed OpenSSL call: the message is "<what>: <OpenSSL's reason>".
 * Never used where the reason could tell an attacker something (decryption). */
dsk_status dsk_keys_ossl_error(dsk_error *err, dsk_status code, const char *what);

/* Free mat's cached signing context (if any). With openssl_alive == 0
 * (after OPENSSL_cleanup) it is left to the exiting process. Not
 * thread-safe: for teardown and re-derivation only. */
void dsk_keymat_drop_sign_ctx(dsk_keymat *mat, int openssl_alive);

/* A per-operation context for k's key in the private library context. */
EVP_PKEY_CTX *dsk_key_pkey_ctx(const dsk_key *k);

/* Usages a type supports (same rule as conf's dsk_key_type_usages, kept here
 * so keys/ does not need conf's code at link time). */
unsigned dsk_keys_type_usages(dsk_key_type t);
/* The usage of a key described without one: all but decrypt (conf's
 * dsk_key_type_default_usages, the same rule). */
unsigned dsk_keys_type_default_usages(dsk_key_type t);

/* secp256k1 ECDSA: s = n - s when s > n/2 (sig owns s; replaced in place),
 * so every signature keys/ makes on that curve is low-S. 1 on success. */
int dsk_keys_k1_low_s(ECDSA_SIG *sig);

/* k1.c: secp256k1 signing through libsecp256k1. take_scalar copies the
 * scalar of mat->pkey into mat->k1_sec and replaces mat->pkey by its public
 * half (needs mat->spki); drop_scalar wipes and frees the scalar.
 * dsk_k1_sign signs a hash of 1..64 bytes (the caller checked), low-S,
 * as DER (*out_len in: room, out: size) or r||s (64 bytes). */
/* The process's one libsecp256k1 context (randomised for blinding, then
 * only read, from any thread), also for provenance.c; NULL without memory. */
const struct secp256k1_context_struct *dsk_k1_ctx(void);
dsk_status dsk_k1_take_scalar(dsk_keymat *mat, dsk_error *err);
void dsk_k1_drop_scalar(dsk_keymat *mat);
dsk_status dsk_k1_sign(const dsk_keymat *mat, const unsigned char *in, size_t in_len, int der,
                       unsigned char *out, size_t *out_len, dsk_error *err);
/* The x coordinate of k1_sec × point (an encoded point, 33 or 65 bytes). */
dsk_status dsk_k1_ecdh(const dsk_keymat *mat, const unsigned char *point, size_t point_len,
                       unsigned char out[32], dsk_error *err);
/* A transient full OpenSSL key (scalar and point) for the rare operations
 * that need an EVP_PKEY (certificate signing); free it right after use: its
 * scalar is cleared then. NULL on failure. */
EVP_PKEY *dsk_k1_private_pkey(const dsk_keymat *mat);

/* EIP-55 mixed-case "0x..." from 40 lowercase hex digits. */
void dsk_eth_checksum(const char lower[40], char out[43]);

/* EIP-55 address from an uncompressed secp256k1 point (65 bytes). */
void dsk_eth_address(const unsigned char point[65], char out[43]);

#endif
