#include "rawhttp.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int raw_connect(const char *sock)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int raw_send(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append what arrives within the deadline: bytes read, 0 on EOF, -1 on
 * error, -2 on timeout. */
static long read_some(int fd, raw_reply *r, long long deadline)
{
    long long left = deadline - now_ms();
    if (left <= 0)
        return -2;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int pr = poll(&p, 1, (int)left);
    if (pr == 0)
        return -2;
    if (pr < 0)
        return errno == EINTR ? read_some(fd, r, deadline) : -1;
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
        return n == 0 ? 0 : -1;
    if (r->raw_len + (size_t)n + 1 > r->raw_cap) {
        /* Grow geometrically: the 16 MiB oversized reply in 64 KiB steps
         * copied gigabytes and timed out under ASan. */
        size_t cap = r->raw_cap ? r->raw_cap : 65536;
        while (cap < r->raw_len + (size_t)n + 1)
            cap *= 2;
        char *nr = realloc(r->raw, cap);
        if (!nr)
            return -1;
        r->raw = nr;
        r->raw_cap = cap;
    }
    memcpy(r->raw + r->raw_len, buf, (size_t)n);
    r->raw_len += (size_t)n;
    r->raw[r->raw_len] = '\0';
    return n;
}

static raw_result parse_head(raw_reply *r, size_t head_len, size_t *content_length)
{
    if (head_len >= sizeof r->head || strncmp(r->raw, "HTTP/1.", 7) != 0)
        return RAW_NOT_HTTP;
    memcpy(r->head, r->raw, head_len);
    r->head[head_len] = '\0';
    if (sscanf(r->head + 9, "%3d", &r->status) != 1)
        return RAW_NOT_HTTP;
    for (char *line = strstr(r->head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Length: ", 16) == 0) {
            r->has_content_length = true;
            *content_length = strtoul(line + 18, NULL, 10);
        } else if (strncasecmp(line + 2, "Transfer-Encoding: chunked", 26) == 0) {
            r->chunked = true;
        }
    }
    return RAW_OK;
}

raw_result raw_read_reply(int fd, raw_reply *r, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    size_t head_len = 0, cl = 0;
    memset(r, 0, sizeof *r);
    for (;;) {
        /* Look for the head's end only until found: rescanning an 8 MiB body on every
         * read made this quadratic, slow enough under ASan to time out. */
        char *end = r->raw && !head_len ? strstr(r->raw, "\r\n\r\n") : NULL;
        if (r->raw_len >= 7 && strncmp(r->raw, "HTTP/1.", 7) != 0)
            return RAW_NOT_HTTP;
        if (end && !head_len) {
            head_len = (size_t)(end - r->raw) + 4;
            raw_result pr = parse_head(r, head_len, &cl);
            if (pr != RAW_OK)
                return pr;
            if (!r->has_content_length)
                return RAW_ERROR;
        }
        if (head_len && r->raw_len >= head_len + cl) {
            r->body = malloc(cl + 1);
            if (!r->body)
                return RAW_ERROR;
            memcpy(r->body, r->raw + head_len, cl);
            r->body[cl] = '\0';
            r->body_len = cl;
            return RAW_OK;
        }
        long n = read_some(fd, r, deadline);
        if (n == 0)
            return r->raw_len == 0 ? RAW_CLOSED : (r->raw_len >= 7 ? RAW_ERROR : RAW_NOT_HTTP);
        if (n == -2)
            return RAW_TIMEOUT;
        if (n < 0)
            return r->raw_len == 0 ? RAW_CLOSED : RAW_ERROR;
    }
}

raw_result raw_read_to_close(int fd, raw_reply *r, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    memset(r, 0, sizeof *r);
    for (;;) {
        long n = read_some(fd, r, deadline);
        if (n == 0 || n == -1)
            return RAW_CLOSED;
        if (n == -2)
            return RAW_TIMEOUT;
    }
}

void raw_reply_free(raw_reply *r)
{
    free(r->body);
    free(r->raw);
    r->body = r->raw = NULL;
    r->raw_len = r->raw_cap = 0;
}

raw_result raw_request(const char *sock, const char *method, const char *target,
                       const char *body, raw_reply *r, int timeout_ms)
{
    size_t cap = strlen(method) + strlen(target) + 256;
    char *head = malloc(cap);
    int fd = raw_connect(sock);
    raw_result rr = RAW_ERROR;
    memset(r, 0, sizeof *r);
    if (fd < 0 || !head)
        goto done;
    int hl = body ? snprintf(head, cap,
                             "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                             method, target, strlen(body))
                  : snprintf(head, cap,
                             "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                             method, target);
    if (hl > 0 && (size_t)hl < cap && raw_send(fd, head, (size_t)hl) == 0 &&
        (!body || raw_send(fd, body, strlen(body)) == 0))
        rr = raw_read_reply(fd, r, timeout_ms);
done:
    free(head);
    if (fd >= 0)
        close(fd);
    return rr;
}

void raw_json_string(const raw_reply *r, const char *name, char *out, size_t len)
{
    cJSON *j = r->body ? cJSON_Parse(r->body) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    snprintf(out, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(j);
}
