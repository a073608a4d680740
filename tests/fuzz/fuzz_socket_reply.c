/* socket/: the validators of dstack replies (GetKey, Info, Version,
 * GetQuote/Attest) on an arbitrary body, the allocation-free JSON check
 * against cJSON, and dsk_printable. */
#include <cjson/cJSON.h>
#include <ctype.h>

#include "fuzz.h"
#include "internal.h"

#define WHERE "/Method on fuzz"

static int only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return 0;
    return 1;
}

/* jsoncheck.c promises that cJSON parses whole whatever it accepts: that is
 * what keeps a half-parsed GetKey reply from leaving key hex in freed memory. */
static void check_json(const char *body, size_t len)
{
    const char *end = NULL;
    cJSON *j;

    if (!dsk_json_check(body, len))
        return;
    j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    DSK_FUZZ_ASSERT(j != NULL);
    DSK_FUZZ_ASSERT(end != NULL && end >= body && end <= body + len);
    DSK_FUZZ_ASSERT(only_space(end, body + len));
    cJSON_Delete(j);
}

/* A GetKey body is never quoted: no run of 16+ hex digits of the body may
 * show up in the message (the templates hold none). */
static void check_not_quoted(const char *body, size_t len, const char *msg)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && isxdigit((unsigned char)body[j]))
            j++;
        if (j - i >= 16) {
            char run[17];
            memcpy(run, body + i, 16);
            run[16] = '\0';
            DSK_FUZZ_ASSERT(strstr(msg, run) == NULL);
        }
        i = j + 1;
    }
}

static void check_printable(const char *body, size_t len)
{
    char out[64];
    size_t outlen = 1 + (len > 0 ? (unsigned char)body[0] % sizeof out : 0);
    size_t max = len > 1 ? (unsigned char)body[1] : 0;

    memset(out, 'X', sizeof out);
    dsk_printable(body, len, max, out, outlen);
    DSK_FUZZ_ASSERT(memchr(out, '\0', outlen) != NULL);
    for (size_t i = 0; out[i] != '\0'; i++)
        DSK_FUZZ_ASSERT(out[i] >= 0x20 && out[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Bodies come from a dsk_buf, which keeps a NUL after data[len]: so do
     * we (reply.c's strndup trips ASan's strict_string_checks otherwise). */
    char *body = malloc(size + 1);
    dsk_error err = {0};
    dsk_key_reply key;
    dsk_info info;
    char version[16], rev[64], *hex = NULL;
    dsk_status st;

    if (body == NULL)
        return 0;
    memcpy(body, data, size);
    body[size] = '\0';
    check_json(body, size);
    check_printable(body, size);

    st = dsk_reply_key(WHERE, 200, body, size, &key, &err);
    if (st == DSK_OK) {
        DSK_FUZZ_ASSERT(key.chain_len[0] == 65);
        DSK_FUZZ_ASSERT(key.chain_len[1] == 65 || key.chain_len[1] == 0);
    } else {
        DSK_FUZZ_ASSERT(st == DSK_E_MALFORMED && err.code == st);
        check_not_quoted(body, size, err.msg);
    }
    dsk_key_reply_clear(&key);
    st = dsk_reply_key(WHERE, 500, body, size, &key, &err);
    DSK_FUZZ_ASSERT(st == DSK_E_REFUSED);
    dsk_key_reply_clear(&key);

    st = dsk_reply_info(WHERE, 200, body, size, &info, &err);
    if (st == DSK_OK) {
        DSK_FUZZ_ASSERT(info.app_id != NULL && strlen(info.app_id) == 40);
        DSK_FUZZ_ASSERT(info.json != NULL && info.tcb_info != NULL);
    }
    dsk_info_free(&info);
    dsk_reply_info(WHERE, 404, body, size, &info, &err);
    dsk_info_free(&info);

    st = dsk_reply_version(WHERE, 200, body, size, version, sizeof version, rev, sizeof rev, &err);
    if (st == DSK_OK)
        DSK_FUZZ_ASSERT(version[0] != '\0' && strlen(version) < sizeof version);

    st = dsk_reply_hex_field(WHERE, 200, body, size, "quote", &hex, &err);
    DSK_FUZZ_ASSERT((st == DSK_OK) == (hex != NULL));
    if (hex != NULL)
        DSK_FUZZ_ASSERT(strlen(hex) % 2 == 0 && strlen(hex) > 0);
    free(hex);
    st = dsk_reply_hex_field(WHERE, 200, body, size, "attestation", &hex, &err);
    DSK_FUZZ_ASSERT((st == DSK_OK) == (hex != NULL));
    free(hex);
    free(body);
    return 0;
}
