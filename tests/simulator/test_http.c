/* The real binary over its unix socket: methods, framing, odd clients. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "internal.h"
#include "rawhttp.h"
#include "simproc.h"

#define TIMEOUT_MS 5000

static dsk_test_sim sim;

static int setup(void **state)
{
    (void)state;
    return dsk_test_sim_start(&sim, NULL);
}

static int teardown(void **state)
{
    (void)state;
    return dsk_test_sim_stop(&sim) == 0 ? 0 : -1;
}

static void expected_key_hex(const void *path, size_t len, char out[65])
{
    dsk_sim_appkeys keys;
    uint8_t key[32];
    dsk_sim_appkeys_default(&keys);
    assert_int_equal(dsk_sim_derive_key(keys.k256_key, path, len, key, NULL), DSK_OK);
    dsk_hex_encode(key, 32, out);
}

/* POST /GetKey with the path JSON-escaped by cJSON. */
static void post_key(const char *path, raw_reply *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "purpose", "signing");
    cJSON_AddStringToObject(o, "algorithm", "secp256k1");
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    assert_int_equal(raw_request(sim.sock, "POST", "/GetKey", body, r, TIMEOUT_MS), RAW_OK);
    cJSON_free(body);
    assert_true(r->has_content_length);
    assert_false(r->chunked);
}

static void check_path(const char *path)
{
    raw_reply r;
    char key[80], want[65];
    post_key(path, &r);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "key", key, sizeof key);
    expected_key_hex(path, strlen(path), want);
    assert_string_equal(key, want);
    assert_non_null(strstr(r.head, "Content-Type: application/json"));
    raw_reply_free(&r);
}

static void test_vector_over_socket(void **state)
{
    (void)state;
    raw_reply r;
    char key[80];
    post_key("test/wallet", &r);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "key", key, sizeof key);
    assert_string_equal(key, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    assert_non_null(strstr(r.body, "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c"
                                   "33798d20477d877040fe6d7d9ea7aa39b853a7a3e56c2c0e36bba3e8e12a65b000"));
    raw_reply_free(&r);
}

static void test_paths_empty_long_utf8(void **state)
{
    (void)state;
    check_path("");
    char *long_path = malloc(4001);
    assert_non_null(long_path);
    for (int i = 0; i < 4000; i++)
        long_path[i] = (char)('a' + i % 26);
    long_path[4000] = '\0';
    check_path(long_path);
    free(long_path);
    check_path("\xe9\x92\xb1\xe5\x8c\x85/\xf0\x9f\x94\x91/caf\xc3\xa9");
    check_path("/eth/main-wallet");
}

static void test_get_query(void **state)
{
    (void)state;
    raw_reply r;
    char key[80], sig_path[300];
    assert_int_equal(raw_request(sim.sock, "GET", "/GetKey?path=test%2Fwallet&purpose=signing&algorithm=secp256k1",
                                 NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "key", key, sizeof key);
    assert_string_equal(key, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    assert_non_null(strstr(r.body, "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c"));
    raw_reply_free(&r);
    /* Form encoding: '+' is a space, %XX any byte (here UTF-8). */
    assert_int_equal(raw_request(sim.sock, "GET", "/GetKey?path=a+b%2Fcaf%C3%A9", NULL, &r, TIMEOUT_MS), RAW_OK);
    raw_json_string(&r, "key", key, sizeof key);
    char want[65];
    expected_key_hex("a b/caf\xc3\xa9", 9, want);
    assert_string_equal(key, want);
    raw_reply_free(&r);
    snprintf(sig_path, sizeof sig_path, "/GetQuote?report_data=0x0102");
    assert_int_equal(raw_request(sim.sock, "GET", sig_path, NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "report_data", key, sizeof key);
    assert_memory_equal(key, "01020000", 8);
    raw_reply_free(&r);
    assert_int_equal(raw_request(sim.sock, "GET", "/GetKey?path=a&path=b", NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 400);
    raw_reply_free(&r);
}

static raw_result exchange(const char *bytes, size_t len, bool half_close, raw_reply *r);
static void expect_status(const char *method, const char *target, const char *body, int status);

/* A long non-ASCII path by GET: every byte percent-encoded. */
static void test_get_long_encoded_path(void **state)
{
    (void)state;
    size_t n = 4000;
    char *path = malloc(n + 1), *target = malloc(3 * n + 32);
    assert_non_null(path);
    assert_non_null(target);
    for (size_t i = 0; i < n; i += 2)
        memcpy(path + i, "\xc3\xa9", 2); /* é */
    path[n] = '\0';
    size_t t = (size_t)sprintf(target, "/GetKey?path=");
    for (size_t i = 0; i < n; i++)
        t += (size_t)sprintf(target + t, "%%%02X", (unsigned char)path[i]);
    raw_reply r;
    char key[80], want[65];
    assert_int_equal(raw_request(sim.sock, "GET", target, NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "key", key, sizeof key);
    expected_key_hex(path, n, want);
    assert_string_equal(key, want);
    raw_reply_free(&r);
    free(path);
    free(target);
}

/* Requests that are not HTTP at all get an error or a close, and the
 * server goes on serving. */
static void test_survives_malformed_requests(void **state)
{
    (void)state;
    static const char *const junk[] = {
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "POST /GetKey HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "POST /GetKey HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "GET /Info HTTP/9.9\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        raw_reply r;
        raw_result rr = exchange(junk[i], strlen(junk[i]), true, &r);
        assert_true(rr == RAW_OK || rr == RAW_CLOSED || rr == RAW_ERROR);
        if (rr == RAW_OK)
            assert_true(r.status >= 400);
        raw_reply_free(&r);
    }
    expect_status("GET", "/Version", NULL, 200);
}

static void test_every_method_get_and_post(void **state)
{
    (void)state;
    static const char *const methods[] = {"/GetKey", "/Info", "/Version", "/GetQuote", "/Attest"};
    static const char *const field[] = {"key", "app_id", "version", "quote", "attestation"};
    for (size_t i = 0; i < 5; i++) {
        raw_reply r;
        char v[200];
        assert_int_equal(raw_request(sim.sock, "POST", methods[i], "{}", &r, TIMEOUT_MS), RAW_OK);
        assert_int_equal(r.status, 200);
        raw_json_string(&r, field[i], v, sizeof v);
        assert_true(strlen(v) > 0);
        raw_reply_free(&r);
        assert_int_equal(raw_request(sim.sock, "GET", methods[i], NULL, &r, TIMEOUT_MS), RAW_OK);
        assert_int_equal(r.status, 200);
        raw_reply_free(&r);
    }
}

static void expect_status(const char *method, const char *target, const char *body, int status)
{
    raw_reply r;
    assert_int_equal(raw_request(sim.sock, method, target, body, &r, TIMEOUT_MS), RAW_OK);
    if (r.status != status)
        fail_msg("%s %s: status %d, expected %d", method, target, r.status, status);
    assert_true(r.has_content_length);
    if (status != 200 && strcmp(method, "HEAD") != 0) {
        char err[200];
        raw_json_string(&r, "error", err, sizeof err);
        assert_true(strlen(err) > 0);
    }
    raw_reply_free(&r);
}

/* A mounted surface without the method: 404 {"error":"Service not found: X"}. */
static void expect_no_method(const char *method, const char *target, const char *name)
{
    raw_reply r;
    char err[200], want[120];
    assert_int_equal(raw_request(sim.sock, method, target, "{}", &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 404);
    raw_json_string(&r, "error", err, sizeof err);
    snprintf(want, sizeof want, "Service not found: %s", name);
    assert_string_equal(err, want);
    raw_reply_free(&r);
}

/* No surface at that path: rocket's HTML 404 page, not JSON. */
static void expect_no_mount(const char *method, const char *target)
{
    raw_reply r;
    assert_int_equal(raw_request(sim.sock, method, target, NULL, &r, TIMEOUT_MS), RAW_OK);
    if (r.status != 404)
        fail_msg("%s %s: status %d, expected 404", method, target, r.status);
    assert_true(r.has_content_length);
    assert_non_null(strstr(r.head, "text/html"));
    assert_non_null(strstr(r.body, "404: Not Found"));
    assert_null(strchr(r.body, '{'));
    raw_reply_free(&r);
}

static void test_not_found(void **state)
{
    (void)state;
    expect_no_method("POST", "/Nope", "Nope");
    expect_no_method("POST", "/getkey", "getkey");
    expect_no_method("POST", "/v0/Nope", "Nope");
    expect_no_method("POST", "/v1/GetQuote", "GetQuote"); /* v1 has Attest only */
    expect_no_method("GET", "/v1/Sign", "Sign");
    expect_no_mount("POST", "/GetKey/extra");
    expect_no_mount("POST", "/prpc/GetKey");
    expect_no_mount("GET", "/");
    expect_no_mount("GET", "/a/b");
    expect_no_mount("GET", "/v1/");
    expect_no_mount("GET", "/v2/Version");
    expect_no_mount("GET", "/v1/GetKey/x");
    expect_no_mount("PUT", "/GetKey");
    expect_no_mount("DELETE", "/Info");
}

static void test_bad_requests(void **state)
{
    (void)state;
    expect_status("POST", "/GetKey", "{\"path\":", 400);
    expect_status("POST", "/GetKey", "not json", 400);
    expect_status("POST", "/GetKey", "[]", 400);
    expect_status("POST", "/GetKey", "{\"path\":\"a\",\"algorithm\":\"rsa\"}", 400);
    char body[300];
    memset(body, 0, sizeof body);
    strcpy(body, "{\"report_data\":\"");
    memset(body + strlen(body), 'a', 130);
    strcat(body, "\"}");
    expect_status("POST", "/GetQuote", body, 400);
    expect_status("POST", "/Attest", body, 400);
    raw_reply r;
    assert_int_equal(raw_request(sim.sock, "POST", "/GetKey", "{\"algorithm\":\"p384\"}", &r, TIMEOUT_MS), RAW_OK);
    assert_string_equal(r.body, "{\"error\":\"Unsupported algorithm\"}");
    raw_reply_free(&r);
}

/* Send raw bytes on a fresh connection; read one reply. */
static raw_result exchange(const char *bytes, size_t len, bool half_close, raw_reply *r)
{
    int fd = raw_connect(sim.sock);
    assert_true(fd >= 0);
    assert_int_equal(raw_send(fd, bytes, len), 0);
    if (half_close)
        shutdown(fd, SHUT_WR);
    raw_result rr = raw_read_reply(fd, r, TIMEOUT_MS);
    close(fd);
    return rr;
}

static void test_keep_alive(void **state)
{
    (void)state;
    static const char req[] = "POST /GetKey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              "Content-Length: 22\r\n\r\n{\"path\":\"test/wallet\"}";
    int fd = raw_connect(sim.sock);
    assert_true(fd >= 0);
    for (int i = 0; i < 3; i++) {
        raw_reply r;
        char key[80];
        assert_int_equal(raw_send(fd, req, sizeof req - 1), 0);
        assert_int_equal(raw_read_reply(fd, &r, TIMEOUT_MS), RAW_OK);
        assert_int_equal(r.status, 200);
        raw_json_string(&r, "key", key, sizeof key);
        assert_string_equal(key, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
        raw_reply_free(&r);
    }
    close(fd);
}

/* The JS SDK's way: no Connection header, write the request, half-close. */
static void test_one_shot_half_close(void **state)
{
    (void)state;
    static const char req[] = "POST /Info HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              "Content-Length: 2\r\n\r\n{}";
    raw_reply r;
    assert_int_equal(exchange(req, sizeof req - 1, true, &r), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_reply_free(&r);
}

/* Rust's client sends Content-Type twice; Go sends keys sorted. */
static void test_duplicate_header(void **state)
{
    (void)state;
    static const char req[] = "POST /GetKey HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              "content-type: application/json\r\nContent-Length: 50\r\n\r\n"
                              "{\"algorithm\":\"\",\"path\":\"test/wallet\",\"purpose\":\"\"}";
    raw_reply r;
    char key[80];
    assert_int_equal(exchange(req, sizeof req - 1, false, &r), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "key", key, sizeof key);
    assert_string_equal(key, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    raw_reply_free(&r);
}

/* A chunked request body and a request without Host are served too. */
static void test_chunked_body_and_no_host(void **state)
{
    (void)state;
    static const char chunked[] = "POST /GetKey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n16\r\n{\"path\":\"test/wallet\"}\r\n0\r\n\r\n";
    static const char nohost[] = "GET /GetKey?path=test/wallet HTTP/1.1\r\n\r\n";
    raw_reply r;
    char key[80];
    assert_int_equal(exchange(chunked, sizeof chunked - 1, false, &r), RAW_OK);
    raw_json_string(&r, "key", key, sizeof key);
    assert_string_equal(key, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    raw_reply_free(&r);
    assert_int_equal(exchange(nohost, sizeof nohost - 1, false, &r), RAW_OK);
    raw_json_string(&r, "key", key, sizeof key);
    assert_string_equal(key, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    raw_reply_free(&r);
}

/* Content-Length counted in UTF-16 units (the JS SDK): the server reads
 * exactly that many bytes, which cut the JSON short: 400. */
static void test_content_length_followed_exactly(void **state)
{
    (void)state;
    static const char body[] = "{\"path\":\"\xe9\x92\xb1\xe5\x8c\x85\"}";
    char req[512];
    int n = snprintf(req, sizeof req, "POST /GetKey HTTP/1.1\r\nHost: localhost\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     sizeof body - 1 - 4, body);
    raw_reply r;
    assert_int_equal(exchange(req, (size_t)n, true, &r), RAW_OK);
    assert_int_equal(r.status, 400);
    raw_reply_free(&r);
}

/* A body shorter than declared, then half-close: the server gives up
 * rather than wait forever. */
static void test_short_body_does_not_hang(void **state)
{
    (void)state;
    static const char req[] = "POST /GetKey HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              "Content-Length: 100\r\n\r\n{\"path\":\"a\"}";
    int fd = raw_connect(sim.sock);
    assert_true(fd >= 0);
    assert_int_equal(raw_send(fd, req, sizeof req - 1), 0);
    shutdown(fd, SHUT_WR);
    raw_reply r;
    assert_int_equal(raw_read_to_close(fd, &r, TIMEOUT_MS), RAW_CLOSED);
    raw_reply_free(&r);
    close(fd);
}

static void test_missing_content_type(void **state)
{
    (void)state;
    static const char req[] = "POST /GetKey HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}";
    raw_reply r;
    assert_int_equal(exchange(req, sizeof req - 1, false, &r), RAW_OK);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Content-Type"));
    raw_reply_free(&r);
    /* An empty POST needs no type: it is an empty message. */
    static const char empty[] = "POST /Version HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(exchange(empty, sizeof empty - 1, false, &r), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_reply_free(&r);
}

#define THREADS 16
#define PER_THREAD 20

static void *client_thread(void *arg)
{
    long id = (long)arg, ok = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        char path[64], body[128], key[80], want[65];
        raw_reply r;
        snprintf(path, sizeof path, "thread/%ld/%d", id, i);
        snprintf(body, sizeof body, "{\"path\":\"%s\"}", path);
        if (raw_request(sim.sock, "POST", "/GetKey", body, &r, 20000) == RAW_OK && r.status == 200) {
            raw_json_string(&r, "key", key, sizeof key);
            expected_key_hex(path, strlen(path), want);
            ok += strcmp(key, want) == 0;
        }
        raw_reply_free(&r);
    }
    return (void *)ok;
}

static void test_concurrency(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    long total = 0;
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, client_thread, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *ok;
        pthread_join(t[i], &ok);
        total += (long)ok;
    }
    assert_int_equal(total, THREADS * PER_THREAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_over_socket),
        cmocka_unit_test(test_paths_empty_long_utf8),
        cmocka_unit_test(test_get_query),
        cmocka_unit_test(test_get_long_encoded_path),
        cmocka_unit_test(test_survives_malformed_requests),
        cmocka_unit_test(test_every_method_get_and_post),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_one_shot_half_close),
        cmocka_unit_test(test_duplicate_header),
        cmocka_unit_test(test_chunked_body_and_no_host),
        cmocka_unit_test(test_content_length_followed_exactly),
        cmocka_unit_test(test_short_body_does_not_hang),
        cmocka_unit_test(test_missing_content_type),
        cmocka_unit_test(test_concurrency),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
