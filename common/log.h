/* The project's one log facility: lines on stderr, "<prefix>: <level>: msg".
 * Configured once (dsk_log_init) by a front end at load time; never prints
 * secrets — callers pass labels, paths and sockets, never key bytes. */
#ifndef DSK_LOG_H
#define DSK_LOG_H

typedef enum dsk_log_level {
    DSK_LOG_NONE = 0,
    DSK_LOG_ERROR = 1,
    DSK_LOG_WARNING = 2,
    DSK_LOG_INFO = 3,
    DSK_LOG_DEBUG = 4,
} dsk_log_level;

/* prefix is copied; level as above. Safe to call again (e.g. after fork). */
void dsk_log_init(const char *prefix, dsk_log_level level);
void dsk_log_set_level(dsk_log_level level);
dsk_log_level dsk_log_get_level(void);

/* "error", "warning", "info", "debug", "none" or a digit 0-4. Returns 0 on
 * success, -1 if the text names no level. */
int dsk_log_level_parse(const char *text, dsk_log_level *out);

void dsk_log(dsk_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
