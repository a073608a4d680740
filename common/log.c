#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static char log_prefix[64] = "dstack";
static dsk_log_level log_level = DSK_LOG_WARNING;

void dsk_log_init(const char *prefix, dsk_log_level level)
{
    if (prefix)
        snprintf(log_prefix, sizeof log_prefix, "%s", prefix);
    log_level = level;
}

void dsk_log_set_level(dsk_log_level level) { log_level = level; }

dsk_log_level dsk_log_get_level(void) { return log_level; }

int dsk_log_level_parse(const char *text, dsk_log_level *out)
{
    static const char *const names[] = {"none", "error", "warning", "info", "debug"};
    if (!text || !out)
        return -1;
    for (int i = 0; i <= DSK_LOG_DEBUG; i++) {
        if (strcasecmp(text, names[i]) == 0 || (text[0] == '0' + i && text[1] == '\0')) {
            *out = (dsk_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(text, "warn") == 0) {
        *out = DSK_LOG_WARNING;
        return 0;
    }
    return -1;
}

void dsk_log(dsk_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"", "error", "warning", "info", "debug"};
    if (level == DSK_LOG_NONE || level > log_level)
        return;
    /* One fprintf per line so that lines from threads do not interleave. */
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s: %s\n", log_prefix, names[level], line);
}
