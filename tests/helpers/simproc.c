#include "simproc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int sim_accepts(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if (len >= sizeof sa.sun_path)
        return 0;
    memcpy(sa.sun_path, path, len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

int dsk_test_sim_start(dsk_test_sim *s, const char *const *extra_args)
{
    const char *bin = getenv("DSK_SIMULATOR");
    if (!bin) {
        fprintf(stderr, "DSK_SIMULATOR is not set: run this test through meson\n");
        return -1;
    }
    snprintf(s->dir, sizeof s->dir, "%s/dsk-sim-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(s->dir))
        return -1;
    snprintf(s->sock, sizeof s->sock, "%s/dstack.sock", s->dir);

    const char *argv[32] = {bin, "--socket", s->sock};
    int n = 3;
    for (int i = 0; extra_args && extra_args[i] && n < 31; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;

    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 400; i++) {
        /* The file appears at bind(), before listen(): wait until a
         * connection is accepted, not just until the file exists. */
        if (sim_accepts(s->sock))
            return 0;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        nanosleep(&(struct timespec){0, 25 * 1000 * 1000}, NULL);
    }
    dsk_test_sim_stop(s);
    return -1;
}

int dsk_test_sim_stop(dsk_test_sim *s)
{
    int status = -1;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        if (waitpid(s->pid, &status, 0) != s->pid)
            status = -1;
        s->pid = 0;
    }
    unlink(s->sock);
    rmdir(s->dir);
    if (status == -1)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int dsk_test_sim_fault(const dsk_test_sim *s, const char *fault)
{
    /* A plain HTTP request on the unix socket: no libcurl needed here. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(s->sock);
    if (len >= sizeof sa.sun_path) {
        close(fd);
        return -1;
    }
    memcpy(sa.sun_path, s->sock, len + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    char body[256], req[512];
    int bl = snprintf(body, sizeof body, "{\"fault\":\"%s\"}", fault);
    int rl = snprintf(req, sizeof req,
                      "POST /_simulator/fault HTTP/1.1\r\nHost: localhost\r\n"
                      "Content-Type: application/json\r\nContent-Length: %d\r\n"
                      "Connection: close\r\n\r\n%s", bl, body);
    int ok = write(fd, req, (size_t)rl) == rl;
    char reply[512] = {0};
    ssize_t got = ok ? read(fd, reply, sizeof reply - 1) : -1;
    close(fd);
    return got > 12 && strncmp(reply + 9, "200", 3) == 0 ? 0 : -1;
}
