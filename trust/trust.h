/* trust/ — pure functions over public bytes: no I/O, no globals, no locks.
 *
 *  - the ONE Keccak-256 of the project (Ethereum's, not SHA3-256);
 *  - dstack signature-chain verification as the normative "Verifying a
 *    chain" sections of dstack's guest API v0 and v1 documents say;
 *  - key statements: a versioned JSON document that lets anyone check,
 *    offline, that the app with a given app id, under a KMS root they
 *    pinned, vouched for a public key (docs/provenance.md).
 *
 * Everything here handles public data only (public keys, signatures, app
 * ids), so nothing is wiped. secp256k1 recovery uses libsecp256k1; SHA-256
 * and SPKI parsing use OpenSSL's default library context. */
#ifndef DSK_TRUST_H
#define DSK_TRUST_H

#include <stddef.h>

#include "status.h"

/* ---- Keccak-256 ------------------------------------------------------ */

#define DSK_KECCAK256_LEN 32
/* Keccak-256 with the original padding (0x01), as Ethereum and dstack use. */
void dsk_keccak256(const void *in, size_t len, unsigned char out[DSK_KECCAK256_LEN]);
/* The same sponge with another padding byte: 0x06 gives SHA3-256 (tests
 * check the permutation against OpenSSL's SHA3 that way). */
void dsk_keccak256_pad(const void *in, size_t len, unsigned char pad,
                       unsigned char out[DSK_KECCAK256_LEN]);

/* ---- signature chains ------------------------------------------------ */

#define DSK_APP_ID_LEN 20
#define DSK_CHAIN_LINK_LEN 65   /* r || s || v */
#define DSK_SECP256K1_PUB_LEN 33 /* SEC1 compressed */
#define DSK_ED25519_PUB_LEN 32

typedef enum dsk_chain_api { DSK_CHAIN_V0 = 0, DSK_CHAIN_V1 = 1 } dsk_chain_api;

typedef struct dsk_chain_input {
    dsk_chain_api api;
    const char *algorithm;        /* "secp256k1" or "ed25519" */
    const unsigned char *purpose; /* v0: the purpose bytes; v1: the domain bytes */
    size_t purpose_len;
    const unsigned char *pubkey; /* the derived key's public key: 33-byte SEC1
                                    compressed secp256k1, or 32-byte Ed25519 */
    size_t pubkey_len;
    const unsigned char *link0; /* 65 */
    size_t link0_len;
    const unsigned char *link1; /* 65, or 0 = empty (a key provider without KMS) */
    size_t link1_len;
    const unsigned char *app_id;                      /* 20 bytes, the expected app id */
    const unsigned char (*roots)[DSK_SECP256K1_PUB_LEN]; /* pinned KMS roots */
    size_t n_roots;
} dsk_chain_input;

typedef enum dsk_chain_outcome {
    DSK_CHAIN_ANCHORED,   /* link 1 recovers to roots[root_index] */
    DSK_CHAIN_UNANCHORED, /* link 1 empty: a key provider without KMS */
    DSK_CHAIN_MISMATCH,   /* a link failed, or the recovered root is not pinned */
} dsk_chain_outcome;

typedef struct dsk_chain_verdict {
    dsk_chain_outcome outcome;
    int failed_link;                               /* -1, 0 or 1 */
    unsigned char app_pubkey[DSK_SECP256K1_PUB_LEN]; /* recovered from link 0 */
    unsigned char kms_root[DSK_SECP256K1_PUB_LEN];   /* recovered from link 1 */
    int have_app_pubkey, have_kms_root;
    size_t root_index; /* when ANCHORED */
    char reason[320];  /* one line a user can act on */
} dsk_chain_verdict;

/* DSK_OK with the verdict filled whatever the outcome; DSK_E_ARGS on a
 * programmer error (NULL pointers, n_roots > 0 with roots NULL). Wrong
 * lengths of pubkey, links or app id are MISMATCH verdicts, not errors.
 * With n_roots == 0 a chain whose link 1 recovers is still MISMATCH ("no
 * root pinned"): the root recovered from the same agent proves nothing. */
dsk_status dsk_chain_verify(const dsk_chain_input *in, dsk_chain_verdict *v);

/* "anchored", "unanchored", "mismatch". */
const char *dsk_chain_outcome_name(dsk_chain_outcome o);

/* The link-0 claim as v0 or v1 defines it, for docs and tests: writes
 * *claim_len bytes into claim (NULL asks the size). DSK_E_ARGS for an
 * unknown algorithm or a pubkey of the wrong length for it;
 * DSK_E_BUFFER_TOO_SMALL with the size needed. */
dsk_status dsk_chain_claim(const dsk_chain_input *in, unsigned char *claim, size_t *claim_len);

/* Parse "03ab..." (66 hex digits, optional 0x) into a SEC1-compressed
 * secp256k1 point that is on the curve. The message names what is wrong. */
dsk_status dsk_trust_parse_root(const char *hex, unsigned char out[DSK_SECP256K1_PUB_LEN],
                                dsk_error *err);
/* Parse 40 hex digits (optional 0x) into an app id. */
dsk_status dsk_trust_parse_app_id(const char *hex, unsigned char out[DSK_APP_ID_LEN],
                                  dsk_error *err);

/* ---- key statements (docs/provenance.md) ------------------------------ */

#define DSK_STATEMENT_FORMAT "dstack-pkcs11/statement/v1"
/* The v0 purpose of a statement's GetKey: this prefix, then
 * "<type>:<lowercase hex SHA-256 of the SPKI DER>". */
#define DSK_STATEMENT_PURPOSE_PREFIX "dstack-pkcs11/statement/v1:"

/* A statement. Pointer fields are heap-owned in a parsed statement (freed by
 * dsk_statement_free) and borrowed by the caller in one given to format. */
typedef struct dsk_statement {
    const char *format;   /* DSK_STATEMENT_FORMAT */
    dsk_chain_api api;    /* "v0" or "v1" in the JSON */
    unsigned char app_id[DSK_APP_ID_LEN];
    const char *key_type; /* "ec-p256", ... (conf's type names) */
    const unsigned char *spki; /* DER SubjectPublicKeyInfo of the key */
    size_t spki_len;
    const char *algorithm; /* the GetKey algorithm: "secp256k1" or "ed25519" */
    /* v0: the purpose text (UTF-8, no NUL). v1: the domain bytes. */
    const unsigned char *purpose;
    size_t purpose_len;
    unsigned char chain_pubkey[DSK_SECP256K1_PUB_LEN]; /* the public key the chain covers */
    size_t chain_pubkey_len;                           /* 33 or 32 */
    unsigned char link0[DSK_CHAIN_LINK_LEN];
    unsigned char link1[DSK_CHAIN_LINK_LEN];
    size_t link1_len; /* 65 or 0 */
    const char *label; /* information only; may be NULL */
    const char *path;  /* information only; may be NULL */
} dsk_statement;

/* JSON text (malloc'd, NUL-terminated, ends with a newline). Deterministic:
 * the same statement gives the same bytes. */
dsk_status dsk_statement_format(const dsk_statement *s, char **json, dsk_error *e);
/* Strict: unknown format ids, missing or mistyped fields, bad hex/base64 or
 * lengths are DSK_E_BAD_INPUT naming the field. Unknown extra fields are
 * ignored (forward compatibility). */
dsk_status dsk_statement_parse(const char *json, size_t len, dsk_statement **out, dsk_error *e);
void dsk_statement_free(dsk_statement *s);

/* The statement purpose for a type and SPKI:
 * "dstack-pkcs11/statement/v1:<type>:<hex SHA-256 of spki>". out must hold
 * DSK_STATEMENT_PURPOSE_MAX bytes. */
#define DSK_STATEMENT_PURPOSE_MAX 128
dsk_status dsk_statement_purpose(const char *key_type, const unsigned char *spki,
                                 size_t spki_len, char out[DSK_STATEMENT_PURPOSE_MAX],
                                 dsk_error *e);

#define DSK_STATEMENT_MAX_CHECKS 16
typedef struct dsk_statement_check {
    const char *name; /* "format", "app id", "key type", ... */
    int ok;           /* 1 held, 0 failed, -1 not run (an earlier check failed) */
    char detail[320];
} dsk_statement_check;

typedef struct dsk_statement_report {
    dsk_statement_check checks[DSK_STATEMENT_MAX_CHECKS]; /* in order */
    size_t n_checks;
    int all_ok;              /* 1 only if every check held */
    dsk_chain_verdict chain; /* the chain's verdict, when it was run */
    const char *not_checked; /* what verification does not prove */
} dsk_statement_report;

/* Offline: the statement, the expected app id and the pinned roots; nothing
 * else. Fails closed: all_ok is 1 only when every check held. DSK_OK with
 * the report filled whatever the verdict; DSK_E_ARGS on programmer error. */
dsk_status dsk_statement_verify(const dsk_statement *s, const unsigned char app_id[DSK_APP_ID_LEN],
                                const unsigned char (*roots)[DSK_SECP256K1_PUB_LEN],
                                size_t n_roots, dsk_statement_report *r);

#endif
