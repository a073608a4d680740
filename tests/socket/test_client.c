/* The public API against the real simulator: vectors, every method,
 * discovery at each call, HTTP endpoints, byte-exact paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakesrv.h"
#include "hex.h"
#include "simclient.h"

/* The official simulator's app key: the expected keys are computed here
 * from the derivation rule, independently of the simulator. */
#define APP_KEY "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d"

static void hkdf_ratls(const char *path, size_t len, unsigned char out[32])
{
    unsigned char ikm[32], prk[32], info[8192];
    unsigned int n = 0;
    assert_int_equal(dsk_hex_decode(APP_KEY, 64, ikm, 32), 32);
    assert_non_null(HMAC(EVP_sha256(), "RATLS", 5, ikm, 32, prk, &n));
    assert_true(len + 1 <= sizeof info);
    memcpy(info, path, len);
    info[len] = 1;
    assert_non_null(HMAC(EVP_sha256(), prk, 32, info, len + 1, out, &n));
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    if (dsk_test_sim_start(&f->sim, NULL) != 0 || sim_wait_ready(&f->sim) != 0)
        fail_msg("cannot start the simulator ($DSK_SIMULATOR)");
    dsk_client_opts o = {.endpoint = f->sim.sock,
                         .connect_timeout_ms = RELAXED_CONNECT_MS,
                         .timeout_ms = RELAXED_TIMEOUT_MS};
    assert_int_equal(dsk_client_new(&o, &f->client, NULL), DSK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dsk_client_free(f->client);
    assert_int_equal(dsk_test_sim_stop(&f->sim), 0);
    free(f);
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    return 0;
}

static void expect_key(dsk_client *c, const char *path, const char *algo, const char *hex)
{
    dsk_key_reply r;
    dsk_error e = {0};
    unsigned char want[32];
    if (dsk_client_get_key(c, path, "signing", algo, &r, &e) != DSK_OK)
        fail_msg("GetKey %s: %s", path, e.msg);
    assert_int_equal(dsk_hex_decode(hex, 64, want, 32), 32);
    assert_memory_equal(r.key, want, 32);
    dsk_key_reply_clear(&r);
}

static void test_vectors(void **state)
{
    fixture *f = *state;
    dsk_key_reply r;
    dsk_error e = {0};
    unsigned char sig0[65];
    assert_int_equal(dsk_client_get_key(f->client, "test/wallet", "signing", "secp256k1", &r, &e),
                     DSK_OK);
    assert_int_equal(dsk_hex_decode(VEC_KEY, 64, sig0, 32), 32);
    assert_memory_equal(r.key, sig0, 32);
    assert_int_equal(r.chain_len[0], 65);
    assert_int_equal(dsk_hex_decode(VEC_SIG0, 130, sig0, 65), 65);
    assert_memory_equal(r.chain[0], sig0, 65);
    assert_int_equal(r.chain_len[1], 65);
    dsk_key_reply_clear(&r);
    expect_key(f->client, "/eth/main-wallet", "secp256k1",
               "62c7c9aeca728358c9abd15ac95fdea1bcd7832e5d9d621fbc10a69448ab6c62");
    /* The algorithm does not change the key; "" and k256 are accepted. */
    expect_key(f->client, "test/wallet", "ed25519", VEC_KEY);
    expect_key(f->client, "test/wallet", "", VEC_KEY);
    expect_key(f->client, "test/wallet", "k256", VEC_KEY);
    expect_key(f->client, "test/wallet", NULL, VEC_KEY);
}

/* Paths go byte for byte: empty, 4000 characters (over curl's 1 KiB
 * "Expect" threshold), non-ASCII UTF-8, JSON specials. */
static void test_paths_byte_exact(void **state)
{
    fixture *f = *state;
    char lng[4001], hex[65];
    unsigned char k[32];
    expect_key(f->client, "test/wallet", "", VEC_KEY); /* warm up before timing */
    memset(lng, 'p', 4000);
    lng[4000] = '\0';
    const char *paths[] = {"", lng, "cl\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x94\x91",
                           "q\"uo\\te\n/tab\t", "/leading/slash"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        hkdf_ratls(paths[i], strlen(paths[i]), k);
        dsk_hex_encode(k, 32, hex);
        long t0 = now_ms();
        expect_key(f->client, paths[i], "secp256k1", hex);
        assert_true(now_ms() - t0 < 900); /* no 1 s wait for "100 Continue" */
    }
}

static void test_refused_algorithm(void **state)
{
    fixture *f = *state;
    dsk_key_reply r;
    dsk_error e;
    assert_int_equal(dsk_client_get_key(f->client, "a", "signing", "rsa", &r, &e), DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "/GetKey on unix socket "));
    assert_non_null(strstr(e.msg, f->sim.sock));
    assert_non_null(strstr(e.msg, "(HTTP 400): Unsupported algorithm"));
}

static void test_info_version(void **state)
{
    fixture *f = *state;
    dsk_info in;
    dsk_error e = {0};
    if (dsk_client_info(f->client, &in, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(in.app_id, VEC_APP_ID);
    assert_true(strlen(in.tcb_info) > 2);
    assert_non_null(strstr(in.json, VEC_APP_ID));
    dsk_info_free(&in);

    char v[32], rev[64];
    if (dsk_client_version(f->client, v, sizeof v, rev, sizeof rev, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_non_null(strchr(v, '.'));
    assert_int_equal(dsk_client_version(f->client, v, 2, rev, sizeof rev, &e),
                     DSK_E_BUFFER_TOO_SMALL);
}

static void test_quote_attest(void **state)
{
    fixture *f = *state;
    unsigned char rd[65];
    char rd_hex[131], *quote = NULL, *json = NULL, *att = NULL;
    dsk_error e = {0};
    for (int i = 0; i < 65; i++)
        rd[i] = (unsigned char)(0xa0 + i);
    dsk_hex_encode(rd, 64, rd_hex);
    if (dsk_client_get_quote(f->client, rd, 64, &quote, &json, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_true(strlen(quote) > 0 && strlen(quote) % 2 == 0);
    assert_non_null(strstr(json, rd_hex));
    free(quote);
    free(json);
    /* Short report data is padded by the agent to 64 bytes. */
    assert_int_equal(dsk_client_get_quote(f->client, rd, 4, &quote, &json, &e), DSK_OK);
    dsk_hex_encode(rd, 4, rd_hex);
    char padded[256];
    snprintf(padded, sizeof padded, "%s%0120d", rd_hex, 0);
    assert_non_null(strstr(json, padded));
    free(quote);
    free(json);
    if (dsk_client_attest(f->client, rd, 64, &att, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_true(strlen(att) > 0);
    free(att);
    assert_int_equal(dsk_client_attest(f->client, rd, 65, &att, &e), DSK_E_ARGS);
    assert_null(att);
    assert_non_null(strstr(e.msg, "65 bytes"));
}

/* dsk_client_new does no I/O, and discovery runs at every call: a client
 * made before any endpoint exists works once one appears. */
static void test_discovery_each_call(void **state)
{
    fixture *f = *state;
    dsk_client *c = NULL;
    dsk_key_reply r;
    dsk_error e;
    char d[512];
    assert_int_equal(dsk_client_new(NULL, &c, &e), DSK_OK);
    dsk_client_describe(c, d, sizeof d);
    assert_non_null(strstr(d, "no dstack socket found"));
    assert_int_equal(dsk_client_get_key(c, "test/wallet", "signing", "", &r, &e),
                     DSK_E_UNREACHABLE);
    assert_non_null(strstr(e.msg, "/GetKey: no dstack socket found (tried /var/run/dstack.sock, "
                                  "/run/dstack.sock, /var/run/dstack/dstack.sock, "
                                  "/run/dstack/dstack.sock)"));
    assert_non_null(strstr(e.msg, "start the dstack agent"));
    setenv("DSTACK_SIMULATOR_ENDPOINT", "", 1); /* empty = unset */
    assert_int_equal(dsk_client_get_key(c, "test/wallet", "signing", "", &r, &e),
                     DSK_E_UNREACHABLE);
    setenv("DSTACK_SIMULATOR_ENDPOINT", f->sim.sock, 1);
    expect_key(c, "test/wallet", "", VEC_KEY);
    dsk_client_describe(c, d, sizeof d);
    assert_string_equal(d + strlen("unix socket "), f->sim.sock);
    dsk_client_free(c);

    /* A configured endpoint that does not exist yet: no error until used. */
    dsk_client_opts o = {.endpoint = "/nonexistent/dstack.sock"};
    assert_int_equal(dsk_client_new(&o, &c, &e), DSK_OK);
    assert_int_equal(dsk_client_get_key(c, "x", "", "", &r, &e), DSK_E_UNREACHABLE);
    assert_non_null(strstr(e.msg, "/nonexistent/dstack.sock"));
    assert_non_null(strstr(e.msg, "No such file"));
    dsk_client_free(c);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_http_url_endpoint(void **state)
{
    (void)state;
    dsk_test_sim sim;
    char listen_at[64], url[80], d[128];
    int port = free_port();
    snprintf(listen_at, sizeof listen_at, "127.0.0.1:%d", port);
    const char *args[] = {"--listen", listen_at, NULL};
    assert_int_equal(dsk_test_sim_start(&sim, args), 0);
    assert_int_equal(sim_wait_ready(&sim), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    setenv("DSTACK_SIMULATOR_ENDPOINT", url, 1);
    dsk_client *c = NULL;
    dsk_client_opts o = {.connect_timeout_ms = RELAXED_CONNECT_MS,
                         .timeout_ms = RELAXED_TIMEOUT_MS};
    assert_int_equal(dsk_client_new(&o, &c, NULL), DSK_OK);
    dsk_client_describe(c, d, sizeof d);
    url[strlen(url) - 1] = '\0';
    assert_string_equal(d, url);
    /* The TCP listener may come up just after the socket: retry briefly. */
    dsk_key_reply r;
    dsk_error e;
    dsk_status st = DSK_E_UNREACHABLE;
    for (int i = 0; i < 40 && st == DSK_E_UNREACHABLE; i++) {
        st = dsk_client_get_key(c, "test/wallet", "signing", "secp256k1", &r, &e);
        if (st == DSK_E_UNREACHABLE)
            usleep(25000);
    }
    if (st != DSK_OK)
        fail_msg("%s", e.msg);
    dsk_key_reply_clear(&r);
    expect_key(c, "test/wallet", "secp256k1", VEC_KEY);
    dsk_info in;
    assert_int_equal(dsk_client_info(c, &in, &e), DSK_OK);
    assert_string_equal(in.app_id, VEC_APP_ID);
    dsk_info_free(&in);
    dsk_client_free(c);
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    assert_int_equal(dsk_test_sim_stop(&sim), 0);
}

/* The request bodies, byte for byte, as a scripted server receives them:
 * every field always present, NULL sent as "". */
static void test_request_bodies(void **state)
{
    (void)state;
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    dsk_fake_srv srv;
    dsk_client *c = NULL;
    dsk_key_reply r;
    dsk_info in;
    char *hex = NULL, v[8], rev[8];
    unsigned char rd[3] = {0x00, 0xab, 0xff};
    assert_int_equal(dsk_fake_start(&srv, reply, -1, 0), 0);
    dsk_client_opts o = {.endpoint = srv.sock,
                         .connect_timeout_ms = RELAXED_CONNECT_MS,
                         .timeout_ms = RELAXED_TIMEOUT_MS};
    assert_int_equal(dsk_client_new(&o, &c, NULL), DSK_OK);
    struct {
        int call;
        const char *line, *body;
    } cases[] = {
        {0, "POST /GetKey ", "{\"path\":\"a/\\\"b\",\"purpose\":\"\",\"algorithm\":\"\"}"},
        {1, "POST /GetKey ", "{\"path\":\"p\",\"purpose\":\"signing\",\"algorithm\":\"ed25519\"}"},
        {2, "POST /Info ", "{}"},
        {3, "POST /Version ", "{}"},
        {4, "POST /GetQuote ", "{\"report_data\":\"00abff\"}"},
        {5, "POST /Attest ", "{\"report_data\":\"\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dsk_status st;
        switch (cases[i].call) {
        case 0:
            st = dsk_client_get_key(c, "a/\"b", NULL, NULL, &r, NULL);
            break;
        case 1:
            st = dsk_client_get_key(c, "p", "signing", "ed25519", &r, NULL);
            break;
        case 2:
            st = dsk_client_info(c, &in, NULL);
            break;
        case 3:
            st = dsk_client_version(c, v, sizeof v, rev, sizeof rev, NULL);
            break;
        case 4:
            st = dsk_client_get_quote(c, rd, 3, &hex, NULL, NULL);
            break;
        default:
            st = dsk_client_attest(c, NULL, 0, &hex, NULL);
            break;
        }
        /* "{}" is no valid reply to any of them. */
        assert_int_equal(st, DSK_E_MALFORMED);
        const char *body = strstr(srv.request, "\r\n\r\n");
        assert_non_null(body);
        assert_true(strncmp(srv.request, cases[i].line, strlen(cases[i].line)) == 0);
        assert_string_equal(body + 4, cases[i].body);
    }
    assert_int_equal(srv.connections, 6); /* one connection per call */
    dsk_client_free(c);
    dsk_fake_stop(&srv);
}

/* v1: HKDF(salt "dstack-guest-v1", app key, LP(tag) LP(alg) LP(domain)),
 * computed here from dstack's docs/guest-api-v1.md, not by the simulator. */
static void hkdf_v1(const char *alg, const char *domain, unsigned char out[32])
{
    unsigned char ikm[32], prk[32], info[512];
    const char *parts[] = {"dstack-guest-v1-key", alg, domain};
    size_t n = 0;
    unsigned int l = 0;
    assert_int_equal(dsk_hex_decode(APP_KEY, 64, ikm, 32), 32);
    assert_non_null(HMAC(EVP_sha256(), "dstack-guest-v1", 15, ikm, 32, prk, &l));
    for (size_t i = 0; i < 3; i++) {
        size_t pl = strlen(parts[i]);
        assert_true(n + 4 + pl + 1 < sizeof info);
        info[n] = 0, info[n + 1] = 0, info[n + 2] = (unsigned char)(pl >> 8);
        info[n + 3] = (unsigned char)pl;
        memcpy(info + n + 4, parts[i], pl);
        n += 4 + pl;
    }
    info[n++] = 1;
    assert_non_null(HMAC(EVP_sha256(), prk, 32, info, n, out, &l));
}

static void test_v1(void **state)
{
    fixture *f = *state;
    static const char *const algs[] = {"secp256k1", "ed25519"};
    for (size_t i = 0; i < 2; i++) {
        dsk_key_reply r;
        dsk_error e = {0};
        unsigned char want[32], v0[32];
        if (dsk_client_v1_get_key(f->client, "my-app/tls", algs[i], &r, &e) != DSK_OK)
            fail_msg("v1 GetKey: %s", e.msg);
        hkdf_v1(algs[i], "my-app/tls", want);
        assert_memory_equal(r.key, want, 32);
        assert_int_equal(r.public_key_len, i == 0 ? 33 : 32);
        assert_int_equal(r.chain_len[0], 65);
        assert_int_equal(r.chain_len[1], 65);
        /* v1 keys are never v0 keys */
        hkdf_ratls("my-app/tls", 10, v0);
        assert_memory_not_equal(r.key, v0, 32);
        dsk_key_reply_clear(&r);
    }
    dsk_info in;
    dsk_error e = {0};
    if (dsk_client_v1_info(f->client, &in, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(in.app_id, VEC_APP_ID);
    assert_string_equal(in.tcb_info, "");
    dsk_info_free(&in);
    char v[32], rev[64];
    if (dsk_client_v1_version(f->client, v, sizeof v, rev, sizeof rev, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(v, "0.6.0-simulator");
    char *att = NULL;
    const unsigned char rd[2] = {1, 2};
    if (dsk_client_v1_attest(f->client, rd, sizeof rd, &att, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_true(strlen(att) > 0);
    free(att);
    /* v1 has no default and no alias */
    dsk_key_reply r;
    assert_int_equal(dsk_client_v1_get_key(f->client, "x", "k256", &r, &e), DSK_E_ARGS);
    assert_non_null(strstr(e.msg, "exactly secp256k1 or ed25519"));
}

/* An agent before dstack 0.6: every /v1 call says so; v0 keeps working. */
static void test_v1_pre_06(void **state)
{
    (void)state;
    fixture f = {0};
    const char *const args[] = {"--pre-0.6", NULL};
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    if (dsk_test_sim_start(&f.sim, args) != 0 || sim_wait_ready(&f.sim) != 0)
        fail_msg("cannot start the simulator ($DSK_SIMULATOR)");
    dsk_client_opts o = {.endpoint = f.sim.sock,
                         .connect_timeout_ms = RELAXED_CONNECT_MS,
                         .timeout_ms = RELAXED_TIMEOUT_MS};
    assert_int_equal(dsk_client_new(&o, &f.client, NULL), DSK_OK);
    dsk_key_reply r;
    dsk_error e = {0};
    char v[32], rev[64];
    assert_int_equal(dsk_client_v1_get_key(f.client, "d", "secp256k1", &r, &e), DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "/v1/GetKey on unix socket"));
    assert_non_null(strstr(e.msg, "predates dstack 0.6; use `api = v0`"));
    assert_int_equal(dsk_client_v1_version(f.client, v, sizeof v, rev, sizeof rev, &e),
                     DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "predates dstack 0.6"));
    expect_key(f.client, "test/wallet", "secp256k1", VEC_KEY);
    dsk_client_free(f.client);
    assert_int_equal(dsk_test_sim_stop(&f.sim), 0);
}

static void test_args(void **state)
{
    fixture *f = *state;
    dsk_key_reply r;
    dsk_error e;
    assert_int_equal(dsk_client_new(NULL, NULL, &e), DSK_E_ARGS);
    assert_int_equal(dsk_client_get_key(f->client, NULL, "", "", &r, &e), DSK_E_ARGS);
    assert_int_equal(dsk_client_get_key(NULL, "a", "", "", &r, &e), DSK_E_ARGS);
    assert_int_equal(dsk_client_info(f->client, NULL, &e), DSK_E_ARGS);
    dsk_client_free(NULL);
    dsk_key_reply_clear(NULL);
    dsk_info_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths_byte_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_algorithm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quote_attest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discovery_each_call, setup, teardown),
        cmocka_unit_test(test_http_url_endpoint),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test_setup_teardown(test_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1, setup, teardown),
        cmocka_unit_test(test_v1_pre_06),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
