/* Start and stop a dstack-simulator from a C test. The simulator binary is
 * found through $DSK_SIMULATOR (set by meson for tests that depend on it). */
#ifndef DSK_TEST_SIMPROC_H
#define DSK_TEST_SIMPROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct dsk_test_sim {
    pid_t pid;
    char dir[256];    /* private temp dir */
    char sock[300];   /* dir/dstack.sock */
} dsk_test_sim;

/* Start the simulator on a private socket with extra arguments (NULL-ended
 * list, may be NULL), wait until the socket exists. Returns 0 or -1. */
int dsk_test_sim_start(dsk_test_sim *s, const char *const *extra_args);
/* SIGTERM, wait, remove the socket and directory. Returns the exit status
 * (0 for a clean shutdown) or -1. */
int dsk_test_sim_stop(dsk_test_sim *s);
/* Switch the running simulator's fault ("none", "delay:200", ...): 0 or -1. */
int dsk_test_sim_fault(const dsk_test_sim *s, const char *fault);

#endif
