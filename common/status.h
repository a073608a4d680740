/* One status type for the whole project, and one way to report an error.
 *
 * Every fallible function returns a dsk_status and, when it fails, fills an
 * optional dsk_error with a message a user can act on (what failed, which
 * file/socket/label, what to do).  The front ends translate dsk_status into
 * CK_RV (pkcs11/) or an OpenSSL error (provider/) in exactly one place each.
 * Messages never contain key material. */
#ifndef DSK_STATUS_H
#define DSK_STATUS_H

#include <stddef.h>

typedef enum dsk_status {
    DSK_OK = 0,
    DSK_E_ARGS,           /* caller passed something invalid (NULL, bad length) */
    DSK_E_NOMEM,          /* out of memory */
    DSK_E_UNREACHABLE,    /* no dstack socket could be connected */
    DSK_E_TIMEOUT,        /* the agent did not answer in time */
    DSK_E_MALFORMED,      /* the agent answered something that is not a valid reply */
    DSK_E_REFUSED,        /* the agent answered with an error of its own */
    DSK_E_CONFIG,         /* bad configuration (file and line in the message) */
    DSK_E_NOT_FOUND,      /* unknown label or object */
    DSK_E_UNSUPPORTED,    /* operation/mechanism/type not supported by this key */
    DSK_E_BUFFER_TOO_SMALL, /* output buffer too small; the needed size is reported */
    DSK_E_BAD_INPUT,      /* input data invalid for the operation (length, padding) */
    DSK_E_VERIFY,         /* a signature did not verify */
    DSK_E_CRYPTO,         /* an internal cryptographic failure */
    DSK_E_IO,             /* a local file could not be read */
} dsk_status;

#define DSK_ERROR_MSG_MAX 512

typedef struct dsk_error {
    dsk_status code;
    char msg[DSK_ERROR_MSG_MAX];
} dsk_error;

/* Record an error in err (which may be NULL) and return code, so that a
 * failure reads:  return dsk_error_set(err, DSK_E_ARGS, "label %s ...", l); */
dsk_status dsk_error_set(dsk_error *err, dsk_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Put a context before an existing message: "key 'web': <old message>". */
dsk_status dsk_error_prefix(dsk_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset to DSK_OK with an empty message. */
void dsk_error_clear(dsk_error *err);

/* Short stable name of a status, e.g. "unreachable". Never NULL. */
const char *dsk_status_name(dsk_status s);

#endif
