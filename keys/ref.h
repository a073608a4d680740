/* keys/ref.h — naming a key: dstack: URIs and PEM reference files, shared by
 * every front end (provider, dstack-key) so that a URI means the same key
 * wherever it is written.
 *
 *   dstack:LABEL                         a key configured as [key LABEL]
 *   dstack:path=P;type=T[;purpose=U][;usage=sign,decrypt]   a key named inline
 *   dstack:api=v1;domain=D;type=T[;usage=sign,decrypt]      a dstack 0.6 /v1 key named inline
 *
 * LABEL and the values P, T, U, D are percent-decoded (%2F, %3B, %3D, %25 ...).
 * A reference file is one PEM block labelled "DSTACK KEY REFERENCE" whose
 * body is base64 of the URI: it holds no key material. No I/O here. */
#ifndef DSK_KEYS_REF_H
#define DSK_KEYS_REF_H

#include "conf.h"
#include "keys.h"
#include "status.h"

/* The PEM label of a reference file; its body is base64 of the URI text. */
#define DSK_REF_PEM_LABEL "DSTACK KEY REFERENCE"
#define DSK_URI_SCHEME "dstack:"
#define DSK_URI_MAX 2048

/* A parsed dstack: URI. Either label (configured key) or inline fields.
 * Every string is malloc'd and owned; dsk_ref_clear frees them. */
typedef struct dsk_ref {
    char *label;   /* NULL for the inline form */
    char *path;    /* inline: percent-decoded */
    char *purpose; /* inline: NULL = "" */
    dsk_key_type type;
    dsk_api api;    /* inline: api=v0 (default) or api=v1 */
    char *domain;   /* inline, v1: percent-decoded */
    unsigned usage; /* inline usage=; 0 = the default (RSA: sign only) */
    char *uri;      /* canonical text written into reference files */
} dsk_ref;

/* DSK_E_ARGS for text that is not a dstack: URI (or is too long),
 * DSK_E_CONFIG naming the bad field otherwise. On error out is cleared. */
dsk_status dsk_ref_parse(const char *uri, dsk_ref *out, dsk_error *err);
void dsk_ref_clear(dsk_ref *r);

/* The key r names in ks (no I/O): a configured label (looked up in ks; conf
 * only names the file in the message) or an inline key (added to ks, and
 * refused with DSK_E_CONFIG when conf says inline_keys = no).
 * DSK_E_NOT_FOUND for an unknown label; conf_hint tells the user how this
 * front end is pointed at a configuration file ("use --conf FILE or set
 * DSTACK_PKCS11_CONF"). conf may be NULL. */
dsk_status dsk_ref_resolve(dsk_keystore *ks, const dsk_conf *conf, const char *conf_hint,
                           const dsk_ref *r, dsk_key **out, dsk_error *err);

/* "-----BEGIN DSTACK KEY REFERENCE-----..." for uri, base64 in lines of 64;
 * malloc'd, NUL-ended; NULL if out of memory. */
char *dsk_ref_pem(const char *uri);
/* The URI inside one PEM block of ours (base64 body decoded), malloc'd. */
dsk_status dsk_ref_from_base64(const char *b64, size_t len, char **uri, dsk_error *err);

#endif
