/* Key types and usages: the words of the configuration file. */
#include "conf.h"
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[DSK_KEY_TYPE_COUNT] = {
    [DSK_KEY_SECP256K1] = "secp256k1", [DSK_KEY_ED25519] = "ed25519",
    [DSK_KEY_EC_P256] = "ec-p256",     [DSK_KEY_EC_P384] = "ec-p384",
    [DSK_KEY_RSA_2048] = "rsa-2048",   [DSK_KEY_RSA_3072] = "rsa-3072",
    [DSK_KEY_RSA_4096] = "rsa-4096",   [DSK_KEY_TAPPD_P256] = "tappd-p256",
};

#define VALID_TYPES                                                                                \
    "secp256k1, ed25519, ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, tappd-p256"

static const char *const api_names[] = {[DSK_API_V0] = "v0", [DSK_API_V1] = "v1"};

const char *dsk_api_name(dsk_api a)
{
    if ((unsigned)a >= sizeof api_names / sizeof api_names[0])
        return NULL;
    return api_names[a];
}

dsk_status dsk_api_parse(const char *text, dsk_api *out, dsk_error *err)
{
    if (!text || !out)
        return dsk_error_set(err, DSK_E_ARGS, "dsk_api_parse: NULL argument");
    for (size_t i = 0; i < sizeof api_names / sizeof api_names[0]; i++) {
        if (strcasecmp(text, api_names[i]) == 0) {
            *out = (dsk_api)i;
            return DSK_OK;
        }
    }
    return dsk_error_set(err, DSK_E_CONFIG,
                         "unknown api '%.64s': write v0 (the unversioned dstack API, the "
                         "default) or v1 (dstack 0.6's /v1, different keys)",
                         text);
}

const char *dsk_key_type_name(dsk_key_type t)
{
    if ((unsigned)t >= DSK_KEY_TYPE_COUNT)
        return NULL;
    return type_names[t];
}

dsk_status dsk_key_type_parse(const char *name, dsk_key_type *out, dsk_error *err)
{
    if (!name || !out)
        return dsk_error_set(err, DSK_E_ARGS, "dsk_key_type_parse: NULL argument");
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
        if (strcasecmp(name, type_names[t]) == 0) {
            *out = (dsk_key_type)t;
            return DSK_OK;
        }
    }
    return dsk_error_set(err, DSK_E_CONFIG, "unknown key type '%s': valid types are " VALID_TYPES,
                         name);
}

unsigned dsk_key_type_default_usages(dsk_key_type t)
{
    /* RSA decryption is a padding oracle in the wrong hands (PKCS#1 v1.5 on
     * OpenSSL 3.0): a key decrypts only when its configuration asks. */
    return dsk_key_type_usages(t) & ~DSK_USAGE_DECRYPT;
}

unsigned dsk_key_type_usages(dsk_key_type t)
{
    switch (t) {
    case DSK_KEY_SECP256K1:
    case DSK_KEY_EC_P256:
    case DSK_KEY_EC_P384:
    case DSK_KEY_TAPPD_P256:
        return DSK_USAGE_SIGN | DSK_USAGE_DERIVE;
    case DSK_KEY_ED25519:
        return DSK_USAGE_SIGN;
    case DSK_KEY_RSA_2048:
    case DSK_KEY_RSA_3072:
    case DSK_KEY_RSA_4096:
        return DSK_USAGE_SIGN | DSK_USAGE_DECRYPT;
    case DSK_KEY_TYPE_COUNT:
        break;
    }
    return 0;
}

static const struct {
    const char *word;
    unsigned bit;
} usage_words[] = {
    {"sign", DSK_USAGE_SIGN},
    {"decrypt", DSK_USAGE_DECRYPT},
    {"derive", DSK_USAGE_DERIVE},
};

dsk_status dsk_key_usage_parse(const char *text, unsigned *out, dsk_error *err)
{
    if (!text || !out)
        return dsk_error_set(err, DSK_E_ARGS, "dsk_key_usage_parse: NULL argument");
    unsigned bits = 0;
    const char *s = text;
    for (;;) {
        while (*s == ',' || isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        size_t n = strcspn(s, ", \t\r\n\v\f");
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof usage_words / sizeof usage_words[0]; i++) {
            if (strlen(usage_words[i].word) == n && strncasecmp(s, usage_words[i].word, n) == 0)
                bit = usage_words[i].bit;
        }
        if (!bit)
            return dsk_error_set(err, DSK_E_CONFIG,
                                 "unknown usage '%.*s': valid usages are sign, decrypt, derive "
                                 "(separated by commas)",
                                 (int)(n > 64 ? 64 : n), s);
        bits |= bit;
        s += n;
    }
    if (!bits)
        return dsk_error_set(err, DSK_E_CONFIG,
                             "empty usage: write one or more of sign, decrypt, derive "
                             "(or leave the setting out for all the type supports)");
    *out = bits;
    return DSK_OK;
}

void dsk_key_usage_format(unsigned usage, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < sizeof usage_words / sizeof usage_words[0]; i++) {
        if (!(usage & usage_words[i].bit))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", usage_words[i].word);
        if (n < 0 || (size_t)n >= len - used)
            return; /* snprintf left it truncated and terminated */
        used += (size_t)n;
    }
}

int dsk_conf_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i - 1 < n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

static const char *const verify_names[] = {
    [DSK_VERIFY_OFF] = "off",
    [DSK_VERIFY_WARN] = "warn",
    [DSK_VERIFY_REQUIRE] = "require",
};

const char *dsk_verify_mode_name(dsk_verify_mode m)
{
    return (unsigned)m < sizeof verify_names / sizeof verify_names[0] ? verify_names[m] : "off";
}

dsk_status dsk_verify_mode_parse(const char *text, dsk_verify_mode *out, dsk_error *err)
{
    for (size_t i = 0; text && i < sizeof verify_names / sizeof verify_names[0]; i++) {
        if (strcasecmp(text, verify_names[i]) == 0) {
            *out = (dsk_verify_mode)i;
            return DSK_OK;
        }
    }
    return dsk_error_set(err, DSK_E_CONFIG, "unknown verify mode '%s': valid modes are off, warn, "
                         "require", text ? text : "");
}

int dsk_conf_parse_bool(const char *text, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
            *out = strcasecmp(text, yes[i]) == 0;
            return 0;
        }
    }
    return -1;
}
