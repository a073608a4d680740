/* Where the dstack agent is: the order every official SDK uses. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>

const char *const dsk_default_sockets[] = {
    "/var/run/dstack.sock",
    "/run/dstack.sock",
    "/var/run/dstack/dstack.sock",
    "/run/dstack/dstack.sock",
    NULL,
};

static int is_url(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

static dsk_status set_endpoint(const char *value, const char *source, dsk_endpoint *out,
                               dsk_error *err)
{
    size_t n = strlen(value);
    out->source = source;
    if (is_url(value)) {
        /* Methods are appended as "/<Method>": drop trailing slashes now. */
        while (n > 0 && value[n - 1] == '/')
            n--;
        if (n >= sizeof out->where)
            return dsk_error_set(err, DSK_E_CONFIG,
                                 "dstack endpoint from %s is a URL of %zu bytes; "
                                 "at most %zu are supported",
                                 source, n, sizeof out->where - 1);
        out->kind = DSK_ENDPOINT_URL;
    } else {
        /* The kernel limit, not ours: a longer path cannot be connected. */
        size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
        if (n > max)
            return dsk_error_set(err, DSK_E_CONFIG,
                                 "dstack socket path from %s is %zu bytes "
                                 "long; unix sockets allow at most %zu: use a shorter path",
                                 source, n, max);
        out->kind = DSK_ENDPOINT_UNIX;
    }
    memcpy(out->where, value, n);
    out->where[n] = '\0';
    return DSK_OK;
}

dsk_status dsk_endpoint_resolve(const char *configured, const char *env_value,
                                const char *const *defaults, dsk_endpoint *out, dsk_error *err)
{
    if (configured && *configured)
        return set_endpoint(configured, "configured", out, err);
    if (env_value && *env_value)
        return set_endpoint(env_value, DSK_ENDPOINT_ENV, out, err);

    char tried[DSK_ERROR_MSG_MAX] = "";
    size_t used = 0;
    for (size_t i = 0; defaults && defaults[i]; i++) {
        struct stat st;
        /* "Exists", as the SDKs test it: a stale non-socket file is then
         * reported by the connect with its own path, which is clearer. */
        if (stat(defaults[i], &st) == 0)
            return set_endpoint(defaults[i], "default", out, err);
        int w = snprintf(tried + used, sizeof tried - used, "%s%s", i ? ", " : "", defaults[i]);
        if (w > 0)
            used = (size_t)w >= sizeof tried - used ? sizeof tried - 1 : used + (size_t)w;
    }
    return dsk_error_set(
        err, DSK_E_UNREACHABLE,
        "no dstack socket found (tried %s): start the dstack agent, or set " DSK_ENDPOINT_ENV
        " or `endpoint` in the configuration",
        tried);
}

void dsk_endpoint_describe(const dsk_endpoint *ep, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    if (ep->kind == DSK_ENDPOINT_UNIX)
        snprintf(buf, len, "unix socket %s", ep->where);
    else
        snprintf(buf, len, "%s", ep->where);
}

void dsk_endpoint_where(const dsk_endpoint *ep, const char *method, char *buf, size_t len)
{
    char d[DSK_ENDPOINT_MAX + 16];
    dsk_endpoint_describe(ep, d, sizeof d);
    if (buf && len)
        snprintf(buf, len, "/%s on %s", method, d);
}
