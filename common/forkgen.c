#include "forkgen.h"

#include <pthread.h>

atomic_uint dsk_fork_gen_counter;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

/* Runs in the child only, before fork() returns there, while the child has
 * a single thread. */
static void child(void)
{
    atomic_fetch_add_explicit(&dsk_fork_gen_counter, 1, memory_order_relaxed);
}

static void install(void)
{
    pthread_atfork(NULL, NULL, child);
}

void dsk_fork_gen_watch(void)
{
    pthread_once(&watch_once, install);
}
