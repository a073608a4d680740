/* Life cycle of a dsk_conf: defaults, loading a file, lookup, freeing. */
#include "conf.h"
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wipe.h"

dsk_status dsk_conf_new_default(dsk_conf **out, dsk_error *err)
{
    if (!out)
        return dsk_error_set(err, DSK_E_ARGS, "dsk_conf_new_default: NULL argument");
    *out = NULL;
    dsk_conf *c = calloc(1, sizeof *c);
    if (!c || !(c->token_label = strdup(DSK_CONF_DEFAULT_TOKEN))) {
        free(c);
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    }
    c->log_level = DSK_LOG_WARNING;
    c->inline_keys = 1;
    *out = c;
    return DSK_OK;
}

static void free_key(dsk_key_entry *e)
{
    free(e->label);
    free(e->path);
    free(e->domain);
    free(e->purpose);
    free(e->token);
    free(e->cert_file);
    free(e->cert);
}

void dsk_conf_free(dsk_conf *conf)
{
    if (!conf)
        return;
    for (size_t i = 0; i < conf->nkeys; i++)
        free_key(&conf->keys[i]);
    free(conf->keys);
    free(conf->file);
    free(conf->missing_file);
    free(conf->token_label);
    free(conf->endpoint);
    free(conf->kms_roots);
    if (conf->user_pin)
        dsk_wipe_free(conf->user_pin, strlen(conf->user_pin) + 1);
    free(conf);
}

const dsk_key_entry *dsk_conf_find(const dsk_conf *conf, const char *label)
{
    if (!conf || !label)
        return NULL;
    for (size_t i = 0; i < conf->nkeys; i++) {
        if (strcmp(conf->keys[i].label, label) == 0)
            return &conf->keys[i];
    }
    return NULL;
}

const char *dsk_conf_key_token(const dsk_conf *conf, const dsk_key_entry *key,
                               char out[DSK_CONF_TOKEN_LABEL_MAX + 1])
{
    const char *base = conf && conf->token_label ? conf->token_label : DSK_CONF_DEFAULT_TOKEN;
    if (key && key->token)
        snprintf(out, DSK_CONF_TOKEN_LABEL_MAX + 1, "%s", key->token);
    else if (key && key->type == DSK_KEY_ED25519)
        snprintf(out, DSK_CONF_TOKEN_LABEL_MAX + 1, "%s%s", base, DSK_CONF_ED25519_TOKEN_SUFFIX);
    else
        snprintf(out, DSK_CONF_TOKEN_LABEL_MAX + 1, "%s", base);
    return out;
}

/* text holds len bytes and no NUL among them. */
static dsk_status parse_text(const char *text, size_t len, const char *name, dsk_conf **out,
                             dsk_error *err)
{
    dsk_error e = {0};
    dsk_conf *c = NULL;
    char *dir = NULL;
    dsk_status st = dsk_conf_new_default(&c, &e);
    if (st != DSK_OK)
        goto done;
    if (name && !(c->file = strdup(name))) {
        st = dsk_error_set(&e, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    if (dsk_conf_dirname(name, &dir) != DSK_OK) {
        st = dsk_error_set(&e, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    dsk_conf_parser p = {
        .conf = c,
        .name = name ? name : "<string>",
        .dir = dir,
        .text = text,
        .len = len,
        .err = &e,
    };
    st = dsk_conf_run(&p);
done:
    free(dir);
    if (st != DSK_OK) {
        dsk_conf_free(c);
        c = NULL;
        if (err)
            *err = e;
    }
    *out = c;
    return st;
}

dsk_status dsk_conf_parse(const char *text, const char *name, dsk_conf **out, dsk_error *err)
{
    if (!text || !out)
        return dsk_error_set(err, DSK_E_ARGS, "dsk_conf_parse: NULL argument");
    return parse_text(text, strlen(text), name, out, err);
}

static dsk_status missing(const char *name, dsk_conf **out, dsk_error *err)
{
    dsk_status st = dsk_conf_new_default(out, err);
    if (st != DSK_OK)
        return st;
    if (!((*out)->missing_file = strdup(name))) {
        dsk_conf_free(*out);
        *out = NULL;
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    }
    return DSK_OK;
}

/* The same reading as the PKCS#11 module's: the variable's name promises
 * debugging, so "1", "yes" or anything unrecognised means debug; a level
 * name or digit picks that level. Never an error: a typo in a debugging aid
 * must not stop the module from loading. */
static void apply_debug_env(dsk_conf *c)
{
    const char *v = secure_getenv(DSK_CONF_DEBUG_ENV);
    if (!v || !*v)
        return;
    dsk_log_level level = DSK_LOG_DEBUG;
    if (strcmp(v, "1") != 0 && dsk_log_level_parse(v, &level) != 0)
        level = DSK_LOG_DEBUG;
    c->log_level = (int)level;
}

dsk_status dsk_conf_load(const char *file, dsk_conf **out, dsk_error *err)
{
    if (!out)
        return dsk_error_set(err, DSK_E_ARGS, "dsk_conf_load: NULL argument");
    *out = NULL;
    /* secure_getenv: a set-uid program must not be pointed at another file. */
    const char *env = secure_getenv(DSK_CONF_ENV);
    const char *name = file ? file : (env && *env ? env : DSK_CONF_DEFAULT_FILE);
    char *text = NULL;
    size_t len = 0;
    int errnum = 0;
    char ebuf[128];
    dsk_conf *c = NULL;
    dsk_status st = dsk_conf_read_file(name, DSK_CONF_MAX_FILE, &text, &len, &errnum);
    if (st != DSK_OK) {
        if (errnum == ENOENT || errnum == ENOTDIR)
            st = missing(name, &c, err);
        else if (errnum == ENOMEM)
            st = dsk_error_set(err, DSK_E_NOMEM, "out of memory reading %s", name);
        else if (errnum == EFBIG)
            st = dsk_error_set(err, DSK_E_CONFIG,
                               "configuration file %s is larger than %d bytes: is it the "
                               "right file?",
                               name, DSK_CONF_MAX_FILE);
        else
            st = dsk_error_set(err, DSK_E_IO,
                               "cannot read configuration file %s: %s (set %s to use another "
                               "file)",
                               name, dsk_conf_strerror(errnum, ebuf, sizeof ebuf), DSK_CONF_ENV);
        goto done;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *s = text; s < nul; s++)
            line += *s == '\n';
        st = dsk_error_set(err, DSK_E_CONFIG, "%s:%d: NUL byte in the file: is it a text file?",
                           name, line);
        goto done;
    }
    st = parse_text(text, len, name, &c, err);
done:
    if (text)
        dsk_wipe_free(text, len + 1);
    if (st == DSK_OK)
        apply_debug_env(c);
    *out = c;
    return st;
}
