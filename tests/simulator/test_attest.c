/* attest.c: Info, Version, GetQuote, Attest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "hex.h"
#include "internal.h"
#include "ratls.h"

#include <stdlib.h>

static dsk_sim_api api;

static int setup(void **state)
{
    (void)state;
    dsk_sim_appkeys_default(&api.keys);
    return 0;
}

static cJSON *call(dsk_sim_method m, const char *report_data, unsigned *status)
{
    dsk_sim_request req = {.report_data = report_data};
    dsk_sim_reply reply;
    assert_int_equal(dsk_sim_api_call(&api, m, &req, false, &reply), DSK_OK);
    *status = reply.status;
    cJSON *o = cJSON_Parse(reply.body);
    dsk_sim_reply_clear(&reply);
    assert_true(cJSON_IsObject(o));
    return o;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v))
        fail_msg("field %s missing or not a string", name);
    return v->valuestring;
}

static void test_info(void **state)
{
    (void)state;
    unsigned st;
    cJSON *a = call(DSK_SIM_INFO, NULL, &st);
    assert_int_equal(st, 200);
    assert_string_equal(str(a, "app_id"), "5bb4ff9a3837357f19dc176407a5709c62eb6c56");
    static const char *const fields[] = {"instance_id",   "app_name",  "compose_hash",
                                         "os_image_hash", "device_id", "key_provider_info",
                                         "vm_config",     "app_cert"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        (void)str(a, fields[i]);
    /* tcb_info and vm_config are strings that hold JSON (the JS SDK parses them). */
    cJSON *tcb = cJSON_Parse(str(a, "tcb_info"));
    assert_true(cJSON_IsObject(tcb));
    assert_string_equal(str(tcb, "compose_hash"), str(a, "compose_hash"));
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(tcb, "event_log")));
    assert_int_equal(strlen(str(tcb, "rtmr3")), 96);
    cJSON_Delete(tcb);
    cJSON *vm = cJSON_Parse(str(a, "vm_config"));
    assert_true(cJSON_IsObject(vm));
    cJSON_Delete(vm);
    /* Stable: a second call answers the same. */
    cJSON *b = call(DSK_SIM_INFO, NULL, &st);
    assert_true(cJSON_Compare(a, b, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_info_follows_app_id(void **state)
{
    (void)state;
    unsigned st;
    dsk_sim_api other = api;
    assert_int_equal(
        dsk_sim_appkeys_set_app_id(&other.keys, "0000000000000000000000000000000000000001", NULL),
        DSK_OK);
    dsk_sim_request req = {0};
    dsk_sim_reply reply;
    assert_int_equal(dsk_sim_api_call(&other, DSK_SIM_INFO, &req, false, &reply), DSK_OK);
    cJSON *o = cJSON_Parse(reply.body);
    dsk_sim_reply_clear(&reply);
    assert_string_equal(str(o, "app_id"), "0000000000000000000000000000000000000001");
    cJSON *d = call(DSK_SIM_INFO, NULL, &st);
    assert_string_not_equal(str(o, "instance_id"), str(d, "instance_id"));
    cJSON_Delete(o);
    cJSON_Delete(d);
}

static void test_version(void **state)
{
    (void)state;
    unsigned st;
    cJSON *a = call(DSK_SIM_VERSION, NULL, &st);
    assert_int_equal(st, 200);
    assert_string_equal(str(a, "version"), DSK_SIM_VERSION_TEXT);
    assert_true(strlen(str(a, "rev")) > 0);
    cJSON_Delete(a);
}

/* The fake marker, in hex, opens every quote and attestation. */
static void assert_marked(const char *hex, const char *marker)
{
    char want[128];
    dsk_hex_encode((const uint8_t *)marker, strlen(marker), want);
    assert_memory_equal(hex, want, strlen(want));
}

static void test_quote_padding(void **state)
{
    (void)state;
    unsigned st;
    cJSON *a = call(DSK_SIM_GET_QUOTE, "0xABcd", &st);
    assert_int_equal(st, 200);
    char want[129];
    memset(want, '0', 128);
    want[128] = '\0';
    memcpy(want, "abcd", 4);
    assert_string_equal(str(a, "report_data"), want);
    assert_marked(str(a, "quote"), "DSTACK-SIMULATOR-FAKE-QUOTE");
    assert_non_null(strstr(str(a, "quote"), want));
    assert_marked(str(a, "attestation"), "DSTACK-SIMULATOR-FAKE-ATTESTATION");
    cJSON *log = cJSON_Parse(str(a, "event_log"));
    assert_true(cJSON_IsArray(log));
    assert_true(cJSON_GetArraySize(log) > 0);
    cJSON_Delete(log);
    cJSON *vm = cJSON_Parse(str(a, "vm_config"));
    assert_true(cJSON_IsObject(vm));
    cJSON_Delete(vm);
    cJSON_Delete(a);

    a = call(DSK_SIM_GET_QUOTE, NULL, &st);
    assert_int_equal(st, 200);
    memset(want, '0', 128);
    assert_string_equal(str(a, "report_data"), want);
    cJSON_Delete(a);
}

static void test_quote_limits(void **state)
{
    (void)state;
    unsigned st;
    char hex[200];
    memset(hex, 'f', 128);
    hex[128] = '\0';
    cJSON *a = call(DSK_SIM_GET_QUOTE, hex, &st);
    assert_int_equal(st, 200);
    assert_string_equal(str(a, "report_data"), hex);
    cJSON_Delete(a);
    memset(hex, 'f', 130);
    hex[130] = '\0';
    a = call(DSK_SIM_GET_QUOTE, hex, &st);
    assert_int_equal(st, 400);
    assert_non_null(strstr(str(a, "error"), "too large"));
    cJSON_Delete(a);
    a = call(DSK_SIM_ATTEST, hex, &st);
    assert_int_equal(st, 400);
    cJSON_Delete(a);
    a = call(DSK_SIM_GET_QUOTE, "abc", &st);
    assert_int_equal(st, 400);
    cJSON_Delete(a);
    a = call(DSK_SIM_GET_QUOTE, "zz", &st);
    assert_int_equal(st, 400);
    cJSON_Delete(a);
}

/* /Attest: the legacy SCALE VersionedAttestation a TDX agent sends, with
 * a TDX v4 quote whose REPORT_DATA and the attestation's report data are
 * the padded request, marked fake in its signature section. */
static uint8_t *attest_bytes(const char *rd_hex, size_t *len)
{
    unsigned st;
    cJSON *a = call(DSK_SIM_ATTEST, rd_hex, &st);
    assert_int_equal(st, 200);
    assert_int_equal(cJSON_GetArraySize(a), 1);
    const char *hex = str(a, "attestation");
    uint8_t *b = malloc(strlen(hex) / 2 + 1);
    assert_non_null(b);
    long n = dsk_hex_decode(hex, strlen(hex), b, strlen(hex) / 2 + 1);
    assert_true(n > 0);
    *len = (size_t)n;
    cJSON_Delete(a);
    return b;
}

static void test_attest(void **state)
{
    (void)state;
    size_t la, lb;
    uint8_t *a = attest_bytes("01", &la), *b = attest_bytes("01", &lb);
    uint8_t want[64] = {0x01};
    dsk_ratls_attestation at;
    const uint8_t *qrd;
    assert_int_equal(a[0], 0x00); /* legacy SCALE V0 */
    assert_int_equal(dsk_ratls_attestation_parse(a, la, &at, NULL), DSK_OK);
    assert_memory_equal(at.report_data, want, 64);
    assert_int_equal(dsk_ratls_quote_report_data(at.quote, at.quote_len, &qrd, NULL), DSK_OK);
    assert_memory_equal(qrd, want, 64);
    const char *marker = "DSTACK-SIMULATOR-FAKE-QUOTE";
    assert_memory_equal(at.quote + DSK_RATLS_TDX_V4_MIN_LEN, marker, strlen(marker));
    assert_int_equal(at.n_events, 5);
    assert_int_equal(at.events[1].imr, 3);
    assert_memory_equal(at.events[1].event, "app-id", 6);
    char *cfg = malloc(at.config_len + 1); /* config is not NUL-terminated */
    assert_non_null(cfg);
    memcpy(cfg, at.config, at.config_len);
    cfg[at.config_len] = '\0';
    cJSON *vm = cJSON_Parse(cfg);
    assert_true(cJSON_IsObject(vm));
    cJSON_Delete(vm);
    free(cfg);
    /* same request, same length, new fake signature */
    assert_int_equal(la, lb);
    assert_memory_not_equal(a, b, la);
    dsk_ratls_attestation_clear(&at);
    free(a);
    free(b);
    a = attest_bytes("02", &la);
    assert_int_equal(dsk_ratls_attestation_parse(a, la, &at, NULL), DSK_OK);
    want[0] = 0x02;
    assert_memory_equal(at.report_data, want, 64);
    dsk_ratls_attestation_clear(&at);
    free(a);
}

/* --tdx-quote: /GetQuote's quote is a TDX v4 quote carrying the report
 * data; without it, the marked blob (not a TDX quote) as always. */
static void test_get_quote_tdx(void **state)
{
    (void)state;
    unsigned st;
    uint8_t q[2048], want[64] = {0xab, 0xcd};
    const uint8_t *qrd;
    dsk_error e;
    for (int tdx = 0; tdx < 2; tdx++) {
        api.tdx_quote = tdx;
        cJSON *o = call(DSK_SIM_GET_QUOTE, "abcd", &st);
        assert_int_equal(st, 200);
        const char *hex = str(o, "quote");
        long n = dsk_hex_decode(hex, strlen(hex), q, sizeof q);
        assert_true(n > 0);
        dsk_status got = dsk_ratls_quote_report_data(q, (size_t)n, &qrd, &e);
        if (tdx) {
            assert_int_equal(got, DSK_OK);
            assert_memory_equal(qrd, want, 64);
            assert_memory_equal(q + DSK_RATLS_TDX_V4_MIN_LEN, "DSTACK-SIMULATOR-FAKE-QUOTE", 27);
        } else {
            assert_int_not_equal(got, DSK_OK);
        }
        cJSON *log = cJSON_Parse(str(o, "event_log")); /* the same event log either way */
        assert_true(cJSON_IsArray(log) && cJSON_GetArraySize(log) == 5);
        cJSON_Delete(log);
        cJSON_Delete(o);
    }
    api.tdx_quote = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info),          cmocka_unit_test(test_info_follows_app_id),
        cmocka_unit_test(test_version),       cmocka_unit_test(test_quote_padding),
        cmocka_unit_test(test_quote_limits),  cmocka_unit_test(test_attest),
        cmocka_unit_test(test_get_quote_tdx),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
