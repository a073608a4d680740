/* Strict validation of reply bodies: status, JSON shape, types, hex lengths.
 * Anything the real agent would not send is refused with what was wrong. */
#include "internal.h"

#include "lazy_cjson.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "wipe.h"

#define SHOW_MAX 64        /* bytes of an unexpected body quoted in a message */
#define AGENT_TEXT_MAX 200 /* bytes of the agent's own error text quoted */

void dsk_printable(const char *in, size_t inlen, size_t max, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    if (!out || !outlen)
        return;
    /* Room for "..." and the NUL is reserved throughout. */
    for (; i < inlen && i < max; i++) {
        unsigned char ch = (unsigned char)in[i];
        char tmp[8];
        size_t n;
        if (ch >= 0x20 && ch < 0x7f) {
            tmp[0] = (char)ch;
            n = 1;
        } else {
            n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", ch);
        }
        if (o + n + 4 > outlen)
            break;
        memcpy(out + o, tmp, n);
        o += n;
    }
    if (i < inlen && o + 4 <= outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}

/* cJSON frees without wiping: clear every string of a tree that carried a
 * key before it goes back to the allocator. */
static void wipe_strings(cJSON *j)
{
    for (; j; j = j->next) {
        if (j->valuestring)
            dsk_wipe(j->valuestring, strlen(j->valuestring));
        wipe_strings(j->child);
    }
}

static void tree_free(cJSON *j, int secret)
{
    if (j && secret)
        wipe_strings(j);
    cJSON_Delete(j);
}

static int only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return 0;
    return 1;
}

/* Parse a body into a JSON object, turning non-200 statuses into
 * DSK_E_REFUSED.  secret: never quote the body (it may hold a key). */
static dsk_status parse(const char *where, long status, const char *body, size_t len, int secret,
                        cJSON **out, dsk_error *err)
{
    dsk_status st = DSK_OK;
    const char *end = NULL;
    char show[SHOW_MAX * 4 + 8] = "";
    int nul = 0;
    /* cJSON only sees text it will parse whole (see jsoncheck.c), and no
     * string with a NUL in it: its length would be strlen's, not the
     * decoded one, so "<64 hex>\u0000anything" would pass as 64 digits. */
    cJSON *j = dsk_json_check_nul(body, len, &nul) && !nul
                   ? cJSON_ParseWithLengthOpts(body, len, &end, 0)
                   : NULL;

    *out = NULL;
    if (j && !only_space(end, body + len)) {
        tree_free(j, secret); /* trailing bytes: not one JSON document */
        j = NULL;
    }
    if (!secret)
        dsk_printable(body, len, SHOW_MAX, show, sizeof show);
    if (status != 200) {
        const cJSON *e = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
        if (cJSON_IsString(e) && e->valuestring) {
            char text[AGENT_TEXT_MAX * 4 + 8];
            dsk_printable(e->valuestring, strlen(e->valuestring), AGENT_TEXT_MAX, text,
                          sizeof text);
            st = dsk_error_set(err, DSK_E_REFUSED, "%s: the agent refused (HTTP %ld): %s", where,
                               status, text);
        } else if (secret || !len) {
            st = dsk_error_set(err, DSK_E_REFUSED,
                               "%s: the agent answered HTTP %ld without an "
                               "error text",
                               where, status);
        } else {
            st = dsk_error_set(err, DSK_E_REFUSED, "%s: the agent answered HTTP %ld: %s", where,
                               status, show);
        }
        goto done;
    }
    if (!len) {
        st = dsk_error_set(err, DSK_E_MALFORMED, "%s: empty reply", where);
        goto done;
    }
    if (nul) {
        st = dsk_error_set(err, DSK_E_MALFORMED,
                           "%s: a string of the reply holds \\u0000 (a NUL byte), which no "
                           "dstack reply has",
                           where);
        goto done;
    }
    if (!j) {
        if (secret)
            st = dsk_error_set(err, DSK_E_MALFORMED,
                               "%s: reply is not JSON (%zu bytes, not shown "
                               "as they may hold key material)",
                               where, len);
        else
            st = dsk_error_set(err, DSK_E_MALFORMED, "%s: reply is not JSON (first bytes: %s)",
                               where, show);
        goto done;
    }
    if (!cJSON_IsObject(j)) {
        st = dsk_error_set(err, DSK_E_MALFORMED, "%s: reply is JSON but not an object", where);
        goto done;
    }
    *out = j;
    j = NULL;
done:
    dsk_wipe(show, sizeof show);
    tree_free(j, secret);
    return st;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

/* A required string member, or DSK_E_MALFORMED naming it. */
static dsk_status get_string(const char *where, const cJSON *obj, const char *name, int required,
                             const char **out, dsk_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = "";
    if (!v && !required)
        return DSK_OK;
    if (!v)
        return dsk_error_set(err, DSK_E_MALFORMED, "%s: reply has no \"%s\"", where, name);
    if (!cJSON_IsString(v) || !v->valuestring)
        return dsk_error_set(err, DSK_E_MALFORMED, "%s: \"%s\" in the reply is not a string", where,
                             name);
    *out = v->valuestring;
    return DSK_OK;
}

static dsk_status check_chain(const char *where, const cJSON *root, dsk_key_reply *out,
                              dsk_error *err)
{
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(root, "signature_chain");
    if (!cJSON_IsArray(chain) || cJSON_GetArraySize(chain) != 2)
        return dsk_error_set(err, DSK_E_MALFORMED,
                             "%s: \"signature_chain\" is not an array of "
                             "two strings",
                             where);
    for (int i = 0; i < 2; i++) {
        const cJSON *s = cJSON_GetArrayItem(chain, i);
        if (!cJSON_IsString(s) || !s->valuestring)
            return dsk_error_set(err, DSK_E_MALFORMED, "%s: signature_chain[%d] is not a string",
                                 where, i);
        size_t n = strlen(s->valuestring);
        /* chain[1] is empty when the agent's keys do not come from a KMS. */
        if (n == 0 && i == 1) {
            out->chain_len[i] = 0;
            continue;
        }
        if (n != 130 || !is_hex(s->valuestring, n) ||
            dsk_hex_decode(s->valuestring, n, out->chain[i], sizeof out->chain[i]) != 65)
            return dsk_error_set(err, DSK_E_MALFORMED,
                                 "%s: signature_chain[%d] is %zu characters, "
                                 "expected 130 hex digits (65 bytes)",
                                 where, i, n);
        out->chain_len[i] = 65;
    }
    return DSK_OK;
}

/* pub_len 0: a v0 reply (no public_key); else v1 with that many bytes. */
static dsk_status key_reply(const char *where, long status, const char *body, size_t len,
                            size_t pub_len, dsk_key_reply *out, dsk_error *err)
{
    cJSON *j = NULL;
    const char *key, *pub = "";
    memset(out, 0, sizeof *out);
    dsk_status st = parse(where, status, body, len, 1, &j, err);
    if (st == DSK_OK)
        st = get_string(where, j, "key", 1, &key, err);
    if (st == DSK_OK && pub_len)
        st = get_string(where, j, "public_key", 1, &pub, err);
    if (st != DSK_OK)
        goto done;
    size_t n = strlen(key);
    if (n != 64) {
        st = dsk_error_set(err, DSK_E_MALFORMED, "%s: key has %zu hex digits, expected 64", where,
                           n);
        goto done;
    }
    /* Constant time: the digits are the secret.  A "0x" prefix decodes to
     * 31 bytes and is refused like any other non-hex text. */
    if (dsk_hex_decode(key, n, out->key, sizeof out->key) != 32) {
        st = dsk_error_set(err, DSK_E_MALFORMED, "%s: key is not 64 hex digits", where);
        goto done;
    }
    if (pub_len) {
        size_t pn = strlen(pub);
        if (pn != 2 * pub_len || !is_hex(pub, pn) ||
            dsk_hex_decode(pub, pn, out->public_key, sizeof out->public_key) != (long)pub_len) {
            st = dsk_error_set(err, DSK_E_MALFORMED,
                               "%s: public_key is %zu characters, expected %zu hex digits", where,
                               pn, 2 * pub_len);
            goto done;
        }
        out->public_key_len = pub_len;
    }
    st = check_chain(where, j, out, err);
done:
    if (st != DSK_OK)
        dsk_wipe(out, sizeof *out);
    tree_free(j, 1);
    return st;
}

dsk_status dsk_reply_key(const char *where, long status, const char *body, size_t len,
                         dsk_key_reply *out, dsk_error *err)
{
    return key_reply(where, status, body, len, 0, out, err);
}

dsk_status dsk_reply_key_v1(const char *where, long status, const char *body, size_t len,
                            size_t pub_len, dsk_key_reply *out, dsk_error *err)
{
    if (pub_len != 32 && pub_len != 33)
        return dsk_error_set(err, DSK_E_ARGS, "%s: public key length %zu", where, pub_len);
    return key_reply(where, status, body, len, pub_len, out, err);
}

dsk_status dsk_reply_v1_404(const char *where, const char *method, const char *body, size_t len,
                            dsk_error *err)
{
    static const char prefix[] = "Service not found";
    /* The body of a 404 is never a key: it may be parsed and quoted. */
    cJSON *j = dsk_json_check(body, len) ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *e = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
    int no_method = cJSON_IsString(e) && e->valuestring &&
                    strncmp(e->valuestring, prefix, sizeof prefix - 1) == 0;
    cJSON_Delete(j);
    if (no_method)
        return dsk_error_set(err, DSK_E_REFUSED,
                             "%s: the agent has the v1 API but no method %s (HTTP 404 \"Service "
                             "not found\"): it speaks another revision of v1; use `api = v0` "
                             "or an agent that has /v1/%s",
                             where, method, method);
    return dsk_error_set(err, DSK_E_REFUSED,
                         "%s: the agent has no /v1 API (HTTP 404): it predates dstack 0.6; use "
                         "`api = v0` (the default), or upgrade dstack to 0.6 or later",
                         where);
}

static char *dup_or_null(const char *s, int *failed)
{
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

dsk_status dsk_reply_info(const char *where, long status, const char *body, size_t len,
                          dsk_info *out, dsk_error *err)
{
    cJSON *j = NULL;
    const char *app_id = "", *instance_id = "", *app_name = "", *compose_hash = "", *tcb = "";
    memset(out, 0, sizeof *out);
    dsk_status st = parse(where, status, body, len, 0, &j, err);
    if (st == DSK_OK)
        st = get_string(where, j, "app_id", 1, &app_id, err);
    /* Agents of different versions omit some fields; a field that is
     * present must still have the right type. */
    if (st == DSK_OK)
        st = get_string(where, j, "instance_id", 0, &instance_id, err);
    if (st == DSK_OK)
        st = get_string(where, j, "app_name", 0, &app_name, err);
    if (st == DSK_OK)
        st = get_string(where, j, "compose_hash", 0, &compose_hash, err);
    if (st == DSK_OK)
        st = get_string(where, j, "tcb_info", 0, &tcb, err);
    if (st != DSK_OK)
        goto done;
    size_t n = strlen(app_id);
    if (n != 40 || !is_hex(app_id, n)) {
        st = dsk_error_set(err, DSK_E_MALFORMED,
                           "%s: app_id is %zu characters, expected 40 hex "
                           "digits",
                           where, n);
        goto done;
    }
    if (*tcb) {
        cJSON *t = cJSON_Parse(tcb);
        int ok = t != NULL;
        cJSON_Delete(t);
        if (!ok) {
            st = dsk_error_set(err, DSK_E_MALFORMED, "%s: tcb_info is not a JSON document", where);
            goto done;
        }
    }
    int failed = 0;
    out->app_id = dup_or_null(app_id, &failed);
    out->instance_id = dup_or_null(instance_id, &failed);
    out->app_name = dup_or_null(app_name, &failed);
    out->compose_hash = dup_or_null(compose_hash, &failed);
    out->tcb_info = dup_or_null(tcb, &failed);
    /* body need not be NUL-terminated: copy exactly len bytes. */
    if ((out->json = malloc(len + 1)) != NULL) {
        memcpy(out->json, body, len);
        out->json[len] = '\0';
    }
    if (failed || !out->json)
        st = dsk_error_set(err, DSK_E_NOMEM, "%s: out of memory copying the reply", where);
done:
    if (st != DSK_OK)
        dsk_info_free(out);
    tree_free(j, 0);
    return st;
}

void dsk_info_free(dsk_info *info)
{
    if (!info)
        return;
    free(info->app_id);
    free(info->instance_id);
    free(info->app_name);
    free(info->compose_hash);
    free(info->tcb_info);
    free(info->json);
    memset(info, 0, sizeof *info);
}

static dsk_status copy_out(const char *where, const char *name, const char *s, char *buf,
                           size_t blen, dsk_error *err)
{
    size_t n = strlen(s);
    if (!buf || n >= blen)
        return dsk_error_set(err, DSK_E_BUFFER_TOO_SMALL,
                             "%s: \"%s\" needs a buffer of %zu "
                             "bytes",
                             where, name, n + 1);
    memcpy(buf, s, n + 1);
    return DSK_OK;
}

dsk_status dsk_reply_version(const char *where, long status, const char *body, size_t len,
                             char *version, size_t vlen, char *rev, size_t rlen, dsk_error *err)
{
    cJSON *j = NULL;
    const char *v = "", *r = "";
    dsk_status st = parse(where, status, body, len, 0, &j, err);
    if (st == DSK_OK)
        st = get_string(where, j, "version", 1, &v, err);
    if (st == DSK_OK)
        st = get_string(where, j, "rev", 0, &r, err);
    if (st == DSK_OK && !*v)
        st = dsk_error_set(err, DSK_E_MALFORMED, "%s: \"version\" is empty", where);
    if (st == DSK_OK)
        st = copy_out(where, "version", v, version, vlen, err);
    if (st == DSK_OK)
        st = copy_out(where, "rev", r, rev, rlen, err);
    tree_free(j, 0);
    return st;
}

dsk_status dsk_reply_hex_field(const char *where, long status, const char *body, size_t len,
                               const char *field, char **hex_out, dsk_error *err)
{
    cJSON *j = NULL;
    const char *v = "";
    *hex_out = NULL;
    dsk_status st = parse(where, status, body, len, 0, &j, err);
    if (st == DSK_OK)
        st = get_string(where, j, field, 1, &v, err);
    if (st != DSK_OK)
        goto done;
    size_t n = strlen(v);
    if (n == 0 || n % 2 || !is_hex(v, n)) {
        st = dsk_error_set(err, DSK_E_MALFORMED,
                           "%s: \"%s\" is not a non-empty hex string (%zu "
                           "characters)",
                           where, field, n);
        goto done;
    }
    *hex_out = strdup(v);
    if (!*hex_out)
        st = dsk_error_set(err, DSK_E_NOMEM, "%s: out of memory copying \"%s\"", where, field);
done:
    tree_free(j, 0);
    return st;
}
