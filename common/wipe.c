#define _DEFAULT_SOURCE
#include "wipe.h"

#include <stdlib.h>
#include <string.h>

void dsk_wipe(void *p, size_t len)
{
    if (p && len)
        explicit_bzero(p, len);
}

void dsk_wipe_free(void *p, size_t len)
{
    dsk_wipe(p, len);
    free(p);
}
