/* keys/ — dstack bytes become typed keys (derivation contract v1, see
 * docs/derivation.md), and every private-key operation happens here.
 *
 * A dsk_keystore owns a dstack client and a set of keys. A dsk_key is
 * described by {label, path, purpose, type, usage}; its private part is
 * derived on first use, exactly once per process even when many threads ask
 * at once; a failure is returned (with the socket error's text) and never
 * cached. Keys are owned by their store and live until dsk_keystore_free,
 * which wipes them, unless they were added as held keys and released. Private key bytes never leave this folder: no function
 * here returns them.
 *
 * All cryptography runs in a private OSSL_LIB_CTX with only the default
 * provider, never the application's default context.
 *
 * Fork: a child inherits the keys already derived and uses them without a
 * new request; a derivation another thread had in flight at fork is done
 * again by the child (no lock is left held). The private key itself lives in
 * OpenSSL's memory (EVP_PKEY), which OpenSSL clears when the key is freed;
 * what we hold ourselves (the GetKey reply) is in dsk_secret memory.
 *
 * Output buffers follow one rule: out == NULL asks for the maximum size in
 * *out_len (DSK_OK); a too-small *out_len gives DSK_E_BUFFER_TOO_SMALL with
 * the needed size in *out_len; on success *out_len is the length written. */
#ifndef DSK_KEYS_H
#define DSK_KEYS_H

#include <stddef.h>

#include "conf.h"
#include "socket.h"
#include "status.h"
#include "trust.h"

typedef struct dsk_keystore dsk_keystore;
typedef struct dsk_key dsk_key;

/* ---- store ---------------------------------------------------------- */

/* copts may be NULL. No I/O. */
dsk_status dsk_keystore_new(const dsk_client_opts *copts, dsk_keystore **out, dsk_error *err);
/* Wipes and frees every key. Does no I/O and takes no OpenSSL locks, so it is
 * safe in C_Finalize and at process exit. After OPENSSL_cleanup has begun,
 * OpenSSL's key objects (EC and RSA keys, Ed25519 seeds) are left to the
 * exiting process; our own copies are wiped either way. */
void dsk_keystore_free(dsk_keystore *ks);
/* The same for a provider's teardown, which OpenSSL calls only while its
 * core works (also from OPENSSL_cleanup): OpenSSL's key objects are freed,
 * and so cleared, in every case. */
void dsk_keystore_free_teardown(dsk_keystore *ks);

typedef struct dsk_key_desc {
    const char *label;   /* required, for messages and lookup */
    const char *path;    /* v0: NULL = label. v1: must be NULL */
    const char *purpose; /* v0: NULL = "". v1: must be NULL or "" */
    dsk_key_type type;
    unsigned usage;     /* DSK_USAGE_*; 0 = all the type can do but decrypt (RSA: sign only) */
    dsk_api api;        /* DSK_API_V0 (0, the default) or DSK_API_V1 */
    const char *domain; /* v1: the GetKey domain, NULL = label. v0: must be NULL */
} dsk_key_desc;

/* Under v1 the key's M is /v1/GetKey(domain, algorithm).key, and the
 * reply's public_key is checked against M before M is used (a mismatch is
 * DSK_E_MALFORMED). An agent without /v1 gives DSK_E_REFUSED saying it
 * predates dstack 0.6 and to use api = v0. Keys under v0 and v1 are never
 * shared, whatever their names. */
/* Add a key (no I/O). The same label added again returns the existing key if
 * the description is identical, and DSK_E_CONFIG ("label 'x' is already used
 * for another key") otherwise. Two labels with the same path, purpose and
 * type are two keys (each with its own label and usage, both found by
 * dsk_keystore_find) sharing one derivation: one GetKey per process.
 * DSK_E_CONFIG also for an empty label, an unknown type or a usage the type
 * cannot do. The returned pointer (out may be NULL) is owned by the store.
 * Thread-safe. */
dsk_status dsk_keystore_add(dsk_keystore *ks, const dsk_key_desc *desc, dsk_key **out,
                            dsk_error *err);
/* Keys made at run time that the caller can let go (PKCS#11 objects from
 * C_GenerateKeyPair and C_CreateObject): as dsk_keystore_add and
 * dsk_keystore_add_public, but *out comes with one reference for the
 * caller. dsk_key_hold adds one (the caller already has one, or the key is
 * permanent); dsk_key_release drops one. A key made by a _held call goes at
 * its last release (wiped; its derived material too unless another key
 * shares it), so the same label or public key after that is a new key (a new
 * GetKey). A key that was also added by dsk_keystore_add(_public), and every
 * configured key, is permanent: hold and release only count. Thread-safe;
 * a holder must not use k after its release. dsk_keystore_find gives no
 * reference: do not mix it with held keys of the same store. */
dsk_status dsk_keystore_add_held(dsk_keystore *ks, const dsk_key_desc *desc, dsk_key **out,
                                 dsk_error *err);
dsk_status dsk_keystore_add_public_held(dsk_keystore *ks, const unsigned char *spki, size_t len,
                                        dsk_key **out, dsk_error *err);
void dsk_key_hold(dsk_key *k);
void dsk_key_release(dsk_key *k);

/* Add every key of a configuration. */
dsk_status dsk_keystore_add_conf(dsk_keystore *ks, const dsk_conf *conf, dsk_error *err);
/* Find by label; NULL if none. */
dsk_key *dsk_keystore_find(dsk_keystore *ks, const char *label);

/* Make a public-only key from a DER SubjectPublicKeyInfo (for verify and
 * encrypt, e.g. keys imported into the provider or created as PKCS#11
 * session objects). Owned by the store; the same SPKI again returns the same
 * key, so repeated imports do not grow the store. Its label is
 * "(public key)" and it is not found by dsk_keystore_find. DSK_E_BAD_INPUT
 * for bytes that are not an SPKI, DSK_E_UNSUPPORTED for a key type that is
 * not one of dsk_key_type (e.g. RSA-1024, P-521). */
dsk_status dsk_keystore_add_public(dsk_keystore *ks, const unsigned char *spki, size_t len,
                                   dsk_key **out, dsk_error *err);

/* ---- key description (no I/O) ---------------------------------------- */

const char *dsk_key_label(const dsk_key *k);
const char *dsk_key_path(const dsk_key *k);   /* v0 path; under v1 the domain */
dsk_api dsk_key_api(const dsk_key *k);
const char *dsk_key_domain(const dsk_key *k); /* v1 domain; NULL under v0 */
const char *dsk_key_purpose(const dsk_key *k); /* v0 purpose ("" by default); "" under v1 */
dsk_key_type dsk_key_get_type(const dsk_key *k);
unsigned dsk_key_usage(const dsk_key *k);
int dsk_key_has_private(const dsk_key *k); /* 0 for public-only keys */

/* Static facts of a type. */
typedef struct dsk_type_info {
    dsk_key_type type;
    const char *name;       /* "ec-p256" */
    const char *ossl_name;  /* "EC", "ED25519", "RSA" */
    const char *group;      /* "prime256v1", "secp384r1", "secp256k1"; NULL otherwise */
    const char *getkey_alg; /* "secp256k1" or "ed25519" */
    int bits;               /* 256, 384, 2048, ...; Ed25519: 256 as EVP_PKEY_get_bits says */
    int security_bits;
    size_t max_sig;                  /* raw signature size (r||s, Ed25519 64, RSA modulus bytes) */
    size_t max_der_sig;              /* DER ECDSA size, else max_sig */
    const unsigned char *params_der; /* EC params / Ed25519 OID as DER; NULL for RSA */
    size_t params_der_len;
} dsk_type_info;
const dsk_type_info *dsk_type_info_get(dsk_key_type t);

/* ---- derivation and public parts ------------------------------------- */

/* Derive now if not yet derived (GetKey over the socket). Thread-safe; many
 * callers at once derive once. On failure the message names the key's label,
 * path and the socket error. Public-only keys return DSK_OK. */
dsk_status dsk_key_derive(dsk_key *k, dsk_error *err);
int dsk_key_is_derived(const dsk_key *k);
/* For reads that only show a public value (PKCS#11 attribute reads and
 * searches, listings): as dsk_key_derive, except that within the request
 * timeout after a GetKey of this store timed out (a hung agent), with no
 * answer since, it fails at once with DSK_E_TIMEOUT instead of waiting
 * again: listing N keys against a hung agent costs one timeout, not N.
 * A use of a key (sign, decrypt, ECDH, dsk_key_derive) always asks. */
dsk_status dsk_key_derive_lazy(dsk_key *k, dsk_error *err);

/* The public parts; each derives first if needed. Returned pointers stay
 * valid until the store is freed. */
dsk_status dsk_key_spki(dsk_key *k, const unsigned char **der, size_t *len, dsk_error *err);
/* EC: uncompressed point 04||X||Y; Ed25519: the 32 raw bytes. */
dsk_status dsk_key_public_point(dsk_key *k, const unsigned char **pt, size_t *len, dsk_error *err);
/* RSA: big-endian modulus and public exponent without leading zeros. */
dsk_status dsk_key_rsa_public(dsk_key *k, const unsigned char **n, size_t *nlen,
                              const unsigned char **e, size_t *elen, dsk_error *err);
/* secp256k1: "0x" + 40 hex digits, EIP-55 checksummed; out must hold 43 bytes. */
dsk_status dsk_key_eth_address(dsk_key *k, char out[43], dsk_error *err);

/* ---- provenance (docs/provenance.md) ------------------------------------ */

/* Chain verification on every derivation (dstack's "Verifying a chain"):
 * link 0 must recover to an app key, link 1 to one of the pinned KMS roots
 * for the app id. OFF: not checked. WARN: checked and logged once per key,
 * the key works whatever the outcome. REQUIRE: a key that is not anchored
 * is refused (its derivation fails, nothing is cached) and the message
 * names the key, the socket, the recovered root and the pinned ones.
 * dsk_verify_mode (OFF, WARN, REQUIRE) is conf.h's. */

typedef struct dsk_trust_opts {
    const unsigned char (*roots)[DSK_SECP256K1_PUB_LEN]; /* copied */
    size_t n_roots;
    int have_app_id; /* 0: use the agent's /Info app id (logged) */
    unsigned char app_id[DSK_APP_ID_LEN];
    dsk_verify_mode verify;
} dsk_trust_opts;

/* Set before the first derivation (no I/O; copies t). DSK_E_CONFIG for
 * REQUIRE or WARN with no root. The default is OFF. */
dsk_status dsk_keystore_set_trust(dsk_keystore *ks, const dsk_trust_opts *t, dsk_error *err);
/* The same from a configuration's [token] settings (kms_root, app_id,
 * verify; verify defaults to require when kms_root is set, else off). */
dsk_status dsk_keystore_set_trust_conf(dsk_keystore *ks, const dsk_conf *conf, dsk_error *err);

/* The verdict of k's chain under the store's roots and app id (derives
 * first if needed; works whatever the verify mode, even OFF, as long as
 * there is an app id: configured, or read from /Info). With no root pinned
 * a chain that recovers is MISMATCH "no root pinned" and kms_root holds the
 * recovered root: show it, never pin it from there. DSK_E_UNSUPPORTED for
 * public-only keys. */
dsk_status dsk_key_provenance(dsk_key *k, dsk_chain_verdict *v, dsk_error *err);

/* A key statement for k (docs/provenance.md): a second GetKey on k's path
 * with purpose "dstack-pkcs11/statement/v1:<type>:<hex SHA-256 of SPKI>"
 * (the same algorithm), checked to return the same dstack key; JSON
 * malloc'd, byte-identical for the same app, key and agent on every replica
 * and after every restart (RFC 6979). The app id in it is the configured
 * one, else /Info's. Works whatever the verify mode. */
dsk_status dsk_key_statement(dsk_key *k, char **json, dsk_error *err);

/* ---- operations ------------------------------------------------------ */

typedef enum dsk_hash {
    DSK_HASH_NONE = 0,
    DSK_HASH_SHA1,
    DSK_HASH_SHA224,
    DSK_HASH_SHA256,
    DSK_HASH_SHA384,
    DSK_HASH_SHA512,
} dsk_hash;
size_t dsk_hash_size(dsk_hash h);              /* 0 for NONE */
const char *dsk_hash_name(dsk_hash h);         /* OpenSSL name, "SHA256"; NULL for NONE */
dsk_hash dsk_hash_from_name(const char *name); /* NONE if unknown */

/* ECDSA on secp256k1 keys is always low-S: s <= n/2 (else s = n - s), in
 * raw r||s and DER alike, as Ethereum (EIP-2) and Bitcoin require and as the
 * dstack agent signs. The recovery id (Ethereum's v) is not returned: a
 * wallet finds it by trying both with the public key. Other curves keep
 * OpenSSL's s (both forms are valid ECDSA). */
typedef enum dsk_sig_scheme {
    DSK_SIG_ECDSA,     /* in = a hash of 1..64 bytes (truncated as ECDSA says) */
    DSK_SIG_EDDSA,     /* in = the whole message (Ed25519, pure) */
    DSK_SIG_RSA_PKCS1, /* hash set: in = digest, DigestInfo added; NONE: in signed as is */
    DSK_SIG_RSA_PSS,   /* in = digest of hash; mgf1 and salt_len used */
} dsk_sig_scheme;

typedef struct dsk_sign_params {
    dsk_sig_scheme scheme;
    dsk_hash hash; /* RSA: see above; ECDSA: ignored */
    dsk_hash mgf1; /* PSS; NONE = same as hash */
    long salt_len; /* PSS: >= 0 bytes; -1 = digest length; -2 = maximum */
    int der;       /* ECDSA: 1 = DER SEQUENCE, 0 = raw r||s padded to curve size */
} dsk_sign_params;

/* The size asked for and required is the type's maximum (max_der_sig for
 * DER ECDSA, else max_sig); *out_len is then the length written (DER ECDSA
 * may be shorter). Errors: DSK_E_UNSUPPORTED (scheme does not fit the type,
 * usage lacks sign, public-only key), DSK_E_BAD_INPUT (digest length, raw
 * PKCS#1 input longer than k - 11), DSK_E_ARGS (missing hash, bad salt
 * length), or the derivation's error. No lock is taken once derived. */
dsk_status dsk_key_sign(dsk_key *k, const dsk_sign_params *p, const unsigned char *in,
                        size_t in_len, unsigned char *out, size_t *out_len, dsk_error *err);
/* DSK_OK if valid, DSK_E_VERIFY if not. Works with public-only keys. */
dsk_status dsk_key_verify(dsk_key *k, const dsk_sign_params *p, const unsigned char *in,
                          size_t in_len, const unsigned char *sig, size_t sig_len, dsk_error *err);

typedef enum dsk_enc_scheme {
    DSK_ENC_RSA_OAEP,
    DSK_ENC_RSA_PKCS1,
    DSK_ENC_RSA_PKCS1_TLS, /* TLS 1.2 premaster: constant-time, never fails on padding
                              (a random premaster comes back instead), 48 bytes out */
    DSK_ENC_RSA_RAW,       /* no padding (modulus-sized in and out) */
} dsk_enc_scheme;

typedef struct dsk_enc_params {
    dsk_enc_scheme scheme;
    dsk_hash hash;              /* OAEP; NONE = SHA1 (the standard default) */
    dsk_hash mgf1;              /* OAEP; NONE = same as hash */
    const unsigned char *label; /* OAEP label, may be NULL */
    size_t label_len;
    unsigned tls_client_version; /* TLS: ClientHello version, e.g. 0x0303 */
    unsigned tls_alt_version;    /* TLS: negotiated version, or 0 */
} dsk_enc_params;

/* in must be modulus-sized. out == NULL gives the scheme's maximum plaintext
 * size; a too-small buffer gets DSK_E_BUFFER_TOO_SMALL with the exact
 * plaintext size. Every padding or ciphertext failure is the same
 * DSK_E_BAD_INPUT with the same message (no hint which check failed); the
 * output is SECRET to the caller. encrypt: out is modulus-sized; works with
 * public-only keys; DSK_ENC_RSA_PKCS1_TLS encrypts as PKCS#1 v1.5. */
dsk_status dsk_key_decrypt(dsk_key *k, const dsk_enc_params *p, const unsigned char *in,
                           size_t in_len, unsigned char *out, size_t *out_len, dsk_error *err);
dsk_status dsk_key_encrypt(dsk_key *k, const dsk_enc_params *p, const unsigned char *in,
                           size_t in_len, unsigned char *out, size_t *out_len, dsk_error *err);

/* ECDH: peer is an uncompressed (or compressed) point on the key's curve, or
 * a DER SubjectPublicKeyInfo. Output: the X coordinate, curve size. */
dsk_status dsk_key_ecdh(dsk_key *k, const unsigned char *peer, size_t peer_len, unsigned char *out,
                        size_t *out_len, dsk_error *err);

/* ---- certificates signed by a key ------------------------------------ */

/* Sign a certificate or a certificate request the caller has built (any
 * library context; OpenSSL's X509 and X509_REQ, declared here without
 * including OpenSSL's headers). Sets the signature algorithm (ECDSA with
 * SHA-256, SHA-384 for P-384; Ed25519; RSA PKCS#1 v1.5 with SHA-256) and the
 * signature; the private key stays here. secp256k1 signatures are low-S as
 * everywhere in keys/. Errors: DSK_E_UNSUPPORTED (usage lacks sign,
 * public-only key), DSK_E_CRYPTO, or the derivation's error. */
struct x509_st;
struct X509_req_st;
dsk_status dsk_key_sign_x509(dsk_key *k, struct x509_st *cert, dsk_error *err);
dsk_status dsk_key_sign_x509_req(dsk_key *k, struct X509_req_st *req, dsk_error *err);

/* ---- helpers the front ends need and may not do themselves ----------- */

/* Incremental hashing for multi-part operations. */
typedef struct dsk_hash_ctx dsk_hash_ctx;
dsk_status dsk_hash_new(dsk_hash h, dsk_hash_ctx **out, dsk_error *err);
dsk_status dsk_hash_update(dsk_hash_ctx *c, const unsigned char *in, size_t len, dsk_error *err);
/* out must hold dsk_hash_size bytes; the context can be freed after. */
dsk_status dsk_hash_final(dsk_hash_ctx *c, unsigned char *out, dsk_error *err);
dsk_status dsk_hash_dup(const dsk_hash_ctx *c, dsk_hash_ctx **out, dsk_error *err);
void dsk_hash_free(dsk_hash_ctx *c);

/* Random bytes from the private library context (C_GenerateRandom). */
dsk_status dsk_random(unsigned char *out, size_t len, dsk_error *err);

/* A parsed X.509 certificate (from PEM or DER), for PKCS#11 attributes.
 * name is used in messages (the certificate file). Free with dsk_cert_free. */
typedef struct dsk_cert {
    unsigned char *der;
    size_t der_len;
    unsigned char *subject;
    size_t subject_len; /* DER Name */
    unsigned char *issuer;
    size_t issuer_len; /* DER Name */
    unsigned char *serial;
    size_t serial_len; /* DER INTEGER */
    unsigned char *spki;
    size_t spki_len; /* DER SubjectPublicKeyInfo */
} dsk_cert;
dsk_status dsk_cert_parse(const unsigned char *data, size_t len, const char *name, dsk_cert *out,
                          dsk_error *err);
void dsk_cert_free(dsk_cert *c);

/* Opt-in (setting secure_heap): set up OpenSSL's secure heap of `size`
 * bytes (a power of two) unless the application already has one, so that
 * OpenSSL keeps EC scalars and Ed25519 seeds in locked, MADV_DONTDUMP memory.
 * Process-wide and permanent: see dstack-pkcs11.conf(5) for the trade-off.
 * size 0: nothing. *locked is 0 when the heap could not be locked
 * (RLIMIT_MEMLOCK); DSK_E_NOMEM if it could not be created. */
dsk_status dsk_keys_secure_heap(size_t size, int *locked, dsk_error *err);

/* The self-signed certificate of a key with a private part (keys/selfcert.c
 * says exactly what it holds): subject = issuer = CN=<label>, a serial and
 * validity that depend only on the key's description, signed by the key.
 * _names fills only subject, issuer and serial (no I/O, no derivation: what
 * PKCS#11 searches need); dsk_key_selfsigned fills everything, deriving and
 * signing. Free with dsk_cert_free. */
dsk_status dsk_key_selfsigned_names(const dsk_key *k, dsk_cert *out, dsk_error *err);
dsk_status dsk_key_selfsigned(dsk_key *k, dsk_cert *out, dsk_error *err);

/* Secret memory: locked, excluded from core dumps where the OS allows,
 * wiped on free. Used for every copy of private material. */
void *dsk_secret_alloc(size_t len);
void dsk_secret_free(void *p, size_t len);

#endif
