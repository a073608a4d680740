/* The HTTP/1.1 transport (http.c, framing.c) against a scripted server:
 * request bytes, reply framings, size cap, timeouts and connection
 * failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fakesrv.h"
#include "internal.h"

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* POST body to the fake server's socket with the given limits. */
static dsk_status post(const char *sock, const char *body, size_t max_reply, long timeout_ms,
                       long *status, dsk_buf *reply, dsk_error *e)
{
    dsk_endpoint ep;
    assert_int_equal(dsk_endpoint_resolve(sock, NULL, NULL, &ep, NULL), DSK_OK);
    dsk_http_req r = {.ep = &ep,
                      .method = "GetKey",
                      .body = body,
                      .body_len = strlen(body),
                      .connect_timeout_ms = 10000,
                      .timeout_ms = timeout_ms,
                      .max_reply = max_reply};
    memset(e, 0, sizeof *e);
    return dsk_http_post(&r, status, reply, e);
}

static void test_buf_growth(void **state)
{
    (void)state;
    dsk_buf b = {0};
    char chunk[333];
    for (int i = 0; i < 30; i++) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        assert_int_equal(dsk_buf_append(&b, chunk, sizeof chunk, 10000), DSK_OK);
    }
    assert_int_equal(b.len, 9990);
    assert_true(b.cap > b.len && b.cap <= 10001);
    for (size_t i = 0; i < b.len; i++)
        assert_int_equal(b.data[i], 'a' + (int)(i / 333) % 26);
    assert_int_equal(b.data[b.len], '\0');
    /* Past the cap: refused, contents untouched. */
    assert_int_equal(dsk_buf_append(&b, chunk, 11, 10000), DSK_E_MALFORMED);
    assert_int_equal(b.len, 9990);
    assert_int_equal(dsk_buf_append(&b, chunk, 10, 10000), DSK_OK);
    dsk_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
}

static void test_request_bytes(void **state)
{
    (void)state;
    dsk_fake_srv f;
    assert_int_equal(dsk_fake_start(&f, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", -1, 0),
                     0);
    /* A body over 1 KiB: no "Expect: 100-continue" (agents never answer it). */
    char body[2001];
    memset(body, 'p', sizeof body - 1);
    body[0] = '{';
    body[sizeof body - 2] = '}';
    body[sizeof body - 1] = '\0';
    long status;
    dsk_buf reply = {0};
    dsk_error e;
    assert_int_equal(post(f.sock, body, 1024, 20000, &status, &reply, &e), DSK_OK);
    assert_int_equal(status, 200);
    assert_int_equal(reply.len, 2);
    assert_string_equal(reply.data, "{}");
    dsk_buf_free(&reply);
    assert_true(strncmp(f.request, "POST /GetKey HTTP/1.1\r\n", 23) == 0);
    assert_non_null(strstr(f.request, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(f.request, "\r\nContent-Length: 2000\r\n"));
    assert_null(strstr(f.request, "Expect:"));
    assert_null(strstr(f.request, "chunked"));
    assert_non_null(strstr(f.request, "\r\nHost: localhost\r\n"));
    assert_non_null(strstr(f.request, "\r\nConnection: close\r\n"));
    char *head_end = strstr(f.request, "\r\n\r\n");
    assert_non_null(head_end);
    assert_int_equal(f.request_len - (size_t)(head_end + 4 - f.request), 2000);
    assert_string_equal(head_end + 4, body);
    dsk_fake_stop(&f);
}

/* Good framings other than Content-Length are accepted; the status and body
 * are passed up unchanged for the validators. */
static void test_framings(void **state)
{
    (void)state;
    const char *replies[] = {
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\n{\"error\":1}",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
        "chunked\r\n\r\n4\r\n{\"er\r\n7\r\nror\":1}\r\n0\r\n\r\n",
        "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"error\":1}",
        /* an interim reply first; chunk extensions and trailers */
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        "b;ext=1\r\n{\"error\":1}\r\n0\r\nX-Trailer: y\r\n\r\n",
        /* chunked wins over Content-Length; hex sizes in capitals */
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        "A\r\n{\"error\":1\r\n1\r\n}\r\n0\r\n\r\n",
    };
    long want[] = {400, 200, 200, 200, 200};
    for (int i = 0; i < 5; i++) {
        dsk_fake_srv f;
        assert_int_equal(dsk_fake_start(&f, replies[i], -1, 0), 0);
        long status;
        dsk_buf reply = {0};
        dsk_error e;
        assert_int_equal(post(f.sock, "{}", 1024, 20000, &status, &reply, &e), DSK_OK);
        assert_int_equal(status, want[i]);
        assert_string_equal(reply.data, "{\"error\":1}");
        dsk_buf_free(&reply);
        dsk_fake_stop(&f);
    }
}

/* Broken framings: each a distinct DSK_E_MALFORMED message naming the call. */
static void test_bad_framings(void **state)
{
    (void)state;
#define GARBAGE "\x16\x03\x01garbage\x00\xff\r\n\r\n"
    struct {
        const char *reply;
        size_t max;
        const char *why;
    } cases[] = {
        {NULL, 1024, "closed the connection without a reply"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"key\":", 1024, "cut short"},
        {GARBAGE, 1024, "not a valid HTTP reply"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1024,
         "not a valid HTTP reply (broken chunked"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n{}", 1024, "not a valid HTTP reply"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}", 1024, "cut short"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n%1000%1000%1000%1000%1000", 1000,
         "reply larger than 1000 bytes"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3e8\r\n"
         "%1000"
         "\r\n3e8\r\n"
         "%1000"
         "\r\n0\r\n\r\n",
         1500, "reply larger than 1500 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* "%1000" stands for 1000 filler bytes in a chunk. */
        char buf[8192] = "";
        const char *reply = cases[i].reply;
        if (reply && strstr(reply, "%1000")) {
            char fill[1001];
            memset(fill, ' ', 1000);
            fill[1000] = '\0';
            const char *p = reply, *q;
            while ((q = strstr(p, "%1000"))) {
                strncat(buf, p, (size_t)(q - p));
                strcat(buf, fill);
                p = q + 5;
            }
            strcat(buf, p);
            reply = buf;
        }
        dsk_fake_srv f;
        long len = reply == cases[2].reply ? (long)sizeof GARBAGE - 1 : -1;
        assert_int_equal(dsk_fake_start(&f, reply, len, 0), 0);
        long status;
        dsk_buf reply_buf = {0};
        dsk_error e;
        assert_int_equal(post(f.sock, "{}", cases[i].max, 20000, &status, &reply_buf, &e),
                         DSK_E_MALFORMED);
        assert_null(reply_buf.data);
        print_message("case %zu: %s\n", i, e.msg);
        if (!strstr(e.msg, cases[i].why) || !strstr(e.msg, f.sock) || !strstr(e.msg, "/GetKey"))
            fail_msg("case %zu: \"%s\" lacks \"%s\" or the socket", i, e.msg, cases[i].why);
        dsk_fake_stop(&f);
    }
}

static void test_request_timeout(void **state)
{
    (void)state;
    dsk_fake_srv f;
    assert_int_equal(dsk_fake_start(&f, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", -1, 1500),
                     0);
    long status, t0 = now_ms();
    dsk_buf reply = {0};
    dsk_error e;
    assert_int_equal(post(f.sock, "{}", 1024, 300, &status, &reply, &e), DSK_E_TIMEOUT);
    long took = now_ms() - t0;
    assert_true(took >= 290 && took < 800);
    assert_non_null(strstr(e.msg, "request timeout of 300 ms"));
    assert_non_null(strstr(e.msg, f.sock));
    dsk_fake_stop(&f);
}

/* A loopback listener whose accept queue is full drops new SYNs, so the
 * connect itself hangs: the connect timeout, not the total one, fires. */
static void test_connect_timeout(void **state)
{
    (void)state;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0), fill[4];
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 0), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        (void)connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    usleep(50000);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    dsk_endpoint ep;
    assert_int_equal(dsk_endpoint_resolve(url, NULL, NULL, &ep, NULL), DSK_OK);
    dsk_http_req r = {.ep = &ep,
                      .method = "Info",
                      .body = "{}",
                      .body_len = 2,
                      .connect_timeout_ms = 300,
                      .timeout_ms = 3000,
                      .max_reply = 1024};
    long status, t0 = now_ms();
    dsk_buf reply = {0};
    dsk_error e;
    assert_int_equal(dsk_http_post(&r, &status, &reply, &e), DSK_E_TIMEOUT);
    long took = now_ms() - t0;
    print_message("%ld ms: %s\n", took, e.msg);
    assert_true(took >= 290 && took < 1000);
    assert_non_null(strstr(e.msg, "/Info on http://127.0.0.1:"));
    assert_non_null(strstr(e.msg, "could not connect within the connect timeout of 300 ms"));
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(l);
}

static void test_unreachable(void **state)
{
    (void)state;
    long status;
    dsk_buf reply = {0};
    dsk_error e;
    /* No such file. */
    assert_int_equal(post("/nonexistent-dir/dstack.sock", "{}", 1024, 1000, &status, &reply, &e),
                     DSK_E_UNREACHABLE);
    assert_non_null(strstr(e.msg, "/GetKey on unix socket /nonexistent-dir/dstack.sock"));
    assert_non_null(strstr(e.msg, "No such file or directory"));
    assert_non_null(strstr(e.msg, "configured"));

    /* A stale socket file nobody listens on. */
    char dir[] = "/tmp/dsk-stale-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/stale.sock", dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    assert_int_equal(post(path, "{}", 1024, 1000, &status, &reply, &e), DSK_E_UNREACHABLE);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, "Connection refused"));
    unlink(path);
    rmdir(dir);

    /* https:// needs TLS, which the agent (local) never does: refused. */
    assert_int_equal(post("https://127.0.0.1:1", "{}", 1024, 1000, &status, &reply, &e),
                     DSK_E_UNREACHABLE);
    assert_non_null(strstr(e.msg, "https:// endpoints are not supported"));

    /* A closed TCP port on the loopback. */
    assert_int_equal(post("http://127.0.0.1:1", "{}", 1024, 1000, &status, &reply, &e),
                     DSK_E_UNREACHABLE);
    assert_non_null(strstr(e.msg, "/GetKey on http://127.0.0.1:1"));
    assert_null(reply.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_growth),      cmocka_unit_test(test_request_bytes),
        cmocka_unit_test(test_framings),        cmocka_unit_test(test_bad_framings),
        cmocka_unit_test(test_request_timeout), cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
