#include "fakesrv.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Read head and Content-Length body of one request into f->request. */
static void read_request(dsk_fake_srv *f, int fd)
{
    char buf[sizeof f->request];
    size_t got = 0, want = (size_t)-1;
    while (got < sizeof buf - 1 && got < want) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20000) <= 0)
            break;
        ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        buf[got] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end && want == (size_t)-1) {
            size_t head = (size_t)(end - buf) + 4, cl = 0;
            for (char *l = buf; l && l < end; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL)
                if (strncasecmp(l, "Content-Length:", 15) == 0)
                    cl = strtoul(l + 15, NULL, 10);
            want = head + cl;
        }
    }
    pthread_mutex_lock(&f->lock);
    memcpy(f->request, buf, got);
    f->request[got] = '\0';
    f->request_len = got;
    f->connections++;
    pthread_mutex_unlock(&f->lock);
}

static void *serve(void *arg)
{
    dsk_fake_srv *f = arg;
    while (!f->stopping) {
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            break;
        read_request(f, fd);
        if (f->delay_ms)
            nanosleep(&(struct timespec){f->delay_ms / 1000, (f->delay_ms % 1000) * 1000000L},
                      NULL);
        for (size_t off = 0; f->reply && off < f->reply_len;) {
            ssize_t n = send(fd, f->reply + off, f->reply_len - off, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        close(fd);
    }
    return NULL;
}

int dsk_fake_start(dsk_fake_srv *f, const char *reply, long reply_len, int delay_ms)
{
    memset(f, 0, sizeof *f);
    f->reply = reply;
    f->reply_len = reply && reply_len < 0 ? strlen(reply) : (size_t)(reply_len < 0 ? 0 : reply_len);
    f->delay_ms = delay_ms;
    snprintf(f->dir, sizeof f->dir, "%s/dsk-fake-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->sock, sizeof f->sock, "%s/fake.sock", f->dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(f->sock) >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
    f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(f->lfd, 16) != 0)
        return -1;
    pthread_mutex_init(&f->lock, NULL);
    return pthread_create(&f->thread, NULL, serve, f) == 0 ? 0 : -1;
}

void dsk_fake_stop(dsk_fake_srv *f)
{
    f->stopping = 1;
    shutdown(f->lfd, SHUT_RDWR); /* wakes accept() */
    pthread_join(f->thread, NULL);
    close(f->lfd);
    pthread_mutex_destroy(&f->lock);
    unlink(f->sock);
    rmdir(f->dir);
}
