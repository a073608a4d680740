/* Shared by the provider/ unit tests: a simulator, a configuration file, an
 * application library context with the default provider then dstack.so,
 * and a second context with the default provider alone that checks every
 * result independently. */
#ifndef DSK_TEST_PROVTEST_H
#define DSK_TEST_PROVTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include "simproc.h"

typedef struct pt_env {
    dsk_test_sim sim;
    int sim_up;
    char dir[300];        /* the simulator's dir, or a private temp dir */
    char conf[400];       /* dir/dstack.conf */
    OSSL_LIB_CTX *libctx; /* default + dstack */
    OSSL_PROVIDER *deflt, *dstack;
    OSSL_LIB_CTX *check; /* default only */
    OSSL_PROVIDER *check_deflt;
} pt_env;

/* Keys in the configuration: web (ec-p256, path /my-app/web), p384
 * (ec-p384), k1 (secp256k1), ed (ed25519), rsa (rsa-2048). */
#define PT_CONF                                                                                    \
    "[key web]\npath = /my-app/web\ntype = ec-p256\n\n"                                            \
    "[key p384]\ntype = ec-p384\n\n[key k1]\ntype = secp256k1\n\n"                                 \
    "[key ed]\ntype = ed25519\n\n[key rsa]\ntype = rsa-2048\nusage = sign, decrypt\n"

/* with_sim: start a simulator (else the endpoint is a socket nobody serves).
 * Sets DSTACK_PKCS11_CONF and DSTACK_SIMULATOR_ENDPOINT, then loads the
 * providers. Fails the test on any error. */
void pt_setup(pt_env *e, int with_sim);
void pt_teardown(pt_env *e);

/* cmocka group setup/teardown using pt_setup(…, 1). */
int pt_group_setup(void **state);
int pt_group_teardown(void **state);

/* A private key through the dstack: store, in e->libctx; NULL on failure. */
EVP_PKEY *pt_load(pt_env *e, const char *uri);
/* k's public key re-made in e->check from its SubjectPublicKeyInfo. */
EVP_PKEY *pt_public(pt_env *e, EVP_PKEY *k);
/* A fresh key in ctx: "EC" + curve, "ED25519", or "RSA" (2048 bits). */
EVP_PKEY *pt_gen(OSSL_LIB_CTX *ctx, const char *alg, const char *curve);
/* Write text to dir/name; returns the path in a static buffer. */
const char *pt_write(pt_env *e, const char *name, const char *text);
/* The provider that implements k ("dstack", "default"). */
const char *pt_provider_of(const EVP_PKEY *k);
/* Every queued OpenSSL error as one string (static buffer), then cleared. */
const char *pt_errors(void);

#endif
