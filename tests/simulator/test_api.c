/* api.c without HTTP: request decoding and GetKey replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static dsk_sim_api api;

static int setup(void **state)
{
    (void)state;
    dsk_sim_appkeys_default(&api.keys);
    return 0;
}

/* Run GetKey on a JSON body; the reply's parsed JSON (caller deletes). */
static cJSON *get_key_json(const char *body, unsigned *status, bool short_key)
{
    dsk_sim_request req;
    dsk_sim_reply reply;
    cJSON *json = NULL;
    const char *bad = dsk_sim_request_from_json(body, strlen(body), &req, &json);
    assert_null(bad);
    assert_int_equal(dsk_sim_api_call(&api, DSK_SIM_GET_KEY, &req, short_key, &reply), DSK_OK);
    cJSON_Delete(json);
    *status = reply.status;
    assert_int_equal(strlen(reply.body), reply.body_len);
    cJSON *out = cJSON_Parse(reply.body);
    dsk_sim_reply_clear(&reply);
    assert_null(reply.body);
    assert_non_null(out);
    return out;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static void test_get_key_any_key_order(void **state)
{
    (void)state;
    unsigned st;
    cJSON *a = get_key_json("{\"path\":\"test/wallet\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}", &st, false);
    assert_int_equal(st, 200);
    cJSON *b = get_key_json(" {\"algorithm\":\"k256\", \"purpose\":\"signing\",\n\"path\":\"test/wallet\",\"x\":[1]}", &st, false);
    assert_int_equal(st, 200);
    assert_string_equal(str(a, "key"), "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    assert_true(cJSON_Compare(a, b, 1));
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(a, "signature_chain");
    assert_int_equal(cJSON_GetArraySize(chain), 2);
    assert_string_equal(cJSON_GetArrayItem(chain, 0)->valuestring,
                        "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c"
                        "33798d20477d877040fe6d7d9ea7aa39b853a7a3e56c2c0e36bba3e8e12a65b000");
    assert_string_equal(cJSON_GetArrayItem(chain, 1)->valuestring,
                        "9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e59"
                        "4d2a283f843f34e8f39e4cc49a612496ce67223a12ac923f8efe330346dfc6c500");
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* Missing fields count as empty: the empty path and purpose are valid. */
static void test_get_key_defaults(void **state)
{
    (void)state;
    unsigned st;
    cJSON *a = get_key_json("{}", &st, false);
    assert_int_equal(st, 200);
    cJSON *b = get_key_json("{\"path\":\"\",\"purpose\":\"\",\"algorithm\":\"\"}", &st, false);
    assert_true(cJSON_Compare(a, b, 1));
    assert_int_equal(strlen(str(a, "key")), 64);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* ed25519 changes the chain (it covers another public key), not the key. */
static void test_get_key_ed25519(void **state)
{
    (void)state;
    unsigned st;
    cJSON *a = get_key_json("{\"path\":\"test/wallet\",\"purpose\":\"signing\",\"algorithm\":\"ed25519\"}", &st, false);
    assert_int_equal(st, 200);
    assert_string_equal(str(a, "key"), "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    const char *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "signature_chain"), 0)->valuestring;
    assert_int_equal(strlen(c0), 130);
    assert_string_not_equal(c0, "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c"
                                "33798d20477d877040fe6d7d9ea7aa39b853a7a3e56c2c0e36bba3e8e12a65b000");
    cJSON_Delete(a);
}

static void test_unsupported_algorithm(void **state)
{
    (void)state;
    unsigned st;
    cJSON *a = get_key_json("{\"path\":\"a\",\"algorithm\":\"p256\"}", &st, false);
    assert_int_equal(st, 400);
    assert_string_equal(str(a, "error"), "Unsupported algorithm");
    assert_null(cJSON_GetObjectItemCaseSensitive(a, "key"));
    cJSON_Delete(a);
}

static void test_short_key(void **state)
{
    (void)state;
    unsigned st;
    cJSON *a = get_key_json("{\"path\":\"test/wallet\"}", &st, true);
    assert_int_equal(st, 200);
    assert_string_equal(str(a, "key"), "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93c");
    cJSON_Delete(a);
}

static void expect_bad(const char *body, size_t len, const char *needle)
{
    dsk_sim_request req;
    cJSON *json = (cJSON *)1;
    const char *bad = dsk_sim_request_from_json(body, len, &req, &json);
    assert_non_null(bad);
    assert_null(json);
    if (!strstr(bad, needle))
        fail_msg("'%s' does not mention '%s'", bad, needle);
}

static void test_bad_bodies(void **state)
{
    (void)state;
    expect_bad("{", 1, "not valid JSON");
    expect_bad("{\"path\":\"a\"} x", 14, "not valid JSON");
    expect_bad("{\"path\":\"a\"}\0", 13, "not valid JSON");
    expect_bad("[1]", 3, "not an object");
    expect_bad("\"s\"", 3, "not an object");
    expect_bad("{\"path\":1}", 10, "expected a string");
    expect_bad("{\"purpose\":null}", 16, "expected a string");
    expect_bad("{\"path\":\"a\",\"path\":\"b\"}", 23, "duplicate");
    expect_bad("{\"path\":\"\xff\"}", 12, "UTF-8");
    expect_bad("{\"path\":\"\xc0\xaf\"}", 13, "UTF-8");         /* overlong '/' */
    expect_bad("{\"path\":\"\xed\xa0\x80\"}", 14, "UTF-8");     /* surrogate */
    expect_bad("{\"path\":\"\xe2\x82\"}", 13, "UTF-8");         /* cut short */
    /* A Content-Length shorter than the body: the decoder sees a prefix. */
    const char *full = "{\"path\":\"caf\xc3\xa9\"}";
    expect_bad(full, strlen(full) - 2, "");
}

static void test_utf8_and_long_paths(void **state)
{
    (void)state;
    dsk_sim_request req;
    cJSON *json = NULL;
    const char *body = "{\"path\":\"\xe9\x92\xb1\xe5\x8c\x85/\xf0\x9f\x94\x91\"}";
    assert_null(dsk_sim_request_from_json(body, strlen(body), &req, &json));
    assert_int_equal(req.path_len, 11);
    assert_memory_equal(req.path, "\xe9\x92\xb1\xe5\x8c\x85/\xf0\x9f\x94\x91", 11);
    cJSON_Delete(json);
    assert_null(dsk_sim_request_from_json("", 0, &req, &json));
    assert_null(req.path);
    assert_null(json);
}

/* The real agent derives over every byte of the path, a NUL included
 * (issue 13, item 11): the simulator must not cut at it. */
static void test_path_with_nul(void **state)
{
    (void)state;
    dsk_sim_request req;
    cJSON *json = NULL;
    uint8_t want[32], cut[32];
    dsk_error err = {0};
    unsigned st;
    char hex[65];
    const char *body = "{\"purpose\":\"x\\u0000y\", \"path\" : \"a\\u0000b\\u0000\\u0000c\","
                       "\"x\":{\"path\":\"q\\u0000\"}}";
    assert_null(dsk_sim_request_from_json(body, strlen(body), &req, &json));
    assert_int_equal(req.path_len, 6);
    assert_memory_equal(req.path, "a\0b\0\0c", 6);
    cJSON_Delete(json);
    body = "{\"p\\u0061th\":\"\\u0000\"}"; /* an escaped name is still "path" */
    assert_null(dsk_sim_request_from_json(body, strlen(body), &req, &json));
    assert_int_equal(req.path_len, 1);
    cJSON_Delete(json);
    body = "{\"path\\u0000\":\"a\"}";
    assert_non_null(dsk_sim_request_from_json(body, strlen(body), &req, &json));

    assert_int_equal(dsk_sim_derive_key(api.keys.k256_key, "a\0b", 3, want, &err), DSK_OK);
    assert_int_equal(dsk_sim_derive_key(api.keys.k256_key, "a", 1, cut, &err), DSK_OK);
    assert_memory_not_equal(want, cut, 32);
    cJSON *a = get_key_json("{\"path\":\"a\\u0000b\"}", &st, false);
    assert_int_equal(st, 200);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", want[i]);
    assert_string_equal(str(a, "key"), hex);
    cJSON_Delete(a);
}

/* Mutated bodies (fixed seed, so a failure reproduces): every one decodes
 * or is refused, and every decoded one gets a 200 or a 400 reply. Run
 * under ASan/valgrind this is the parser's fuzz test. */
static void test_mutated_bodies(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{\"path\":\"test/wallet\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}",
        "{\"report_data\":\"0x00112233\"}",
        "{\"path\":\"caf\xc3\xa9\\u00e9\\n\",\"algorithm\":\"ed25519\"}",
        "{}",
    };
    uint32_t rng = 12345;
    char buf[256];
    for (int iter = 0; iter < 6000; iter++) {
        const char *seed = seeds[iter % 4];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            rng = rng * 1103515245u + 12345u;
            size_t pos = (rng >> 8) % (len + 1);
            unsigned char byte = (unsigned char)(rng >> 20);
            if ((rng >> 4) % 3 == 0 && len > 0)
                len = pos < len ? pos : len - 1; /* truncate */
            else if (pos < len)
                buf[pos] = (char)byte;           /* replace */
            else if (len < sizeof buf - 1)
                buf[len++] = (char)byte;         /* append */
        }
        dsk_sim_request req;
        cJSON *json = NULL;
        if (dsk_sim_request_from_json(buf, len, &req, &json) != NULL) {
            assert_null(json);
            continue;
        }
        for (dsk_sim_method m = DSK_SIM_GET_KEY; m <= DSK_SIM_ATTEST; m++) {
            dsk_sim_reply reply;
            assert_int_equal(dsk_sim_api_call(&api, m, &req, false, &reply), DSK_OK);
            assert_true(reply.status == 200 || reply.status == 400);
            cJSON *out = cJSON_Parse(reply.body);
            assert_non_null(out);
            cJSON_Delete(out);
            dsk_sim_reply_clear(&reply);
        }
        cJSON_Delete(json);
    }
}

static void test_methods(void **state)
{
    (void)state;
    assert_int_equal(dsk_sim_method_from_name("GetKey"), DSK_SIM_GET_KEY);
    assert_int_equal(dsk_sim_method_from_name("Info"), DSK_SIM_INFO);
    assert_int_equal(dsk_sim_method_from_name("Version"), DSK_SIM_VERSION);
    assert_int_equal(dsk_sim_method_from_name("GetQuote"), DSK_SIM_GET_QUOTE);
    assert_int_equal(dsk_sim_method_from_name("Attest"), DSK_SIM_ATTEST);
    assert_int_equal(dsk_sim_method_from_name("getkey"), DSK_SIM_METHOD_UNKNOWN);
    assert_int_equal(dsk_sim_method_from_name("GetTlsKey"), DSK_SIM_METHOD_UNKNOWN);
    assert_int_equal(dsk_sim_method_from_name(""), DSK_SIM_METHOD_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_key_any_key_order), cmocka_unit_test(test_get_key_defaults),
        cmocka_unit_test(test_get_key_ed25519),       cmocka_unit_test(test_unsupported_algorithm),
        cmocka_unit_test(test_short_key),             cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_utf8_and_long_paths),
        cmocka_unit_test(test_path_with_nul),   cmocka_unit_test(test_methods),
        cmocka_unit_test(test_mutated_bodies),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
