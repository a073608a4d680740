/* The public API: build each request's JSON, send it, validate the reply.
 * A dsk_client is immutable after dsk_client_new, so threads share it freely. */
#include "internal.h"

#include "lazy_cjson.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "wipe.h"

struct dsk_client {
    char *endpoint; /* NULL: discover at each call */
    int endpoint_from_env; /* endpoint is a saved DSTACK_SIMULATOR_ENDPOINT */
    long connect_timeout_ms, timeout_ms;
    size_t max_reply;
    long agent_uid;
};

dsk_status dsk_client_new(const dsk_client_opts *opts, dsk_client **out, dsk_error *err)
{
    if (!out)
        return dsk_error_set(err, DSK_E_ARGS, "dsk_client_new: out is NULL");
    *out = NULL;
    dsk_client *c = calloc(1, sizeof *c);
    if (!c)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory creating the dstack client");
    c->connect_timeout_ms = DSK_DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = DSK_DEFAULT_TIMEOUT_MS;
    c->max_reply = DSK_DEFAULT_MAX_REPLY;
    if (opts) {
        if (opts->connect_timeout_ms > 0)
            c->connect_timeout_ms = opts->connect_timeout_ms;
        if (opts->timeout_ms > 0)
            c->timeout_ms = opts->timeout_ms;
        if (opts->max_reply > 0)
            c->max_reply = opts->max_reply;
        if (opts->endpoint && *opts->endpoint && !(c->endpoint = strdup(opts->endpoint))) {
            free(c);
            return dsk_error_set(err, DSK_E_NOMEM, "out of memory creating the dstack client");
        }
        c->endpoint_from_env = c->endpoint != NULL && opts->endpoint_from_env;
        c->agent_uid = opts->agent_uid;
    }
    *out = c;
    return DSK_OK;
}

void dsk_client_free(dsk_client *c)
{
    if (!c)
        return;
    free(c->endpoint);
    free(c);
}

/* Resolved again at every call so that a socket created after start-up, or
 * a changed environment, is picked up. */
static dsk_status resolve(const dsk_client *c, dsk_endpoint *ep, dsk_error *err)
{
    /* A saved copy of the variable resolves exactly as the variable would,
     * so messages name it. */
    if (c->endpoint_from_env)
        return dsk_endpoint_resolve(NULL, c->endpoint, dsk_default_sockets, ep, err);
    /* secure_getenv: a set-uid program never obeys its caller's agent. */
    return dsk_endpoint_resolve(c->endpoint, secure_getenv(DSK_ENDPOINT_ENV), dsk_default_sockets,
                                ep, err);
}

void dsk_client_describe(dsk_client *c, char *buf, size_t len)
{
    dsk_endpoint ep;
    dsk_error e;
    if (!buf || !len)
        return;
    if (!c) {
        buf[0] = '\0';
        return;
    }
    if (resolve(c, &ep, &e) == DSK_OK)
        dsk_endpoint_describe(&ep, buf, len);
    else
        snprintf(buf, len, "%s", e.msg);
}

/* Send one method with a JSON body (req may be NULL for "{}"); on DSK_OK the
 * caller owns reply (dsk_buf_free) and reads *status; `where` names the call
 * for the validators. */
static dsk_status call(const dsk_client *c, const char *method, const cJSON *req, long *status,
                       dsk_buf *reply, char *where, size_t wlen, dsk_error *err)
{
    dsk_endpoint ep;
    char *body = NULL;
    dsk_status st = resolve(c, &ep, err);
    if (st != DSK_OK) {
        dsk_error_prefix(err, "/%s", method);
        snprintf(where, wlen, "/%s", method);
        return st;
    }
    dsk_endpoint_where(&ep, method, where, wlen);
    body = req ? cJSON_PrintUnformatted(req) : strdup("{}");
    if (!body)
        return dsk_error_set(err, DSK_E_NOMEM, "%s: out of memory building the request", where);
    dsk_http_req hr = {
        .ep = &ep,
        .method = method,
        .body = body,
        .body_len = strlen(body),
        .connect_timeout_ms = c->connect_timeout_ms,
        .timeout_ms = c->timeout_ms,
        .max_reply = c->max_reply,
        .agent_uid = c->agent_uid,
    };
    st = dsk_http_post(&hr, status, reply, err);
    free(body);
    return st;
}

/* A request object of string members; NULL values are sent as "". */
static cJSON *request(const char *const *names, const char *const *values, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < n; i++) {
        if (!cJSON_AddStringToObject(o, names[i], values[i] ? values[i] : "")) {
            cJSON_Delete(o);
            o = NULL;
        }
    }
    return o;
}

/* call() on the /v1 surface; a 404 becomes the message that says whether
 * the agent has v1 at all. On DSK_OK the status is not 404. */
static dsk_status v1_call(const dsk_client *c, const char *method, const cJSON *req,
                          long *status, dsk_buf *reply, char *where, size_t wlen, dsk_error *err)
{
    char path[32];
    snprintf(path, sizeof path, "v1/%s", method);
    dsk_status st = call(c, path, req, status, reply, where, wlen, err);
    if (st == DSK_OK && *status == 404) {
        st = dsk_reply_v1_404(where, method, reply->data, reply->len, err);
        dsk_buf_free(reply);
    }
    return st;
}

dsk_status dsk_client_v1_get_key(dsk_client *c, const char *domain, const char *algorithm,
                                 dsk_key_reply *out, dsk_error *err)
{
    if (!c || !domain || !algorithm || !out)
        return dsk_error_set(err, DSK_E_ARGS,
                             "/v1/GetKey: client, domain, algorithm and out are required");
    memset(out, 0, sizeof *out);
    size_t pub_len = strcmp(algorithm, "ed25519") == 0 ? 32 : 33;
    if (pub_len == 33 && strcmp(algorithm, "secp256k1") != 0)
        return dsk_error_set(err, DSK_E_ARGS,
                             "/v1/GetKey: algorithm '%.32s': v1 takes exactly secp256k1 or "
                             "ed25519",
                             algorithm);
    static const char *const names[] = {"domain", "algorithm"};
    const char *values[] = {domain, algorithm};
    char where[DSK_WHERE_MAX];
    dsk_buf reply = {0};
    long status = 0;
    cJSON *req = request(names, values, 2);
    if (!req)
        return dsk_error_set(err, DSK_E_NOMEM, "/v1/GetKey: out of memory building the request");
    dsk_status st = v1_call(c, "GetKey", req, &status, &reply, where, sizeof where, err);
    if (st == DSK_OK)
        st = dsk_reply_key_v1(where, status, reply.data, reply.len, pub_len, out, err);
    dsk_buf_free(&reply);
    cJSON_Delete(req);
    return st;
}

dsk_status dsk_client_get_key(dsk_client *c, const char *path, const char *purpose,
                              const char *algorithm, dsk_key_reply *out, dsk_error *err)
{
    if (!c || !path || !out)
        return dsk_error_set(err, DSK_E_ARGS, "/GetKey: client, path and out are required");
    memset(out, 0, sizeof *out);
    static const char *const names[] = {"path", "purpose", "algorithm"};
    const char *values[] = {path, purpose, algorithm};
    char where[DSK_WHERE_MAX];
    dsk_buf reply = {0};
    long status = 0;
    cJSON *req = request(names, values, 3);
    if (!req)
        return dsk_error_set(err, DSK_E_NOMEM, "/GetKey: out of memory building the request");
    dsk_status st = call(c, "GetKey", req, &status, &reply, where, sizeof where, err);
    if (st == DSK_OK)
        st = dsk_reply_key(where, status, reply.data, reply.len, out, err);
    dsk_buf_free(&reply);
    cJSON_Delete(req);
    return st;
}

void dsk_key_reply_clear(dsk_key_reply *r)
{
    if (r)
        dsk_wipe(r, sizeof *r);
}

/* Info and Version take no arguments; v1 selects the surface. */
static dsk_status info_call(dsk_client *c, int v1, dsk_info *out, dsk_error *err)
{
    if (!c || !out)
        return dsk_error_set(err, DSK_E_ARGS, "%s: client and out are required",
                             v1 ? "/v1/Info" : "/Info");
    memset(out, 0, sizeof *out);
    char where[DSK_WHERE_MAX];
    dsk_buf reply = {0};
    long status = 0;
    dsk_status st = v1 ? v1_call(c, "Info", NULL, &status, &reply, where, sizeof where, err)
                       : call(c, "Info", NULL, &status, &reply, where, sizeof where, err);
    if (st == DSK_OK)
        st = dsk_reply_info(where, status, reply.data, reply.len, out, err);
    dsk_buf_free(&reply);
    return st;
}

dsk_status dsk_client_info(dsk_client *c, dsk_info *out, dsk_error *err)
{
    return info_call(c, 0, out, err);
}

dsk_status dsk_client_v1_info(dsk_client *c, dsk_info *out, dsk_error *err)
{
    return info_call(c, 1, out, err);
}

static dsk_status version_call(dsk_client *c, int v1, char *version, size_t vlen, char *rev,
                               size_t rlen, dsk_error *err)
{
    if (!c || !version || !rev)
        return dsk_error_set(err, DSK_E_ARGS, "%s: client and buffers are required",
                             v1 ? "/v1/Version" : "/Version");
    char where[DSK_WHERE_MAX];
    dsk_buf reply = {0};
    long status = 0;
    dsk_status st = v1 ? v1_call(c, "Version", NULL, &status, &reply, where, sizeof where, err)
                       : call(c, "Version", NULL, &status, &reply, where, sizeof where, err);
    if (st == DSK_OK)
        st = dsk_reply_version(where, status, reply.data, reply.len, version, vlen, rev, rlen, err);
    dsk_buf_free(&reply);
    return st;
}

dsk_status dsk_client_version(dsk_client *c, char *version, size_t vlen, char *rev, size_t rlen,
                              dsk_error *err)
{
    return version_call(c, 0, version, vlen, rev, rlen, err);
}

dsk_status dsk_client_v1_version(dsk_client *c, char *version, size_t vlen, char *rev, size_t rlen,
                                 dsk_error *err)
{
    return version_call(c, 1, version, vlen, rev, rlen, err);
}

/* GetQuote and Attest share their request; field names the reply member. */
static dsk_status report_call(dsk_client *c, int v1, const char *method, const char *field,
                              const unsigned char *report_data, size_t len, char **hex_out,
                              char **json_out, dsk_error *err)
{
    if (!c || !hex_out || (len && !report_data))
        return dsk_error_set(err, DSK_E_ARGS,
                             "/%s: client, report data and output are "
                             "required",
                             method);
    *hex_out = NULL;
    if (json_out)
        *json_out = NULL;
    if (len > 64)
        return dsk_error_set(err, DSK_E_ARGS,
                             "/%s: report data is %zu bytes; at most 64 are "
                             "allowed (hash longer data first)",
                             method, len);
    static const char *const names[] = {"report_data"};
    char hex[129];
    const char *values[] = {hex};
    char where[DSK_WHERE_MAX];
    dsk_buf reply = {0};
    long status = 0;
    dsk_hex_encode(report_data, len, hex);
    cJSON *req = request(names, values, 1);
    if (!req)
        return dsk_error_set(err, DSK_E_NOMEM, "/%s: out of memory building the request", method);
    dsk_status st = v1 ? v1_call(c, method, req, &status, &reply, where, sizeof where, err)
                       : call(c, method, req, &status, &reply, where, sizeof where, err);
    if (st == DSK_OK)
        st = dsk_reply_hex_field(where, status, reply.data, reply.len, field, hex_out, err);
    if (st == DSK_OK && json_out && !(*json_out = strndup(reply.data, reply.len))) {
        free(*hex_out);
        *hex_out = NULL;
        st = dsk_error_set(err, DSK_E_NOMEM, "%s: out of memory copying the reply", where);
    }
    dsk_buf_free(&reply);
    cJSON_Delete(req);
    return st;
}

dsk_status dsk_client_get_quote(dsk_client *c, const unsigned char *report_data, size_t len,
                                char **quote_hex, char **json_out, dsk_error *err)
{
    return report_call(c, 0, "GetQuote", "quote", report_data, len, quote_hex, json_out, err);
}

dsk_status dsk_client_attest(dsk_client *c, const unsigned char *report_data, size_t len,
                             char **attestation_hex, dsk_error *err)
{
    return report_call(c, 0, "Attest", "attestation", report_data, len, attestation_hex, NULL, err);
}

dsk_status dsk_client_v1_attest(dsk_client *c, const unsigned char *report_data, size_t len,
                                char **attestation_hex, dsk_error *err)
{
    return report_call(c, 1, "Attest", "attestation", report_data, len, attestation_hex, NULL,
                       err);
}
