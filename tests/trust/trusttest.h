/* Shared by the trust/ unit tests: cmocka, hex helpers and the reference
 * vectors of the official simulator's app key (../shared/docs/dstack-protocol.md). */
#ifndef DSK_TRUSTTEST_H
#define DSK_TRUSTTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hex.h"
#include "trust.h"

/* The official simulator: app id, app key (public), KMS root, and the
 * test/wallet key's public key and link 0 for purpose "signing". */
#define TT_APP_ID "5bb4ff9a3837357f19dc176407a5709c62eb6c56"
#define TT_APP_KEY "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d"
#define TT_APP_PUB "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c"
#define TT_LINK1                                                                                   \
    "9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e594d2a283f843f34e8f39e4cc49a61" \
    "2496ce67223a12ac923f8efe330346dfc6c500"
#define TT_ROOT "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6"
#define TT_WALLET_PUB "032eb32fe300c29e10f805c8bd345e5601b1c6d0e10d645d49f9d6aae8bb0664f7"
#define TT_WALLET_LINK0                                                                            \
    "14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c33798d20477d877040fe6d7d9ea7" \
    "aa39b853a7a3e56c2c0e36bba3e8e12a65b000"
/* Another root (a valid point that is not the development KMS). */
#define TT_OTHER_ROOT "02db8af749ee56bf043b058418e04e1173217534d25117eb16cf0ff329b5869d25"

static inline void tt_hex(const char *hex, unsigned char *out, size_t len)
{
    assert_int_equal(dsk_hex_decode(hex, strlen(hex), out, len), (long)len);
}

static inline void tt_assert_hex(const unsigned char *bytes, size_t len, const char *want)
{
    char got[2 * 128 + 1];
    assert_true(len <= 128);
    dsk_hex_encode(bytes, len, got);
    assert_string_equal(got, want);
}

#endif

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdlib.h>

/* A statement fixture: fields owned here, s points into them. */
typedef struct tt_statement {
    dsk_statement s;
    unsigned char spki[1024];
    char purpose[DSK_STATEMENT_PURPOSE_MAX];
} tt_statement;

/* SPKI DER of an EC public point (any encoding) on group. */
static inline size_t tt_ec_spki(const char *group, const unsigned char *pt, size_t len,
                                unsigned char *out)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *p;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pk = NULL;
    unsigned char *q = out;
    int n;
    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, len);
    p = OSSL_PARAM_BLD_to_param(b);
    assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
    assert_int_equal(EVP_PKEY_fromdata(c, &pk, EVP_PKEY_PUBLIC_KEY, p), 1);
    n = i2d_PUBKEY(pk, &q);
    assert_true(n > 0);
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(c);
    OSSL_PARAM_free(p);
    OSSL_PARAM_BLD_free(b);
    return (size_t)n;
}

/* Sign link 0 over s's claim with the simulator's (public, development)
 * app key, as the agent would. */
static inline void tt_sign_link0(dsk_statement *s)
{
    unsigned char key[32], claim[512], digest[32];
    size_t len = sizeof claim;
    dsk_chain_input in;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_ecdsa_recoverable_signature sig;
    int recid;
    memset(&in, 0, sizeof in);
    in.api = s->api;
    in.algorithm = s->algorithm;
    in.purpose = s->purpose;
    in.purpose_len = s->purpose_len;
    in.pubkey = s->chain_pubkey;
    in.pubkey_len = s->chain_pubkey_len;
    assert_int_equal(dsk_chain_claim(&in, claim, &len), DSK_OK);
    dsk_keccak256(claim, len, digest);
    tt_hex(TT_APP_KEY, key, 32);
    assert_true(secp256k1_ecdsa_sign_recoverable(ctx, &sig, digest, key, NULL, NULL));
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, s->link0, &recid, &sig);
    s->link0[64] = (unsigned char)recid;
    secp256k1_context_destroy(ctx);
}

/* A valid statement: type "secp256k1" (the SPKI is the wallet key itself)
 * or "ec-p256" (a fresh P-256 SPKI; the chain covers the wallet key). */
static inline void tt_statement_make(tt_statement *t, const char *type)
{
    dsk_statement *s = &t->s;
    memset(t, 0, sizeof *t);
    s->format = DSK_STATEMENT_FORMAT;
    s->api = DSK_CHAIN_V0;
    tt_hex(TT_APP_ID, s->app_id, 20);
    s->key_type = type;
    s->algorithm = "secp256k1";
    tt_hex(TT_WALLET_PUB, s->chain_pubkey, 33);
    s->chain_pubkey_len = 33;
    if (strcmp(type, "secp256k1") == 0) {
        s->spki_len = tt_ec_spki("secp256k1", s->chain_pubkey, 33, t->spki);
    } else {
        EVP_PKEY *pk = EVP_EC_gen("P-256");
        unsigned char *q = t->spki;
        int n = i2d_PUBKEY(pk, &q);
        assert_true(n > 0);
        s->spki_len = (size_t)n;
        EVP_PKEY_free(pk);
    }
    s->spki = t->spki;
    assert_int_equal(dsk_statement_purpose(type, t->spki, s->spki_len, t->purpose, NULL), DSK_OK);
    s->purpose = (const unsigned char *)t->purpose;
    s->purpose_len = strlen(t->purpose);
    tt_hex(TT_LINK1, s->link1, 65);
    s->link1_len = 65;
    s->label = "wallet";
    s->path = "test/wallet";
    tt_sign_link0(s);
}
