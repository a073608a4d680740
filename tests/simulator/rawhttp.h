/* A raw HTTP/1.1 client for the simulator tests: bytes on a unix socket,
 * so that framing, faults and odd clients can be observed exactly. */
#ifndef DSK_TEST_RAWHTTP_H
#define DSK_TEST_RAWHTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef enum raw_result {
    RAW_OK = 0,       /* a complete response framed by Content-Length */
    RAW_CLOSED,       /* the server closed before sending any byte */
    RAW_NOT_HTTP,     /* bytes arrived that are not an HTTP status line */
    RAW_TIMEOUT,      /* nothing complete within the timeout */
    RAW_ERROR,        /* connect/IO error, or a response cut short */
} raw_result;

typedef struct raw_reply {
    int status;
    bool has_content_length, chunked;
    char head[4096];  /* status line and headers, NUL-terminated */
    char *body;       /* heap, NUL-terminated; free with raw_reply_free */
    size_t body_len;
    char *raw;        /* every byte received (for garbage checks) */
    size_t raw_len, raw_cap;
} raw_reply;

/* Connect to a unix socket: fd or -1. */
int raw_connect(const char *sock);
/* Write all bytes: 0 or -1. */
int raw_send(int fd, const void *data, size_t len);
/* Read one response on fd within timeout_ms. */
raw_result raw_read_reply(int fd, raw_reply *r, int timeout_ms);
/* Read until the server closes (or timeout): RAW_CLOSED when it closed,
 * RAW_TIMEOUT otherwise; the bytes are in r->raw. */
raw_result raw_read_to_close(int fd, raw_reply *r, int timeout_ms);
void raw_reply_free(raw_reply *r);

/* One request on a fresh connection (Connection: close). body may be NULL
 * (no body, no Content-Type). */
raw_result raw_request(const char *sock, const char *method, const char *target,
                       const char *body, raw_reply *r, int timeout_ms);

/* The value of a JSON string field in r->body ("" if absent), copied to out. */
void raw_json_string(const raw_reply *r, const char *name, char *out, size_t len);

#endif
