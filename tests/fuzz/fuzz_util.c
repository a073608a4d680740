/* Shared by every fuzz target. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

void dsk_fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    abort();
}
