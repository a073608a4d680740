/* The /v1 surface (dstack 0.6): the published vectors of dstack's
 * docs/guest-api-v1.md byte for byte, through the functions and through the
 * real binary; /v0 as an alias of the unversioned API; --pre-0.6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"
#include "internal.h"
#include "rawhttp.h"
#include "simproc.h"

#define TIMEOUT_MS 5000

/* The app root key of the document's test vectors. */
#define DOC_APP_KEY "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"

typedef struct vec {
    const char *domain;
    size_t domain_len;
    const char *alg, *key, *pub;
} vec;

/* docs/guest-api-v1.md "Test vectors", every row. */
static const vec vecs[] = {
    {"", 0, "secp256k1", "59f60584ce6fd2a3a31997256db9d77322463fc8a6b1520110401bcb1ee92387",
     "0377c7fb050db181d392266a3cee9adb2901c6d665f11bac68be5457f577ba4908"},
    {"", 0, "ed25519", "b023493030669cf22e9cafa6a464d4cf3ae4edfe5474ec796710f21ea011946d",
     "a3dc149fd5b765eab2eb7d3174fa939e39386898f10b15b7b146f6f1358ecf2a"},
    {"storage-encryption", 18, "secp256k1",
     "5510330f86902ddae38c6d89c93a8408019332c17a429e1abd01c4a28d1544a6",
     "03d962450a41748021c8b02787ac36ce642ff0ae25f4c55019eb527e1112cfd764"},
    {"storage-encryption", 18, "ed25519",
     "3c4c3ece12fa99ccb93fc0090877f80e70545fdd971e2ac93d3398c4684538d3",
     "2380c4a33a60b60613fa43866421e5b96eb8dcde211317200fd0d41e7e491288"},
    {"a/b/c", 5, "secp256k1", "7f0973449298085d2d36a3b4c4d3243c100ba1981ffa885fe9e9dee883e69538",
     "02e9b1a61b6d70aa9b241753828c316bf90e33e77b2e113f9ba75a8b6dc3cde5c1"},
    {"k\0:ey", 5, "ed25519", "42da8bf0b479ed125c370e3b91f982735bf08ff592abbd586985affa43ee96a1",
     "c833107822b003ff5675b33b90b151d4315c3ab9162b17d876e8dffde41abf9b"},
};
#define NVEC (sizeof vecs / sizeof vecs[0])

/* The worked link 0: storage-encryption, secp256k1. */
#define DOC_LINK0                                                                                  \
    "5b6193729ce7976ec67863f21692d4b98c69832698aae8e001a7d33a6f818b6e"                             \
    "46ca950725b6e90e8ca9bcf394abd03ce264bf9b7eec1e91693247f9dd53c269"                             \
    "01"

static dsk_sim_api doc_api;

static int setup_api(void **state)
{
    (void)state;
    memset(&doc_api, 0, sizeof doc_api);
    dsk_sim_appkeys_default(&doc_api.keys);
    return dsk_hex_decode(DOC_APP_KEY, 64, doc_api.keys.k256_key, 32) == 32 ? 0 : -1;
}

static void test_vectors_direct(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        dsk_sim_algorithm alg;
        uint8_t key[32], pub[33];
        size_t pub_len = 0;
        char hex[67];
        assert_int_equal(dsk_sim_v1_algorithm_parse(vecs[i].alg, &alg), DSK_OK);
        assert_int_equal(dsk_sim_v1_derive_key(doc_api.keys.k256_key, alg, vecs[i].domain,
                                               vecs[i].domain_len, key, NULL),
                         DSK_OK);
        dsk_hex_encode(key, 32, hex);
        assert_string_equal(hex, vecs[i].key);
        assert_int_equal(dsk_sim_public_key(alg, key, pub, &pub_len, NULL), DSK_OK);
        dsk_hex_encode(pub, pub_len, hex);
        assert_string_equal(hex, vecs[i].pub);
    }
}

static void test_link0_direct(void **state)
{
    (void)state;
    uint8_t pub[33], sig[DSK_SIM_SIG_LEN];
    char hex[2 * DSK_SIM_SIG_LEN + 1];
    assert_int_equal(dsk_hex_decode(vecs[2].pub, 66, pub, sizeof pub), 33);
    assert_int_equal(dsk_sim_v1_chain_sign(doc_api.keys.k256_key, DSK_SIM_ALG_SECP256K1,
                                           "storage-encryption", 18, pub, 33, sig, NULL),
                     DSK_OK);
    dsk_hex_encode(sig, sizeof sig, hex);
    assert_string_equal(hex, DOC_LINK0);
}

static void test_algorithm_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "k256", "secp256k1_prehashed", "Ed25519", "rsa"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dsk_sim_request req = {.domain = "x", .domain_len = 1, .algorithm = bad[i]};
        dsk_sim_reply reply;
        assert_int_equal(dsk_sim_api_call(&doc_api, DSK_SIM_V1_GET_KEY, &req, false, &reply),
                         DSK_OK);
        assert_int_equal(reply.status, 400);
        assert_non_null(strstr(reply.body, "secp256k1"));
        dsk_sim_reply_clear(&reply);
    }
    /* A missing algorithm is the empty string: refused too. */
    dsk_sim_request none = {.domain = "x", .domain_len = 1};
    dsk_sim_reply reply;
    assert_int_equal(dsk_sim_api_call(&doc_api, DSK_SIM_V1_GET_KEY, &none, false, &reply), DSK_OK);
    assert_int_equal(reply.status, 400);
    dsk_sim_reply_clear(&reply);
}

/* ---- the real binary ------------------------------------------------ */

static dsk_test_sim sim;
static char keys_file[320];

static int start_doc_sim(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/dsk-v1keys.XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return -1;
    const char text[] = "{\"k256_key\":\"" DOC_APP_KEY "\",\"k256_signature\":\"\"}";
    if (write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1))
        return -1;
    close(fd);
    snprintf(keys_file, sizeof keys_file, "%s", tmpl);
    const char *const args[] = {"--keys", keys_file, NULL};
    return dsk_test_sim_start(&sim, args);
}

static int stop_sim(void **state)
{
    (void)state;
    if (keys_file[0])
        unlink(keys_file);
    keys_file[0] = '\0';
    return dsk_test_sim_stop(&sim) == 0 ? 0 : -1;
}

static void check_reply(raw_reply *r, const vec *v)
{
    char s[200];
    assert_int_equal(r->status, 200);
    raw_json_string(r, "key", s, sizeof s);
    assert_string_equal(s, v->key);
    raw_json_string(r, "public_key", s, sizeof s);
    assert_string_equal(s, v->pub);
    cJSON *j = cJSON_Parse(r->body);
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(j, "signature_chain");
    assert_int_equal(cJSON_GetArraySize(chain), 2);
    assert_int_equal(strlen(cJSON_GetArrayItem(chain, 0)->valuestring), 130);
    if (v->domain_len == 18 && strcmp(v->alg, "secp256k1") == 0)
        assert_string_equal(cJSON_GetArrayItem(chain, 0)->valuestring, DOC_LINK0);
    cJSON_Delete(j);
}

static void test_vectors_over_socket(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        raw_reply r;
        char target[200], body[200];
        if (memchr(vecs[i].domain, '\0', vecs[i].domain_len)) {
            /* JSON strings reach the agent's decoder as C strings here; the
             * query carries the NUL byte as %00. */
            snprintf(target, sizeof target, "/v1/GetKey?domain=k%%00%%3Aey&algorithm=%s",
                     vecs[i].alg);
            assert_int_equal(raw_request(sim.sock, "GET", target, NULL, &r, TIMEOUT_MS), RAW_OK);
        } else {
            snprintf(body, sizeof body, "{\"domain\":\"%s\",\"algorithm\":\"%s\"}", vecs[i].domain,
                     vecs[i].alg);
            assert_int_equal(raw_request(sim.sock, "POST", "/v1/GetKey", body, &r, TIMEOUT_MS),
                             RAW_OK);
        }
        check_reply(&r, &vecs[i]);
        raw_reply_free(&r);
    }
}

/* /v0/X and /X are one handler: byte-identical replies. */
static void test_v0_alias(void **state)
{
    (void)state;
    static const char *const methods[] = {"GetKey", "Info", "Version", "GetQuote", "Attest"};
    const char *body = "{\"path\":\"test/wallet\",\"purpose\":\"signing\",\"algorithm\":\"\","
                       "\"report_data\":\"00ff\"}";
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        raw_reply a, b;
        char ta[64], tb[64];
        snprintf(ta, sizeof ta, "/%s", methods[i]);
        snprintf(tb, sizeof tb, "/v0/%s", methods[i]);
        assert_int_equal(raw_request(sim.sock, "POST", ta, body, &a, TIMEOUT_MS), RAW_OK);
        assert_int_equal(raw_request(sim.sock, "POST", tb, body, &b, TIMEOUT_MS), RAW_OK);
        assert_int_equal(a.status, 200);
        assert_int_equal(b.status, 200);
        /* quotes carry random bytes since the TDX-shaped attestation */
        if (i < 3)
            assert_string_equal(a.body, b.body);
        raw_reply_free(&a);
        raw_reply_free(&b);
    }
}

static void test_v1_other_methods(void **state)
{
    (void)state;
    raw_reply r;
    char s[200];
    assert_int_equal(raw_request(sim.sock, "GET", "/v1/Version", NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "version", s, sizeof s);
    assert_string_equal(s, DSK_SIM_VERSION_TEXT);
    raw_reply_free(&r);
    assert_int_equal(raw_request(sim.sock, "POST", "/v1/Info", "{}", &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "app_id", s, sizeof s);
    assert_int_equal(strlen(s), 40);
    assert_null(strstr(r.body, "tcb_info")); /* v1 dropped it */
    assert_null(strstr(r.body, "app_cert"));
    raw_json_string(&r, "app_compose", s, sizeof s);
    assert_true(strlen(s) > 0);
    raw_reply_free(&r);
    assert_int_equal(
        raw_request(sim.sock, "POST", "/v1/Attest", "{\"report_data\":\"0102\"}", &r, TIMEOUT_MS),
        RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "attestation", s, sizeof s);
    assert_true(strlen(s) > 0);
    raw_reply_free(&r);
    /* v1 refuses "k256", which v0 still takes. */
    assert_int_equal(raw_request(sim.sock, "POST", "/v1/GetKey",
                                 "{\"domain\":\"a\",\"algorithm\":\"k256\"}", &r, TIMEOUT_MS),
                     RAW_OK);
    assert_int_equal(r.status, 400);
    raw_reply_free(&r);
}

static int start_old_sim(void **state)
{
    (void)state;
    const char *const args[] = {"--pre-0.6", NULL};
    return dsk_test_sim_start(&sim, args);
}

/* An agent before 0.6: /v1 and /v0 are not mounted; / still serves v0. */
static void test_pre_06(void **state)
{
    (void)state;
    static const char *const gone[] = {"/v1/Version", "/v1/GetKey", "/v0/GetKey", "/v0/Info"};
    raw_reply r;
    char s[100];
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
        assert_int_equal(raw_request(sim.sock, "POST", gone[i], "{}", &r, TIMEOUT_MS), RAW_OK);
        assert_int_equal(r.status, 404);
        assert_non_null(strstr(r.head, "text/html"));
        assert_null(strstr(r.body, "Service not found"));
        raw_reply_free(&r);
    }
    assert_int_equal(raw_request(sim.sock, "GET", "/Version", NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "version", s, sizeof s);
    assert_string_equal(s, DSK_SIM_VERSION_TEXT_PRE_V1);
    raw_reply_free(&r);
    assert_int_equal(
        raw_request(sim.sock, "POST", "/GetKey", "{\"path\":\"test/wallet\"}", &r, TIMEOUT_MS),
        RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, "key", s, sizeof s);
    assert_string_equal(s, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    raw_reply_free(&r);
}

int main(void)
{
    const struct CMUnitTest direct[] = {
        cmocka_unit_test(test_vectors_direct),
        cmocka_unit_test(test_link0_direct),
        cmocka_unit_test(test_algorithm_strict),
    };
    const struct CMUnitTest doc[] = {
        cmocka_unit_test(test_vectors_over_socket),
        cmocka_unit_test(test_v0_alias),
        cmocka_unit_test(test_v1_other_methods),
    };
    const struct CMUnitTest old[] = {
        cmocka_unit_test(test_pre_06),
    };
    int failed = cmocka_run_group_tests_name("direct", direct, setup_api, NULL);
    failed += cmocka_run_group_tests_name("doc-key simulator", doc, start_doc_sim, stop_sim);
    failed += cmocka_run_group_tests_name("pre-0.6 simulator", old, start_old_sim, stop_sim);
    dsk_sim_chain_cleanup();
    return failed;
}
