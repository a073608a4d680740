/* Driving inih. The reader below hands inih one line at a time, so it
 * counts lines itself (the handler's lineno argument exists only when inih
 * is built with INI_HANDLER_LINENO) and it handles [section] lines itself:
 * inih truncates section names at 50 bytes and never tells the handler about
 * a section without settings, while "[key web]" alone is a complete key. */
#include "internal.h"

#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

static dsk_status vfail(dsk_conf_parser *p, int line, dsk_status code, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static dsk_status vfail(dsk_conf_parser *p, int line, dsk_status code, const char *fmt, va_list ap)
{
    if (p->failed_line)
        return code;
    char what[DSK_ERROR_MSG_MAX];
    vsnprintf(what, sizeof what, fmt, ap);
    p->failed_line = line > 0 ? line : 1;
    p->failed_code = code;
    return dsk_error_set(p->err, code, "%s:%d: %s", p->name, p->failed_line, what);
}

dsk_status dsk_conf_fail(dsk_conf_parser *p, dsk_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dsk_status st = vfail(p, p->line, code, fmt, ap);
    va_end(ap);
    return st;
}

dsk_status dsk_conf_fail_at(dsk_conf_parser *p, int line, dsk_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dsk_status st = vfail(p, line, code, fmt, ap);
    va_end(ap);
    return st;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static dsk_status add_key(dsk_conf_parser *p, const char *label, size_t n)
{
    dsk_conf *c = p->conf;
    if (!dsk_conf_utf8_valid(label, n))
        return dsk_conf_fail(p, DSK_E_CONFIG, "key label is not valid UTF-8");
    for (size_t i = 0; i < c->nkeys; i++) {
        if (strlen(c->keys[i].label) == n && memcmp(c->keys[i].label, label, n) == 0)
            return dsk_conf_fail(p, DSK_E_CONFIG,
                                 "duplicate key label '%s' (first defined at line %d): "
                                 "labels must be unique",
                                 c->keys[i].label, c->keys[i].line);
    }
    if (c->nkeys == p->keys_cap) {
        size_t ncap = p->keys_cap ? p->keys_cap * 2 : 8;
        dsk_key_entry *k = realloc(c->keys, ncap * sizeof *k);
        if (!k)
            return dsk_conf_fail(p, DSK_E_NOMEM, "out of memory");
        c->keys = k;
        p->keys_cap = ncap;
    }
    dsk_key_entry *e = &c->keys[c->nkeys];
    memset(e, 0, sizeof *e);
    e->label = strndup(label, n);
    e->purpose = strdup("");
    if (!e->label || !e->purpose) {
        free(e->label);
        free(e->purpose);
        return dsk_conf_fail(p, DSK_E_NOMEM, "out of memory");
    }
    e->type = DSK_KEY_EC_P256;
    e->line = p->line;
    p->key = c->nkeys++;
    p->section = DSK_SEC_KEY;
    memset(&p->key_seen, 0, sizeof p->key_seen);
    return DSK_OK;
}

/* s: the line without leading blanks, starting with '['; n: its length. */
static dsk_status section_line(dsk_conf_parser *p, const char *s, size_t n)
{
    const char *close = memchr(s, ']', n);
    if (!close)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "section header without ']': write [token] or [key LABEL]");
    const char *rest = close + 1, *end = s + n;
    while (rest < end && is_blank(*rest))
        rest++;
    if (rest < end && *rest != ';' && *rest != '#')
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "text after ']' of a section header: only a comment (';' or '#') "
                             "may follow");
    if (p->section == DSK_SEC_KEY && dsk_conf_close_key(p) != DSK_OK)
        return p->failed_code;
    p->section = DSK_SEC_NONE;

    const char *in = s + 1, *in_end = close;
    while (in < in_end && is_blank(*in))
        in++;
    while (in_end > in && is_blank(in_end[-1]))
        in_end--;
    size_t len = (size_t)(in_end - in);
    if (len == 5 && memcmp(in, "token", 5) == 0) {
        p->section = DSK_SEC_TOKEN;
        return DSK_OK;
    }
    if (len >= 3 && memcmp(in, "key", 3) == 0 && (len == 3 || is_blank(in[3]))) {
        const char *label = in + 3;
        while (label < in_end && is_blank(*label))
            label++;
        if (label == in_end)
            return dsk_conf_fail(p, DSK_E_CONFIG,
                                 "[key] section without a label: write [key LABEL], "
                                 "e.g. [key web]");
        return add_key(p, label, (size_t)(in_end - label));
    }
    return dsk_conf_fail(p, DSK_E_CONFIG,
                         "unknown section [%.*s]: valid sections are [token] and [key LABEL]",
                         (int)(len > 64 ? 64 : len), in);
}

/* A value written in double quotes: s[0] is the opening quote, n bytes of
 * line are left. Inside, \\ and \" stand for \ and "; everything else,
 * ';' and '#' included, is itself. After the closing quote only blanks or a
 * comment may follow. The decoded value goes to p->quoted. */
static dsk_status quoted_value(dsk_conf_parser *p, const char *s, size_t n)
{
    char *out = malloc(n), *o = out;
    size_t i = 1;

    if (out == NULL)
        return dsk_conf_fail(p, DSK_E_NOMEM, "out of memory");
    for (; i < n && s[i] != '"'; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
            i++;
        else if (s[i] == '\\')
            break;
        *o++ = s[i];
    }
    *o = '\0';
    if (i >= n || s[i] != '"') {
        dsk_wipe(out, n);
        free(out);
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             i < n ? "quoted value: write \\\\ for a backslash and \\\" for a quote"
                                   : "quoted value without its closing '\"'");
    }
    for (i++; i < n && is_blank(s[i]); i++)
        ;
    if (i < n && s[i] != ';' && s[i] != '#') {
        dsk_wipe(out, n);
        free(out);
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "text after the closing '\"' of a quoted value: only a comment "
                             "(';' or '#') may follow");
    }
    p->quoted = out;
    return DSK_OK;
}

/* A "name = value" line whose value starts with '"': decode it into
 * p->quoted and shorten the line to "name =" for inih. *n is updated. */
static dsk_status take_quoted(dsk_conf_parser *p, const char *s, size_t *n)
{
    size_t eq = 0, v;

    if (*n == 0 || *s == ';' || *s == '#')
        return DSK_OK;
    while (eq < *n && s[eq] != '=' && s[eq] != ':')
        eq++;
    for (v = eq + 1; v < *n && is_blank(s[v]); v++)
        ;
    if (eq >= *n || v >= *n || s[v] != '"')
        return DSK_OK;
    if (quoted_value(p, s + v, *n - v) != DSK_OK)
        return p->failed_code;
    *n = eq + 1;
    return DSK_OK;
}

/* inih's fgets-style reader: one line per call, so inih's line count and
 * ours agree. */
static char *read_line(char *str, int num, void *stream)
{
    dsk_conf_parser *p = stream;
    /* str is inih's line buffer and still holds the previous line, which
     * may be the user PIN: wipe it before anything else. */
    dsk_wipe(str, (size_t)num);
    if (p->failed_line || p->pos >= p->len)
        return NULL;
    const char *s = p->text + p->pos;
    const char *nl = memchr(s, '\n', p->len - p->pos);
    size_t n = nl ? (size_t)(nl - s) : p->len - p->pos;
    p->pos += n + (nl ? 1 : 0);
    p->line++;
    if (p->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3, n -= 3;
    /* Leading blanks would make inih read the line as the continuation of
     * the previous value; indenting settings is common, so drop them. */
    while (n && is_blank(*s))
        s++, n--;
    if (n && *s == '[') {
        if (section_line(p, s, n) != DSK_OK)
            return NULL;
        n = 0; /* inih sees an empty line */
    } else if (n + 2 > (size_t)num) {
        dsk_conf_fail(p, DSK_E_CONFIG, "line too long (%zu characters; at most %d)", n, num - 2);
        return NULL;
    } else if (take_quoted(p, s, &n) != DSK_OK) {
        return NULL;
    }
    memcpy(str, s, n);
    /* inih takes only ';' as an inline comment; make " # ..." one too. */
    for (size_t i = 1; i < n; i++) {
        if (str[i] == '#' && is_blank(str[i - 1]))
            str[i] = ';';
    }
    str[n] = '\n';
    str[n + 1] = '\0';
    return str;
}

static int on_setting(void *user, const char *section, const char *name, const char *value)
{
    (void)section; /* we track sections ourselves, see above */
    dsk_conf_parser *p = user;
    char *quoted = p->quoted;
    dsk_status st;

    p->quoted = NULL;
    st = dsk_conf_setting(p, name, quoted != NULL ? quoted : value, quoted != NULL);
    if (quoted != NULL) {
        dsk_wipe(quoted, strlen(quoted));
        free(quoted);
    }
    return st == DSK_OK;
}

dsk_status dsk_conf_run(dsk_conf_parser *p)
{
    int bad = ini_parse_stream(read_line, p, on_setting, p);
    if (p->quoted != NULL) { /* a quoted line inih did not hand over */
        dsk_wipe(p->quoted, strlen(p->quoted));
        free(p->quoted);
        p->quoted = NULL;
    }
    if (bad > 0 && (!p->failed_line || bad < p->failed_line)) {
        /* inih found a line that is neither a section, a comment nor
         * name = value; it comes before any error of ours. */
        p->failed_line = 0;
        p->line = bad;
        return dsk_conf_fail(p, DSK_E_CONFIG, "expected 'name = value', a [section] or a comment");
    }
    if (bad < 0 && !p->failed_line)
        return dsk_conf_fail(p, DSK_E_NOMEM, "out of memory");
    if (p->failed_line)
        return p->failed_code;
    if (p->section == DSK_SEC_KEY && dsk_conf_close_key(p) != DSK_OK)
        return p->failed_code;
    return dsk_conf_finish(p);
}
