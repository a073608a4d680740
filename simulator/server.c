/* The simulator's listening sockets and libmicrohttpd daemons. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define IDLE_TIMEOUT_S 10u /* the real agent's keep-alive */
#define BACKLOG 128
/* Per-connection buffer for the request line and headers: room for a GET
 * whose query carries a path of several thousand percent-encoded bytes. */
#define CONNECTION_MEMORY (128u * 1024u)

struct dsk_sim_server {
    dsk_sim_server_ctx ctx;
    struct MHD_Daemon *unix_d, *tcp_d;
    char *socket_path;
    unsigned port;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    dsk_log(DSK_LOG_DEBUG, "libmicrohttpd: %s", line);
}

/* A socket file left by a crashed run is replaced; one with a live server
 * behind it is not ours to take. */
static dsk_status clear_stale_socket(const char *path, dsk_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return DSK_OK;
    if (!S_ISSOCK(st.st_mode))
        return dsk_error_set(err, DSK_E_IO, "%s exists and is not a socket: remove it or choose "
                             "another --socket path", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    bool live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    if (live)
        return dsk_error_set(err, DSK_E_IO, "socket %s is in use by a running server: stop it or "
                             "choose another --socket path", path);
    unlink(path);
    return DSK_OK;
}

static dsk_status listen_unix(const char *path, int *out, dsk_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return dsk_error_set(err, DSK_E_ARGS, "socket path %s is longer than %zu bytes: use a "
                             "shorter --socket path", path, sizeof sa.sun_path - 1);
    dsk_status rc = clear_stale_socket(path, err);
    if (rc != DSK_OK)
        return rc;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return dsk_error_set(err, DSK_E_IO, "cannot create a unix socket: %s", strerror(errno));
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, BACKLOG) != 0) {
        int e = errno;
        close(fd);
        return dsk_error_set(err, DSK_E_IO, "cannot listen on socket %s: %s", path, strerror(e));
    }
    *out = fd;
    return DSK_OK;
}

/* Only loopback: the simulator serves development keys to anyone who
 * connects. */
static dsk_status listen_tcp(const char *spec, int *out, unsigned *port, dsk_error *err)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    char *end = NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (!colon || (size_t)(colon - spec) >= sizeof host)
        goto bad;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || p > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        goto bad;
    if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127)
        return dsk_error_set(err, DSK_E_ARGS, "--listen %s: only loopback addresses (127.x.x.x) "
                             "are allowed", spec);
    sa.sin_port = htons((uint16_t)p);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    socklen_t sl = sizeof sa;
    if (fd < 0)
        return dsk_error_set(err, DSK_E_IO, "cannot create a TCP socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        int e = errno;
        close(fd);
        return dsk_error_set(err, DSK_E_IO, "cannot listen on %s: %s", spec, strerror(e));
    }
    *port = ntohs(sa.sin_port);
    *out = fd;
    return DSK_OK;
bad:
    return dsk_error_set(err, DSK_E_ARGS, "--listen '%s' is not 127.0.0.1:PORT", spec);
}

/* libmicrohttpd 0.9.77 and later (Debian 13 has 1.0) answer 400 to an
 * HTTP/1.1 request without Host unless the client discipline is at its most
 * lenient; 0.9.75 (Debian 12) serves it, as the dstack agent does. One
 * behaviour on both: the simulator stands in for that agent, not for a
 * public web server. */
#if MHD_VERSION >= 0x00097701
#define DSK_SIM_MHD_DISCIPLINE MHD_OPTION_CLIENT_DISCIPLINE_LVL, (int)-3,
#else
#define DSK_SIM_MHD_DISCIPLINE
#endif

static struct MHD_Daemon *start_daemon(dsk_sim_server *srv, int fd)
{
    /* A thread per connection: a delayed or hanging request must not hold
     * up the others. */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    return MHD_start_daemon(flags, 0, NULL, NULL, dsk_sim_http_handle, &srv->ctx,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            MHD_OPTION_LISTEN_SOCKET, fd,
                            MHD_OPTION_NOTIFY_COMPLETED, dsk_sim_http_completed, NULL,
                            MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
                            DSK_SIM_MHD_DISCIPLINE MHD_OPTION_END);
}

dsk_status dsk_sim_server_start(const dsk_sim_server_config *cfg, dsk_sim_server **out,
                                dsk_error *err)
{
    dsk_status rc = DSK_OK;
    int ufd = -1, tfd = -1;
    dsk_sim_server *srv = calloc(1, sizeof *srv);
    if (!srv || !(srv->socket_path = strdup(cfg->socket_path))) {
        free(srv);
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory starting the simulator");
    }
    srv->ctx.api = cfg->api;
    srv->ctx.faults = cfg->faults;
    if (cfg->listen_addr && (rc = listen_tcp(cfg->listen_addr, &tfd, &srv->port, err)) != DSK_OK)
        goto done;
    if ((rc = listen_unix(cfg->socket_path, &ufd, err)) != DSK_OK)
        goto done;
    srv->unix_d = start_daemon(srv, ufd);
    if (!srv->unix_d) {
        rc = dsk_error_set(err, DSK_E_IO, "cannot start the HTTP server on %s", cfg->socket_path);
        goto done;
    }
    ufd = -1; /* the daemon closes it */
    if (tfd >= 0) {
        srv->tcp_d = start_daemon(srv, tfd);
        if (!srv->tcp_d) {
            rc = dsk_error_set(err, DSK_E_IO, "cannot start the HTTP server on %s", cfg->listen_addr);
            goto done;
        }
        tfd = -1;
    }
    *out = srv;
    srv = NULL;
done:
    if (ufd >= 0) {
        close(ufd);
        unlink(cfg->socket_path);
    }
    if (tfd >= 0)
        close(tfd);
    if (srv)
        dsk_sim_server_stop(srv);
    return rc;
}

unsigned dsk_sim_server_port(const dsk_sim_server *srv)
{
    return srv ? srv->port : 0;
}

void dsk_sim_server_stop(dsk_sim_server *srv)
{
    if (!srv)
        return;
    /* Wake delayed and hanging requests first, or the joins below wait. */
    if (srv->ctx.faults)
        dsk_sim_fault_stop(srv->ctx.faults);
    if (srv->unix_d) {
        MHD_stop_daemon(srv->unix_d);
        unlink(srv->socket_path);
    }
    if (srv->tcp_d)
        MHD_stop_daemon(srv->tcp_d);
    free(srv->socket_path);
    free(srv);
}
