/* socket/ internals: shared by endpoint.c, http.c, reply.c and client.c, and
 * exposed to tests/socket/ so that discovery, framing and validation can be
 * tested without a live agent.  Nothing here is part of the public API. */
#ifndef DSK_SOCKET_INTERNAL_H
#define DSK_SOCKET_INTERNAL_H

#include <stddef.h>

#include "socket.h"
#include "status.h"

/* ---- endpoint.c ---------------------------------------------------------- */

#define DSK_ENDPOINT_ENV "DSTACK_SIMULATOR_ENDPOINT"
#define DSK_ENDPOINT_MAX 1024

/* The default sockets, in the order the official SDKs try them; NULL-ended. */
extern const char *const dsk_default_sockets[];

typedef enum dsk_endpoint_kind {
    DSK_ENDPOINT_UNIX, /* where = socket path */
    DSK_ENDPOINT_URL,  /* where = http(s)://host[:port][/prefix], no trailing '/' */
} dsk_endpoint_kind;

typedef struct dsk_endpoint {
    dsk_endpoint_kind kind;
    const char *source; /* static text: "configured", DSK_ENDPOINT_ENV or "default" */
    char where[DSK_ENDPOINT_MAX];
} dsk_endpoint;

/* Pick the endpoint: configured (non-empty) → env_value (non-empty) → the
 * first of defaults that exists.  No I/O but stat() of the defaults.
 * DSK_E_UNREACHABLE (lists every default tried and what to do) or
 * DSK_E_CONFIG (an endpoint too long for a socket path or a URL). */
dsk_status dsk_endpoint_resolve(const char *configured, const char *env_value,
                                const char *const *defaults, dsk_endpoint *out, dsk_error *err);

/* Human text for messages: "unix socket /run/dstack.sock" or the URL. */
void dsk_endpoint_describe(const dsk_endpoint *ep, char *buf, size_t len);

/* Message prefix for a call: "/GetKey on unix socket /run/dstack.sock". */
#define DSK_WHERE_MAX (DSK_ENDPOINT_MAX + 64)
void dsk_endpoint_where(const dsk_endpoint *ep, const char *method, char *buf, size_t len);

/* ---- http.c -------------------------------------------------------------- */

/* A growable byte buffer for reply bodies, which may carry a key: every
 * block it drops is wiped first, and dsk_buf_free wipes. Always kept
 * NUL-terminated after data[len] when data != NULL. */
typedef struct dsk_buf {
    char *data;
    size_t len, cap;
} dsk_buf;

/* Append n bytes; DSK_E_NOMEM, or DSK_E_MALFORMED when len would exceed max. */
dsk_status dsk_buf_append(dsk_buf *b, const void *p, size_t n, size_t max);
void dsk_buf_free(dsk_buf *b);

typedef struct dsk_http_req {
    const dsk_endpoint *ep;
    const char *method; /* "GetKey": POSTed to /GetKey */
    const char *body;   /* JSON text, body_len bytes */
    size_t body_len;
    long connect_timeout_ms, timeout_ms;
    size_t max_reply;
    long agent_uid; /* unix sockets: a uid trusted besides root (> 0), see peer.c */
} dsk_http_req;

/* POST one request on a fresh connection and collect the reply (HTTP/1.1
 * over the unix socket or plain http://; https:// is refused).  On DSK_OK
 * *status holds the HTTP status (any) and reply the body (caller frees with
 * dsk_buf_free).  Errors: DSK_E_UNREACHABLE, DSK_E_TIMEOUT, DSK_E_MALFORMED
 * (bad framing, reply too large), DSK_E_NOMEM; messages name the endpoint. */
dsk_status dsk_http_post(const dsk_http_req *req, long *status, dsk_buf *reply, dsk_error *err);

/* ---- framing.c ----------------------------------------------------------- */

/* Why a reply was refused; http.c turns it into the message. */
typedef enum dsk_http_rx_why {
    DSK_RX_NONE,
    DSK_RX_NOTHING,    /* the peer closed without sending a byte */
    DSK_RX_BAD_STATUS, /* not an HTTP/1.x status line */
    DSK_RX_BAD_HEAD,   /* a head too long or a framing header we cannot trust */
    DSK_RX_BAD_CHUNK,  /* broken chunked encoding */
    DSK_RX_CUT,        /* the connection ended inside the body */
    DSK_RX_TOO_LARGE,  /* the body exceeds max */
} dsk_http_rx_why;

/* An HTTP/1.1 reply decoded as it arrives. */
typedef struct dsk_http_rx {
    int state;
    long status;
    size_t max;       /* body cap */
    size_t remaining; /* bytes left in the body or the current chunk */
    size_t expected;  /* Content-Length, for messages */
    size_t body_len;  /* body bytes decoded so far */
    int seen_bytes;   /* set by the caller once any byte arrived */
    dsk_http_rx_why why;
} dsk_http_rx;

void dsk_http_rx_init(dsk_http_rx *rx, size_t max);
/* Decode from data[0..len): consumes *used bytes (the rest waits for more),
 * appends body bytes to out. DSK_OK, DSK_E_NOMEM or DSK_E_MALFORMED (why
 * set). */
dsk_status dsk_http_rx_feed(dsk_http_rx *rx, const char *data, size_t len, size_t *used,
                            dsk_buf *out);
/* The connection ended with `unparsed` bytes left unconsumed: DSK_OK if the
 * reply is complete, else DSK_E_MALFORMED (why set). */
dsk_status dsk_http_rx_eof(dsk_http_rx *rx, size_t unparsed);
int dsk_http_rx_done(const dsk_http_rx *rx);

/* ---- peer.c -------------------------------------------------------------- */

/* Check the server of a connected unix socket fd at path: its uid must be
 * root, our effective uid, or agent_uid (> 0); and path's directory must not
 * be world-writable without the sticky bit. DSK_E_UNREACHABLE with the
 * reason and what to do (the caller prefixes where). The transport calls it
 * after connect() and before sending anything. */
dsk_status dsk_socket_peer_check(int fd, const char *path, long agent_uid, dsk_error *err);

/* ---- jsoncheck.c --------------------------------------------------------- */

/* 1 if text[0..len) is exactly one JSON value (RFC 8259, whitespace around
 * allowed) that cJSON parses whole; 0 otherwise.  Allocates nothing, so a
 * rejected body that holds a key leaves no copy behind. */
int dsk_json_check(const char *text, size_t len);
/* The same, and *has_nul = 1 when a string holds the escape \u0000: cJSON
 * keeps such a string as a C string that strlen cuts at the NUL, so its
 * length cannot be checked (a "key" of 64 hex digits, \u0000, and more). */
int dsk_json_check_nul(const char *text, size_t len, int *has_nul);

/* ---- reply.c ------------------------------------------------------------- */

/* Validators for reply bodies.  `where` names method and endpoint for the
 * message ("/GetKey on unix socket /run/dstack.sock").  A non-200 status
 * gives DSK_E_REFUSED with the agent's text; anything unexpected gives
 * DSK_E_MALFORMED saying what.  GetKey bodies are never quoted in messages,
 * and every string of their JSON tree is wiped before it is freed. */
dsk_status dsk_reply_key(const char *where, long status, const char *body, size_t len,
                         dsk_key_reply *out, dsk_error *err);
dsk_status dsk_reply_info(const char *where, long status, const char *body, size_t len,
                          dsk_info *out, dsk_error *err);
dsk_status dsk_reply_version(const char *where, long status, const char *body, size_t len,
                             char *version, size_t vlen, char *rev, size_t rlen, dsk_error *err);
/* The hex string `field` of a GetQuote/Attest reply, malloc'd into *hex_out. */
dsk_status dsk_reply_hex_field(const char *where, long status, const char *body, size_t len,
                               const char *field, char **hex_out, dsk_error *err);

/* A /v1 GetKey reply: as dsk_reply_key, plus "public_key" of pub_len bytes
 * (33 for secp256k1, 32 for ed25519) into out->public_key. */
dsk_status dsk_reply_key_v1(const char *where, long status, const char *body, size_t len,
                            size_t pub_len, dsk_key_reply *out, dsk_error *err);
/* A 404 from a /v1 path: always DSK_E_REFUSED. A body that is not
 * {"error":"Service not found: ..."} means no /v1 mount (the agent predates
 * dstack 0.6: use api = v0); that body means v1 lacks method. */
dsk_status dsk_reply_v1_404(const char *where, const char *method, const char *body, size_t len,
                            dsk_error *err);

/* Copy up to max bytes of untrusted text into out (outlen bytes) showing
 * only printable ASCII (others as \xNN), with "..." when cut. */
void dsk_printable(const char *in, size_t inlen, size_t max, char *out, size_t outlen);

#endif
