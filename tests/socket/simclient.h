/* Shared by the tests that run the client against the real simulator. */
#ifndef DSK_TEST_SIMCLIENT_H
#define DSK_TEST_SIMCLIENT_H

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "simproc.h"
#include "socket.h"

#define VEC_KEY "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5"
#define VEC_SIG0                                                                                   \
    "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c"                             \
    "33798d20477d877040fe6d7d9ea7aa39b853a7a3e56c2c0e36bba3e8e12a65b000"
#define VEC_APP_ID "5bb4ff9a3837357f19dc176407a5709c62eb6c56"

/* Timeouts for calls whose timing is not under test: generous, so that the
 * first call of a process under valgrind on a loaded machine (seconds of
 * code translation) is not mistaken for an agent failure. */
#define RELAXED_CONNECT_MS 10000
#define RELAXED_TIMEOUT_MS 20000

typedef struct fixture {
    dsk_test_sim sim;
    dsk_client *client;
} fixture;

static inline long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* The socket file appears at bind(), a moment before listen(): under load a
 * first call could see "connection refused".  Wait until it accepts. */
static inline int sim_wait_ready(const dsk_test_sim *s)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(s->sock) >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, s->sock, strlen(s->sock) + 1);
    for (int i = 0; i < 500; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return 0;
        usleep(10000);
    }
    return -1;
}

#endif
