/* Exit codes and the one-line error message. */
#include <stdarg.h>
#include <stdio.h>

#include "tool.h"

/* dsk_status -> exit code: one table, the man page's EXIT STATUS. */
static const int exit_of[] = {
    [DSK_OK] = DSK_EXIT_OK,
    [DSK_E_ARGS] = DSK_EXIT_USAGE,
    [DSK_E_NOMEM] = DSK_EXIT_INTERNAL,
    [DSK_E_UNREACHABLE] = DSK_EXIT_AGENT,
    [DSK_E_TIMEOUT] = DSK_EXIT_AGENT,
    [DSK_E_MALFORMED] = DSK_EXIT_AGENT,
    [DSK_E_REFUSED] = DSK_EXIT_AGENT,
    [DSK_E_CONFIG] = DSK_EXIT_CONFIG,
    [DSK_E_NOT_FOUND] = DSK_EXIT_CONFIG,
    [DSK_E_UNSUPPORTED] = DSK_EXIT_KEY,
    [DSK_E_BUFFER_TOO_SMALL] = DSK_EXIT_INTERNAL,
    [DSK_E_BAD_INPUT] = DSK_EXIT_INPUT,
    [DSK_E_VERIFY] = DSK_EXIT_FAILED,
    [DSK_E_CRYPTO] = DSK_EXIT_INTERNAL,
    [DSK_E_IO] = DSK_EXIT_INPUT,
};

int dsk_tool_exit_code(dsk_status st)
{
    if ((size_t)st >= sizeof exit_of / sizeof exit_of[0] || (st != DSK_OK && exit_of[st] == 0))
        return DSK_EXIT_INTERNAL;
    return exit_of[st];
}

int dsk_tool_fail(const dsk_error *err)
{
    int code = dsk_tool_exit_code(err->code);

    fprintf(stderr, DSK_TOOL_NAME ": %s\n", err->msg[0] != '\0' ? err->msg : "failed");
    /* A failure whose status was never set is still a failure. */
    return code != DSK_EXIT_OK ? code : DSK_EXIT_INTERNAL;
}

int dsk_tool_failf(int code, const char *fmt, ...)
{
    va_list ap;

    fputs(DSK_TOOL_NAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}
