/* dstack: URIs and PEM reference files (ref.h), for every front end. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "ref.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decode s[0..n) into a new string; NULL if malformed or a NUL. */
static char *pct_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

void dsk_ref_clear(dsk_ref *r)
{
    if (r == NULL)
        return;
    free(r->label);
    free(r->path);
    free(r->purpose);
    free(r->domain);
    free(r->uri);
    memset(r, 0, sizeof *r);
}

static dsk_status parse_inline(const char *rest, dsk_ref *r, dsk_error *err)
{
    char *type = NULL, *api = NULL, *usage = NULL;
    dsk_status st = DSK_OK;
    const char *p = rest;
    struct {
        const char *name;
        char **slot;
    } fields[] = {
        {"path", &r->path}, {"type", &type},        {"purpose", &r->purpose},
        {"api", &api},      {"domain", &r->domain}, {"usage", &usage},
    };

    while (*p != '\0') {
        const char *end = strchr(p, ';'), *eq;
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        char **slot = NULL;

        eq = memchr(p, '=', n);
        if (n == 0)
            goto next;
        if (eq == NULL) {
            st = dsk_error_set(err, DSK_E_CONFIG, "URI dstack:%s: '%.*s' is not name=value", rest,
                               (int)n, p);
            goto done;
        }
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if ((size_t)(eq - p) == strlen(fields[i].name) &&
                strncasecmp(p, fields[i].name, (size_t)(eq - p)) == 0)
                slot = fields[i].slot;
        if (slot == NULL) {
            st = dsk_error_set(err, DSK_E_CONFIG,
                               "URI dstack:%s: unknown field '%.*s' (valid: path, type, purpose, "
                               "api, domain, usage)",
                               rest, (int)(eq - p), p);
            goto done;
        }
        if (*slot != NULL) {
            st = dsk_error_set(err, DSK_E_CONFIG, "URI dstack:%s: field '%.*s' given twice", rest,
                               (int)(eq - p), p);
            goto done;
        }
        *slot = pct_decode(eq + 1, n - (size_t)(eq + 1 - p));
        if (*slot == NULL) {
            st = dsk_error_set(err, DSK_E_CONFIG, "URI dstack:%s: bad %%-escape in '%.*s'", rest,
                               (int)n, p);
            goto done;
        }
    next:
        p += n;
        if (*p == ';')
            p++;
    }
    r->api = DSK_API_V0;
    if (api != NULL && (st = dsk_api_parse(api, &r->api, err)) != DSK_OK) {
        dsk_error_prefix(err, "URI dstack:%s", rest);
        goto done;
    }
    if (r->api == DSK_API_V1 && (r->path != NULL || r->purpose != NULL)) {
        st = dsk_error_set(err, DSK_E_CONFIG,
                           "URI dstack:%s: a v1 key is named by domain= (v1 has no path and no "
                           "purpose): write dstack:api=v1;domain=my-app/tls;type=ec-p256",
                           rest);
        goto done;
    }
    if (r->api == DSK_API_V1 && r->domain == NULL) {
        st = dsk_error_set(err, DSK_E_CONFIG,
                           "URI dstack:%s: no domain (write "
                           "dstack:api=v1;domain=my-app/tls;type=ec-p256)",
                           rest);
        goto done;
    }
    if (r->api == DSK_API_V0 && r->domain != NULL) {
        st = dsk_error_set(err, DSK_E_CONFIG,
                           "URI dstack:%s: domain= names a v1 key: add api=v1 (or name a v0 key "
                           "by path=)",
                           rest);
        goto done;
    }
    /* path= with nothing after it names the empty path, a valid getKey
     * path; only a missing path= is an error. */
    if (r->api == DSK_API_V0 && r->path == NULL) {
        st = dsk_error_set(err, DSK_E_CONFIG,
                           "URI dstack:%s: no path (write dstack:path=/my-app/key;type=ec-p256)",
                           rest);
        goto done;
    }
    r->type = DSK_KEY_EC_P256;
    if (type != NULL && (st = dsk_key_type_parse(type, &r->type, err)) != DSK_OK) {
        dsk_error_prefix(err, "URI dstack:%s", rest);
        goto done;
    }
    /* RSA keys decrypt only when asked: usage=sign,decrypt. */
    if (usage != NULL && (st = dsk_key_usage_parse(usage, &r->usage, err)) != DSK_OK) {
        dsk_error_prefix(err, "URI dstack:%s", rest);
        goto done;
    }
done:
    free(type);
    free(api);
    free(usage);
    return st;
}

dsk_status dsk_ref_parse(const char *uri, dsk_ref *out, dsk_error *err)
{
    size_t slen = strlen(DSK_URI_SCHEME);
    const char *rest;
    dsk_status st = DSK_OK;

    memset(out, 0, sizeof *out);
    if (uri == NULL || strncasecmp(uri, DSK_URI_SCHEME, slen) != 0)
        return dsk_error_set(err, DSK_E_ARGS, "'%s' is not a dstack: URI", uri ? uri : "(null)");
    if (strlen(uri) > DSK_URI_MAX)
        return dsk_error_set(err, DSK_E_ARGS, "dstack: URI longer than %d bytes", DSK_URI_MAX);
    rest = uri + slen;
    if (*rest == '\0') {
        return dsk_error_set(err, DSK_E_CONFIG,
                             "empty dstack: URI: write dstack:LABEL or dstack:path=...;type=...");
    }
    if ((out->uri = strdup(uri)) == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    if (strchr(rest, '=') != NULL) {
        st = parse_inline(rest, out, err);
    } else {
        out->label = pct_decode(rest, strlen(rest));
        if (out->label == NULL || out->label[0] == '\0')
            st = dsk_error_set(err, DSK_E_CONFIG, "URI %s: bad label", uri);
    }
    if (st != DSK_OK)
        dsk_ref_clear(out);
    return st;
}

dsk_status dsk_ref_resolve(dsk_keystore *ks, const dsk_conf *conf, const char *conf_hint,
                           const dsk_ref *r, dsk_key **out, dsk_error *err)
{
    if (ks == NULL || r == NULL || out == NULL || r->uri == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "resolve: NULL argument");
    if (r->label != NULL) {
        const char *file = conf != NULL ? conf->file : NULL;
        const char *missing = conf != NULL ? conf->missing_file : NULL;
        *out = dsk_keystore_find(ks, r->label);
        if (*out != NULL)
            return DSK_OK;
        if (file != NULL)
            return dsk_error_set(err, DSK_E_NOT_FOUND,
                                 "no key labelled '%s' in %s: add a [key %s] section there, or "
                                 "name the key inline (dstack:path=...;type=...)",
                                 r->label, file, r->label);
        return dsk_error_set(err, DSK_E_NOT_FOUND,
                             "no key labelled '%s': configuration file %s does not exist (%s), "
                             "or name the key inline (dstack:path=...;type=...)",
                             r->label, missing != NULL ? missing : "(none)",
                             conf_hint != NULL ? conf_hint : "set DSTACK_PKCS11_CONF");
    }
    /* inline_keys = no (the configuration, or openssl.cnf through the
     * provider): a reference file or URI that a user hands to a service must
     * not make it sign with any key of the app. */
    if (conf != NULL && !conf->inline_keys)
        return dsk_error_set(err, DSK_E_CONFIG,
                             "inline dstack: URIs are turned off (inline_keys = no): name a "
                             "configured key, dstack:LABEL, instead of %s",
                             r->uri);
    dsk_key_desc d = {.label = r->uri + strlen(DSK_URI_SCHEME),
                      .path = r->path,
                      .purpose = r->purpose,
                      .type = r->type,
                      .usage = r->usage,
                      .api = r->api,
                      .domain = r->domain};
    return dsk_keystore_add(ks, &d, out, err);
}

char *dsk_ref_pem(const char *uri)
{
    static const char begin[] = "-----BEGIN " DSK_REF_PEM_LABEL "-----\n";
    static const char end[] = "-----END " DSK_REF_PEM_LABEL "-----\n";
    size_t n = strlen(uri), b64len = 4 * ((n + 2) / 3);
    unsigned char *b64 = malloc(b64len + 1);
    char *out = malloc(sizeof begin + b64len + b64len / 64 + 2 + sizeof end), *o = out;

    if (b64 == NULL || out == NULL) {
        free(b64);
        free(out);
        return NULL;
    }
    EVP_EncodeBlock(b64, (const unsigned char *)uri, (int)n);
    memcpy(o, begin, sizeof begin - 1);
    o += sizeof begin - 1;
    for (size_t i = 0; i < b64len; i += 64) {
        size_t k = b64len - i < 64 ? b64len - i : 64;
        memcpy(o, b64 + i, k);
        o += k;
        *o++ = '\n';
    }
    memcpy(o, end, sizeof end);
    free(b64);
    return out;
}

dsk_status dsk_ref_from_base64(const char *b64, size_t len, char **uri, dsk_error *err)
{
    char *clean = malloc(len + 1);
    unsigned char *bin = NULL;
    size_t n = 0, pad = 0;
    int got;
    dsk_status st = DSK_OK;

    *uri = NULL;
    if (clean == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)b64[i]))
            clean[n++] = b64[i];
    clean[n] = '\0';
    if (n == 0 || n % 4 != 0) {
        st = dsk_error_set(err, DSK_E_BAD_INPUT, DSK_REF_PEM_LABEL " block: bad base64 body");
        goto done;
    }
    /* The limit is on the URI, i.e. the decoded bytes without the padding,
     * so that every URI dsk_ref_parse accepts can be written and read back. */
    pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
    if (n / 4 * 3 - pad > DSK_URI_MAX) {
        st = dsk_error_set(err, DSK_E_BAD_INPUT,
                           DSK_REF_PEM_LABEL " block: URI longer than %d bytes", DSK_URI_MAX);
        goto done;
    }
    if ((bin = malloc(n / 4 * 3 + 1)) == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    got = EVP_DecodeBlock(bin, (const unsigned char *)clean, (int)n);
    if (got < 0 || (size_t)got < pad) {
        st = dsk_error_set(err, DSK_E_BAD_INPUT, DSK_REF_PEM_LABEL " block: bad base64 body");
        goto done;
    }
    got -= (int)pad;
    bin[got] = '\0';
    if (memchr(bin, '\0', (size_t)got) != NULL ||
        strncasecmp((char *)bin, DSK_URI_SCHEME, strlen(DSK_URI_SCHEME)) != 0) {
        st = dsk_error_set(err, DSK_E_BAD_INPUT,
                           DSK_REF_PEM_LABEL " block does not hold a dstack: URI");
        goto done;
    }
    *uri = (char *)bin;
    bin = NULL;
done:
    free(clean);
    free(bin);
    return st;
}
