/* The transport: one HTTP/1.1 POST per call through libcurl.
 *
 * Each call builds its own easy handle and closes its connection before
 * returning.  That costs a connect per call (microseconds on a unix socket)
 * and buys three things: no state shared between threads, nothing a forked
 * child could inherit mid-use (the child simply opens its own connection),
 * and no idle connection the agent might close under us. */
#include "internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

#define BUF_FIRST_CAP 4096

/* curl_global_init is not safe to race; this is the only shared state. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_NOTHING);
}

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

typedef struct sink {
    dsk_buf *buf;
    size_t max;
    dsk_status failed; /* why on_data stopped the transfer */
} sink;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;
    dsk_status st = dsk_buf_append(s->buf, p, n, s->max);
    /* p points into libcurl's receive buffer, which it frees unwiped; the
     * body may hold a key.  curl never reads delivered bytes again, so
     * clear them here, leaving only our own (wiped) copy. */
    dsk_wipe(p, n);
    if (st != DSK_OK) {
        s->failed = st;
        return n ? 0 : 1; /* any count other than n aborts */
    }
    return n;
}

static const char *how_to_fix(const dsk_endpoint *ep)
{
    if (strcmp(ep->source, "configured") == 0)
        return "check `endpoint` in the configuration and that the dstack agent is running";
    if (strcmp(ep->source, DSK_ENDPOINT_ENV) == 0)
        return "check " DSK_ENDPOINT_ENV " and that the simulator is running";
    return "start the dstack agent, or set " DSK_ENDPOINT_ENV " or `endpoint` in the configuration";
}

/* Turn a failed transfer into one typed, actionable error. */
static dsk_status map_error(CURL *h, CURLcode rc, const sink *s, const dsk_http_req *req,
                            const char *where, const char *curl_text, dsk_error *err)
{
    const dsk_endpoint *ep = req->ep;
    if (s->failed == DSK_E_NOMEM)
        return dsk_error_set(err, DSK_E_NOMEM, "%s: out of memory for the reply", where);
    if (s->failed == DSK_E_MALFORMED)
        return dsk_error_set(err, DSK_E_MALFORMED,
                             "%s: reply larger than %zu bytes (the reply "
                             "size cap); is this a dstack agent?",
                             where, req->max_reply);
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connected_us = 0;
        curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected_us);
        if (connected_us == 0)
            return dsk_error_set(err, DSK_E_TIMEOUT,
                                 "%s: could not connect within the connect "
                                 "timeout of %ld ms",
                                 where, req->connect_timeout_ms);
        return dsk_error_set(err, DSK_E_TIMEOUT,
                             "%s: no complete reply within the request "
                             "timeout of %ld ms; the agent is stuck or overloaded",
                             where, req->timeout_ms);
    }
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: {
        long os_errno = 0;
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
        char buf[128];
        /* GNU strerror_r (the project builds with _GNU_SOURCE): thread-safe. */
        const char *why = os_errno ? strerror_r((int)os_errno, buf, sizeof buf) : curl_text;
        return dsk_error_set(err, DSK_E_UNREACHABLE, "%s (from %s): cannot connect: %s; %s", where,
                             ep->source, why, how_to_fix(ep));
    }
    case CURLE_GOT_NOTHING:
        return dsk_error_set(err, DSK_E_MALFORMED,
                             "%s: the agent closed the connection without "
                             "a reply",
                             where);
    case CURLE_PARTIAL_FILE:
        return dsk_error_set(err, DSK_E_MALFORMED, "%s: the reply was cut short (%s)", where,
                             curl_text);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return dsk_error_set(err, DSK_E_MALFORMED,
                             "%s: the connection broke during the request "
                             "(%s)",
                             where, curl_text);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP3:
        return dsk_error_set(err, DSK_E_MALFORMED, "%s: not a valid HTTP reply (%s)", where,
                             curl_text);
    case CURLE_OUT_OF_MEMORY:
        return dsk_error_set(err, DSK_E_NOMEM, "%s: out of memory in libcurl", where);
    default:
        return dsk_error_set(err, DSK_E_UNREACHABLE, "%s (from %s): request failed: %s; %s", where,
                             ep->source, curl_text, how_to_fix(ep));
    }
}

static struct curl_slist *request_headers(void)
{
    static const char *const lines[] = {
        "Content-Type: application/json", /* else the real agent decodes protobuf */
        /* Without this curl sends "Expect: 100-continue" for bodies > 1 KiB
         * (long paths) and waits a second for an answer agents never give. */
        "Expect:",
        "Accept: application/json",
    };
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct curl_slist *t = curl_slist_append(list, lines[i]);
        if (!t) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = t;
    }
    return list;
}

static CURLcode set_options(CURL *h, const dsk_http_req *req, const char *url,
                            struct curl_slist *hdrs, sink *s, char *errbuf)
{
    CURLcode rc = CURLE_OK;
    /* Each option is checked: a silently ignored timeout would be a bug. */
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, url);
    if (req->ep->kind == DSK_ENDPOINT_UNIX)
        SET(CURLOPT_UNIX_SOCKET_PATH, req->ep->where);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_NOSIGNAL, 1L); /* no SIGALRM timeouts: we run in other people's threads */
    SET(CURLOPT_NOPROXY, "*"); /* the agent is local; an http_proxy must not see keys */
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_FORBID_REUSE, 1L);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDS, req->body);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    SET(CURLOPT_HTTPHEADER, hdrs);
    SET(CURLOPT_USERAGENT, "dstack-pkcs11");
    SET(CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, req->timeout_ms);
    /* No CURLOPT_MAXFILESIZE: it aborts on Content-Length before the body
     * already received reaches on_data, which is where it gets wiped.  The
     * cap is enforced there instead. */
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, s);
    SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
    return rc;
}

dsk_status dsk_http_post(const dsk_http_req *req, long *status, dsk_buf *reply, dsk_error *err)
{
    dsk_status st = DSK_OK;
    CURL *h = NULL;
    struct curl_slist *hdrs = NULL;
    char where[DSK_WHERE_MAX];
    char url[DSK_ENDPOINT_MAX + 64];
    char errbuf[CURL_ERROR_SIZE] = "";
    sink s = {.buf = reply, .max = req->max_reply, .failed = DSK_OK};

    dsk_endpoint_where(req->ep, req->method, where, sizeof where);
    *status = 0;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        st = dsk_error_set(err, DSK_E_NOMEM, "%s: libcurl could not be initialised (%s)", where,
                           curl_easy_strerror(curl_init_rc));
        goto done;
    }
    /* Over a unix socket the host is irrelevant; the real agent ignores it. */
    if (req->ep->kind == DSK_ENDPOINT_UNIX)
        snprintf(url, sizeof url, "http://localhost/%s", req->method);
    else
        snprintf(url, sizeof url, "%s/%s", req->ep->where, req->method);

    h = curl_easy_init();
    hdrs = request_headers();
    if (!h || !hdrs) {
        st = dsk_error_set(err, DSK_E_NOMEM, "%s: out of memory preparing the request", where);
        goto done;
    }
    CURLcode rc = set_options(h, req, url, hdrs, &s, errbuf);
    if (rc != CURLE_OK) {
        st = dsk_error_set(err, DSK_E_UNREACHABLE, "%s: libcurl refused an option (%s)", where,
                           curl_easy_strerror(rc));
        goto done;
    }
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        st = map_error(h, rc, &s, req, where, errbuf[0] ? errbuf : curl_easy_strerror(rc), err);
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);

done:
    if (st != DSK_OK)
        dsk_buf_free(reply);
    curl_slist_free_all(hdrs);
    if (h)
        curl_easy_cleanup(h);
    return st;
}
