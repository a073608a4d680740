/* conf/ — the configuration file.
 *
 * INI format, read with inih. Default file /etc/dstack-pkcs11.conf, or
 * $DSTACK_PKCS11_CONF. A missing file is not an error: it means no
 * configured keys. Every error names the file, the line and what is wrong.
 * See docs/dstack-pkcs11.conf.5.md for the reference.
 *
 * Errors: DSK_E_CONFIG for anything wrong in the text, DSK_E_IO for a file
 * (the configuration or a certificate) that exists but cannot be read,
 * DSK_E_NOMEM. A dsk_conf is immutable once returned, so many threads may
 * read it; the caller frees it with dsk_conf_free. Secret: user_pin only. */
#ifndef DSK_CONF_H
#define DSK_CONF_H

#include <stddef.h>

#include "status.h"

#define DSK_CONF_DEFAULT_FILE "/etc/dstack-pkcs11.conf"
#define DSK_CONF_ENV "DSTACK_PKCS11_CONF"
#define DSK_CONF_DEFAULT_TOKEN "dstack"
/* Log level override applied by dsk_conf_load: a level name or 0, 2-4 sets
 * that level; "1", "yes" or any other non-empty value means debug. */
#define DSK_CONF_DEBUG_ENV "DSTACK_PKCS11_DEBUG"
/* A PKCS#11 token label is 32 bytes (CK_TOKEN_INFO.label). */
#define DSK_CONF_TOKEN_LABEL_MAX 32
/* Ed25519 keys without "token =" live in "<token label>-ed25519": the libp11
 * engine and OpenSSH 9.2 give up on a token that holds an Ed25519 key. */
#define DSK_CONF_ED25519_TOKEN_SUFFIX "-ed25519"

typedef enum dsk_key_type {
    DSK_KEY_SECP256K1 = 0,
    DSK_KEY_ED25519,
    DSK_KEY_EC_P256,
    DSK_KEY_EC_P384,
    DSK_KEY_RSA_2048,
    DSK_KEY_RSA_3072,
    DSK_KEY_RSA_4096,
    /* P-256 whose scalar is M itself: the key tappd's DeriveKey(path) gave
     * (docs/derivation.md section 10). v0 only. */
    DSK_KEY_TAPPD_P256,
    DSK_KEY_TYPE_COUNT
} dsk_key_type;

/* Which dstack guest API a key comes from. v0 (the unversioned API, frozen
 * at dstack 0.5.11) is the default forever; v1 (dstack 0.6's /v1) derives
 * different keys from {domain, algorithm}: no v0 key equals a v1 key. */
typedef enum dsk_api {
    DSK_API_V0 = 0,
    DSK_API_V1 = 1,
} dsk_api;
/* "v0" / "v1"; NULL for an invalid value. */
const char *dsk_api_name(dsk_api a);
/* Parse "v0" or "v1"; DSK_E_CONFIG naming the valid values otherwise. */
dsk_status dsk_api_parse(const char *text, dsk_api *out, dsk_error *err);

/* "secp256k1", "ed25519", "ec-p256", ... ; NULL for an invalid value. */
const char *dsk_key_type_name(dsk_key_type t);
/* Parse a type name; DSK_E_CONFIG if unknown (message lists the valid names). */
dsk_status dsk_key_type_parse(const char *name, dsk_key_type *out, dsk_error *err);

enum {
    DSK_USAGE_SIGN = 1u << 0,
    DSK_USAGE_DECRYPT = 1u << 1,
    DSK_USAGE_DERIVE = 1u << 2,
};
/* What a type can do: sign for all; decrypt for RSA; derive for EC (not Ed25519). */
unsigned dsk_key_type_usages(dsk_key_type t);
/* yes/no, true/false, on/off, 1/0 (any case) into *out as 1 or 0; -1 if
 * text is none of them (*out unchanged). */
int dsk_conf_parse_bool(const char *text, int *out);

/* What a key of type t may do when its configuration says no `usage`: all it
 * can, except decrypt (RSA keys default to sign; decrypt must be asked for). */
unsigned dsk_key_type_default_usages(dsk_key_type t);
/* Parse "sign, derive" (words separated by commas and/or spaces, any case)
 * into DSK_USAGE_* bits; DSK_E_CONFIG for an empty list or an unknown word
 * (the message lists the valid words). */
dsk_status dsk_key_usage_parse(const char *text, unsigned *out, dsk_error *err);
/* "sign, decrypt, derive" for the bits set (in that order), "" for none.
 * Always NUL-terminates buf (truncating if len is too small). */
void dsk_key_usage_format(unsigned usage, char *buf, size_t len);

#define DSK_CONF_MAX_ID 64

/* Chain verification on every derivation ([token] verify =). OFF: not
 * checked. WARN: checked, logged once per key, the key works anyway.
 * REQUIRE: a key whose chain is not anchored to a pinned root is refused. */
typedef enum dsk_verify_mode {
    DSK_VERIFY_OFF = 0,
    DSK_VERIFY_WARN,
    DSK_VERIFY_REQUIRE,
} dsk_verify_mode;
/* "off", "warn", "require"; DSK_E_CONFIG otherwise (the message lists them). */
dsk_status dsk_verify_mode_parse(const char *text, dsk_verify_mode *out, dsk_error *err);
const char *dsk_verify_mode_name(dsk_verify_mode m);

#define DSK_CONF_KMS_ROOT_LEN 33 /* SEC1-compressed secp256k1 */
#define DSK_CONF_APP_ID_LEN 20

typedef struct dsk_key_entry {
    char *label;           /* unique in the file */
    char *path;            /* v0: getKey path, byte for byte; defaults to the label.
                              v1: NULL */
    dsk_key_type type;     /* default ec-p256 */
    char *purpose;         /* default "" (as the SDKs) */
    unsigned usage;        /* DSK_USAGE_* bits; default dsk_key_type_default_usages(type) */
    char *token;           /* token label; NULL = the default token (see docs) */
    char *cert_file;       /* NULL if none */
    unsigned char *cert;   /* contents of cert_file (PEM or DER), NULL if none */
    size_t cert_len;
    int cert_none;         /* "certificate = none": no self-signed certificate either */
    unsigned char id[DSK_CONF_MAX_ID]; /* CKA_ID from "id = <hex>" */
    size_t id_len;         /* 0 = not configured (the module chooses) */
    int line;              /* line of the [key ...] header, for messages */
    dsk_api api;           /* the key's "api =", else [token]'s, else v0 */
    char *domain;          /* v1: the GetKey domain, byte for byte; defaults to the
                              label. v0: NULL */
    int path_line, purpose_line, domain_line, api_line; /* where given, 0 = not */
} dsk_key_entry;

typedef struct dsk_conf {
    char *file;               /* the file read, or NULL if none existed */
    char *missing_file;       /* the file tried when it did not exist, else NULL */
    char *token_label;        /* default "dstack" */
    char *endpoint;           /* NULL = discover */
    long connect_timeout_ms;  /* 0 = default */
    long timeout_ms;          /* 0 = default */
    int log_level;            /* dsk_log_level; default DSK_LOG_WARNING */
    char *user_pin;           /* NULL = no PIN (token needs no login); SECRET, wiped */
    size_t secure_heap;       /* bytes of OpenSSL secure heap to set up; 0 = none */
    int inline_keys;          /* 0: the provider refuses dstack:path=... (inline_keys = no) */
    long agent_uid;           /* > 0: the agent's socket may be served by this uid too */
    /* Provenance ([token] kms_root, app_id, verify). */
    unsigned char (*kms_roots)[DSK_CONF_KMS_ROOT_LEN]; /* NULL if none */
    size_t n_kms_roots;
    int have_app_id; /* 0: the agent's /Info app id is used */
    unsigned char app_id[DSK_CONF_APP_ID_LEN];
    dsk_verify_mode verify; /* default: REQUIRE with a kms_root, else OFF */
    dsk_api api;              /* [token] api =: the default of every key (v0) */
    int verify_set;         /* verify was given explicitly */
    dsk_key_entry *keys;
    size_t nkeys;
} dsk_conf;

/* Load file; if file is NULL, $DSTACK_PKCS11_CONF, else the default. A file
 * that does not exist gives an empty configuration (DSK_OK, conf->file NULL,
 * conf->missing_file set to the name tried so the caller can log it). An
 * unreadable or invalid file is DSK_E_CONFIG / DSK_E_IO with file:line.
 * Then $DSTACK_PKCS11_DEBUG, if set and not empty, replaces log_level (see
 * DSK_CONF_DEBUG_ENV; never an error). Relative certificate paths are
 * resolved against the directory of the file. On error *out is NULL. */
dsk_status dsk_conf_load(const char *file, dsk_conf **out, dsk_error *err);

/* Parse text as if it were the file named name (used in messages and to
 * resolve relative certificate paths; NULL = "<string>" in the current
 * directory). Ignores the environment. On error *out is NULL. */
dsk_status dsk_conf_parse(const char *text, const char *name, dsk_conf **out, dsk_error *err);

/* An empty configuration with every default. */
dsk_status dsk_conf_new_default(dsk_conf **out, dsk_error *err);

/* The key with this label, or NULL. */
const dsk_key_entry *dsk_conf_find(const dsk_conf *conf, const char *label);

/* The label of the token that holds key: key->token if set, else
 * "<token_label>-ed25519" for an Ed25519 key, else conf->token_label.
 * Written into out and returned (truncated to 32 bytes only for a conf not
 * made by dsk_conf_load/parse, which reject labels that do not fit). */
const char *dsk_conf_key_token(const dsk_conf *conf, const dsk_key_entry *key,
                               char out[DSK_CONF_TOKEN_LABEL_MAX + 1]);

/* Apply provenance settings given as text (the [token] settings, or the
 * provider's openssl.cnf ones, which override the file's): kms_root (one or
 * more SEC1-compressed secp256k1 keys in hex, separated by spaces or
 * commas; replaces the roots), app_id (40 hex digits), verify (off, warn,
 * require). NULL leaves a setting as it is. The default of verify is then
 * recomputed (require with a root, else off); warn or require without a
 * root is DSK_E_CONFIG. Messages name the setting and the fix; the caller
 * adds where it was (file:line). */
dsk_status dsk_conf_apply_trust(dsk_conf *conf, const char *kms_root, const char *app_id,
                                const char *verify, dsk_error *err);

/* Wipes user_pin, frees everything. NULL is fine. */
void dsk_conf_free(dsk_conf *conf);

#endif
