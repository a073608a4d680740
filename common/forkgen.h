/* A fork generation: a counter every forked child increments in its copy
 * (pthread_atfork child handler), so "am I still the process that
 * initialised?" is one relaxed load instead of a getpid() system call on
 * every entry point. Children made by fork(), by a fork() of another thread
 * and by grandchildren all run the handler; vfork and posix_spawn children
 * only exec, and a raw clone() system call bypasses libc altogether (a
 * program doing that cannot use libc's locks either). */
#ifndef DSK_FORKGEN_H
#define DSK_FORKGEN_H

#include <stdatomic.h>

extern atomic_uint dsk_fork_gen_counter;

/* Install the handler (once per process; cheap after the first call). Call
 * before the first dsk_fork_gen() whose value is kept. */
void dsk_fork_gen_watch(void);

static inline unsigned dsk_fork_gen(void)
{
    return atomic_load_explicit(&dsk_fork_gen_counter, memory_order_relaxed);
}

#endif
