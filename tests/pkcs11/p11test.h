/* Shared by the pkcs11/ unit tests: the module is loaded with dlopen from
 * $DSK_PKCS11_MODULE and driven only through its function list, against a
 * real simulator ($DSK_SIMULATOR). The configuration is written to a
 * temporary file named by $DSTACK_PKCS11_CONF; its endpoint is a symlink to
 * the simulator's socket, so a restarted simulator is found at the same
 * path. OpenSSL's default context checks what the module produces. */
#ifndef DSK_TEST_P11TEST_H
#define DSK_TEST_P11TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "pkcs11_3.h"
#include "simproc.h"

typedef struct p11t {
    void *dl;
    CK_FUNCTION_LIST_3_0 *f;
    CK_FUNCTION_LIST *f2; /* the 2.40 list of C_GetFunctionList */
    dsk_test_sim sim;
    int sim_up;
    char dir[256];
    char conf[320];
    char endpoint[320];
    char cert[320]; /* a PEM certificate file for [key web] */
} p11t;

extern p11t T;

/* The keys every test may use (in the default configuration):
 * web (ec-p256, with certificate), wallet (secp256k1 at /eth/main-wallet),
 * p384 (ec-p384), rsa (rsa-2048, sign+decrypt) in token "dstack", and
 * ssh (ed25519) in token "dstack-ed25519". */
extern const char *const P11T_DEFAULT_KEYS;

/* Start the simulator, write "[token]\nendpoint=...\n<token_extra>\n<keys>"
 * and load the module. keys NULL = P11T_DEFAULT_KEYS. No C_Initialize. */
int p11t_setup(const char *token_extra, const char *keys);
/* Unload the module, stop the simulator, remove the files. */
void p11t_teardown(void);
/* cmocka group setup/teardown: p11t_setup(NULL, NULL) + C_Initialize. */
int p11t_group_setup(void **state);
int p11t_group_teardown(void **state);

/* In a group test: finalise, start again with this configuration (as
 * p11t_setup) and C_Initialize. */
void p11t_restart(const char *token_extra, const char *keys);

void p11t_sim_stop(void);
void p11t_sim_start(void);

CK_SLOT_ID p11t_slot(const char *token_label);
CK_SESSION_HANDLE p11t_session(CK_SLOT_ID slot, int rw);
/* The first visible object of that class and label; 0 if none. */
CK_OBJECT_HANDLE p11t_find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label);
/* A malloc'd attribute value (fails the test if it cannot be read). */
unsigned char *p11t_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
                         CK_ULONG *len);
CK_ULONG p11t_attr_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t);
CK_BBOOL p11t_attr_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t);
/* The public key of an object from its CKA_PUBLIC_KEY_INFO, in OpenSSL. */
EVP_PKEY *p11t_pkey(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o);
/* OpenSSL's verdict (1 valid) on a PKCS#11 signature; ECDSA raw r||s is
 * converted to DER first. md: the hash (NULL for EdDSA and raw RSA);
 * prehashed: data is already the digest; pss: salt length, or -1 for
 * PKCS#1 v1.5. */
int p11t_verify(EVP_PKEY *pk, const EVP_MD *md, int prehashed, int pss, const unsigned char *data,
                size_t len, const unsigned char *sig, size_t siglen);
/* Keccak-256 (the Ethereum variant), an independent implementation. */
void p11t_keccak256(const unsigned char *in, size_t len, unsigned char out[32]);

#define CK(call) assert_int_equal((call), CKR_OK)

#endif
