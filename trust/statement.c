/* Key statements as JSON (docs/provenance.md): formatting and strict
 * parsing. Verification is verify.c's. */
#include "internal.h"

#include "lazy_cjson.h"
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

#define API_V0 "v0"
#define API_V1 "v1"
#define MAX_SPKI 4096      /* RSA-4096 SPKI is 550 bytes; leave room, refuse junk */
#define MAX_TEXT 1024      /* purpose, domain, label, path */

static char *base64(const unsigned char *in, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

static char *hex_alloc(const unsigned char *in, size_t len)
{
    char *out = malloc(2 * len + 1);
    if (out)
        dsk_hex_encode(in, len, out);
    return out;
}

/* Add a string member; the value is copied by cJSON. 0 on failure. */
static int add_str(cJSON *o, const char *name, const char *value)
{
    return cJSON_AddStringToObject(o, name, value) != NULL;
}

static int add_hex(cJSON *o, const char *name, const unsigned char *in, size_t len)
{
    char *h = hex_alloc(in, len);
    int ok = h && add_str(o, name, h);
    free(h);
    return ok;
}

dsk_status dsk_statement_format(const dsk_statement *s, char **json, dsk_error *e)
{
    dsk_status st = DSK_E_NOMEM;
    cJSON *o = NULL, *chain;
    char *b64 = NULL, *l0 = NULL, *l1 = NULL, *text = NULL;
    size_t n;

    if (!s || !json || !s->key_type || !s->spki || !s->algorithm ||
        (s->purpose_len && !s->purpose) || (s->api != DSK_CHAIN_V0 && s->api != DSK_CHAIN_V1) ||
        s->spki_len == 0 || s->spki_len > MAX_SPKI || (s->link1_len != 0 && s->link1_len != 65) ||
        dsk_trust_pubkey_len(s->algorithm) != s->chain_pubkey_len)
        return dsk_error_set(e, DSK_E_ARGS, "statement format: missing or inconsistent field");
    if (s->api == DSK_CHAIN_V0 && memchr(s->purpose, 0, s->purpose_len))
        return dsk_error_set(e, DSK_E_ARGS, "statement format: a v0 purpose holds no NUL");
    *json = NULL;
    o = cJSON_CreateObject();
    b64 = base64(s->spki, s->spki_len);
    l0 = hex_alloc(s->link0, DSK_CHAIN_LINK_LEN);
    l1 = hex_alloc(s->link1, s->link1_len);
    if (!o || !b64 || !l0 || !l1)
        goto done;
    if (!add_str(o, "format", DSK_STATEMENT_FORMAT) ||
        !add_str(o, "api", s->api == DSK_CHAIN_V0 ? API_V0 : API_V1) ||
        !add_hex(o, "app_id", s->app_id, DSK_APP_ID_LEN) || !add_str(o, "key_type", s->key_type) ||
        !add_str(o, "spki", b64) || !add_str(o, "algorithm", s->algorithm))
        goto done;
    if (s->api == DSK_CHAIN_V0) {
        char *p = malloc(s->purpose_len + 1);
        int ok;
        if (!p)
            goto done;
        memcpy(p, s->purpose, s->purpose_len);
        p[s->purpose_len] = '\0';
        ok = add_str(o, "purpose", p);
        free(p);
        if (!ok)
            goto done;
    } else if (!add_hex(o, "domain_hex", s->purpose, s->purpose_len))
        goto done;
    if (!add_hex(o, "chain_public_key", s->chain_pubkey, s->chain_pubkey_len))
        goto done;
    chain = cJSON_AddArrayToObject(o, "signature_chain");
    if (!chain || !cJSON_AddItemToArray(chain, cJSON_CreateString(l0)) ||
        !cJSON_AddItemToArray(chain, cJSON_CreateString(l1)))
        goto done;
    if ((s->label && !add_str(o, "label", s->label)) || (s->path && !add_str(o, "path", s->path)))
        goto done;
    text = cJSON_Print(o);
    if (!text)
        goto done;
    n = strlen(text);
    *json = malloc(n + 2);
    if (!*json)
        goto done;
    memcpy(*json, text, n);
    (*json)[n] = '\n';
    (*json)[n + 1] = '\0';
    st = DSK_OK;
done:
    if (st != DSK_OK)
        dsk_error_set(e, st, "statement format: out of memory");
    cJSON_free(text);
    cJSON_Delete(o);
    free(b64);
    free(l0);
    free(l1);
    return st;
}

/* ---- parsing ---------------------------------------------------------- */

void dsk_statement_free(dsk_statement *s)
{
    if (!s)
        return;
    free((void *)s->format);
    free((void *)s->key_type);
    free((void *)s->spki);
    free((void *)s->algorithm);
    free((void *)s->purpose);
    free((void *)s->label);
    free((void *)s->path);
    free(s);
}

/* The string member name, or NULL with an error naming it. */
static const char *get_str(const cJSON *o, const char *name, int optional, dsk_error *e)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!it && optional)
        return NULL;
    if (!cJSON_IsString(it) || !it->valuestring) {
        dsk_error_set(e, DSK_E_BAD_INPUT, "statement: field '%s' is %s; it must be a string",
                      name, it ? "not a string" : "missing");
        return NULL;
    }
    if (strlen(it->valuestring) > MAX_TEXT + 2 * MAX_SPKI) {
        dsk_error_set(e, DSK_E_BAD_INPUT, "statement: field '%s' is too long", name);
        return NULL;
    }
    return it->valuestring;
}

/* Exactly len bytes of lowercase hex (no 0x): what format writes. */
static int strict_hex(const char *text, unsigned char *out, size_t len)
{
    if (strlen(text) != 2 * len)
        return 0;
    for (const char *p = text; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return dsk_hex_decode(text, 2 * len, out, len) == (long)len;
}

static dsk_status hex_field(const cJSON *o, const char *name, unsigned char *out, size_t len,
                            dsk_error *e)
{
    const char *t = get_str(o, name, 0, e);
    if (!t)
        return DSK_E_BAD_INPUT;
    if (!strict_hex(t, out, len))
        return dsk_error_set(e, DSK_E_BAD_INPUT,
                             "statement: field '%s' must be %zu bytes of lowercase hex (%zu digits)",
                             name, len, 2 * len);
    return DSK_OK;
}

static char *dup_field(const cJSON *o, const char *name, int optional, dsk_status *st,
                       dsk_error *e)
{
    const char *t = get_str(o, name, optional, e);
    char *d;
    if (!t) {
        if (!optional || cJSON_GetObjectItemCaseSensitive(o, name))
            *st = DSK_E_BAD_INPUT;
        return NULL;
    }
    d = strdup(t);
    if (!d)
        *st = dsk_error_set(e, DSK_E_NOMEM, "statement: out of memory");
    return d;
}

/* Strict base64 (what format writes: padded, no whitespace). */
static dsk_status spki_field(const cJSON *o, dsk_statement *s, dsk_error *e)
{
    const char *t = get_str(o, "spki", 0, e);
    size_t n, pad = 0;
    unsigned char *der;
    int got;

    if (!t)
        return DSK_E_BAD_INPUT;
    n = strlen(t);
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        int b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/';
        if (c == '=' && i + 2 >= n)
            pad++;
        else if (!b64 || pad)
            n = 0;
    }
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > MAX_SPKI)
        return dsk_error_set(e, DSK_E_BAD_INPUT,
                             "statement: field 'spki' must be the base64 of a DER "
                             "SubjectPublicKeyInfo (padded, no spaces)");
    der = malloc(n / 4 * 3);
    if (!der)
        return dsk_error_set(e, DSK_E_NOMEM, "statement: out of memory");
    got = EVP_DecodeBlock(der, (const unsigned char *)t, (int)n);
    if (got < 0 || (size_t)got < pad) {
        free(der);
        return dsk_error_set(e, DSK_E_BAD_INPUT, "statement: field 'spki' is not valid base64");
    }
    s->spki = der;
    s->spki_len = (size_t)got - pad;
    return DSK_OK;
}

static dsk_status purpose_field(const cJSON *o, dsk_statement *s, dsk_error *e)
{
    const char *t;
    unsigned char *p;
    size_t n;

    if (s->api == DSK_CHAIN_V0) {
        t = get_str(o, "purpose", 0, e);
        if (!t)
            return DSK_E_BAD_INPUT;
        n = strlen(t);
        if (n > MAX_TEXT)
            return dsk_error_set(e, DSK_E_BAD_INPUT, "statement: field 'purpose' is too long");
        p = (unsigned char *)strdup(t);
    } else {
        t = get_str(o, "domain_hex", 0, e);
        if (!t)
            return DSK_E_BAD_INPUT;
        n = strlen(t) / 2;
        if (n > MAX_TEXT)
            return dsk_error_set(e, DSK_E_BAD_INPUT, "statement: field 'domain_hex' is too long");
        p = malloc(n + 1);
        if (p && !strict_hex(t, p, n)) {
            free(p);
            return dsk_error_set(e, DSK_E_BAD_INPUT,
                                 "statement: field 'domain_hex' must be lowercase hex");
        }
    }
    if (!p)
        return dsk_error_set(e, DSK_E_NOMEM, "statement: out of memory");
    s->purpose = p;
    s->purpose_len = n;
    return DSK_OK;
}

static dsk_status chain_field(const cJSON *o, dsk_statement *s, dsk_error *e)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "signature_chain");
    const cJSON *l0 = cJSON_GetArrayItem(a, 0), *l1 = cJSON_GetArrayItem(a, 1);
    const char *t;

    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2 || !cJSON_IsString(l0) ||
        !cJSON_IsString(l1))
        return dsk_error_set(e, DSK_E_BAD_INPUT,
                             "statement: field 'signature_chain' must be an array of two hex "
                             "strings (link 0, link 1)");
    if (!strict_hex(l0->valuestring, s->link0, DSK_CHAIN_LINK_LEN))
        return dsk_error_set(e, DSK_E_BAD_INPUT,
                             "statement: signature_chain[0] must be 65 bytes of lowercase hex");
    t = l1->valuestring;
    s->link1_len = *t ? DSK_CHAIN_LINK_LEN : 0;
    if (*t && !strict_hex(t, s->link1, DSK_CHAIN_LINK_LEN))
        return dsk_error_set(e, DSK_E_BAD_INPUT,
                             "statement: signature_chain[1] must be 65 bytes of lowercase hex, "
                             "or empty");
    return DSK_OK;
}

static dsk_status parse_object(const cJSON *o, dsk_statement *s, dsk_error *e)
{
    dsk_status st = DSK_OK;
    const char *api, *pk;
    size_t pklen;

    if (!cJSON_IsObject(o))
        return dsk_error_set(e, DSK_E_BAD_INPUT, "statement: not a JSON object");
    s->format = dup_field(o, "format", 0, &st, e);
    if (st != DSK_OK)
        return st;
    if (strcmp(s->format, DSK_STATEMENT_FORMAT) != 0)
        return dsk_error_set(e, DSK_E_BAD_INPUT,
                             "statement: unknown format '%.80s' (this verifier reads " DSK_STATEMENT_FORMAT
                             ")",
                             s->format);
    api = get_str(o, "api", 0, e);
    if (!api)
        return DSK_E_BAD_INPUT;
    if (strcmp(api, API_V0) == 0)
        s->api = DSK_CHAIN_V0;
    else if (strcmp(api, API_V1) == 0)
        s->api = DSK_CHAIN_V1;
    else
        return dsk_error_set(e, DSK_E_BAD_INPUT, "statement: field 'api' must be \"v0\" or \"v1\"");
    if ((st = hex_field(o, "app_id", s->app_id, DSK_APP_ID_LEN, e)) != DSK_OK)
        return st;
    s->key_type = dup_field(o, "key_type", 0, &st, e);
    if (st == DSK_OK)
        st = spki_field(o, s, e);
    if (st == DSK_OK)
        s->algorithm = dup_field(o, "algorithm", 0, &st, e);
    if (st != DSK_OK)
        return st;
    pklen = dsk_trust_pubkey_len(s->algorithm);
    if (!pklen)
        return dsk_error_set(e, DSK_E_BAD_INPUT,
                             "statement: field 'algorithm' must be \"secp256k1\" or \"ed25519\"");
    if ((st = purpose_field(o, s, e)) != DSK_OK)
        return st;
    pk = get_str(o, "chain_public_key", 0, e);
    if (!pk)
        return DSK_E_BAD_INPUT;
    if (!strict_hex(pk, s->chain_pubkey, pklen))
        return dsk_error_set(e, DSK_E_BAD_INPUT,
                             "statement: field 'chain_public_key' must be %zu bytes of lowercase "
                             "hex for %s",
                             pklen, s->algorithm);
    s->chain_pubkey_len = pklen;
    if ((st = chain_field(o, s, e)) != DSK_OK)
        return st;
    s->label = dup_field(o, "label", 1, &st, e);
    if (st == DSK_OK)
        s->path = dup_field(o, "path", 1, &st, e);
    return st;
}

dsk_status dsk_statement_parse(const char *json, size_t len, dsk_statement **out, dsk_error *e)
{
    dsk_statement *s;
    cJSON *o;
    dsk_status st;

    if (!json || !out)
        return dsk_error_set(e, DSK_E_ARGS, "statement parse: NULL argument");
    *out = NULL;
    if (len > 64 * 1024)
        return dsk_error_set(e, DSK_E_BAD_INPUT, "statement: %zu bytes is too long for a statement",
                             len);
    o = cJSON_ParseWithLength(json, len);
    if (!o)
        return dsk_error_set(e, DSK_E_BAD_INPUT, "statement: not valid JSON");
    s = calloc(1, sizeof *s);
    if (!s) {
        cJSON_Delete(o);
        return dsk_error_set(e, DSK_E_NOMEM, "statement: out of memory");
    }
    st = parse_object(o, s, e);
    cJSON_Delete(o);
    if (st != DSK_OK) {
        dsk_statement_free(s);
        return st;
    }
    *out = s;
    return DSK_OK;
}
