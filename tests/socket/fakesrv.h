/* A scripted HTTP server on a private unix socket, for framings no real
 * agent (nor the simulator) produces: it reads each request whole, keeps a
 * copy, waits delay_ms, writes `reply` verbatim and closes. */
#ifndef DSK_TEST_FAKESRV_H
#define DSK_TEST_FAKESRV_H

#include <pthread.h>
#include <stddef.h>

typedef struct dsk_fake_srv {
    char dir[256];
    char sock[300];
    const char *reply; /* NULL: close without writing anything */
    size_t reply_len;
    int delay_ms;
    /* The last request as received (head and body), NUL-terminated. */
    char request[16384];
    size_t request_len;
    int connections;
    /* private */
    int lfd;
    _Atomic int stopping;
    pthread_t thread;
    pthread_mutex_t lock;
} dsk_fake_srv;

/* Start serving `reply` (reply_len bytes; -1 = strlen). Returns 0 or -1. */
int dsk_fake_start(dsk_fake_srv *f, const char *reply, long reply_len, int delay_ms);
void dsk_fake_stop(dsk_fake_srv *f);

#endif
