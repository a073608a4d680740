/* The HTTP/1.1 reply framing (RFC 9112) for the transport in http.c: status
 * line, the two headers that decide where the body ends (Content-Length,
 * Transfer-Encoding: chunked) and the body itself, decoded incrementally as
 * bytes arrive. Knows nothing of sockets; allocates only through dsk_buf,
 * which wipes what it drops, because a body may hold a key. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEAD_MAX (64 * 1024) /* a dstack agent's head is a few hundred bytes */

enum {
    RX_HEAD,
    RX_LENGTH,
    RX_CHUNK_SIZE,
    RX_CHUNK_DATA,
    RX_CHUNK_END,
    RX_TRAILER,
    RX_CLOSE,
    RX_DONE
};

static dsk_status bad(dsk_http_rx *rx, dsk_http_rx_why why)
{
    rx->why = why;
    return DSK_E_MALFORMED;
}

/* The first line of data[0..len) ending in CRLF (or LF): its length without
 * the terminator, *next past it; -1 if no full line yet. */
static long line_end(const char *data, size_t len, size_t *next)
{
    const char *nl = memchr(data, '\n', len);
    if (!nl)
        return -1;
    size_t n = (size_t)(nl - data);
    *next = n + 1;
    return (long)(n > 0 && data[n - 1] == '\r' ? n - 1 : n);
}

/* "HTTP/1.x NNN reason" */
static int parse_status_line(const char *l, size_t n, long *status)
{
    if (n < 12 || strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ')
        return -1;
    long s = 0;
    for (int i = 9; i < 12; i++) {
        if (l[i] < '0' || l[i] > '9')
            return -1;
        s = s * 10 + (l[i] - '0');
    }
    if (n > 12 && l[12] != ' ')
        return -1;
    *status = s;
    return 0;
}

static int header_is(const char *l, size_t n, const char *name, const char **value, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(l, name, k) != 0 || l[k] != ':')
        return 0;
    const char *v = l + k + 1, *end = l + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *value = v;
    *vlen = (size_t)(end - v);
    return 1;
}

/* The whole head, once it is all here: status and framing. */
static dsk_status parse_head(dsk_http_rx *rx, const char *data, size_t len, size_t *used)
{
    /* Find the empty line ending the head. */
    size_t pos = 0, next;
    long n;
    int lines = 0;
    while ((n = line_end(data + pos, len - pos, &next)) > 0) {
        pos += next;
        lines++;
    }
    if (n < 0) {
        if (len > HEAD_MAX)
            return bad(rx, DSK_RX_BAD_HEAD);
        *used = 0;
        return DSK_OK; /* not all here yet */
    }
    size_t head_len = pos + next;
    if (lines == 0)
        return bad(rx, DSK_RX_BAD_STATUS);
    /* Status line, then headers. */
    n = line_end(data, len, &next);
    if (parse_status_line(data, (size_t)n, &rx->status) != 0)
        return bad(rx, DSK_RX_BAD_STATUS);
    int chunked = 0, have_length = 0;
    unsigned long long length = 0;
    for (pos = next; (n = line_end(data + pos, head_len - pos, &next)) > 0; pos += next) {
        const char *l = data + pos, *v;
        size_t vl;
        if (header_is(l, (size_t)n, "Transfer-Encoding", &v, &vl)) {
            /* chunked must be the last coding; we ask for no other */
            if (vl < 7 || strncasecmp(v + vl - 7, "chunked", 7) != 0)
                return bad(rx, DSK_RX_BAD_HEAD);
            chunked = 1;
        } else if (header_is(l, (size_t)n, "Content-Length", &v, &vl)) {
            unsigned long long x = 0;
            if (vl == 0 || vl > 18)
                return bad(rx, DSK_RX_BAD_HEAD);
            for (size_t i = 0; i < vl; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return bad(rx, DSK_RX_BAD_HEAD);
                x = x * 10 + (unsigned)(v[i] - '0');
            }
            if (have_length && x != length)
                return bad(rx, DSK_RX_BAD_HEAD);
            have_length = 1;
            length = x;
        }
    }
    *used = head_len;
    if (rx->status >= 100 && rx->status < 200) {
        rx->state = RX_HEAD; /* an interim reply: the real one follows */
        return DSK_OK;
    }
    if (rx->status == 204 || rx->status == 304) {
        rx->state = RX_DONE;
    } else if (chunked) {
        rx->state = RX_CHUNK_SIZE; /* wins over Content-Length (RFC 9112 §6.3) */
    } else if (have_length) {
        if (length > rx->max)
            return bad(rx, DSK_RX_TOO_LARGE);
        rx->remaining = (size_t)length;
        rx->expected = (size_t)length;
        rx->state = length ? RX_LENGTH : RX_DONE;
    } else {
        rx->state = RX_CLOSE; /* HTTP/1.0 style: the body ends at close */
    }
    return DSK_OK;
}

static dsk_status body(dsk_http_rx *rx, dsk_buf *out, const char *p, size_t n)
{
    dsk_status st = dsk_buf_append(out, p, n, rx->max);
    if (st == DSK_E_MALFORMED)
        return bad(rx, DSK_RX_TOO_LARGE);
    return st;
}

static dsk_status chunk_size(dsk_http_rx *rx, const char *data, size_t len, size_t *used)
{
    size_t next;
    long n = line_end(data, len, &next);
    *used = 0;
    if (n < 0)
        return len > 1024 ? bad(rx, DSK_RX_BAD_CHUNK) : DSK_OK;
    size_t size = 0, i = 0;
    for (; i < (size_t)n && data[i] != ';' && data[i] != ' ' && data[i] != '\t'; i++) {
        char c = data[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0 || size > rx->max)
            return bad(rx, DSK_RX_BAD_CHUNK);
        size = size * 16 + (size_t)d;
    }
    if (i == 0)
        return bad(rx, DSK_RX_BAD_CHUNK);
    if (size > rx->max - rx->body_len)
        return bad(rx, DSK_RX_TOO_LARGE);
    *used = next;
    rx->remaining = size;
    rx->state = size ? RX_CHUNK_DATA : RX_TRAILER;
    return DSK_OK;
}

dsk_status dsk_http_rx_feed(dsk_http_rx *rx, const char *data, size_t len, size_t *used,
                            dsk_buf *out)
{
    size_t pos = 0;
    dsk_status st = DSK_OK;
    rx->body_len = out->len;
    while (st == DSK_OK && pos < len && rx->state != RX_DONE) {
        const char *p = data + pos;
        size_t avail = len - pos, took = 0, next;
        long n;
        switch (rx->state) {
        case RX_HEAD:
            st = parse_head(rx, p, avail, &took);
            break;
        case RX_LENGTH:
        case RX_CHUNK_DATA:
            took = avail < rx->remaining ? avail : rx->remaining;
            st = body(rx, out, p, took);
            rx->remaining -= took;
            if (rx->remaining == 0)
                rx->state = rx->state == RX_LENGTH ? RX_DONE : RX_CHUNK_END;
            break;
        case RX_CHUNK_SIZE:
            st = chunk_size(rx, p, avail, &took);
            break;
        case RX_CHUNK_END:
            if ((n = line_end(p, avail, &next)) < 0) {
                if (avail >= 2)
                    st = bad(rx, DSK_RX_BAD_CHUNK);
                break;
            }
            if (n != 0)
                st = bad(rx, DSK_RX_BAD_CHUNK);
            took = next;
            rx->state = RX_CHUNK_SIZE;
            break;
        case RX_TRAILER:
            if ((n = line_end(p, avail, &next)) < 0) {
                if (avail > HEAD_MAX)
                    st = bad(rx, DSK_RX_BAD_CHUNK);
                break;
            }
            took = next;
            if (n == 0)
                rx->state = RX_DONE;
            break;
        case RX_CLOSE:
            took = avail;
            st = body(rx, out, p, took);
            break;
        }
        rx->body_len = out->len;
        if (took == 0)
            break; /* need more bytes */
        pos += took;
    }
    *used = pos;
    return st;
}

dsk_status dsk_http_rx_eof(dsk_http_rx *rx, size_t unparsed)
{
    if (rx->state == RX_DONE || rx->state == RX_CLOSE)
        return DSK_OK;
    /* the last chunk was seen and only the final empty line is missing */
    if (rx->state == RX_TRAILER && unparsed == 0)
        return DSK_OK;
    if (rx->state == RX_HEAD && !rx->seen_bytes)
        return bad(rx, DSK_RX_NOTHING);
    return bad(rx, rx->state == RX_HEAD ? DSK_RX_BAD_STATUS : DSK_RX_CUT);
}

int dsk_http_rx_done(const dsk_http_rx *rx)
{
    return rx->state == RX_DONE;
}

void dsk_http_rx_init(dsk_http_rx *rx, size_t max)
{
    memset(rx, 0, sizeof *rx);
    rx->state = RX_HEAD;
    rx->max = max;
}
