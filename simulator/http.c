/* One HTTP request: collect the body, route, apply the injected fault,
 * run the method, queue the reply. Runs in libmicrohttpd's per-connection
 * threads, so a fault may block (delay, hang) without stalling others. */
#include "http.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"
#include "wipe.h"

#define BODY_MAX (1024 * 1024)
#define FAULT_PATH "/_simulator/fault"

/* What one request accumulates between the handler's calls. */
typedef struct http_req {
    char *body;
    size_t len, cap;
    bool too_big;
} http_req;

void dsk_sim_http_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                            enum MHD_RequestTerminationCode toe)
{
    http_req *r = *req_cls;
    if (r) {
        dsk_wipe_free(r->body, r->cap);
        free(r);
    }
    *req_cls = NULL;
}

/* Bodies may hold keys: MHD frees them through here, wiped. */
static void body_free(void *p)
{
    dsk_wipe_free(p, strlen(p) + 1);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, dsk_sim_reply *reply)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        reply->body_len, reply->body, body_free, reply->body);
    if (!resp) {
        dsk_sim_reply_clear(reply);
        return MHD_NO;
    }
    reply->body = NULL; /* now owned by resp */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, reply->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    dsk_sim_reply reply = {0};
    if (dsk_sim_reply_error(&reply, status, msg) != DSK_OK)
        return MHD_NO;
    return send_reply(c, &reply);
}

/* The oversized fault's body: {"padding":"xxxx...x"}, 16 MiB in all. */
static ssize_t oversized_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    static const char head[] = "{\"padding\":\"", tail[] = "\"}";
    const uint64_t total = DSK_SIM_OVERSIZED_LEN, tail_at = total - (sizeof tail - 1);
    if (pos >= total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = (size_t)(total - pos < max ? total - pos : max);
    memset(buf, 'x', n);
    for (size_t i = 0; i < n; i++) {
        uint64_t p = pos + i;
        if (p < sizeof head - 1)
            buf[i] = head[p];
        else if (p >= tail_at)
            buf[i] = tail[p - tail_at];
        else if (p >= sizeof head - 1 && pos + n <= tail_at)
            break; /* the rest of this block is padding */
    }
    return (ssize_t)n;
}

static enum MHD_Result send_oversized(struct MHD_Connection *c)
{
    struct MHD_Response *resp =
        MHD_create_response_from_callback(DSK_SIM_OVERSIZED_LEN, 64 * 1024, oversized_read, NULL, NULL);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Bytes that no HTTP parser accepts, written straight to the socket; the
 * caller then returns MHD_NO so that MHD closes without a reply. */
static void send_garbage(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci)
        (void)!send(ci->connect_fd, DSK_SIM_GARBAGE, sizeof DSK_SIM_GARBAGE - 1, MSG_NOSIGNAL);
}

/* Query arguments into req; a repeated field is the 400 the real agent's
 * form decoder gives. */
typedef struct query_ctx {
    dsk_sim_request *req;
    const char *error;
} query_ctx;

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    query_ctx *q = cls;
    const char **slot = NULL;
    if (strcmp(key, "path") == 0)
        slot = &q->req->path;
    else if (strcmp(key, "purpose") == 0)
        slot = &q->req->purpose;
    else if (strcmp(key, "algorithm") == 0)
        slot = &q->req->algorithm;
    else if (strcmp(key, "report_data") == 0)
        slot = &q->req->report_data;
    else if (strcmp(key, "domain") == 0)
        slot = &q->req->domain;
    if (!slot)
        return MHD_YES;
    if (*slot) {
        q->error = "Failed to decode request: duplicate field in query string";
        return MHD_NO;
    }
    *slot = value ? value : "";
    if (slot == &q->req->path)
        q->req->path_len = value ? value_size : 0;
    if (slot == &q->req->domain)
        q->req->domain_len = value ? value_size : 0; /* may hold NUL (%00) */
    return MHD_YES;
}

static bool is_json_type(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    return ct && strncasecmp(ct, "application/json", 16) == 0 &&
           (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

/* Decode the request and run the method. */
static enum MHD_Result call_method(const dsk_sim_api *api, struct MHD_Connection *c,
                                   const char *verb, http_req *r, dsk_sim_method m,
                                   bool short_key, unsigned *status)
{
    dsk_sim_request req = {0};
    dsk_sim_reply reply = {0};
    cJSON *json = NULL;
    const char *bad = NULL;

    if (strcmp(verb, "GET") == 0) {
        query_ctx q = {.req = &req};
        MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, query_arg, &q);
        bad = q.error;
    } else if (r->too_big) {
        bad = "Failed to decode request: body larger than 1 MiB";
    } else if (r->len > 0 && !is_json_type(c)) {
        /* The real agent decodes any other body as protobuf and fails. */
        bad = "Failed to decode request: send Content-Type: application/json";
    } else {
        bad = dsk_sim_request_from_json(r->body, r->len, &req, &json);
    }
    *status = 400;
    if (bad) {
        cJSON_Delete(json);
        return send_error(c, 400, bad);
    }
    dsk_status rc = dsk_sim_api_call(api, m, &req, short_key, &reply);
    cJSON_Delete(json);
    if (rc != DSK_OK)
        return MHD_NO;
    *status = reply.status;
    return send_reply(c, &reply);
}

static enum MHD_Result control(dsk_sim_fault_state *faults, struct MHD_Connection *c,
                               const char *verb, http_req *r, unsigned *status)
{
    dsk_sim_fault f;
    dsk_error err = {0};
    char text[64];
    *status = 400;
    if (strcmp(verb, "POST") == 0) {
        cJSON *json = r->too_big ? NULL : cJSON_ParseWithLength(r->body ? r->body : "", r->len);
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(json, "fault");
        dsk_status rc = cJSON_IsString(spec) ? dsk_sim_fault_parse(spec->valuestring, &f, &err)
                                             : dsk_error_set(&err, DSK_E_ARGS,
                                                             "send {\"fault\":\"SPEC\"}");
        cJSON_Delete(json);
        if (rc != DSK_OK)
            return send_error(c, 400, err.msg);
        dsk_sim_fault_set(faults, &f);
        dsk_sim_fault_format(&f, text, sizeof text);
        dsk_log(DSK_LOG_INFO, "fault set to %s", text);
    } else if (strcmp(verb, "GET") != 0) {
        *status = 404;
        return send_error(c, 404, "Not found");
    }
    f = dsk_sim_fault_get(faults);
    dsk_sim_fault_format(&f, text, sizeof text);
    cJSON *o = cJSON_CreateObject();
    dsk_sim_reply reply = {0};
    if (!o || !cJSON_AddStringToObject(o, "fault", text) ||
        dsk_sim_reply_json(&reply, 200, o) != DSK_OK)
        return MHD_NO;
    *status = 200;
    return send_reply(c, &reply);
}

/* The fault decides how (and whether) the method answers. */
static enum MHD_Result with_fault(const dsk_sim_server_ctx *ctx, struct MHD_Connection *c,
                                  const char *verb, http_req *r, dsk_sim_method m,
                                  const char **what, unsigned *status)
{
    dsk_sim_fault f = dsk_sim_fault_get(ctx->faults);
    while (f.kind == DSK_SIM_FAULT_HANG) {
        if (!dsk_sim_fault_hang(ctx->faults)) {
            *what = "hang ended by shutdown";
            return MHD_NO;
        }
        f = dsk_sim_fault_get(ctx->faults);
    }
    switch (f.kind) {
    case DSK_SIM_FAULT_DELAY:
        if (!dsk_sim_fault_sleep(ctx->faults, f.ms)) {
            *what = "delay ended by shutdown";
            return MHD_NO;
        }
        break;
    case DSK_SIM_FAULT_CLOSE:
        *what = "fault close";
        return MHD_NO;
    case DSK_SIM_FAULT_GARBAGE:
        *what = "fault garbage";
        send_garbage(c);
        return MHD_NO;
    case DSK_SIM_FAULT_OVERSIZED:
        *what = "fault oversized";
        *status = 200;
        return send_oversized(c);
    case DSK_SIM_FAULT_HTTP400:
        *what = "fault http400";
        *status = 400;
        return send_error(c, 400, "simulated failure");
    case DSK_SIM_FAULT_HTTP500:
        *what = "fault http500";
        *status = 500;
        return send_error(c, 500, "simulated internal error (dstack-simulator fault http500)");
    default:
        break;
    }
    return call_method(ctx->api, c, verb, r, m, f.kind == DSK_SIM_FAULT_SHORT_KEY, status);
}

/* The body of rocket's default 404 page: what the real agent sends for a
 * path no surface is mounted at (a client tells "no /v1 here" by it). */
static const char rocket_404[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n    <meta charset=\"utf-8\">\n"
    "    <title>404 Not Found</title>\n</head>\n<body align=\"center\">\n"
    "    <div role=\"main\" align=\"center\">\n        <h1>404: Not Found</h1>\n"
    "        <p>The requested resource could not be found.</p>\n        <hr />\n"
    "    </div>\n    <div role=\"contentinfo\" align=\"center\">\n"
    "        <small>Rocket</small>\n    </div>\n</body>\n</html>";

static enum MHD_Result send_no_mount(struct MHD_Connection *c)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        sizeof rocket_404 - 1, (void *)rocket_404, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    enum MHD_Result ret = MHD_queue_response(c, 404, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The mounts, as dstack 0.6 has them: "/" and "/v0" serve the frozen v0
 * surface, "/v1" the v1 one; an agent before 0.6 has only "/". Sets *name to
 * the method segment and returns 0 = v0, 1 = v1, -1 = nothing mounted. */
static int mount_of(const dsk_sim_api *api, const char *url, const char **name)
{
    int surface = 0;
    if (url[0] != '/')
        return -1;
    url++;
    if (!api->pre_v1 && (strncmp(url, "v0/", 3) == 0 || strncmp(url, "v1/", 3) == 0)) {
        surface = url[1] == '1';
        url += 3;
    }
    if (!*url || strchr(url, '/'))
        return -1; /* one non-empty segment, as rocket's /<method> route */
    *name = url;
    return surface;
}

enum MHD_Result dsk_sim_http_handle(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *verb, const char *version, const char *upload,
                                    size_t *upload_size, void **req_cls)
{
    const dsk_sim_server_ctx *ctx = cls;
    http_req *r = *req_cls;
    unsigned status = 0;
    const char *what = "";
    enum MHD_Result ret;

    if (!r) {
        r = calloc(1, sizeof *r);
        *req_cls = r;
        return r ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        /* Past the cap the rest is read and dropped, so the reply still
         * follows a complete request. */
        if (!r->too_big && r->len + *upload_size > BODY_MAX)
            r->too_big = true;
        if (!r->too_big) {
            if (r->len + *upload_size + 1 > r->cap) {
                size_t cap = (r->len + *upload_size + 1) * 2;
                char *nb = malloc(cap);
                if (!nb)
                    return MHD_NO;
                if (r->body)
                    memcpy(nb, r->body, r->len);
                dsk_wipe_free(r->body, r->cap);
                r->body = nb;
                r->cap = cap;
            }
            memcpy(r->body + r->len, upload, *upload_size);
            r->len += *upload_size;
            r->body[r->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }

    if (strcmp(url, FAULT_PATH) == 0) {
        ret = control(ctx->faults, c, verb, r, &status);
    } else {
        const char *name = NULL;
        int surface = mount_of(ctx->api, url, &name);
        dsk_sim_method m = surface == 1 ? dsk_sim_v1_method_from_name(name)
                                        : dsk_sim_method_from_name(name);
        status = 404;
        if (surface < 0 || (strcmp(verb, "GET") != 0 && strcmp(verb, "POST") != 0)) {
            what = "no such mount";
            ret = send_no_mount(c);
        } else if (m == DSK_SIM_METHOD_UNKNOWN) {
            char msg[96];
            snprintf(msg, sizeof msg, "Service not found: %.64s", name);
            ret = send_error(c, 404, msg);
        } else {
            ret = with_fault(ctx, c, verb, r, m, &what, &status);
        }
    }
    if (ret == MHD_NO && !*what)
        what = "closed";
    dsk_log(DSK_LOG_DEBUG, "%s %.200s -> %u%s%s", verb, url, ret == MHD_NO ? 0 : status,
            *what ? " " : "", what);
    return ret;
}
