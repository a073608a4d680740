/* Shared inside provider/ only.
 *
 * The provider context (one per OSSL_provider_init) owns the configuration,
 * the key store and copies of every setting read at init. A key object
 * (dsk_pkey, the keymgmt "keydata") either refers to a dstack key owned by
 * the store (private; never exported) or holds imported public bytes. */
#ifndef DSK_PROVIDER_INTERNAL_H
#define DSK_PROVIDER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>

#include "conf.h"
#include "keys.h"
#include "ref.h"
#include "status.h"

#define DSK_PROV_NAME "dstack"
#define DSK_PROV_PROPS "provider=dstack"

/* How a provider user points it at a configuration file (for messages). */
#define DSK_PROV_CONF_HINT "set dstack_conf in openssl.cnf or DSTACK_PKCS11_CONF"

/* The data structure our PEM decoder reports, so that only our second-stage
 * decoders take the URI text it passes on. */
#define DSK_REF_STRUCTURE "dstack-ref"

typedef struct dsk_prov {
    const OSSL_CORE_HANDLE *handle;
    OSSL_FUNC_core_new_error_fn *new_error;
    OSSL_FUNC_core_set_error_debug_fn *set_error_debug;
    OSSL_FUNC_core_vset_error_fn *vset_error;
    OSSL_FUNC_BIO_read_ex_fn *bio_read_ex;
    OSSL_FUNC_BIO_write_ex_fn *bio_write_ex;
    OSSL_FUNC_BIO_gets_fn *bio_gets;
    char *conf_file;  /* from openssl.cnf, or NULL */
    char *endpoint;   /* the endpoint handed to keys/, or NULL = discover */
    dsk_conf *conf;   /* owned */
    dsk_keystore *ks; /* owned */
} dsk_prov;

/* Our reason codes (get_reason_strings); one per dsk_status. */
enum { DSK_PROV_R_BASE = 100 };

/* The one place dsk_status becomes an OpenSSL error: raises it with the
 * message (which never holds key material) and returns 0. */
int dsk_prov_raise(const dsk_prov *p, const dsk_error *e);
/* Raise a provider error from a format (status decides the reason code). */
int dsk_prov_raisef(const dsk_prov *p, dsk_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- references (keys/ref.h) ------------------------------------------------ */

/* What the store and decoders hand to keymgmt load() as the object
 * reference. Its size differs from a pointer so no other provider's load()
 * mistakes it for its own. */
#define DSK_REF_MAGIC 0x64736b72u
typedef struct dsk_objref {
    uint32_t magic;
    uint32_t pad;
    dsk_prov *prov;
    dsk_key *key;
    const char *uri; /* valid during the load call only */
} dsk_objref;

/* Pass a loaded key to an object callback as an OSSL_OBJECT_PKEY reference. */
int dsk_objref_pass(dsk_prov *p, dsk_key *key, const char *uri, OSSL_CALLBACK *cb, void *cbarg);

/* ---- key objects (keymgmt.c) ---------------------------------------------- */

typedef struct dsk_pkey {
    dsk_prov *prov;
    dsk_key_type type; /* valid when key != NULL or has_pub */
    const char *alg;   /* "EC", "ED25519", "RSA": the keymgmt that made it */
    dsk_key *key;      /* a store key: dstack key, or public for imported */
    int has_private;   /* 1 for dstack keys */
    char *uri;         /* dstack keys: the reference, for the encoder */
    /* Imported public parts (has_pub): EC/Ed25519 point, RSA n and e. */
    int has_pub;
    int has_group;
    unsigned char *pub;
    size_t pub_len;
    unsigned char *n;
    size_t n_len;
    unsigned char *e;
    size_t e_len;
} dsk_pkey;

/* Public parts (deriving a dstack key if needed); 0 + raised error on failure. */
int dsk_pkey_point(dsk_pkey *k, const unsigned char **pt, size_t *len);
int dsk_pkey_rsa(dsk_pkey *k, const unsigned char **n, size_t *nlen, const unsigned char **e,
                 size_t *elen);
/* A store key usable for verify/encrypt (imported keys become public store
 * keys on first use). */
dsk_key *dsk_pkey_store_key(dsk_pkey *k);
/* Key params answered from memory (keymgmt_params.c). */
int dsk_pkey_get_params(dsk_pkey *k, OSSL_PARAM params[]);
const OSSL_PARAM *dsk_pkey_gettable(const char *alg);
int dsk_pkey_import_params(dsk_pkey *k, int selection, const OSSL_PARAM params[]);
int dsk_pkey_export_params(dsk_pkey *k, int selection, OSSL_CALLBACK *cb, void *cbarg);
const OSSL_PARAM *dsk_pkey_import_types(const char *alg, int selection);
/* DER SubjectPublicKeyInfo for imported parts (malloc'd). */
dsk_status dsk_pkey_build_spki(const dsk_pkey *k, unsigned char **der, size_t *len, dsk_error *err);

/* ---- tables --------------------------------------------------------------- */

extern const OSSL_DISPATCH dsk_ec_keymgmt_functions[];
extern const OSSL_DISPATCH dsk_ed25519_keymgmt_functions[];
extern const OSSL_DISPATCH dsk_rsa_keymgmt_functions[];
extern const OSSL_DISPATCH dsk_store_functions[];
extern const OSSL_DISPATCH dsk_ecdsa_signature_functions[];
extern const OSSL_DISPATCH dsk_ed25519_signature_functions[];
extern const OSSL_DISPATCH dsk_rsa_signature_functions[];
extern const OSSL_DISPATCH dsk_rsa_cipher_functions[];
extern const OSSL_DISPATCH dsk_ecdh_exchange_functions[];
extern const OSSL_DISPATCH dsk_pem_decoder_functions[];
extern const OSSL_DISPATCH dsk_ref_decoder_functions[];
extern const OSSL_DISPATCH dsk_ref_encoder_functions[];

/* ---- small helpers -------------------------------------------------------- */

/* Hash from an OpenSSL digest name ("SHA256", "sha-256", "SHA2-256"). */
/* engine.c: 1 when an application's ENGINE is the default for EC, RSA or Ed25519. */
int dsk_prov_engine_default(void);

dsk_hash dsk_prov_hash(const char *name);
/* A digest-name OSSL_PARAM as a dsk_hash: 1, or 0 with an error raised
 * (not a string, or a digest we do not support). */
int dsk_prov_hash_param(const dsk_prov *prov, const OSSL_PARAM *p, dsk_hash *out);
/* DER AlgorithmIdentifier of a digest (no parameters). */
size_t dsk_prov_hash_algid(dsk_hash h, unsigned char *out, size_t max);

#endif
