/* pkcs11/ internals shared by the files of this folder only.
 *
 * State: one module instance (dsk_p11_mod) guarded by one lock for its tables
 * (tokens, sessions, objects). Handles are numbers looked up in those tables,
 * never pointers, so stale or random handles are caught. A session also has
 * its own lock, held while an operation runs, so that signing in two sessions
 * runs in parallel. A session lock may be held across I/O to dstack, so the
 * module lock is never held while waiting for one: the lock order is session
 * lock, then module lock, and nothing waits for a session lock with the
 * module lock held (closing and logout never wait; see session.c).
 *
 * Ownership: the module owns the configuration, the key store (which owns
 * every dsk_key), the tokens, sessions and objects. Objects and running
 * operations hold a reference on their key (dsk_key_hold/release): a key
 * made at run time (generated pair, created public key) leaves the store
 * with its last holder; configured keys never do. Secret bytes held by objects (derived
 * secrets) are wiped when the object is freed. */
#ifndef DSK_PKCS11_INTERNAL_H
#define DSK_PKCS11_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "keys.h"
#include "pkcs11_3.h"
#include "status.h"

#define DSK_P11_MANUFACTURER "dstack"
#define DSK_P11_MODEL "dstack-pkcs11"
#define DSK_P11_LIBRARY_DESC "dstack TEE keys"
#define DSK_P11_VERSION_MAJOR 0
#define DSK_P11_VERSION_MINOR 1
/* Paths of keys made by C_GenerateKeyPair: "pkcs11/generated/<CKA_LABEL>". */
#define DSK_P11_KEYGEN_PREFIX "pkcs11/generated/"
#define DSK_P11_ID_LEN 8
/* The largest attribute value accepted from an application. */
#define DSK_P11_MAX_ATTR_LEN (1024ul * 1024)

/* ---- locks (module.c) ------------------------------------------------- */
/* Mutexes are the application's (CK_C_INITIALIZE_ARGS callbacks without
 * CKF_OS_LOCKING_OK) or pthread ones. */
CK_RV dsk_p11_mutex_new(void **out);
void dsk_p11_mutex_free(void *m);
/* In a forked child: release a parent's lock without destroying it. */
void dsk_p11_mutex_abandon(void *m);
void dsk_p11_mutex_lock(void *m);
void dsk_p11_mutex_unlock(void *m);

/* ---- tokens ------------------------------------------------------------ */
typedef struct dsk_p11_token {
    char *label;
    char serial[17];   /* 16 hex digits of SHA-256(label) */
    CK_USER_TYPE user; /* who is logged in, or DSK_P11_NOBODY */
    /* A wrong user PIN since the last good login (CKF_USER_PIN_COUNT_LOW;
     * nothing is ever locked). */
    int pin_count_low;
    /* Counts logouts: an operation on a private key that started before
     * the last logout has ended (checked when the operation is next used,
     * so logout never waits for a busy session). Changed under the module
     * lock, read without it by operations in progress. */
    atomic_uint login_gen;
} dsk_p11_token;
#define DSK_P11_NOBODY ((CK_USER_TYPE)-1)

/* ---- operations (one slot per kind in a session) --------------------- */
enum { DSK_OP_SIGN, DSK_OP_VERIFY, DSK_OP_ENCRYPT, DSK_OP_DECRYPT, DSK_OP_COUNT };

struct dsk_p11_mech;
typedef struct dsk_p11_op {
    const struct dsk_p11_mech *mech; /* NULL = no operation active */
    dsk_key *key;
    CK_OBJECT_HANDLE obj;
    int key_private; /* uses a CKA_PRIVATE object */
    dsk_sign_params sp;
    dsk_enc_params ep;
    unsigned char *oaep_label; /* copy of the OAEP source data */
    dsk_hash_ctx *hctx;        /* hashing mechanisms, multi-part */
    unsigned char *buf;        /* other mechanisms, multi-part */
    size_t buf_len, buf_cap;
    int multi;          /* an Update call was made */
    unsigned login_gen; /* the token's logout count when it started */
} dsk_p11_op;

typedef struct dsk_p11_session {
    CK_SESSION_HANDLE handle;
    CK_SLOT_ID slot;
    CK_FLAGS flags; /* CKF_SERIAL_SESSION | CKF_RW_SESSION */
    void *lock;     /* held while ops[] are used, maybe across I/O */
    /* Twice the calls holding or waiting for the lock, plus 1 once the
     * session is closed. One atomic word, so that a call ending and the
     * session closing never both free it, and no module lock is taken for
     * it: whoever leaves it at exactly 1 (closed, no call) frees it. */
    atomic_uint refs_closed;
    dsk_p11_op ops[DSK_OP_COUNT];
    int finding;
    CK_OBJECT_HANDLE *found;
    size_t nfound, found_pos;
} dsk_p11_session;

/* ---- objects ----------------------------------------------------------- */
/* Attributes supplied by the application or taken from a certificate are
 * kept as a list; everything else is computed by the class tables. */
typedef struct dsk_p11_attr {
    CK_ATTRIBUTE_TYPE type;
    unsigned char *value;
    size_t len;
    int secret; /* wipe on free */
} dsk_p11_attr;

typedef struct dsk_p11_object {
    CK_OBJECT_HANDLE handle;
    CK_OBJECT_CLASS cls;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE session; /* 0 for token objects */
    CK_BBOOL token, priv, modifiable, copyable, destroyable;
    CK_KEY_TYPE key_type; /* key objects */
    dsk_key *key;         /* private/public key objects */
    /* usage attributes; those a key cannot do are never true */
    CK_BBOOL sign, verify, encrypt, decrypt, derive, wrap, unwrap;
    CK_BBOOL sensitive, extractable, always_sensitive, never_extractable;
    CK_BBOOL local, trusted;
    CK_MECHANISM_TYPE keygen_mech; /* CK_UNAVAILABLE_INFORMATION if none */
    CK_ULONG cert_category;
    /* Certificate objects made for a key without `certificate =`: the key
     * that signs it. CKA_VALUE and CKA_PUBLIC_KEY_INFO are added on first
     * read (attrs.c); subject, issuer and serial are there from the start. */
    dsk_key *selfsigned;
    dsk_p11_attr *attrs;
    size_t nattrs;
} dsk_p11_object;

/* ---- the module ------------------------------------------------------- */
typedef struct dsk_p11_mod {
    void *lock;
    unsigned gen; /* fork generation of the initialising process */
    dsk_conf *conf;
    dsk_keystore *ks;
    dsk_p11_token *tokens;
    size_t ntokens;
    dsk_p11_session **sessions;
    size_t nsessions, csessions;
    dsk_p11_object **objects;
    size_t nobjects, cobjects;
    CK_ULONG next_session, next_object;
} dsk_p11_mod;

extern dsk_p11_mod dsk_p11;

/* module.c: CKR_OK if initialised in this process. */
CK_RV dsk_p11_ready(void);
CK_RV dsk_p11_initialize(CK_VOID_PTR args);
CK_RV dsk_p11_finalize(void);
void dsk_p11_lock(void);
void dsk_p11_unlock(void);
int dsk_p11_has_pin(void);

/* rv.c: the one translation of dsk_status into CK_RV. op says what was being
 * done, for codes that depend on it; device errors are logged (one line). */
typedef enum dsk_p11_ctx {
    DSK_CTX_GENERAL,
    DSK_CTX_SIGN,
    DSK_CTX_VERIFY,
    DSK_CTX_ENCRYPT,
    DSK_CTX_DECRYPT,
    DSK_CTX_DERIVE,
    DSK_CTX_ATTR,
    DSK_CTX_KEYGEN,
} dsk_p11_ctx;
CK_RV dsk_p11_rv(dsk_status s, const dsk_error *err, dsk_p11_ctx ctx);

/* slot.c */
CK_RV dsk_p11_tokens_build(dsk_error *err);
void dsk_p11_tokens_free(void);
CK_RV dsk_p11_token_index(const char *label, CK_SLOT_ID *out);
dsk_p11_token *dsk_p11_token_get(CK_SLOT_ID id); /* NULL if invalid */
void dsk_p11_token_id(const char *label, unsigned char out[DSK_P11_ID_LEN]);
/* The slot of a configured key (after dsk_p11_tokens_build). */
CK_RV dsk_p11_key_slot(const dsk_key_entry *e, CK_SLOT_ID *out);
CK_RV dsk_p11_get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count);
CK_RV dsk_p11_get_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info);
CK_RV dsk_p11_get_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info);
CK_RV dsk_p11_get_mechanism_list(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count);
CK_RV dsk_p11_get_mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info);
void dsk_p11_pad(CK_UTF8CHAR *dst, size_t len, const char *src);

/* session.c (callers hold the module lock unless said otherwise) */
dsk_p11_session *dsk_p11_session_find(CK_SESSION_HANDLE h);
/* Initialised and the session exists: entry points check this before their
 * arguments (the standard's error priority). Takes the module lock. */
CK_RV dsk_p11_ready_session(CK_SESSION_HANDLE h);
/* Without the module lock held: find and lock the session (session lock);
 * CKR_SESSION_CLOSED if it was closed while this waited for the lock. */
CK_RV dsk_p11_session_acquire(CK_SESSION_HANDLE h, dsk_p11_session **out);
void dsk_p11_session_release(dsk_p11_session *s);
CK_RV dsk_p11_open_session(CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE_PTR out);
CK_RV dsk_p11_close_session(CK_SESSION_HANDLE h);
CK_RV dsk_p11_close_all_sessions(CK_SLOT_ID slot);
CK_RV dsk_p11_get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info);
void dsk_p11_sessions_free(void);
size_t dsk_p11_session_count(CK_SLOT_ID slot, int rw_only);
CK_STATE dsk_p11_session_state(const dsk_p11_session *s);
void dsk_p11_op_clear(dsk_p11_op *op);
CK_RV dsk_p11_session_cancel(CK_SESSION_HANDLE h, CK_FLAGS flags);
/* Ends the operation of that kind if the session exists (bad arguments end
 * an operation like any other error). */
void dsk_p11_op_abort(CK_SESSION_HANDLE h, int kind);

/* login.c */
CK_RV dsk_p11_login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len);
CK_RV dsk_p11_logout(CK_SESSION_HANDLE h);
/* Can this session see/use private objects? (module lock held) */
int dsk_p11_can_use_private(CK_SLOT_ID slot);

/* object.c (module lock held) */
CK_RV dsk_p11_objects_build(dsk_error *err);
void dsk_p11_objects_free(void);
dsk_p11_object *dsk_p11_object_new(CK_OBJECT_CLASS cls, CK_SLOT_ID slot);
CK_RV dsk_p11_object_insert(dsk_p11_object *o); /* gives it a handle */
void dsk_p11_object_free(dsk_p11_object *o);
void dsk_p11_object_remove(size_t index);
/* The object if it exists and the session may see it; else NULL. */
dsk_p11_object *dsk_p11_object_visible(const dsk_p11_session *s, CK_OBJECT_HANDLE h);
void dsk_p11_objects_drop_session(CK_SESSION_HANDLE h);
void dsk_p11_objects_drop_private_session(CK_SLOT_ID slot);
CK_RV dsk_p11_attr_set(dsk_p11_object *o, CK_ATTRIBUTE_TYPE t, const void *v, size_t len,
                       int secret);
const dsk_p11_attr *dsk_p11_attr_find(const dsk_p11_object *o, CK_ATTRIBUTE_TYPE t);
CK_RV dsk_p11_key_objects_add(CK_SLOT_ID slot, dsk_key *key, const char *label,
                              const unsigned char *id, size_t id_len, CK_BBOOL token,
                              CK_SESSION_HANDLE session, CK_MECHANISM_TYPE keygen,
                              dsk_p11_object **priv_out, dsk_p11_object **pub_out);
CK_RV dsk_p11_find_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n);
CK_RV dsk_p11_find(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR n);
CK_RV dsk_p11_find_final(CK_SESSION_HANDLE h);
CK_RV dsk_p11_destroy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o);
CK_RV dsk_p11_get_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size);

/* attrs.c: one attribute's value. Computed values live in buf. */
typedef struct dsk_p11_val {
    const void *ptr;
    size_t len;
    union {
        CK_ULONG ul;
        CK_BBOOL b;
        unsigned char bytes[640];
    } buf;
} dsk_p11_val;
/* CKR_OK, CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_SENSITIVE or an error
 * of deriving the key (CKR_DEVICE_ERROR). Module lock held; may derive. */
CK_RV dsk_p11_attr_value(const dsk_p11_object *o, CK_ATTRIBUTE_TYPE t, dsk_p11_val *v);
CK_RV dsk_p11_get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                                  CK_ULONG n);
/* 1 if every template entry matches the object (no error codes). Never
 * derives: a value that needs a key not yet derived does not match. */
int dsk_p11_object_matches(const dsk_p11_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* Does reading t of o need its key derived first (not derived yet)? */
int dsk_p11_attr_needs_key(const dsk_p11_object *o, CK_ATTRIBUTE_TYPE t);

/* template.c: C_CreateObject, C_CopyObject, C_SetAttributeValue. */
CK_RV dsk_p11_create_object(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n,
                            CK_OBJECT_HANDLE_PTR out);
CK_RV dsk_p11_copy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                          CK_ULONG n, CK_OBJECT_HANDLE_PTR out);
CK_RV dsk_p11_set_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                                  CK_ULONG n);
/* pubkey.c: sets o->key from the public attributes of a template. */
CK_RV dsk_p11_create_public_key(dsk_p11_object *o, const CK_ATTRIBUTE *t, CK_ULONG n);
/* Template helpers used by keygen and derive too. apply: as at creation. */
CK_RV dsk_p11_tmpl_apply(dsk_p11_object *o, const CK_ATTRIBUTE *t, CK_ULONG n);
CK_RV dsk_p11_tmpl_bool(const CK_ATTRIBUTE *a, CK_BBOOL *out);
CK_RV dsk_p11_tmpl_ulong(const CK_ATTRIBUTE *a, CK_ULONG *out);
/* May an object with these settings be made in this session? */
CK_RV dsk_p11_may_create(const dsk_p11_session *s, CK_BBOOL token, CK_BBOOL priv);
/* With a PIN, private and secret keys are CKA_PRIVATE: one the application
 * made public would stay usable after logout. CKR_TEMPLATE_INCONSISTENT. */
CK_RV dsk_p11_key_stays_private(const dsk_p11_object *o);

/* mech.c: the one mechanism table. */
enum {
    DSK_MK_SIGN,  /* sign/verify with the scheme in sp */
    DSK_MK_CRYPT, /* encrypt/decrypt */
    DSK_MK_DERIVE,
    DSK_MK_KEYGEN,
};
typedef struct dsk_p11_mech {
    CK_MECHANISM_TYPE type;
    unsigned key_types; /* bit (1u << dsk_key_type) */
    CK_FLAGS flags;     /* CKF_SIGN, CKF_VERIFY, ... */
    CK_ULONG min_bits, max_bits;
    int kind;              /* DSK_MK_* */
    dsk_sig_scheme scheme; /* DSK_MK_SIGN */
    dsk_enc_scheme enc;    /* DSK_MK_CRYPT */
    dsk_hash hash;         /* hashed by the module (multi-part) */
} dsk_p11_mech;
const dsk_p11_mech *dsk_p11_mech_find(CK_MECHANISM_TYPE type);
size_t dsk_p11_mech_count(void);
const dsk_p11_mech *dsk_p11_mech_at(size_t i);
/* Mechanisms a key of that type and usage can be used with (for
 * CKA_ALLOWED_MECHANISMS). Returns the count; writes up to max. */
size_t dsk_p11_mech_allowed(dsk_key_type t, const dsk_p11_object *o, CK_MECHANISM_TYPE *out,
                            size_t max);
dsk_hash dsk_p11_hash_of_mech(CK_MECHANISM_TYPE m); /* CKM_SHA256 -> SHA256 */
dsk_hash dsk_p11_hash_of_mgf(CK_RSA_PKCS_MGF_TYPE g);
CK_KEY_TYPE dsk_p11_ck_key_type(dsk_key_type t);

/* sign.c */
CK_RV dsk_p11_sign_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k, int kind);
CK_RV dsk_p11_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR sig,
                   CK_ULONG_PTR sig_len);
CK_RV dsk_p11_sign_update(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR in, CK_ULONG len);
CK_RV dsk_p11_sign_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len);
CK_RV dsk_p11_verify(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR sig,
                     CK_ULONG sig_len);
CK_RV dsk_p11_verify_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len);
/* op.c helpers shared by sign.c and crypt.c */
CK_RV dsk_p11_op_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k, int kind);
CK_RV dsk_p11_op_buffer(dsk_p11_op *op, const unsigned char *in, size_t len);
/* The session and its active operation of that kind; on CKR_OK the session
 * is held (dsk_p11_session_release it), else CKR_OPERATION_NOT_INITIALIZED or
 * the session error. */
CK_RV dsk_p11_op_active(CK_SESSION_HANDLE h, int kind, dsk_p11_session **s, dsk_p11_op **op);

/* crypt.c */
CK_RV dsk_p11_crypt(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR out,
                    CK_ULONG_PTR out_len);
CK_RV dsk_p11_crypt_update(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR in, CK_ULONG len,
                           CK_BYTE_PTR out, CK_ULONG_PTR out_len);
CK_RV dsk_p11_crypt_final(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR out, CK_ULONG_PTR out_len);

/* derive.c */
CK_RV dsk_p11_derive_key(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
                         CK_ATTRIBUTE_PTR tmpl, CK_ULONG n, CK_OBJECT_HANDLE_PTR out);
/* keygen.c */
CK_RV dsk_p11_generate_key_pair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub,
                                CK_ULONG npub, CK_ATTRIBUTE_PTR priv, CK_ULONG npriv,
                                CK_OBJECT_HANDLE_PTR hpub, CK_OBJECT_HANDLE_PTR hpriv);
CK_RV dsk_p11_generate_random(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len);

/* der.c: the little DER this folder writes (public encodings only). */
/* OCTET STRING around data; returns the length written (0 if out is too small). */
size_t dsk_der_octet_string(const unsigned char *in, size_t len, unsigned char *out, size_t max);
/* If in is an OCTET STRING covering all of in, point at its content. */
int dsk_der_unwrap_octet_string(const unsigned char *in, size_t len, const unsigned char **content,
                                size_t *clen);
/* SubjectPublicKeyInfo from PKCS#11 public attributes (malloc'd, caller frees). */
CK_RV dsk_der_spki_ec(const unsigned char *params, size_t plen, const unsigned char *point,
                      size_t ptlen, int eddsa, unsigned char **out, size_t *out_len);
CK_RV dsk_der_spki_rsa(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen,
                       unsigned char **out, size_t *out_len);

/* interface.c */
extern CK_FUNCTION_LIST dsk_p11_list_240;
extern CK_FUNCTION_LIST_3_0 dsk_p11_list_300;
CK_RV dsk_p11_get_info(CK_INFO_PTR info, int v3);

#endif
