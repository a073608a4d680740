/* tool/ (dstack-key): shared by its files and its unit tests; no other
 * folder includes it.
 *
 * The tool is a table of subcommands (main.c), one file each, each with its
 * own option table. Data goes to standard output, messages to standard
 * error; every handler returns one of the exit codes below, which the man
 * page (docs/dstack-key.1.md) documents. Private keys stay inside keys/: the
 * tool only ever holds public data. */
#ifndef DSK_TOOL_H
#define DSK_TOOL_H

#include <stddef.h>
#include <stdio.h>

#include <openssl/x509v3.h>

#include "conf.h"
#include "keys.h"
#include "ref.h"
#include "status.h"
#include "trust.h"

#define DSK_TOOL_NAME "dstack-key"

/* Exit codes (docs/dstack-key.1.md, EXIT STATUS). */
enum {
    DSK_EXIT_OK = 0,
    DSK_EXIT_FAILED = 1,   /* verify: a check did not hold; a chain that is a mismatch */
    DSK_EXIT_USAGE = 2,    /* bad option, argument or option value */
    DSK_EXIT_CONFIG = 3,   /* configuration file, unknown label, bad dstack: URI */
    DSK_EXIT_AGENT = 4,    /* the dstack agent: unreachable, timeout, error, bad reply */
    DSK_EXIT_KEY = 5,      /* the key cannot do this (format for its type, usage) */
    DSK_EXIT_INPUT = 6,    /* an input file: unreadable, or not something we verify */
    DSK_EXIT_INTERNAL = 7, /* out of memory, a cryptographic failure, cannot write */
};

/* The exit code for a failed status (one table, exit.c). */
int dsk_tool_exit_code(dsk_status st);
/* Print "dstack-key: <message>" (one line) and return its exit code. */
int dsk_tool_fail(const dsk_error *err);
/* The same from a format, with an explicit exit code. */
int dsk_tool_failf(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- options (opts.c) --------------------------------------------------- */

#define DSK_TOOL_MAX_OPTS 16   /* a command's own options plus the common ones */
#define DSK_TOOL_MAX_VALUES 16 /* values of one repeated option */
#define DSK_TOOL_MAX_ARGS 8    /* positional arguments */

typedef struct dsk_tool_opt {
    const char *name; /* long name, without "--" */
    char short_name;  /* 0 = none */
    const char *arg;  /* NULL for a flag, else the value's name in --help ("FORMAT") */
    int repeat;       /* may be given more than once */
    const char *help; /* one line */
} dsk_tool_opt;

typedef struct dsk_tool_args {
    const dsk_tool_opt *opts[DSK_TOOL_MAX_OPTS]; /* the command's, then the common ones */
    size_t nopts;
    const char *values[DSK_TOOL_MAX_OPTS][DSK_TOOL_MAX_VALUES];
    size_t nvalues[DSK_TOOL_MAX_OPTS]; /* times given (flags too) */
    const char *pos[DSK_TOOL_MAX_ARGS];
    size_t npos;
} dsk_tool_args;

typedef struct dsk_tool_ctx dsk_tool_ctx;

typedef struct dsk_tool_cmd {
    const char *name;
    const char *synopsis;     /* after "dstack-key ", as the man page's SYNOPSIS */
    const char *summary;      /* one line, for the command list */
    const char *description;  /* a few lines for --help */
    const dsk_tool_opt *opts; /* terminated by {0} */
    size_t min_args, max_args;
    int offline; /* needs neither the configuration nor the agent (verify) */
    /* Reports chain verdicts (info, list --check): keys are derived with
     * verify = off so that a key the configuration would refuse is reported
     * as a mismatch rather than failing as an agent error. */
    int reports_chain;
    int (*run)(dsk_tool_ctx *ctx, const dsk_tool_args *a); /* returns an exit code */
} dsk_tool_cmd;

/* Options every command takes (--conf, --help). */
extern const dsk_tool_opt dsk_tool_common_opts[];

/* Parse argv (after the command name) against cmd's options and the common
 * ones: --name VALUE, --name=VALUE, -x VALUE, "--" ends options. A value
 * that starts with '-' is taken as given. DSK_E_ARGS with a one-line message
 * naming the option and pointing at --help. Keeps pointers into argv. */
dsk_status dsk_tool_parse(const dsk_tool_cmd *cmd, int argc, char *const argv[], dsk_tool_args *out,
                          dsk_error *err);
/* Last value of option name (NULL if not given); how many times given. */
const char *dsk_tool_opt_value(const dsk_tool_args *a, const char *name);
size_t dsk_tool_opt_count(const dsk_tool_args *a, const char *name);
/* All values of a repeated option (count in *n). */
const char *const *dsk_tool_opt_values(const dsk_tool_args *a, const char *name, size_t *n);
/* --help text of cmd into a malloc'd string ("usage: dstack-key <synopsis>"
 * first). NULL if out of memory. */
char *dsk_tool_help(const dsk_tool_cmd *cmd);

/* ---- context: configuration, key store, agent (ctx.c) ------------------ */

struct dsk_tool_ctx {
    const char *conf_file; /* --conf, or NULL: $DSTACK_PKCS11_CONF, else the default */
    int reports_chain;     /* see dsk_tool_cmd.reports_chain */
    dsk_conf *conf;        /* loaded by dsk_tool_open */
    dsk_keystore *ks;
    dsk_client *client; /* for /Info and /Version */
};

/* Load the configuration and make the store and client (no agent I/O). */
dsk_status dsk_tool_open(dsk_tool_ctx *ctx, dsk_error *err);
void dsk_tool_close(dsk_tool_ctx *ctx);
/* The key KEY names: a label of the configuration or a dstack: URI. The URI
 * it stands for (canonical, as a reference file holds it) goes to *uri
 * (malloc'd) if uri is not NULL. */
dsk_status dsk_tool_key(dsk_tool_ctx *ctx, const char *text, dsk_key **key, char **uri,
                        dsk_error *err);
/* "dstack:" + label with '%', ';', '=' and control bytes percent-encoded,
 * so that dsk_ref_parse gives the label back. malloc'd; NULL if no memory. */
char *dsk_tool_label_uri(const char *label);

/* Print " <status>\n" for k's chain under the configured kms_root and
 * app_id (derives k): "anchored to KMS root <hex>", "unanchored: ...",
 * "mismatch: <reason>". Returns DSK_EXIT_OK when anchored or when nothing
 * is pinned, DSK_EXIT_FAILED when a root is pinned and the chain does not
 * lead there, or the derivation's exit code after its message (chain.c). */
int dsk_tool_chain_status(dsk_tool_ctx *ctx, dsk_key *k, FILE *out);

/* ---- output (out.c) ------------------------------------------------------ */

/* Write all of buf to standard output and flush: DSK_EXIT_OK, or
 * DSK_EXIT_INTERNAL after a message saying why (a closed pipe, a full disk). */
int dsk_tool_out(const void *buf, size_t len);

/* ---- public key forms (pubfmt.c): pure, public data only ---------------- */

typedef enum dsk_pub_format {
    DSK_PUB_PEM,
    DSK_PUB_DER,
    DSK_PUB_SSH,
    DSK_PUB_ETH,
    DSK_PUB_JWK,
    DSK_PUB_FORMAT_COUNT
} dsk_pub_format;

/* "pem" ... ; DSK_E_ARGS listing the valid names. */
dsk_status dsk_pub_format_parse(const char *name, dsk_pub_format *out, dsk_error *err);

/* The public parts of a key, as keys/ gives them. */
typedef struct dsk_pub {
    dsk_key_type type;
    const unsigned char *spki; /* DER SubjectPublicKeyInfo */
    size_t spki_len;
    const unsigned char *point; /* EC 04||X||Y, Ed25519 raw 32; NULL for RSA */
    size_t point_len;
    const unsigned char *n, *e; /* RSA, big-endian without leading zeros */
    size_t n_len, e_len;
    const char *eth;     /* secp256k1: EIP-55 address, else NULL */
    const char *comment; /* ssh: appended after the key, or NULL */
} dsk_pub;

/* The key in a format, malloc'd in *out (text formats end with '\n').
 * DSK_E_UNSUPPORTED naming the type when it has no such form (ssh for
 * secp256k1, eth for anything but secp256k1). */
dsk_status dsk_pub_format_key(const dsk_pub *pub, dsk_pub_format f, unsigned char **out,
                              size_t *out_len, dsk_error *err);
/* Fill pub from a key (derives it). */
dsk_status dsk_pub_from_key(dsk_key *k, dsk_pub *pub, char eth[43], dsk_error *err);

/* ---- certificates and requests (x509.c) --------------------------------- */

/* An extension to add, already DER-encoded (its extnValue contents): how
 * RA-TLS evidence and key statements get into a certificate. */
typedef struct dsk_x509_ext {
    const char *oid; /* dotted */
    int critical;
    const unsigned char *der;
    size_t der_len;
} dsk_x509_ext;

typedef struct dsk_x509_spec {
    const char *subject;     /* "/CN=example/O=Org", as openssl -subj */
    const char *const *sans; /* "DNS:x", "IP:1.2.3.4", "email:a@b", "URI:u"; bare = DNS or IP */
    size_t nsans;
    long days;                /* certificates: validity from now, > 0 */
    const dsk_x509_ext *exts; /* extra extensions */
    size_t nexts;
} dsk_x509_spec;

/* Check and convert: DSK_E_ARGS naming the bad part. */
dsk_status dsk_x509_parse_subject(const char *text, X509_NAME **out, dsk_error *err);
dsk_status dsk_x509_parse_san(const char *text, GENERAL_NAME **out, dsk_error *err);
/* Build and sign (through keys/) a request or a self-signed certificate for
 * k; PEM text in *pem (malloc'd). */
dsk_status dsk_x509_make_req(dsk_key *k, const dsk_x509_spec *s, char **pem, dsk_error *err);
dsk_status dsk_x509_make_cert(dsk_key *k, const dsk_x509_spec *s, char **pem, dsk_error *err);

/* ---- verify: evidence kinds (evidence.c) ------------------------------- */

/* What verify checks a file against. */
typedef struct dsk_verify_opts {
    unsigned char app_id[DSK_APP_ID_LEN];
    const unsigned char (*roots)[DSK_SECP256K1_PUB_LEN];
    size_t n_roots;
} dsk_verify_opts;

/* One kind of evidence verify understands: a row per kind, so certificates
 * (RA-TLS) are added as a row with their own detect and verify. */
typedef struct dsk_evidence_kind {
    const char *name; /* "key statement" */
    /* 1 if data looks like this kind (cheap, no full parse) */
    int (*detect)(const unsigned char *data, size_t len);
    /* prints each check on stdout; returns an exit code. NULL: recognised
     * but not verifiable by this version (the message says so). */
    int (*verify)(const char *file, const unsigned char *data, size_t len,
                  const dsk_verify_opts *o);
} dsk_evidence_kind;

/* The kind of data, or NULL if none matches. */
const dsk_evidence_kind *dsk_evidence_detect(const unsigned char *data, size_t len);
/* Read a whole file ("-" = standard input), at most DSK_TOOL_MAX_INPUT
 * bytes, NUL-terminated; DSK_E_IO naming the file and the reason. */
#define DSK_TOOL_MAX_INPUT (1024 * 1024)
dsk_status dsk_tool_read_file(const char *file, unsigned char **data, size_t *len, dsk_error *err);

/* ---- RA-TLS (ratls.c) ---------------------------------------------------- */

/* The extensions cert --ra-tls adds: the attestation (/Attest with report
 * data SHA-512("ratls-cert:" || SPKI)), the app id (/Info), with
 * with_statement the key statement, and when the agent's /GetQuote answers
 * a TDX quote the legacy quote and event log; each wrapped as dstack's
 * ra-tls crate does (docs/provenance.md, "RA-TLS certificates"). */
#define DSK_TOOL_RATLS_MAX_EXTS 5
typedef struct dsk_tool_ratls {
    dsk_x509_ext exts[DSK_TOOL_RATLS_MAX_EXTS];
    unsigned char *bufs[DSK_TOOL_RATLS_MAX_EXTS];
    size_t n;
} dsk_tool_ratls;
dsk_status dsk_tool_ratls_exts(dsk_tool_ctx *ctx, dsk_key *k, int with_statement, dsk_tool_ratls *r,
                               dsk_error *err);
/* The option rows cert and csr share, and their meaning: the extensions
 * --ra-tls [--statement] ask for (r->n = 0 without --ra-tls); DSK_E_ARGS
 * when --statement comes alone. */
#define DSK_TOOL_RATLS_OPTS                                                                        \
    {"ra-tls", 0, NULL, 0, "add dstack's RA-TLS attestation and app id extensions"},               \
    {                                                                                              \
        "statement", 0, NULL, 0, "with --ra-tls: add the key statement extension too"              \
    }
dsk_status dsk_tool_ratls_args(dsk_tool_ctx *ctx, const dsk_tool_args *a, dsk_key *k,
                               dsk_tool_ratls *r, dsk_error *err);
void dsk_tool_ratls_clear(dsk_tool_ratls *r);
/* verify's row for certificates: signature, validity, RA-TLS binding, app
 * id, statement (if present); prints each check, returns an exit code. */
int dsk_tool_verify_certificate(const char *file, const unsigned char *data, size_t len,
                                const dsk_verify_opts *o);

/* ---- the subcommands ----------------------------------------------------- */

extern const dsk_tool_cmd dsk_cmd_list, dsk_cmd_pub, dsk_cmd_ref, dsk_cmd_csr, dsk_cmd_cert,
    dsk_cmd_statement, dsk_cmd_verify, dsk_cmd_info;

#endif
