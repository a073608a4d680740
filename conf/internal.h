/* What the files of conf/ share; not for other folders. */
#ifndef DSK_CONF_INTERNAL_H
#define DSK_CONF_INTERNAL_H

#include <stddef.h>

#include "conf.h"

/* Configuration files and certificates are small; a larger one is a mistake. */
#define DSK_CONF_MAX_FILE (1024 * 1024)
/* Highest accepted timeout: an hour. */
#define DSK_CONF_MAX_TIMEOUT_MS 3600000L

enum dsk_conf_section { DSK_SEC_NONE, DSK_SEC_TOKEN, DSK_SEC_KEY };

/* Settings of one section: bit i of `seen` set when setting i was given,
 * line[i] where. Indexes are those of the settings table (settings.c). */
#define DSK_CONF_MAX_SETTINGS 16
typedef struct dsk_conf_seen {
    unsigned seen;
    int line[DSK_CONF_MAX_SETTINGS];
} dsk_conf_seen;

/* State of one parse. text is the whole file (NUL-free, not necessarily
 * NUL-terminated); line is the 1-based number of the line being handled. */
typedef struct dsk_conf_parser {
    dsk_conf *conf;
    const char *name; /* for messages */
    const char *dir;  /* base for relative certificate paths; NULL = cwd */
    const char *text;
    size_t len, pos;
    int line;
    enum dsk_conf_section section;
    size_t key; /* index of the current key when section == KEY */
    size_t keys_cap;
    dsk_conf_seen token_seen, key_seen;
    int token_label_line;
    int trust_line; /* the verify line, else the kms_root line (for cross-checks) */
    dsk_error *err;  /* never NULL */
    int failed_line; /* line of the first error recorded, 0 = none */
    dsk_status failed_code;
    /* The value of the current line when it was written in double quotes
     * (parse.c decodes it; inih sees an empty value): malloc'd, wiped (it
     * may be the PIN), NULL when the value was not quoted. */
    char *quoted;
} dsk_conf_parser;

/* Record "name:line: <message>" as the parse's error unless one is already
 * recorded; returns code. */
dsk_status dsk_conf_fail(dsk_conf_parser *p, dsk_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for an earlier line (checks made at the end of a section). */
dsk_status dsk_conf_fail_at(dsk_conf_parser *p, int line, dsk_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* provenance.c: set the given (non-NULL) provenance settings without the
 * cross-checks; then settle: the default of verify, and warn/require need a
 * root. dsk_conf_apply_trust is the two in a row. */
dsk_status dsk_conf_trust_set(dsk_conf *conf, const char *kms_root, const char *app_id,
                              const char *verify, dsk_error *err);
dsk_status dsk_conf_trust_settle(dsk_conf *conf, dsk_error *err);

/* Parse p->text into p->conf (which holds the defaults). parse.c. */
dsk_status dsk_conf_run(dsk_conf_parser *p);

/* Apply "name = value" to the current section; quoted: the value was
 * written in double quotes (so an empty one was meant). settings.c. */
dsk_status dsk_conf_setting(dsk_conf_parser *p, const char *name, const char *value, int quoted);
/* Checks that need the whole key section (usage against type) and fills the
 * defaults (path = label, usage = all the type supports). settings.c. */
dsk_status dsk_conf_close_key(dsk_conf_parser *p);
/* Checks that need the whole file (token label lengths, duplicate ids). */
dsk_status dsk_conf_finish(dsk_conf_parser *p);

/* 1 if s (len bytes) is well-formed UTF-8 (no overlongs, no surrogates). */
int dsk_conf_utf8_valid(const char *s, size_t len);

/* files.c. Read a whole regular file of at most max bytes into a malloc'd
 * buffer (*len bytes, plus a NUL not counted). On failure returns
 * DSK_E_IO with errno in *errnum (ENOENT for a missing file, EISDIR, EFBIG
 * for a file over max) and sets nothing else. */
dsk_status dsk_conf_read_file(const char *path, size_t max, char **out, size_t *len, int *errnum);
/* strerror that is safe in threads (C_Initialize may run in any thread);
 * returns a pointer into buf or to a static string. */
const char *dsk_conf_strerror(int errnum, char *buf, size_t len);
/* path if absolute or dir is NULL, else dir/path; malloc'd, NULL on OOM. */
char *dsk_conf_resolve(const char *dir, const char *path);
/* The directory part of a file name ("a/b.conf" -> "a", "b.conf" -> NULL,
 * "/b.conf" -> "/"); malloc'd into *out. DSK_E_NOMEM only. */
dsk_status dsk_conf_dirname(const char *file, char **out);
/* Load a certificate file for a key entry: resolved against dir, must be
 * PEM (holds "-----BEGIN CERTIFICATE-----") or DER (starts with 0x30).
 * Fills e->cert_file, e->cert, e->cert_len. The message names the resolved
 * path (the caller adds file:line). DSK_E_IO if unreadable, DSK_E_CONFIG if
 * neither PEM nor DER. */
dsk_status dsk_conf_load_cert(const char *dir, const char *value, dsk_key_entry *e, dsk_error *err);

#endif
