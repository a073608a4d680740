/* The transport: one HTTP/1.1 POST per call over a connection of our own.
 *
 * Each call opens its own connection and closes it before returning. That
 * costs a connect per call (microseconds on a unix socket) and buys three
 * things: no state shared between threads, nothing a forked child could
 * inherit mid-use (the child simply opens its own connection), and no idle
 * connection the agent might close under us.
 *
 * Written here rather than taken from libcurl (which this used until issue
 * 14): libcurl pulls about 35 shared libraries into every process that
 * loads the module or the provider, most of which never use a dstack key;
 * the agent is local and speaks plain HTTP/1.1, which needs a few hundred
 * lines and nothing but libc. docs/benchmarks.md has the measurements. The
 * one thing lost is https:// endpoints, refused with a message. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "wipe.h"

#define BUF_FIRST_CAP 4096
#define RECV_CHUNK 4096
#define RAW_MAX (256 * 1024) /* unparsed reply bytes held at once */

dsk_status dsk_buf_append(dsk_buf *b, const void *p, size_t n, size_t max)
{
    if (n > max || b->len > max - n)
        return DSK_E_MALFORMED;
    size_t need = b->len + n;
    if (need == SIZE_MAX)
        return DSK_E_NOMEM;
    need++; /* the NUL kept after the data */
    if (need > b->cap) {
        /* Not realloc: it may move the block and leave a copy of a key in
         * freed memory.  Grow by hand and wipe the old block. */
        size_t cap = b->cap ? b->cap : BUF_FIRST_CAP;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (max < SIZE_MAX && cap > max + 1)
            cap = max + 1 > need ? max + 1 : need;
        char *nd = malloc(cap);
        if (!nd)
            return DSK_E_NOMEM;
        if (b->data) {
            memcpy(nd, b->data, b->len);
            dsk_wipe_free(b->data, b->cap);
        }
        b->data = nd;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return DSK_OK;
}

void dsk_buf_free(dsk_buf *b)
{
    if (!b)
        return;
    dsk_wipe_free(b->data, b->cap);
    b->data = NULL;
    b->len = b->cap = 0;
}

static const char *how_to_fix(const dsk_endpoint *ep)
{
    if (strcmp(ep->source, "configured") == 0)
        return "check `endpoint` in the configuration and that the dstack agent is running";
    if (strcmp(ep->source, DSK_ENDPOINT_ENV) == 0)
        return "check " DSK_ENDPOINT_ENV " and that the simulator is running";
    return "start the dstack agent, or set " DSK_ENDPOINT_ENV " or `endpoint` in the configuration";
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* One call's context: where it goes, its deadlines, its message prefix. */
typedef struct call {
    const dsk_http_req *req;
    char where[DSK_WHERE_MAX];
    long connect_deadline, deadline; /* CLOCK_MONOTONIC ms */
    int connected;
} call;

static dsk_status timed_out(const call *c, dsk_error *err)
{
    if (!c->connected)
        return dsk_error_set(err, DSK_E_TIMEOUT,
                             "%s: could not connect within the connect timeout of %ld ms", c->where,
                             c->req->connect_timeout_ms);
    return dsk_error_set(err, DSK_E_TIMEOUT,
                         "%s: no complete reply within the request timeout of %ld ms; the agent "
                         "is stuck or overloaded",
                         c->where, c->req->timeout_ms);
}

static dsk_status cannot_connect(const call *c, int e, dsk_error *err)
{
    char buf[128];
    /* GNU strerror_r (the project builds with _GNU_SOURCE): thread-safe. */
    return dsk_error_set(err, DSK_E_UNREACHABLE, "%s (from %s): cannot connect: %s; %s", c->where,
                         c->req->ep->source, strerror_r(e, buf, sizeof buf),
                         how_to_fix(c->req->ep));
}

static dsk_status broke(const call *c, int e, dsk_error *err)
{
    char buf[128];
    return dsk_error_set(err, DSK_E_MALFORMED, "%s: the connection broke during the request (%s)",
                         c->where, strerror_r(e, buf, sizeof buf));
}

/* Wait for fd to be ready for events until deadline: 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, long deadline)
{
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1; /* let the next call report the error */
    }
}

/* Non-blocking connect of fd to addr within the connect deadline. */
static dsk_status connect_fd(call *c, int fd, const struct sockaddr *addr, socklen_t len,
                             dsk_error *err)
{
    for (;;) {
        if (connect(fd, addr, len) == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            /* a unix socket whose backlog is full: try again shortly */
            if (now_ms() >= c->connect_deadline)
                return timed_out(c, err);
            poll(NULL, 0, 5);
            continue;
        }
        if (errno != EINPROGRESS)
            return cannot_connect(c, errno, err);
        if (!wait_fd(fd, POLLOUT, c->connect_deadline))
            return timed_out(c, err);
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
            e = errno;
        if (e != 0)
            return cannot_connect(c, e, err);
        break;
    }
    c->connected = 1;
    return DSK_OK;
}

static dsk_status open_unix(call *c, int *fd_out, dsk_error *err)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(c->req->ep->where);
    if (n >= sizeof a.sun_path) /* endpoint.c refuses these already */
        return cannot_connect(c, ENAMETOOLONG, err);
    memcpy(a.sun_path, c->req->ep->where, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cannot_connect(c, errno, err);
    dsk_status st = connect_fd(c, fd, (struct sockaddr *)&a, sizeof a, err);
    /* Connected, nothing sent: who serves this socket (peer.c)? */
    if (st == DSK_OK &&
        (st = dsk_socket_peer_check(fd, c->req->ep->where, c->req->agent_uid, err)) != DSK_OK)
        dsk_error_prefix(err, "%s", c->where);
    if (st != DSK_OK) {
        close(fd);
        return st;
    }
    *fd_out = fd;
    return DSK_OK;
}

/* "http://host[:port][/prefix]": host (brackets dropped), port, prefix. */
static int split_url(const char *url, char *host, size_t hlen, char *port, size_t plen,
                     const char **prefix)
{
    const char *h = url + 7, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end)
            return -1;
        h++;
    } else {
        end = h + strcspn(h, ":/");
    }
    if ((size_t)(end - h) >= hlen || end == h)
        return -1;
    memcpy(host, h, (size_t)(end - h));
    host[end - h] = '\0';
    if (*end == ']')
        end++;
    const char *p = "80";
    size_t pl = 2;
    if (*end == ':') {
        p = end + 1;
        pl = strcspn(p, "/");
        end = p + pl;
    }
    if (pl == 0 || pl >= plen || strspn(p, "0123456789") < pl)
        return -1;
    memcpy(port, p, pl);
    port[pl] = '\0';
    *prefix = end;
    return 0;
}

static dsk_status open_tcp(call *c, int *fd_out, dsk_error *err)
{
    char host[DSK_ENDPOINT_MAX], port[8];
    const char *prefix;
    if (strncasecmp(c->req->ep->where, "https://", 8) == 0)
        return dsk_error_set(err, DSK_E_UNREACHABLE,
                             "%s (from %s): https:// endpoints are not supported (the agent is "
                             "local): use its unix socket or an http:// URL",
                             c->where, c->req->ep->source);
    if (split_url(c->req->ep->where, host, sizeof host, port, sizeof port, &prefix) != 0)
        return dsk_error_set(err, DSK_E_UNREACHABLE,
                             "%s (from %s): not a URL of the form http://host[:port][/path]; %s",
                             c->where, c->req->ep->source, how_to_fix(c->req->ep));
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0)
        return dsk_error_set(err, DSK_E_UNREACHABLE, "%s (from %s): cannot resolve %s: %s; %s",
                             c->where, c->req->ep->source, host, gai_strerror(rc),
                             how_to_fix(c->req->ep));
    dsk_status st = DSK_E_UNREACHABLE;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd =
            socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            st = cannot_connect(c, errno, err);
            continue;
        }
        st = connect_fd(c, fd, a->ai_addr, a->ai_addrlen, err);
        if (st == DSK_OK) {
            *fd_out = fd;
            break;
        }
        close(fd);
        if (st == DSK_E_TIMEOUT)
            break;
    }
    freeaddrinfo(ai);
    return st;
}

/* The request head: the headers the agent needs, nothing that could make a
 * server wait (no Expect), and Connection: close. */
static int format_head(const call *c, char *buf, size_t len)
{
    const dsk_endpoint *ep = c->req->ep;
    const char *prefix = "", *host = "localhost";
    size_t host_len = 9;
    if (ep->kind == DSK_ENDPOINT_URL) {
        const char *h = ep->where + 7;
        host = h;
        host_len = strcspn(h, "/");
        prefix = h + host_len;
    }
    int n = snprintf(buf, len,
                     "POST %s/%s HTTP/1.1\r\n"
                     "Host: %.*s\r\n"
                     "User-Agent: dstack-pkcs11\r\n"
                     /* else the real agent decodes protobuf */
                     "Content-Type: application/json\r\n"
                     "Accept: application/json\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     prefix, c->req->method, (int)host_len, host, c->req->body_len);
    return n > 0 && (size_t)n < len ? n : -1;
}

static dsk_status send_all(const call *c, int fd, const char *p, size_t n, dsk_error *err)
{
    while (n > 0) {
        /* MSG_NOSIGNAL: a closed peer must not kill the host with SIGPIPE */
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_fd(fd, POLLOUT, c->deadline))
                return timed_out(c, err);
        } else if (w < 0 && errno != EINTR) {
            return broke(c, errno, err);
        }
    }
    return DSK_OK;
}

static dsk_status refused_reply(const call *c, const dsk_http_rx *rx, dsk_status st, dsk_error *err)
{
    static const char *const text[] = {
        [DSK_RX_NOTHING] = "the agent closed the connection without a reply",
        [DSK_RX_BAD_STATUS] = "not a valid HTTP reply (no HTTP/1.x status line)",
        [DSK_RX_BAD_HEAD] = "not a valid HTTP reply (a bad or oversized header)",
        [DSK_RX_BAD_CHUNK] = "not a valid HTTP reply (broken chunked encoding)",
        [DSK_RX_CUT] = "the reply was cut short (the connection closed inside the body)",
    };
    if (st == DSK_E_NOMEM)
        return dsk_error_set(err, DSK_E_NOMEM, "%s: out of memory for the reply", c->where);
    if (rx->why == DSK_RX_TOO_LARGE)
        return dsk_error_set(err, DSK_E_MALFORMED,
                             "%s: reply larger than %zu bytes (the reply size cap); is this a "
                             "dstack agent?",
                             c->where, c->req->max_reply);
    return dsk_error_set(err, DSK_E_MALFORMED, "%s: %s", c->where,
                         text[rx->why] ? text[rx->why] : "not a valid HTTP reply");
}

/* Read and decode the reply into body. Received bytes wait in raw until
 * the decoder takes them; every buffer a key passed through is wiped. */
static dsk_status receive(const call *c, int fd, dsk_http_rx *rx, dsk_buf *body, dsk_error *err)
{
    dsk_buf raw = {0};
    char chunk[RECV_CHUNK];
    dsk_status st = DSK_OK;
    while (!dsk_http_rx_done(rx)) {
        ssize_t r = recv(fd, chunk, sizeof chunk, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_fd(fd, POLLIN, c->deadline)) {
                st = timed_out(c, err);
                break;
            }
            continue;
        }
        if (r < 0) {
            st = broke(c, errno, err);
            break;
        }
        if (r == 0) {
            if ((st = dsk_http_rx_eof(rx, raw.len)) != DSK_OK)
                st = refused_reply(c, rx, st, err);
            break;
        }
        rx->seen_bytes = 1;
        st = dsk_buf_append(&raw, chunk, (size_t)r, RAW_MAX);
        dsk_wipe(chunk, (size_t)r);
        size_t used = 0;
        if (st == DSK_OK)
            st = dsk_http_rx_feed(rx, raw.data, raw.len, &used, body);
        else if (st == DSK_E_MALFORMED)
            rx->why = DSK_RX_BAD_HEAD;
        if (st != DSK_OK) {
            st = refused_reply(c, rx, st, err);
            break;
        }
        /* Keep only what the decoder has not taken; wipe the rest. */
        memmove(raw.data, raw.data + used, raw.len - used);
        dsk_wipe(raw.data + raw.len - used, used);
        raw.len -= used;
    }
    dsk_buf_free(&raw);
    return st;
}

dsk_status dsk_http_post(const dsk_http_req *req, long *status, dsk_buf *reply, dsk_error *err)
{
    call c = {.req = req};
    dsk_http_rx rx;
    char head[DSK_ENDPOINT_MAX + 512];
    int fd = -1;
    long start = now_ms();
    long ct = req->connect_timeout_ms < req->timeout_ms ? req->connect_timeout_ms : req->timeout_ms;
    c.connect_deadline = start + ct;
    c.deadline = start + req->timeout_ms;
    dsk_endpoint_where(req->ep, req->method, c.where, sizeof c.where);
    dsk_http_rx_init(&rx, req->max_reply);
    *status = 0;

    dsk_status st =
        req->ep->kind == DSK_ENDPOINT_UNIX ? open_unix(&c, &fd, err) : open_tcp(&c, &fd, err);
    if (st != DSK_OK)
        goto done;
    int hl = format_head(&c, head, sizeof head);
    if (hl < 0) {
        st = dsk_error_set(err, DSK_E_ARGS, "%s: request head too long", c.where);
        goto done;
    }
    if ((st = send_all(&c, fd, head, (size_t)hl, err)) != DSK_OK ||
        (st = send_all(&c, fd, req->body, req->body_len, err)) != DSK_OK)
        goto done;
    if ((st = receive(&c, fd, &rx, reply, err)) == DSK_OK)
        *status = rx.status;
done:
    if (fd >= 0)
        close(fd);
    if (st != DSK_OK)
        dsk_buf_free(reply);
    return st;
}
