/* The methods' logic, independent of HTTP: request fields in, status and
 * JSON body out. GetKey is here; Info, Version, GetQuote, Attest are in
 * attest.c. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "wipe.h"

static const struct {
    const char *name;
    dsk_sim_method method;
} method_names[] = {
    {"GetKey", DSK_SIM_GET_KEY},     {"Info", DSK_SIM_INFO},     {"Version", DSK_SIM_VERSION},
    {"GetQuote", DSK_SIM_GET_QUOTE}, {"Attest", DSK_SIM_ATTEST},
};

/* v1 has no GetQuote (Attest subsumes it); IssueCert and AttestGpu are not
 * simulated, so they answer as methods this agent lacks. */
static const struct {
    const char *name;
    dsk_sim_method method;
} v1_method_names[] = {
    {"GetKey", DSK_SIM_V1_GET_KEY},
    {"Info", DSK_SIM_V1_INFO},
    {"Version", DSK_SIM_V1_VERSION},
    {"Attest", DSK_SIM_V1_ATTEST},
};

dsk_sim_method dsk_sim_method_from_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof method_names / sizeof method_names[0]; i++) {
        if (strcmp(name, method_names[i].name) == 0)
            return method_names[i].method;
    }
    return DSK_SIM_METHOD_UNKNOWN;
}

dsk_sim_method dsk_sim_v1_method_from_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof v1_method_names / sizeof v1_method_names[0]; i++) {
        if (strcmp(name, v1_method_names[i].name) == 0)
            return v1_method_names[i].method;
    }
    return DSK_SIM_METHOD_UNKNOWN;
}

void dsk_sim_reply_clear(dsk_sim_reply *reply)
{
    if (reply->body)
        dsk_wipe_free(reply->body, reply->body_len);
    reply->body = NULL;
    reply->body_len = 0;
}

dsk_status dsk_sim_reply_json(dsk_sim_reply *reply, unsigned status, cJSON *obj)
{
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    if (!text)
        return DSK_E_NOMEM;
    reply->status = status;
    reply->body = text;
    reply->body_len = strlen(text);
    return DSK_OK;
}

dsk_status dsk_sim_reply_error(dsk_sim_reply *reply, unsigned status, const char *msg)
{
    cJSON *obj = cJSON_CreateObject();
    if (obj && !cJSON_AddStringToObject(obj, "error", msg)) {
        cJSON_Delete(obj);
        obj = NULL;
    }
    return dsk_sim_reply_json(reply, status, obj);
}

/* The real agent's JSON decoder (serde) rejects invalid UTF-8, so a client
 * that sends it must see the same 400 here. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        i += n + 1;
    }
    return true;
}

/* Point *out at a string field; absent is fine (NULL), another type or a
 * repeated key is the 400 the real agent gives. */
static const char *string_field(const cJSON *root, const char *name, const char **out)
{
    const cJSON *item, *found = NULL;
    cJSON_ArrayForEach(item, root) {
        if (item->string && strcmp(item->string, name) == 0) {
            if (found)
                return "Failed to decode request: duplicate field in JSON body";
            found = item;
        }
    }
    if (!found)
        return NULL;
    if (!cJSON_IsString(found))
        return "Failed to decode request: invalid type, expected a string";
    *out = found->valuestring;
    return NULL;
}

/* Past the string token at s (its opening quote), counting the \u0000
 * escapes in it. The text is valid JSON: cJSON has parsed it. */
static const char *skip_string(const char *s, const char *end, size_t *nuls)
{
    for (s++; s < end && *s != '"'; s++) {
        if (*s != '\\')
            continue;
        s++;
        if (s + 5 <= end && *s == 'u' && memcmp(s + 1, "0000", 4) == 0)
            (*nuls)++;
    }
    return s + 1;
}

/* Past the value at s (a string, number, literal, object or array). */
static const char *skip_value(const char *s, const char *end)
{
    size_t depth = 0, nuls = 0;

    if (s < end && *s == '"')
        return skip_string(s, end, &nuls);
    if (s < end && *s != '{' && *s != '[') {
        while (s < end && !strchr(",}] \t\r\n", *s))
            s++;
        return s;
    }
    while (s < end) {
        if (*s == '"') {
            s = skip_string(s, end, &nuls);
            continue;
        }
        if (*s == '{' || *s == '[')
            depth++;
        else if ((*s == '}' || *s == ']') && --depth == 0)
            return s + 1;
        s++;
    }
    return s;
}

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && strchr(" \t\r\n", *s) && *s)
        s++;
    return s;
}

/* cJSON keeps a string as a C string, so a path holding \u0000 would be cut
 * at its first NUL; the real agent derives over every byte. Count the
 * escapes of the top-level "path" member in the text: each made exactly one
 * NUL, the only NULs there are. A member name holding \u0000 is refused. */
static const char *path_nuls(const char *body, size_t len, size_t *nuls)
{
    const char *p = skip_ws(body, body + len), *end = body + len;

    *nuls = 0;
    for (p = skip_ws(p + 1, end); p < end && *p == '"';) {
        const char *name = p;
        size_t name_nuls = 0;
        cJSON *decoded;
        int is_path;

        p = skip_string(p, end, &name_nuls);
        if (name_nuls != 0)
            return "Failed to decode request: a field name holds a NUL";
        decoded = cJSON_ParseWithLength(name, (size_t)(p - name));
        is_path = cJSON_IsString(decoded) && strcmp(decoded->valuestring, "path") == 0;
        cJSON_Delete(decoded);
        p = skip_ws(skip_ws(p, end) + 1, end); /* past ':' */
        if (is_path && p < end && *p == '"')
            skip_string(p, end, nuls);
        p = skip_ws(skip_value(p, end), end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
    }
    return NULL;
}

const char *dsk_sim_request_from_json(const char *body, size_t len, dsk_sim_request *req,
                                      cJSON **json_out)
{
    static const char *const fields[] = {"path", "purpose", "algorithm", "report_data", "domain"};
    const char **slots[] = {&req->path, &req->purpose, &req->algorithm, &req->report_data,
                            &req->domain};
    const char *bad;
    cJSON *root;

    memset(req, 0, sizeof *req);
    *json_out = NULL;
    if (len == 0)
        return NULL; /* an empty body decodes as an empty message, as with protobuf */
    if (!utf8_valid((const unsigned char *)body, len))
        return "Failed to decode request: invalid UTF-8 in JSON body";
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(body, len, &end, false);
    /* Only whitespace may follow the value (cJSON would ignore the rest). */
    while (root && end < body + len && strchr(" \t\r\n", *end) && *end)
        end++;
    if (root && end != body + len) {
        cJSON_Delete(root);
        root = NULL;
    }
    if (!root)
        return "Failed to decode request: the body is not valid JSON";
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return "Failed to decode request: the JSON body is not an object";
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        bad = string_field(root, fields[i], slots[i]);
        if (bad) {
            cJSON_Delete(root);
            memset(req, 0, sizeof *req);
            return bad;
        }
    }
    if (req->path) {
        size_t nuls = 0;
        bad = path_nuls(body, len, &nuls);
        if (bad) {
            cJSON_Delete(root);
            memset(req, 0, sizeof *req);
            return bad;
        }
        req->path_len = strlen(req->path);
        while (nuls-- > 0)
            req->path_len += 1 + strlen(req->path + req->path_len + 1);
    }
    if (req->domain)
        req->domain_len = strlen(req->domain);
    *json_out = root;
    return NULL;
}

static dsk_status get_key(const dsk_sim_api *api, const dsk_sim_request *req, bool short_key,
                          dsk_sim_reply *reply)
{
    dsk_sim_algorithm alg;
    dsk_error err = {0};
    uint8_t key[32], pub[33], sig[DSK_SIM_SIG_LEN];
    size_t pub_len = 0;
    char key_hex[65], sig_hex[2 * DSK_SIM_SIG_LEN + 1], kms_hex[2 * DSK_SIM_SIG_LEN + 1];
    dsk_status rc;

    if (dsk_sim_algorithm_parse(req->algorithm, &alg) != DSK_OK)
        return dsk_sim_reply_error(reply, 400, "Unsupported algorithm");
    rc = dsk_sim_derive_key(api->keys.k256_key, req->path ? req->path : "", req->path_len, key, &err);
    if (rc == DSK_OK)
        rc = dsk_sim_public_key(alg, key, pub, &pub_len, &err);
    if (rc == DSK_OK)
        rc = dsk_sim_chain_sign(api->keys.k256_key, req->purpose, pub, pub_len, sig, &err);
    if (rc != DSK_OK) {
        rc = dsk_sim_reply_error(reply, 400, err.msg);
        goto done;
    }
    dsk_hex_encode(key, short_key ? 31 : 32, key_hex);
    dsk_hex_encode(sig, sizeof sig, sig_hex);
    dsk_hex_encode(api->keys.k256_signature, api->keys.k256_signature_len, kms_hex);

    /* Formatted by hand so that the key's hex lives only in buffers that
     * are wiped (cJSON frees without wiping). */
    size_t cap = 128 + sizeof key_hex + sizeof sig_hex + sizeof kms_hex;
    reply->body = malloc(cap);
    if (!reply->body) {
        rc = DSK_E_NOMEM;
        goto done;
    }
    int n = snprintf(reply->body, cap, "{\"key\":\"%s\",\"signature_chain\":[\"%s\",\"%s\"]}",
                     key_hex, sig_hex, kms_hex);
    reply->body_len = (size_t)n;
    reply->status = 200;
done:
    dsk_wipe(key, sizeof key);
    dsk_wipe(key_hex, sizeof key_hex);
    return rc;
}

dsk_status dsk_sim_api_call(const dsk_sim_api *api, dsk_sim_method m,
                            const dsk_sim_request *req, bool short_key,
                            dsk_sim_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    switch (m) {
    case DSK_SIM_GET_KEY:
        return get_key(api, req, short_key, reply);
    case DSK_SIM_INFO:
        return dsk_sim_info(api, reply);
    case DSK_SIM_VERSION:
        return dsk_sim_version(api, reply);
    case DSK_SIM_GET_QUOTE:
        return dsk_sim_quote(api, req, false, reply);
    case DSK_SIM_ATTEST:
        return dsk_sim_quote(api, req, true, reply);
    case DSK_SIM_V1_GET_KEY:
        return dsk_sim_v1_get_key(api, req, short_key, reply);
    case DSK_SIM_V1_INFO:
        return dsk_sim_v1_info(api, reply);
    case DSK_SIM_V1_VERSION:
        return dsk_sim_version(api, reply);
    case DSK_SIM_V1_ATTEST:
        return dsk_sim_quote(api, req, true, reply);
    case DSK_SIM_METHOD_UNKNOWN:
        break;
    }
    return dsk_sim_reply_error(reply, 404, "Method not found");
}
