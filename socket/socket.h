/* socket/ — the dstack guest-agent client.
 *
 * Finds the agent's endpoint the way the official SDKs do, sends /GetKey,
 * /Info, /Version, /GetQuote and /Attest over HTTP/1.1 (unix socket or
 * http:// URL; https:// is refused) with a client of its own that needs
 * nothing but libc, and validates every reply strictly.  Knows
 * nothing of cryptography.
 *
 * Threads: a dsk_client may be used by many threads at once.  Fork: a child
 * never reuses a connection of its parent (each call opens its own).
 * dsk_client_new does no I/O; the first call that needs the agent does. */
#ifndef DSK_SOCKET_H
#define DSK_SOCKET_H

#include <stddef.h>

#include "status.h"

#define DSK_DEFAULT_CONNECT_TIMEOUT_MS 1000
#define DSK_DEFAULT_TIMEOUT_MS 5000
#define DSK_DEFAULT_MAX_REPLY (1024 * 1024)

typedef struct dsk_client_opts {
    const char *endpoint;    /* socket path or http(s):// URL; NULL or "" = discover */
    long connect_timeout_ms; /* <= 0: DSK_DEFAULT_CONNECT_TIMEOUT_MS */
    long timeout_ms;         /* total per request; <= 0: DSK_DEFAULT_TIMEOUT_MS */
    size_t max_reply;        /* reply body cap in bytes; 0: DSK_DEFAULT_MAX_REPLY */
    /* Non-zero: endpoint is the value of DSTACK_SIMULATOR_ENDPOINT read
     * earlier by the caller (e.g. before nginx cleared its workers'
     * environment). Only changes messages: they name the variable instead
     * of the configuration. */
    int endpoint_from_env;
    /* The server of a unix socket must be root or this process's own uid;
     * > 0: this uid is trusted too (`agent_uid` in the configuration). */
    long agent_uid;
} dsk_client_opts;

typedef struct dsk_client dsk_client;

/* opts may be NULL (all defaults). Copies what it needs from opts. No I/O. */
dsk_status dsk_client_new(const dsk_client_opts *opts, dsk_client **out, dsk_error *err);
void dsk_client_free(dsk_client *c);

/* The endpoint the client would use now (resolving discovery), for messages:
 * writes a NUL-terminated string into buf. */
void dsk_client_describe(dsk_client *c, char *buf, size_t len);

/* Reply of /GetKey. key is SECRET: the caller wipes it with
 * dsk_key_reply_clear() as soon as it has been used. */
typedef struct dsk_key_reply {
    unsigned char key[32];
    unsigned char chain[2][65]; /* signature_chain[0], [1] */
    size_t chain_len[2];        /* 65, or 0 for an empty entry */
    /* v1 only (dsk_client_v1_get_key): the reply's public_key, 33 bytes SEC1
     * compressed (secp256k1) or 32 raw (ed25519); 0 for v0. Its length is
     * checked here; that it is the key's public key is checked by keys/
     * (this folder knows no cryptography). */
    unsigned char public_key[33];
    size_t public_key_len;
} dsk_key_reply;

/* /GetKey(path, purpose, algorithm). path and purpose are sent byte for byte
 * (they must be valid UTF-8); algorithm is "secp256k1", "k256", "ed25519" or
 * "". Errors: DSK_E_UNREACHABLE (names every socket tried), DSK_E_TIMEOUT,
 * DSK_E_MALFORMED (says what was wrong), DSK_E_REFUSED (the agent's text). */
dsk_status dsk_client_get_key(dsk_client *c, const char *path, const char *purpose,
                              const char *algorithm, dsk_key_reply *out, dsk_error *err);
void dsk_key_reply_clear(dsk_key_reply *r);

/* /Info. Strings are owned by the struct; free with dsk_info_free. */
typedef struct dsk_info {
    char *app_id;      /* 40 hex digits */
    char *instance_id;
    char *app_name;
    char *compose_hash;
    char *tcb_info;    /* a JSON document as text */
    char *json;        /* the whole reply body */
} dsk_info;
dsk_status dsk_client_info(dsk_client *c, dsk_info *out, dsk_error *err);
void dsk_info_free(dsk_info *info);

/* /Version: version and rev copied into the buffers. Agents older than 0.5.7
 * answer DSK_E_REFUSED. */
dsk_status dsk_client_version(dsk_client *c, char *version, size_t vlen, char *rev, size_t rlen,
                              dsk_error *err);

/* /GetQuote and /Attest with up to 64 bytes of report data. The returned
 * string is the reply's "quote" (GetQuote) or "attestation" (Attest) hex,
 * malloc'd, freed by the caller; *json_out (if non-NULL) gets the whole body. */
dsk_status dsk_client_get_quote(dsk_client *c, const unsigned char *report_data, size_t len,
                                char **quote_hex, char **json_out, dsk_error *err);
dsk_status dsk_client_attest(dsk_client *c, const unsigned char *report_data, size_t len,
                             char **attestation_hex, dsk_error *err);

/* ---- dstack 0.6: the /v1 surface (dstack's docs/guest-api-v1.md) ----
 *
 * The same calls under /v1/. An agent older than dstack 0.6 has no /v1 mount
 * and answers a non-JSON 404: every call below then fails with
 * DSK_E_REFUSED (as any HTTP error) and a message saying the agent predates
 * dstack 0.6 and to use `api = v0`. A 404 {"error":"Service not found: X"} (v1 mounted,
 * method missing) is DSK_E_REFUSED with its own message. Other errors as
 * for v0. */

/* /v1/GetKey(domain, algorithm): algorithm exactly "secp256k1" or "ed25519"
 * (v1 has no default and no alias). Fills key, chain and public_key (whose
 * length must fit the algorithm). key is SECRET as for v0. */
dsk_status dsk_client_v1_get_key(dsk_client *c, const char *domain, const char *algorithm,
                                 dsk_key_reply *out, dsk_error *err);
/* /v1/Info: app_id, instance_id, app_name, compose_hash and the whole body
 * (tcb_info stays empty: v1 has none). */
dsk_status dsk_client_v1_info(dsk_client *c, dsk_info *out, dsk_error *err);
/* /v1/Version: the cheapest probe for v1. */
dsk_status dsk_client_v1_version(dsk_client *c, char *version, size_t vlen, char *rev, size_t rlen,
                                 dsk_error *err);
/* /v1/Attest with up to 64 bytes of report data; attestation hex malloc'd. */
dsk_status dsk_client_v1_attest(dsk_client *c, const unsigned char *report_data, size_t len,
                                char **attestation_hex, dsk_error *err);

#endif
