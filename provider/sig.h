/* The signature context shared by signature.c and sigparams.c. */
#ifndef DSK_PROVIDER_SIG_H
#define DSK_PROVIDER_SIG_H

#include "internal.h"

typedef enum { DSK_SIGALG_ECDSA, DSK_SIGALG_ED25519, DSK_SIGALG_RSA } dsk_sigalg;

typedef struct dsk_sig_ctx {
    dsk_prov *prov;
    dsk_sigalg alg;
    dsk_pkey *pk; /* not owned: the EVP_PKEY outlives the operation */
    int verify;
    int pad;         /* RSA_PKCS1_PADDING, RSA_PKCS1_PSS_PADDING */
    dsk_hash hash;   /* NONE until set */
    dsk_hash mgf1;   /* NONE = same as hash */
    long saltlen;    /* OpenSSL convention: -1 digest, -2 auto, -3 max, >= 0 */
    dsk_hash_ctx *h; /* digest_sign/verify stream */
    int streaming;   /* update() seen: the digest may not change */
} dsk_sig_ctx;

int dsk_sig_get_ctx_params(void *vctx, OSSL_PARAM params[]);
int dsk_sig_set_ctx_params(void *vctx, const OSSL_PARAM params[]);
const OSSL_PARAM *dsk_sig_gettable_ctx_params(void *vctx, void *provctx);
const OSSL_PARAM *dsk_sig_settable_ctx_params(void *vctx, void *provctx);
/* Salt length in bytes that signing will use (PSS). */
long dsk_sig_salt_bytes(const dsk_sig_ctx *c);

#endif
