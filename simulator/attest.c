/* Info, Version, GetQuote and Attest: the simulated TEE. Every value is
 * stable (a function of the app id and the request), and every quote and
 * attestation starts with a marker that says it is fake. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "ratls.h"
#include "trust.h"

#include <openssl/rand.h>
#include <stdlib.h>

#define QUOTE_MARKER "DSTACK-SIMULATOR-FAKE-QUOTE"
#define ATTEST_MARKER "DSTACK-SIMULATOR-FAKE-ATTESTATION"
#define RTMR_LEN 48 /* SHA-384 */

/* A stable 32-byte value for a label: keccak256(label || app_id). */
static void stable_bytes(const dsk_sim_api *api, const char *label, uint8_t out[32])
{
    uint8_t buf[64 + DSK_SIM_APP_ID_LEN];
    size_t l = strlen(label);
    if (l > 64)
        l = 64;
    memcpy(buf, label, l);
    memcpy(buf + l, api->keys.app_id, DSK_SIM_APP_ID_LEN);
    dsk_keccak256(buf, l + DSK_SIM_APP_ID_LEN, out);
}

static void stable_hex(const dsk_sim_api *api, const char *label, size_t nbytes, char *out)
{
    uint8_t b[32];
    stable_bytes(api, label, b);
    dsk_hex_encode(b, nbytes, out);
}

/* The events every simulated boot measures into RTMR3, as the JS SDK's
 * replayRtmrs() reads them: imr, digest (SHA-384 of the payload). */
static const char *const event_names[] = {"system-preparing", "app-id", "compose-hash",
                                          "instance-id", "boot-mr-done"};
#define N_EVENTS (sizeof event_names / sizeof event_names[0])

static void event_payload(const dsk_sim_api *api, size_t i, char *out /* 65 */)
{
    if (i == 1)
        dsk_hex_encode(api->keys.app_id, DSK_SIM_APP_ID_LEN, out);
    else if (i == 2)
        stable_hex(api, event_names[i], 32, out);
    else if (i == 3)
        stable_hex(api, event_names[i], 20, out);
    else
        out[0] = '\0';
}

static void sha384(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[RTMR_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) || !EVP_DigestUpdate(ctx, a, alen) ||
        !EVP_DigestUpdate(ctx, b, blen) || !EVP_DigestFinal_ex(ctx, out, NULL))
        memset(out, 0, RTMR_LEN);
    EVP_MD_CTX_free(ctx);
}

static void event_digest(const dsk_sim_api *api, size_t i, uint8_t out[RTMR_LEN])
{
    char payload[65];
    event_payload(api, i, payload);
    sha384(event_names[i], strlen(event_names[i]), payload, strlen(payload), out);
}

/* event_log as the JSON text the agent sends (an array in a string). */
static char *event_log_json(const dsk_sim_api *api)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < N_EVENTS; i++) {
        uint8_t d[RTMR_LEN];
        char dhex[2 * RTMR_LEN + 1], payload[65];
        event_digest(api, i, d);
        dsk_hex_encode(d, sizeof d, dhex);
        event_payload(api, i, payload);
        cJSON *ev = cJSON_CreateObject();
        if (!ev || !cJSON_AddItemToArray(arr, ev) || !cJSON_AddNumberToObject(ev, "imr", 3) ||
            !cJSON_AddNumberToObject(ev, "event_type", 134217729) ||
            !cJSON_AddStringToObject(ev, "digest", dhex) ||
            !cJSON_AddStringToObject(ev, "event", event_names[i]) ||
            !cJSON_AddStringToObject(ev, "event_payload", payload)) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    return text;
}

/* RTMR3 replayed over the events, as a verifier would: mr = SHA384(mr || d). */
static void rtmr3(const dsk_sim_api *api, char out[2 * RTMR_LEN + 1])
{
    uint8_t mr[RTMR_LEN] = {0}, d[RTMR_LEN];
    for (size_t i = 0; i < N_EVENTS; i++) {
        event_digest(api, i, d);
        sha384(mr, sizeof mr, d, sizeof d, mr);
    }
    dsk_hex_encode(mr, sizeof mr, out);
}

static char *vm_config_json(const dsk_sim_api *api)
{
    char os[65];
    stable_hex(api, "os-image", 32, os);
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddNumberToObject(o, "spec_version", 1) &&
        cJSON_AddStringToObject(o, "os_image_hash", os) &&
        cJSON_AddNumberToObject(o, "cpu_count", 2) &&
        cJSON_AddNumberToObject(o, "memory_size", 2147483648.0) &&
        cJSON_AddBoolToObject(o, "simulator", 1))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static char *tcb_info_json(const dsk_sim_api *api, const char *event_log)
{
    char zero[2 * RTMR_LEN + 1], r3[2 * RTMR_LEN + 1], compose[65], os[65], dev[65], mrtd[97];
    memset(zero, '0', 2 * RTMR_LEN);
    zero[2 * RTMR_LEN] = '\0';
    rtmr3(api, r3);
    stable_hex(api, "compose-hash", 32, compose);
    stable_hex(api, "os-image", 32, os);
    stable_hex(api, "device-id", 32, dev);
    snprintf(mrtd, sizeof mrtd, "%s", zero);
    cJSON *o = cJSON_CreateObject();
    cJSON *log = cJSON_Parse(event_log);
    char *text = NULL;
    if (o && log && cJSON_AddStringToObject(o, "mrtd", mrtd) &&
        cJSON_AddStringToObject(o, "rtmr0", zero) && cJSON_AddStringToObject(o, "rtmr1", zero) &&
        cJSON_AddStringToObject(o, "rtmr2", zero) && cJSON_AddStringToObject(o, "rtmr3", r3) &&
        cJSON_AddStringToObject(o, "os_image_hash", os) &&
        cJSON_AddStringToObject(o, "compose_hash", compose) &&
        cJSON_AddStringToObject(o, "device_id", dev) &&
        cJSON_AddStringToObject(o, "app_compose", "{\"name\":\"dstack-simulator\"}") &&
        cJSON_AddItemToObject(o, "event_log", log)) {
        log = NULL;
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(log);
    cJSON_Delete(o);
    return text;
}

dsk_status dsk_sim_info(const dsk_sim_api *api, dsk_sim_reply *reply)
{
    char app_id[2 * DSK_SIM_APP_ID_LEN + 1], inst[41], compose[65], os[65], dev[65];
    char kpi[160];
    char *log = event_log_json(api);
    char *vm = vm_config_json(api);
    char *tcb = log ? tcb_info_json(api, log) : NULL;
    cJSON *o = cJSON_CreateObject();
    bool ok = o && log && vm && tcb;

    dsk_hex_encode(api->keys.app_id, DSK_SIM_APP_ID_LEN, app_id);
    stable_hex(api, "instance-id", 20, inst);
    stable_hex(api, "compose-hash", 32, compose);
    stable_hex(api, "os-image", 32, os);
    stable_hex(api, "device-id", 32, dev);
    snprintf(kpi, sizeof kpi, "{\"name\":\"kms\",\"id\":\"%s\"}", "dstack-simulator");
    ok = ok && cJSON_AddStringToObject(o, "app_id", app_id) &&
         cJSON_AddStringToObject(o, "instance_id", inst) &&
         cJSON_AddStringToObject(o, "app_name", "dstack-simulator") &&
         cJSON_AddStringToObject(o, "device_id", dev) &&
         cJSON_AddStringToObject(o, "compose_hash", compose) &&
         cJSON_AddStringToObject(o, "os_image_hash", os) &&
         cJSON_AddStringToObject(o, "key_provider_info", kpi) &&
         cJSON_AddStringToObject(o, "vm_config", vm) &&
         cJSON_AddStringToObject(o, "tcb_info", tcb) && cJSON_AddStringToObject(o, "app_cert", "");
    cJSON_free(log);
    cJSON_free(vm);
    cJSON_free(tcb);
    if (!ok) {
        cJSON_Delete(o);
        return DSK_E_NOMEM;
    }
    return dsk_sim_reply_json(reply, 200, o);
}

/* /v1/Info (dstack 0.6): typed identity fields, no tcb_info, no app_cert;
 * the app-compose document served as it is. */
dsk_status dsk_sim_v1_info(const dsk_sim_api *api, dsk_sim_reply *reply)
{
    char app_id[2 * DSK_SIM_APP_ID_LEN + 1], inst[41], compose[65], os[65], dev[65], mr[65];
    char kpi[160];
    char *vm = vm_config_json(api);
    cJSON *o = cJSON_CreateObject();

    dsk_hex_encode(api->keys.app_id, DSK_SIM_APP_ID_LEN, app_id);
    stable_hex(api, "instance-id", 20, inst);
    stable_hex(api, "compose-hash", 32, compose);
    stable_hex(api, "os-image", 32, os);
    stable_hex(api, "device-id", 32, dev);
    stable_hex(api, "mr-aggregated", 32, mr);
    snprintf(kpi, sizeof kpi, "{\"name\":\"kms\",\"id\":\"%s\"}", "dstack-simulator");
    bool ok = o && vm && cJSON_AddStringToObject(o, "app_id", app_id) &&
              cJSON_AddStringToObject(o, "app_name", "dstack-simulator") &&
              cJSON_AddStringToObject(o, "compose_hash", compose) &&
              cJSON_AddStringToObject(o, "app_compose", "{\"name\":\"dstack-simulator\"}") &&
              cJSON_AddStringToObject(o, "instance_id", inst) &&
              cJSON_AddStringToObject(o, "device_id", dev) &&
              cJSON_AddStringToObject(o, "os_image_hash", os) &&
              cJSON_AddStringToObject(o, "mr_aggregated", mr) &&
              cJSON_AddStringToObject(o, "vm_config", vm) &&
              cJSON_AddStringToObject(o, "key_provider_info", kpi) &&
              cJSON_AddStringToObject(o, "cloud_vendor", "") &&
              cJSON_AddStringToObject(o, "cloud_product", "");
    cJSON_free(vm);
    if (!ok) {
        cJSON_Delete(o);
        return DSK_E_NOMEM;
    }
    return dsk_sim_reply_json(reply, 200, o);
}

dsk_status dsk_sim_version(const dsk_sim_api *api, dsk_sim_reply *reply)
{
    cJSON *o = cJSON_CreateObject();
    const char *v = api->pre_v1 ? DSK_SIM_VERSION_TEXT_PRE_V1 : DSK_SIM_VERSION_TEXT;
    if (!o || !cJSON_AddStringToObject(o, "version", v) ||
        !cJSON_AddStringToObject(o, "rev", "dstack-pkcs11-simulator")) {
        cJSON_Delete(o);
        return DSK_E_NOMEM;
    }
    return dsk_sim_reply_json(reply, 200, o);
}

/* marker || report_data (64) || app_id: fake, but it carries what a quote
 * binds, so a client can check that its report data went through. */
static void fake_blob(const dsk_sim_api *api, const char *marker, const uint8_t rd[64],
                      char *out /* 2 * (64 + 64 + 20) + 1 */)
{
    uint8_t buf[64 + 64 + DSK_SIM_APP_ID_LEN];
    size_t ml = strlen(marker);
    memcpy(buf, marker, ml);
    memcpy(buf + ml, rd, 64);
    memcpy(buf + ml + 64, api->keys.app_id, DSK_SIM_APP_ID_LEN);
    dsk_hex_encode(buf, ml + 64 + DSK_SIM_APP_ID_LEN, out);
}

/* A structurally valid TDX v4 quote: header (version 4, ECDSA-P256 key
 * type, TEE type 0x81), a TD report body with RTMR3 replayed over the event
 * log and REPORT_DATA at 568..632, then a signature-data length and a
 * signature section that is the fake marker and 32 random bytes (a real
 * quote's ECDSA signature changes at every call too). Nothing signs it. */
#define FAKE_SIG_LEN (sizeof QUOTE_MARKER - 1 + 32)
#define FAKE_QUOTE_LEN (DSK_RATLS_TDX_V4_MIN_LEN + FAKE_SIG_LEN)
#define BODY_RTMR3_OFF 472

static bool fake_tdx_quote(const dsk_sim_api *api, const uint8_t rd[64], uint8_t q[FAKE_QUOTE_LEN])
{
    char r3[2 * RTMR_LEN + 1];
    uint8_t *body = q + DSK_RATLS_TDX_V4_HEADER_LEN;
    memset(q, 0, FAKE_QUOTE_LEN);
    q[0] = 4;    /* version */
    q[2] = 2;    /* attestation key type: ECDSA-256 */
    q[4] = 0x81; /* TEE type: TDX */
    rtmr3(api, r3);
    if (dsk_hex_decode(r3, strlen(r3), body + BODY_RTMR3_OFF, RTMR_LEN) != RTMR_LEN)
        return false;
    memcpy(q + DSK_RATLS_TDX_REPORT_DATA_OFF, rd, 64);
    uint8_t *sig = q + DSK_RATLS_TDX_V4_MIN_LEN;
    sig[-4] = (uint8_t)FAKE_SIG_LEN;
    memcpy(sig, QUOTE_MARKER, sizeof QUOTE_MARKER - 1);
    return RAND_bytes(sig + sizeof QUOTE_MARKER - 1, 32) == 1;
}

/* /Attest's attestation as a TDX agent sends it: the legacy SCALE
 * VersionedAttestation (V0, DstackTdx { quote, event_log }, report_data,
 * config), which is what Attestation::into_versioned() gives while every
 * runtime event is a version-1 event, as on a TDX CVM. */
static char *attestation_hex(const dsk_sim_api *api, const uint8_t rd[64])
{
    uint8_t q[FAKE_QUOTE_LEN], digests[N_EVENTS][RTMR_LEN], *enc = NULL;
    char payloads[N_EVENTS][65], *hex = NULL, *vm = vm_config_json(api);
    dsk_ratls_event ev[N_EVENTS];
    size_t len = 0;
    if (!vm || !fake_tdx_quote(api, rd, q))
        goto done;
    for (size_t i = 0; i < N_EVENTS; i++) {
        event_digest(api, i, digests[i]);
        event_payload(api, i, payloads[i]);
        ev[i] = (dsk_ratls_event){.imr = 3,
                                  .event_type = 0x08000001u,
                                  .digest = digests[i],
                                  .digest_len = RTMR_LEN,
                                  .event = event_names[i],
                                  .event_len = strlen(event_names[i]),
                                  .payload = (const uint8_t *)payloads[i],
                                  .payload_len = strlen(payloads[i])};
    }
    dsk_ratls_attestation a = {.quote = q,
                               .quote_len = sizeof q,
                               .events = ev,
                               .n_events = N_EVENTS,
                               .config = vm,
                               .config_len = strlen(vm)};
    memcpy(a.report_data, rd, 64);
    if (dsk_ratls_attestation_encode(&a, &enc, &len, NULL) != DSK_OK)
        goto done;
    hex = malloc(2 * len + 1);
    if (hex)
        dsk_hex_encode(enc, len, hex);
done:
    free(enc);
    cJSON_free(vm);
    return hex;
}

dsk_status dsk_sim_quote(const dsk_sim_api *api, const dsk_sim_request *req, bool attest_only,
                         dsk_sim_reply *reply)
{
    uint8_t rd[64] = {0};
    char rd_hex[129], quote[2 * FAKE_QUOTE_LEN + 1];
    char att[2 * (64 + 64 + DSK_SIM_APP_ID_LEN) + 1];
    const char *text = req->report_data ? req->report_data : "";
    size_t tl = strlen(text);
    size_t skip = (tl >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) ? 2 : 0;

    /* Decode first into a larger buffer: over 64 bytes is its own error. */
    if (tl - skip > 0) {
        uint8_t big[65];
        if ((tl - skip) % 2 != 0 || (tl - skip) / 2 > sizeof big)
            return dsk_sim_reply_error(
                reply, 400,
                (tl - skip) % 2 ? "Invalid report_data: odd-length hex"
                                : "Report data is too large, it should be at most 64 bytes");
        long n = dsk_hex_decode(text, tl, big, sizeof big);
        if (n < 0)
            return dsk_sim_reply_error(reply, 400, "Invalid report_data: not hex");
        if (n > 64)
            return dsk_sim_reply_error(reply, 400,
                                       "Report data is too large, it should be at most 64 bytes");
        memcpy(rd, big, (size_t)n);
    }
    dsk_hex_encode(rd, sizeof rd, rd_hex);
    fake_blob(api, ATTEST_MARKER, rd, att);

    cJSON *o = cJSON_CreateObject();
    if (!o)
        return DSK_E_NOMEM;
    if (attest_only) {
        char *full = attestation_hex(api, rd);
        bool added = full && cJSON_AddStringToObject(o, "attestation", full);
        free(full);
        if (!added)
            goto nomem;
        return dsk_sim_reply_json(reply, 200, o);
    }
    if (api->tdx_quote) {
        uint8_t q[FAKE_QUOTE_LEN];
        if (!fake_tdx_quote(api, rd, q))
            goto nomem;
        dsk_hex_encode(q, sizeof q, quote);
    } else {
        fake_blob(api, QUOTE_MARKER, rd, quote);
    }
    char *log = event_log_json(api);
    char *vm = vm_config_json(api);
    bool ok = log && vm && cJSON_AddStringToObject(o, "quote", quote) &&
              cJSON_AddStringToObject(o, "event_log", log) &&
              cJSON_AddStringToObject(o, "report_data", rd_hex) &&
              cJSON_AddStringToObject(o, "vm_config", vm) &&
              cJSON_AddStringToObject(o, "attestation", att);
    cJSON_free(log);
    cJSON_free(vm);
    if (!ok)
        goto nomem;
    return dsk_sim_reply_json(reply, 200, o);
nomem:
    cJSON_Delete(o);
    return DSK_E_NOMEM;
}
