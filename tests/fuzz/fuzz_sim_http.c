/* simulator/: whole HTTP requests (request line, query string, headers,
 * chunked or sized bodies, several pipelined requests) through the
 * simulator's libmicrohttpd handler, as the real binary serves them.
 *
 * No server is started: the daemon has no listening socket
 * (MHD_USE_NO_LISTEN_SOCKET); one end of a socketpair is handed to it as a
 * connection and driven from this thread with MHD_run, the other end writes
 * the input and reads the reply. The fault state is stopped before use, so
 * that "hang" and "delay" faults a request sets end at once instead of
 * blocking the run; an "oversized" reply is read only up to READ_CAP. */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz.h"
#include "http.h"

#define READ_CAP (256 * 1024)
#define MAX_ROUNDS 4000
#define IDLE_ROUNDS 64

static void quiet_log(void *cls, const char *fmt, va_list ap)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dsk_sim_api api;
    static dsk_sim_fault_state faults;
    static int ready, verbose;
    static const dsk_sim_fault none = {DSK_SIM_FAULT_NONE, 0};
    dsk_sim_server_ctx ctx;
    struct MHD_Daemon *d;
    struct sockaddr_un peer = {.sun_family = AF_UNIX};
    int sv[2];
    size_t off = 0, got = 0;
    int idle = 0, shut = 0;
    char buf[16384];

    if (!ready) {
        dsk_sim_appkeys_default(&api.keys);
        if (dsk_sim_fault_state_init(&faults, &none) != 0)
            abort();
        dsk_sim_fault_stop(&faults);
        verbose = getenv("DSK_FUZZ_VERBOSE") != NULL; /* show the replies */
        ready = 1;
    }
    dsk_sim_fault_set(&faults, &none); /* what an earlier input set is gone */
    ctx.api = &api;
    ctx.faults = &faults;
    d = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                         dsk_sim_http_handle, &ctx, MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL,
                         MHD_OPTION_NOTIFY_COMPLETED, dsk_sim_http_completed, NULL,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128u * 1024u),
                         MHD_OPTION_END);
    if (d == NULL)
        return 0;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        MHD_stop_daemon(d);
        return 0;
    }
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    /* The daemon owns sv[0] from here on, even when this fails. */
    if (MHD_add_connection(d, sv[0], (const struct sockaddr *)&peer, sizeof peer) != MHD_YES)
        goto done;
    for (int round = 0; round < MAX_ROUNDS && idle < IDLE_ROUNDS; round++) {
        ssize_t n;
        if (off < size) {
            n = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
            if (n > 0)
                off += (size_t)n;
        } else if (!shut) {
            shutdown(sv[1], SHUT_WR); /* the client is done: MHD may answer and close */
            shut = 1;
        }
        if (MHD_run(d) != MHD_YES)
            break;
        n = recv(sv[1], buf, sizeof buf, 0);
        if (n == 0)
            break; /* the daemon closed the connection */
        if (n > 0) {
            if (verbose)
                fwrite(buf, 1, (size_t)n, stderr);
            got += (size_t)n;
            idle = 0;
            if (got > READ_CAP)
                break;
        } else if (shut) {
            idle++;
        }
    }
done:
    close(sv[1]);
    MHD_stop_daemon(d);
    return 0;
}
