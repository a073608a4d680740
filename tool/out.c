/* Standard output: data only, written completely or reported. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

int dsk_tool_out(const void *buf, size_t len)
{
    if ((len > 0 && fwrite(buf, 1, len, stdout) != len) || fflush(stdout) != 0)
        return dsk_tool_failf(DSK_EXIT_INTERNAL, "cannot write to standard output: %s",
                              strerror(errno));
    return DSK_EXIT_OK;
}
