/* Shared by the tests that run the client against the real simulator. */
#ifndef DSK_TEST_SIMCLIENT_H
#define DSK_TEST_SIMCLIENT_H

#include <time.h>

#include "simproc.h"
#include "socket.h"

#define VEC_KEY "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5"
#define VEC_SIG0                                                                                   \
    "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c"                             \
    "33798d20477d877040fe6d7d9ea7aa39b853a7a3e56c2c0e36bba3e8e12a65b000"
#define VEC_APP_ID "5bb4ff9a3837357f19dc176407a5709c62eb6c56"

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

#endif
