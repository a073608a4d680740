/* What the simulator's files share. Nothing here is a public API: the
 * simulator is a program, and these declarations exist so that its parts can
 * be unit-tested one by one (tests/simulator/ links the core library).
 *
 * Secrets: the app key (dsk_sim_appkeys.k256_key) and every derived key are
 * development keys of a simulator, but they are treated like real ones —
 * never logged, wiped when released. */
#ifndef DSK_SIM_INTERNAL_H
#define DSK_SIM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* ---- appkeys.c: the app's key material (official appkeys.json format) ---- */

#define DSK_SIM_APP_ID_LEN 20

typedef struct dsk_sim_appkeys {
    uint8_t k256_key[32];          /* secret: the app's secp256k1 key */
    uint8_t k256_signature[65];    /* the KMS's signature over the app key */
    size_t k256_signature_len;     /* 65, or 0 when the file has none */
    uint8_t app_id[DSK_SIM_APP_ID_LEN];
} dsk_sim_appkeys;

/* The official simulator's development key, compiled in. */
void dsk_sim_appkeys_default(dsk_sim_appkeys *keys);

/* Read k256_key and k256_signature from an appkeys.json file (other fields
 * are ignored). keys->app_id is kept as it is. Errors name the file
 * and the field. The file's text is wiped after parsing. */
dsk_status dsk_sim_appkeys_load(const char *file, dsk_sim_appkeys *keys, dsk_error *err);

/* Parse an app id (40 hex digits, optional 0x) into keys->app_id. */
dsk_status dsk_sim_appkeys_set_app_id(dsk_sim_appkeys *keys, const char *hex, dsk_error *err);

/* Wipe the secret parts. */
void dsk_sim_appkeys_wipe(dsk_sim_appkeys *keys);

/* A fresh random app key for app_id, its link 1 signed by the KMS private
 * key kms_key (a spoofed or test KMS), or no link 1 when kms_key is NULL (a
 * key provider without KMS). kms_root gets kms_key's compressed public key
 * (zeros without one). */
dsk_status dsk_sim_appkeys_make(const uint8_t *kms_key, const uint8_t app_id[DSK_SIM_APP_ID_LEN],
                                dsk_sim_appkeys *out, uint8_t kms_root[33], dsk_error *err);
/* Write keys as an appkeys.json (k256_key, k256_signature; mode 0600, the
 * file must not exist). */
dsk_status dsk_sim_appkeys_write(const char *file, const dsk_sim_appkeys *keys, dsk_error *err);

/* ---- chain.c: derivation and signature chain, as the real agent does ---- */

typedef enum dsk_sim_algorithm {
    DSK_SIM_ALG_SECP256K1 = 0,
    DSK_SIM_ALG_ED25519 = 1,
} dsk_sim_algorithm;

#define DSK_SIM_SIG_LEN 65 /* r || s || v, v in {0,1} */

/* "secp256k1", "" and "k256" -> secp256k1; "ed25519" -> Ed25519; anything
 * else -> DSK_E_UNSUPPORTED. */
dsk_status dsk_sim_algorithm_parse(const char *name, dsk_sim_algorithm *out);

/* out = HKDF-SHA256(salt, IKM app_key, info, L 32); out is secret. Any
 * info length (OpenSSL 3.0's HKDF caps info; this does not). */
dsk_status dsk_sim_hkdf32(const void *salt, size_t salt_len, const uint8_t app_key[32],
                          const void *info, size_t info_len, uint8_t out[32], dsk_error *err);

/* key = HKDF-SHA256(salt "RATLS", IKM app_key, info path, L 32). out is
 * secret. Any path length (OpenSSL's HKDF caps info; this does not). */
dsk_status dsk_sim_derive_key(const uint8_t app_key[32], const void *path, size_t path_len,
                              uint8_t out[32], dsk_error *err);

/* Public key of a derived key: 33-byte compressed secp256k1 or 32-byte
 * Ed25519 (key used as the RFC 8032 seed). *out_len receives the length. */
dsk_status dsk_sim_public_key(dsk_sim_algorithm alg, const uint8_t key[32],
                              uint8_t out[33], size_t *out_len, dsk_error *err);

/* Recoverable secp256k1 ECDSA over a 32-byte hash: RFC 6979 nonce, low S,
 * r || s || v. */
dsk_status dsk_sim_sign_recoverable(const uint8_t seckey[32], const uint8_t hash[32],
                                    uint8_t sig[DSK_SIM_SIG_LEN], dsk_error *err);

/* signature_chain[0]: app key signs keccak256(purpose ":" hex(pubkey)). */
dsk_status dsk_sim_chain_sign(const uint8_t app_key[32], const char *purpose,
                              const uint8_t *pubkey, size_t pubkey_len,
                              uint8_t sig[DSK_SIM_SIG_LEN], dsk_error *err);

/* Free the process-wide HMAC method and signing context (at exit, after
 * every server thread has stopped). */
void dsk_sim_chain_cleanup(void);

/* ---- fault.c: injected faults ---- */

typedef enum dsk_sim_fault_kind {
    DSK_SIM_FAULT_NONE = 0,
    DSK_SIM_FAULT_DELAY,     /* answer after ms milliseconds */
    DSK_SIM_FAULT_CLOSE,     /* close without any reply */
    DSK_SIM_FAULT_GARBAGE,   /* non-HTTP bytes, then close */
    DSK_SIM_FAULT_OVERSIZED, /* 200 with a 16 MiB body */
    DSK_SIM_FAULT_HTTP400,   /* 400 {"error":"simulated failure"} */
    DSK_SIM_FAULT_HTTP500,   /* 500 with an error body */
    DSK_SIM_FAULT_SHORT_KEY, /* GetKey answers a 31-byte key */
    DSK_SIM_FAULT_HANG,      /* never answer until the fault changes */
} dsk_sim_fault_kind;

typedef struct dsk_sim_fault {
    dsk_sim_fault_kind kind;
    unsigned ms; /* for DSK_SIM_FAULT_DELAY */
} dsk_sim_fault;

#define DSK_SIM_FAULT_DELAY_MAX_MS 600000u
#define DSK_SIM_OVERSIZED_LEN (16u * 1024u * 1024u)
#define DSK_SIM_GARBAGE "\x16\x03\x01 this is not HTTP \xff\xfe\x00\r\n"

/* none | delay:MS | close | garbage | oversized | http400 | http500 |
 * short-key | hang. Errors quote the spec and list the valid ones. */
dsk_status dsk_sim_fault_parse(const char *spec, dsk_sim_fault *out, dsk_error *err);
/* Canonical text of a fault ("delay:200"), into buf of size len. */
void dsk_sim_fault_format(const dsk_sim_fault *f, char *buf, size_t len);

/* The current fault, shared by the connection threads. Hang and delay wait
 * on cond so that a fault change or shutdown ends them. */
typedef struct dsk_sim_fault_state {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    dsk_sim_fault fault;
    unsigned generation; /* bumped on every change */
    bool stopping;
} dsk_sim_fault_state;

int dsk_sim_fault_state_init(dsk_sim_fault_state *st, const dsk_sim_fault *initial);
void dsk_sim_fault_state_destroy(dsk_sim_fault_state *st);
dsk_sim_fault dsk_sim_fault_get(dsk_sim_fault_state *st);
void dsk_sim_fault_set(dsk_sim_fault_state *st, const dsk_sim_fault *f);
/* Wake every waiter for good: they return false from the waits below. */
void dsk_sim_fault_stop(dsk_sim_fault_state *st);
/* Sleep ms milliseconds; false if shutdown interrupted it. */
bool dsk_sim_fault_sleep(dsk_sim_fault_state *st, unsigned ms);
/* Block while the fault is still "hang" (same generation); false on shutdown. */
bool dsk_sim_fault_hang(dsk_sim_fault_state *st);

/* ---- api.c: the five methods, independent of HTTP ---- */

struct cJSON;

/* A method's input: each field as given (not NUL-safe beyond len), or NULL
 * when absent (then it counts as empty). */
typedef struct dsk_sim_request {
    const char *path;
    size_t path_len;
    const char *domain; /* v1 GetKey; domain_len bytes (a query may carry NUL) */
    size_t domain_len;
    const char *purpose;
    const char *algorithm;
    const char *report_data;
} dsk_sim_request;

/* A method's answer: HTTP status and a JSON body (heap, body_len bytes,
 * NUL-terminated). A GetKey body holds a key: free with dsk_sim_reply_clear,
 * which wipes. */
typedef struct dsk_sim_reply {
    unsigned status;
    char *body;
    size_t body_len;
} dsk_sim_reply;

typedef struct dsk_sim_api {
    dsk_sim_appkeys keys;
    /* true: behave as an agent older than dstack 0.6 (no /v0, no /v1 mount,
     * the version of 0.5.x). false (the default): dstack 0.6. */
    bool pre_v1;
    /* true: /GetQuote's "quote" is the structurally valid TDX v4 quote that
     * /Attest carries, as a real TDX agent's is. false (the default): the
     * short marked blob /GetQuote has always answered. */
    bool tdx_quote;
} dsk_sim_api;

typedef enum dsk_sim_method {
    DSK_SIM_GET_KEY,
    DSK_SIM_INFO,
    DSK_SIM_VERSION,
    DSK_SIM_GET_QUOTE,
    DSK_SIM_ATTEST,
    DSK_SIM_V1_GET_KEY, /* the /v1 surface (dstack 0.6) */
    DSK_SIM_V1_INFO,
    DSK_SIM_V1_VERSION,
    DSK_SIM_V1_ATTEST,
    DSK_SIM_METHOD_UNKNOWN,
} dsk_sim_method;

#define DSK_SIM_VERSION_TEXT "0.6.0-simulator"
#define DSK_SIM_VERSION_TEXT_PRE_V1 "0.5.8-simulator"

/* "GetKey" -> DSK_SIM_GET_KEY, ...; anything else DSK_SIM_METHOD_UNKNOWN. */
dsk_sim_method dsk_sim_method_from_name(const char *name);
/* The same for the /v1 surface: GetKey, Info, Version, Attest. */
dsk_sim_method dsk_sim_v1_method_from_name(const char *name);
/* Run a method. Returns DSK_E_NOMEM only when the reply could not be built;
 * RPC failures are replies with status 400. short_key truncates GetKey's
 * key to 31 bytes (the short-key fault). */
dsk_status dsk_sim_api_call(const dsk_sim_api *api, dsk_sim_method m,
                            const dsk_sim_request *req, bool short_key,
                            dsk_sim_reply *reply);
/* A reply {"error": msg} with the given status. */
dsk_status dsk_sim_reply_error(dsk_sim_reply *reply, unsigned status, const char *msg);
void dsk_sim_reply_clear(dsk_sim_reply *reply);

/* A reply holding the unformatted JSON of obj (consumed, even on error). */
dsk_status dsk_sim_reply_json(dsk_sim_reply *reply, unsigned status, struct cJSON *obj);

/* attest.c: the methods that report the (simulated) TEE. */
dsk_status dsk_sim_info(const dsk_sim_api *api, dsk_sim_reply *reply);
dsk_status dsk_sim_version(const dsk_sim_api *api, dsk_sim_reply *reply);
/* GetQuote, or Attest when attest_only. */
dsk_status dsk_sim_quote(const dsk_sim_api *api, const dsk_sim_request *req, bool attest_only,
                         dsk_sim_reply *reply);

/* ---- v1.c: the dstack 0.6 /v1 surface (docs/guest-api-v1.md) ---- */

/* "secp256k1" or "ed25519" exactly (no default, no alias). */
dsk_status dsk_sim_v1_algorithm_parse(const char *name, dsk_sim_algorithm *out);
/* key = HKDF-SHA256(salt "dstack-guest-v1", IKM app_key,
 * info LP("dstack-guest-v1-key") || LP(alg) || LP(domain), L 32); secret. */
dsk_status dsk_sim_v1_derive_key(const uint8_t app_key[32], dsk_sim_algorithm alg,
                                 const void *domain, size_t domain_len, uint8_t out[32],
                                 dsk_error *err);
/* signature_chain[0] of v1: the app key signs keccak256 of
 * LP("dstack-guest-v1-key-claim") || LP(alg) || LP(domain) || LP(pubkey). */
dsk_status dsk_sim_v1_chain_sign(const uint8_t app_key[32], dsk_sim_algorithm alg,
                                 const void *domain, size_t domain_len, const uint8_t *pubkey,
                                 size_t pubkey_len, uint8_t sig[DSK_SIM_SIG_LEN], dsk_error *err);
dsk_status dsk_sim_v1_get_key(const dsk_sim_api *api, const dsk_sim_request *req, bool short_key,
                              dsk_sim_reply *reply);
dsk_status dsk_sim_v1_info(const dsk_sim_api *api, dsk_sim_reply *reply);

/* Fill req from a JSON object body. Returns NULL on success, or the text of
 * the 400 error. The request points into *json_out, which the caller frees
 * with cJSON_Delete. */
const char *dsk_sim_request_from_json(const char *body, size_t len, dsk_sim_request *req,
                                      struct cJSON **json_out);

/* ---- http.c: the HTTP front (libmicrohttpd) ---- */

typedef struct dsk_sim_server dsk_sim_server;

typedef struct dsk_sim_server_config {
    const char *socket_path;  /* unix socket to create (required) */
    const char *listen_addr;  /* "127.0.0.1:PORT" or NULL */
    const dsk_sim_api *api;   /* borrowed; outlives the server */
    dsk_sim_fault_state *faults; /* borrowed */
} dsk_sim_server_config;

/* Bind, listen and serve in background threads. A stale socket file (no
 * server behind it) is replaced; a live one is an error. */
dsk_status dsk_sim_server_start(const dsk_sim_server_config *cfg, dsk_sim_server **out,
                                dsk_error *err);
/* The TCP port actually bound (for --listen with port 0), or 0. */
unsigned dsk_sim_server_port(const dsk_sim_server *srv);
/* Stop serving, end hanging requests, join threads, remove the socket file. */
void dsk_sim_server_stop(dsk_sim_server *srv);

#endif
