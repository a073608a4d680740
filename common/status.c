#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

dsk_status dsk_error_set(dsk_error *err, dsk_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

dsk_status dsk_error_prefix(dsk_error *err, const char *fmt, ...)
{
    if (!err)
        return DSK_E_ARGS;
    char head[DSK_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(head, sizeof head - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return err->code;
    size_t hl = strlen(head), cap = sizeof err->msg - 1;
    memcpy(head + hl, ": ", 3);
    hl += 2;
    /* Shift the old message right to make room, keeping the end NUL. */
    size_t old = strlen(err->msg);
    if (hl > cap)
        hl = cap;
    if (old > cap - hl)
        old = cap - hl;
    memmove(err->msg + hl, err->msg, old);
    memcpy(err->msg, head, hl);
    err->msg[hl + old] = '\0';
    return err->code;
}

void dsk_error_clear(dsk_error *err)
{
    if (err) {
        err->code = DSK_OK;
        err->msg[0] = '\0';
    }
}

const char *dsk_status_name(dsk_status s)
{
    static const char *const names[] = {
        [DSK_OK] = "ok",
        [DSK_E_ARGS] = "bad arguments",
        [DSK_E_NOMEM] = "out of memory",
        [DSK_E_UNREACHABLE] = "dstack unreachable",
        [DSK_E_TIMEOUT] = "dstack timeout",
        [DSK_E_MALFORMED] = "malformed dstack reply",
        [DSK_E_REFUSED] = "refused by dstack",
        [DSK_E_CONFIG] = "configuration error",
        [DSK_E_NOT_FOUND] = "not found",
        [DSK_E_UNSUPPORTED] = "not supported",
        [DSK_E_BUFFER_TOO_SMALL] = "buffer too small",
        [DSK_E_BAD_INPUT] = "bad input",
        [DSK_E_VERIFY] = "signature invalid",
        [DSK_E_CRYPTO] = "crypto failure",
        [DSK_E_IO] = "i/o error",
    };
    if ((size_t)s < sizeof names / sizeof names[0] && names[s])
        return names[s];
    return "unknown status";
}
