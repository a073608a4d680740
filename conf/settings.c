/* The settings of [token] and [key LABEL]: one table, one function each. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "hex.h"
#include "log.h"

typedef dsk_status (*setter)(dsk_conf_parser *p, const char *value);

typedef struct setting {
    const char *name;
    setter set;
    /* The setting accepts an empty value, which must then be written "":
     * an unquoted empty one is refused, as it is what a value that starts
     * with ';' or '#' (a comment) leaves behind. */
    int empty_quoted;
} setting;

static dsk_key_entry *cur(dsk_conf_parser *p)
{
    return &p->conf->keys[p->key];
}

/* Replace *slot with a copy of value. */
static dsk_status set_string(dsk_conf_parser *p, char **slot, const char *value)
{
    char *s = strdup(value);
    if (!s)
        return dsk_conf_fail(p, DSK_E_NOMEM, "out of memory");
    free(*slot);
    *slot = s;
    return DSK_OK;
}

/* Token labels: PKCS#11 gives them 32 bytes; UTF-8 as the standard says. */
static dsk_status check_token_label(dsk_conf_parser *p, const char *what, const char *value)
{
    size_t n = strlen(value);
    if (n == 0)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "empty %s: write a token label or leave the "
                             "setting out",
                             what);
    if (!dsk_conf_utf8_valid(value, n))
        return dsk_conf_fail(p, DSK_E_CONFIG, "%s is not valid UTF-8", what);
    if (n > DSK_CONF_TOKEN_LABEL_MAX)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "%s '%.64s' is %zu bytes long: a PKCS#11 token label has at "
                             "most %d",
                             what, value, n, DSK_CONF_TOKEN_LABEL_MAX);
    return DSK_OK;
}

static dsk_status set_ms(dsk_conf_parser *p, const char *name, const char *value, long *out)
{
    const char *digits = value[0] == '-' || value[0] == '+' ? value + 1 : value;
    size_t n = strlen(digits);
    if (n == 0 || strspn(digits, "0123456789") != n)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "%s '%.64s' is not a number of milliseconds: write e.g. %s = 5000",
                             name, value, name);
    errno = 0;
    long v = strtol(value, NULL, 10);
    if (errno == ERANGE || v < 1 || v > DSK_CONF_MAX_TIMEOUT_MS)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "%s must be between 1 and %ld milliseconds, not %.64s", name,
                             DSK_CONF_MAX_TIMEOUT_MS, value);
    *out = v;
    return DSK_OK;
}

/* ---- [token] --------------------------------------------------------- */

static dsk_status token_label(dsk_conf_parser *p, const char *v)
{
    if (check_token_label(p, "token label", v) != DSK_OK)
        return p->failed_code;
    p->token_label_line = p->line;
    return set_string(p, &p->conf->token_label, v);
}

static dsk_status token_endpoint(dsk_conf_parser *p, const char *v)
{
    if (v[0] == '\0')
        return DSK_OK; /* like an empty DSTACK_SIMULATOR_ENDPOINT: discover */
    if (strncasecmp(v, "http://", 7) == 0 || strncasecmp(v, "https://", 8) == 0)
        return set_string(p, &p->conf->endpoint, v);
    if (v[0] != '/')
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "endpoint '%.64s' is neither an absolute socket path "
                             "(/var/run/dstack.sock) nor an http:// or https:// URL",
                             v);
    /* Said here, with the line, rather than at the first connection. */
    size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
    if (strlen(v) > max)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "endpoint socket path is %zu bytes long: unix sockets allow at "
                             "most %zu",
                             strlen(v), max);
    return set_string(p, &p->conf->endpoint, v);
}

static dsk_status token_connect_timeout(dsk_conf_parser *p, const char *v)
{
    return set_ms(p, "connect_timeout_ms", v, &p->conf->connect_timeout_ms);
}

static dsk_status token_timeout(dsk_conf_parser *p, const char *v)
{
    return set_ms(p, "timeout_ms", v, &p->conf->timeout_ms);
}

static dsk_status token_log_level(dsk_conf_parser *p, const char *v)
{
    dsk_log_level level;
    if (dsk_log_level_parse(v, &level) != 0)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "unknown log_level '%.64s': valid levels are none, error, "
                             "warning, info, debug",
                             v);
    p->conf->log_level = (int)level;
    return DSK_OK;
}

static dsk_status token_pin(dsk_conf_parser *p, const char *v)
{
    /* Never echo the value: it is the PIN. */
    if (v[0] == '\0')
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "empty pin: leave the setting out for a token without login");
    return set_string(p, &p->conf->user_pin, v);
}

/* OpenSSL's secure heap for every private key (issue 13 §5): a power of
 * two between 4 KiB and 64 MiB, or "no". See dstack-pkcs11.conf(5). */
static dsk_status token_secure_heap(dsk_conf_parser *p, const char *v)
{
    if (strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0) {
        p->conf->secure_heap = 0;
        return DSK_OK;
    }
    size_t n = strlen(v);
    unsigned long x = 0;
    if (n > 0 && n < 10 && strspn(v, "0123456789") == n)
        x = strtoul(v, NULL, 10);
    if (x < 4096 || x > 64UL * 1024 * 1024 || (x & (x - 1)) != 0)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "secure_heap '%.64s' must be a power of two of bytes between 4096 "
                             "and 67108864 (e.g. secure_heap = 65536), or no",
                             v);
    p->conf->secure_heap = (size_t)x;
    return DSK_OK;
}

static dsk_status token_api(dsk_conf_parser *p, const char *v)
{
    dsk_error e = {0};
    if (dsk_api_parse(v, &p->conf->api, &e) != DSK_OK)
        return dsk_conf_fail(p, e.code, "%s", e.msg);
    return DSK_OK;
}

/* Provenance settings: the parsing is provenance.c's, shared with the
 * provider's openssl.cnf; cross-checks wait for the end of the file. */
static dsk_status token_trust(dsk_conf_parser *p, const char *kms, const char *app,
                              const char *verify)
{
    dsk_error e;
    dsk_status st = dsk_conf_trust_set(p->conf, kms, app, verify, &e);
    return st == DSK_OK ? DSK_OK : dsk_conf_fail(p, st, "%s", e.msg);
}

static dsk_status token_kms_root(dsk_conf_parser *p, const char *v)
{
    p->trust_line = p->trust_line ? p->trust_line : p->line;
    return token_trust(p, v, NULL, NULL);
}

static dsk_status token_app_id(dsk_conf_parser *p, const char *v)
{
    return token_trust(p, NULL, v, NULL);
}

static dsk_status token_verify(dsk_conf_parser *p, const char *v)
{
    p->trust_line = p->line;
    return token_trust(p, NULL, NULL, v);
}

static dsk_status token_agent_uid(dsk_conf_parser *p, const char *v)
{
    size_t n = strlen(v);
    errno = 0;
    long uid = n > 0 && n <= 10 && strspn(v, "0123456789") == n ? strtol(v, NULL, 10) : -1;
    if (uid < 0 || uid > 2147483646L)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "agent_uid '%.64s' is not a user id: write the number that `id -u` "
                             "prints for the agent's user, e.g. agent_uid = 1000",
                             v);
    p->conf->agent_uid = uid;
    return DSK_OK;
}

static dsk_status token_inline_keys(dsk_conf_parser *p, const char *v)
{
    if (dsk_conf_parse_bool(v, &p->conf->inline_keys) != 0)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "inline_keys '%.64s' is not yes or no: write inline_keys = no to "
                             "refuse dstack:path=... URIs and reference files",
                             v);
    return DSK_OK;
}

static const setting token_settings[] = {
    {"label", token_label, 0},
    {"endpoint", token_endpoint, 1},
    {"connect_timeout_ms", token_connect_timeout, 0},
    {"timeout_ms", token_timeout, 0},
    {"log_level", token_log_level, 0},
    {"pin", token_pin, 0},
    {"secure_heap", token_secure_heap, 0},
    {"api", token_api, 0},
    {"kms_root", token_kms_root, 0},
    {"app_id", token_app_id, 0},
    {"verify", token_verify, 0},
    {"inline_keys", token_inline_keys, 0},
    {"agent_uid", token_agent_uid, 0},
};
#define TOKEN_VALID                                                                                \
    "label, endpoint, connect_timeout_ms, timeout_ms, log_level, pin, secure_heap, api, "          \
    "kms_root, app_id, verify, inline_keys, agent_uid"

/* ---- [key LABEL] ----------------------------------------------------- */

static dsk_status key_path(dsk_conf_parser *p, const char *v)
{
    if (!dsk_conf_utf8_valid(v, strlen(v)))
        return dsk_conf_fail(p, DSK_E_CONFIG, "key '%s': path is not valid UTF-8", cur(p)->label);
    cur(p)->path_line = p->line;
    return set_string(p, &cur(p)->path, v);
}

static dsk_status key_type(dsk_conf_parser *p, const char *v)
{
    dsk_error e = {0};
    if (dsk_key_type_parse(v, &cur(p)->type, &e) != DSK_OK)
        return dsk_conf_fail(p, e.code, "key '%s': %s", cur(p)->label, e.msg);
    return DSK_OK;
}

static dsk_status key_purpose(dsk_conf_parser *p, const char *v)
{
    if (!dsk_conf_utf8_valid(v, strlen(v)))
        return dsk_conf_fail(p, DSK_E_CONFIG, "key '%s': purpose is not valid UTF-8",
                             cur(p)->label);
    cur(p)->purpose_line = p->line;
    return set_string(p, &cur(p)->purpose, v);
}

static dsk_status key_usage(dsk_conf_parser *p, const char *v)
{
    dsk_error e = {0};
    if (dsk_key_usage_parse(v, &cur(p)->usage, &e) != DSK_OK)
        return dsk_conf_fail(p, e.code, "key '%s': %s", cur(p)->label, e.msg);
    return DSK_OK;
}

static dsk_status key_certificate(dsk_conf_parser *p, const char *v)
{
    if (v[0] == '\0')
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "key '%s': empty certificate: write a file name or leave the "
                             "setting out",
                             cur(p)->label);
    dsk_error e = {0};
    /* "none": no certificate object at all, not even the self-signed one
     * every key gets by default (keys/selfcert.c). A file named "none" is
     * "./none". */
    if (strcmp(v, "none") == 0) {
        cur(p)->cert_none = 1;
        return DSK_OK;
    }
    if (dsk_conf_load_cert(p->dir, v, cur(p), &e) != DSK_OK)
        return dsk_conf_fail(p, e.code, "key '%s': %s", cur(p)->label, e.msg);
    return DSK_OK;
}

static dsk_status key_id(dsk_conf_parser *p, const char *v)
{
    const char *hex = (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) ? v + 2 : v;
    size_t n = strlen(hex);
    int ok = n > 0 && n % 2 == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = isxdigit((unsigned char)hex[i]) != 0;
    if (!ok)
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "key '%s': id '%.64s' is not hex: write an even number of hex "
                             "digits, e.g. id = 01a2",
                             cur(p)->label, v);
    if (n / 2 > DSK_CONF_MAX_ID)
        return dsk_conf_fail(p, DSK_E_CONFIG, "key '%s': id is %zu bytes long: at most %d",
                             cur(p)->label, n / 2, DSK_CONF_MAX_ID);
    long got = dsk_hex_decode(hex, n, cur(p)->id, sizeof cur(p)->id);
    if (got < 0)
        return dsk_conf_fail(p, DSK_E_CONFIG, "key '%s': id '%.64s' is not hex", cur(p)->label, v);
    cur(p)->id_len = (size_t)got;
    return DSK_OK;
}

static dsk_status key_token(dsk_conf_parser *p, const char *v)
{
    if (check_token_label(p, "token", v) != DSK_OK)
        return p->failed_code;
    return set_string(p, &cur(p)->token, v);
}

static dsk_status key_api(dsk_conf_parser *p, const char *v)
{
    dsk_error e = {0};
    if (dsk_api_parse(v, &cur(p)->api, &e) != DSK_OK)
        return dsk_conf_fail(p, e.code, "key '%s': %s", cur(p)->label, e.msg);
    cur(p)->api_line = p->line;
    return DSK_OK;
}

static dsk_status key_domain(dsk_conf_parser *p, const char *v)
{
    if (!dsk_conf_utf8_valid(v, strlen(v)))
        return dsk_conf_fail(p, DSK_E_CONFIG, "key '%s': domain is not valid UTF-8", cur(p)->label);
    cur(p)->domain_line = p->line;
    return set_string(p, &cur(p)->domain, v);
}

static const setting key_settings[] = {
    {"path", key_path, 1},
    {"type", key_type, 0},
    {"purpose", key_purpose, 1},
    {"usage", key_usage, 0},
    {"certificate", key_certificate, 0},
    {"id", key_id, 0},
    {"token", key_token, 0},
    {"api", key_api, 0},
    {"domain", key_domain, 1},
};
#define KEY_VALID "path, type, purpose, usage, certificate, id, token, api, domain"
#define USAGE_INDEX 3

_Static_assert(sizeof token_settings / sizeof token_settings[0] <= DSK_CONF_MAX_SETTINGS,
               "dsk_conf_seen too small");
_Static_assert(sizeof key_settings / sizeof key_settings[0] <= DSK_CONF_MAX_SETTINGS,
               "dsk_conf_seen too small");

dsk_status dsk_conf_setting(dsk_conf_parser *p, const char *name, const char *value, int quoted)
{
    const setting *table;
    size_t count;
    dsk_conf_seen *seen;
    char where[80];
    if (p->section == DSK_SEC_TOKEN) {
        table = token_settings;
        count = sizeof token_settings / sizeof token_settings[0];
        seen = &p->token_seen;
        snprintf(where, sizeof where, "[token]");
    } else if (p->section == DSK_SEC_KEY) {
        table = key_settings;
        count = sizeof key_settings / sizeof key_settings[0];
        seen = &p->key_seen;
        snprintf(where, sizeof where, "[key %.64s]", cur(p)->label);
    } else {
        return dsk_conf_fail(p, DSK_E_CONFIG,
                             "setting '%.64s' outside any section: put it under [token] or "
                             "[key LABEL]",
                             name);
    }
    for (size_t i = 0; i < count; i++) {
        if (strcmp(name, table[i].name) != 0)
            continue;
        if (seen->seen & (1u << i))
            return dsk_conf_fail(p, DSK_E_CONFIG,
                                 "setting '%s' given twice in %s (first at line %d)", name, where,
                                 seen->line[i]);
        if (table[i].empty_quoted && !quoted && value[0] == '\0')
            return dsk_conf_fail(p, DSK_E_CONFIG,
                                 "setting '%s' in %s has no value (';' or '#' after a blank "
                                 "starts a comment): quote a value that holds them, e.g. "
                                 "%s = \"#1\", and write %s = \"\" for an empty one",
                                 name, where, name, name);
        seen->seen |= 1u << i;
        seen->line[i] = p->line;
        return table[i].set(p, value);
    }
    return dsk_conf_fail(p, DSK_E_CONFIG, "unknown setting '%.64s' in %s: valid settings are %s",
                         name, where, p->section == DSK_SEC_TOKEN ? TOKEN_VALID : KEY_VALID);
}

dsk_status dsk_conf_close_key(dsk_conf_parser *p)
{
    dsk_key_entry *e = cur(p);
    unsigned can = dsk_key_type_usages(e->type);
    if (p->key_seen.seen & (1u << USAGE_INDEX)) {
        unsigned extra = e->usage & ~can;
        if (extra) {
            char bad[64], good[64];
            dsk_key_usage_format(extra, bad, sizeof bad);
            dsk_key_usage_format(can, good, sizeof good);
            return dsk_conf_fail_at(p, p->key_seen.line[USAGE_INDEX], DSK_E_CONFIG,
                                    "key '%s': usage '%s' is not supported by type %s (it "
                                    "supports: %s)",
                                    e->label, bad, dsk_key_type_name(e->type), good);
        }
    } else {
        e->usage = dsk_key_type_default_usages(e->type);
    }
    /* path/domain defaults wait for dsk_conf_finish: the key's api may come
     * from a [token] section written after it. */
    p->section = DSK_SEC_NONE;
    return DSK_OK;
}

/* The key's api (its own, else [token]'s), the settings that api forbids,
 * and the default name (path or domain = the label). */
static dsk_status resolve_api(dsk_conf_parser *p, dsk_key_entry *e)
{
    const char *api = NULL;
    if (!e->api_line)
        e->api = p->conf->api;
    api = dsk_api_name(e->api);
    if (e->api == DSK_API_V1) {
        if (e->path_line || e->purpose_line)
            return dsk_conf_fail_at(
                p, e->path_line ? e->path_line : e->purpose_line, DSK_E_CONFIG,
                "key '%s': '%s' is a v0 setting, but the key uses api = v1%s: a v1 key is named "
                "by 'domain =' (v1 has no path and no purpose), or set api = v0 for this key",
                e->label, e->path_line ? "path" : "purpose", e->api_line ? "" : " (from [token])");
        if (e->type == DSK_KEY_TAPPD_P256)
            return dsk_conf_fail_at(p, e->api_line ? e->api_line : e->line, DSK_E_CONFIG,
                                    "key '%s': type tappd-p256 is the key tappd derived from the "
                                    "v0 GetKey bytes: it needs api = v0 (api is %s)",
                                    e->label, api);
        if (!e->domain && set_string(p, &e->domain, e->label) != DSK_OK)
            return p->failed_code;
        return DSK_OK;
    }
    if (e->domain_line)
        return dsk_conf_fail_at(p, e->domain_line, DSK_E_CONFIG,
                                "key '%s': 'domain' is a v1 setting, but the key uses api = "
                                "v0%s: set api = v1 for this key, or name a v0 key by "
                                "'path =' (and 'purpose =')",
                                e->label, e->api_line ? "" : " (the default)");
    if (!e->path && set_string(p, &e->path, e->label) != DSK_OK)
        return p->failed_code;
    return DSK_OK;
}

dsk_status dsk_conf_finish(dsk_conf_parser *p)
{
    dsk_conf *c = p->conf;
    size_t suffix = strlen(DSK_CONF_ED25519_TOKEN_SUFFIX);
    for (size_t i = 0; i < c->nkeys; i++)
        if (resolve_api(p, &c->keys[i]) != DSK_OK)
            return p->failed_code;

    dsk_error terr;

    if (dsk_conf_trust_settle(c, &terr) != DSK_OK)
        return dsk_conf_fail_at(p, p->trust_line, terr.code, "%s", terr.msg);
    for (size_t i = 0; i < c->nkeys; i++) {
        const dsk_key_entry *e = &c->keys[i];
        if (e->type == DSK_KEY_ED25519 && !e->token &&
            strlen(c->token_label) + suffix > DSK_CONF_TOKEN_LABEL_MAX)
            return dsk_conf_fail_at(
                p, e->line, DSK_E_CONFIG,
                "key '%s': an ed25519 key goes into token '%s%s', longer than %d bytes: "
                "set 'token =' for this key or shorten the token label (line %d) to at "
                "most %zu bytes",
                e->label, c->token_label, DSK_CONF_ED25519_TOKEN_SUFFIX, DSK_CONF_TOKEN_LABEL_MAX,
                p->token_label_line, DSK_CONF_TOKEN_LABEL_MAX - suffix);
    }
    /* Two keys with one CKA_ID in one token would be paired with each
     * other's certificate and public key by OpenSSH and libp11. */
    for (size_t j = 0; j < c->nkeys; j++) {
        const dsk_key_entry *b = &c->keys[j];
        if (!b->id_len)
            continue;
        char tb[DSK_CONF_TOKEN_LABEL_MAX + 1], ta[DSK_CONF_TOKEN_LABEL_MAX + 1];
        dsk_conf_key_token(c, b, tb);
        for (size_t i = 0; i < j; i++) {
            const dsk_key_entry *a = &c->keys[i];
            if (a->id_len != b->id_len || memcmp(a->id, b->id, a->id_len) != 0 ||
                strcmp(dsk_conf_key_token(c, a, ta), tb) != 0)
                continue;
            char hex[2 * DSK_CONF_MAX_ID + 1];
            dsk_hex_encode(b->id, b->id_len, hex);
            return dsk_conf_fail_at(p, b->line, DSK_E_CONFIG,
                                    "key '%s': id %s is also the id of key '%s' (line %d) in "
                                    "token '%s': ids must be unique within a token",
                                    b->label, hex, a->label, a->line, tb);
        }
    }
    return DSK_OK;
}
