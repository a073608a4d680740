/* Shared by the keys/ unit tests: keys made from known material without a
 * dstack agent, and the default provider as the independent checker. */
#ifndef DSK_TEST_KEYTEST_H
#define DSK_TEST_KEYTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hex.h"
#include "internal.h"

/* Nothing listens here: stores made with it must never reach I/O. */
#define KT_NO_AGENT "/nonexistent/dsk-keys-test.sock"

static inline dsk_keystore *kt_store(const char *endpoint)
{
    dsk_client_opts o = {.endpoint = endpoint ? endpoint : KT_NO_AGENT, .timeout_ms = 3000};
    dsk_keystore *ks = NULL;
    dsk_error e = {0};
    if (dsk_keystore_new(&o, &ks, &e) != DSK_OK)
        fail_msg("keystore: %s", e.msg);
    return ks;
}

/* A key derived from M = SHA-256(seed), without the agent; usage 0 is the
 * default (all the type can do but decrypt). */
static inline dsk_key *kt_key_u(dsk_keystore *ks, const char *label, dsk_key_type t,
                                const char *seed, unsigned usage)
{
    unsigned char m[32];
    dsk_key_desc d = {.label = label, .type = t, .usage = usage};
    dsk_key *k = NULL;
    dsk_error e = {0};
    EVP_Digest(seed, strlen(seed), m, NULL, EVP_sha256(), NULL);
    if (dsk_keystore_add(ks, &d, &k, &e) != DSK_OK)
        fail_msg("add %s: %s", label, e.msg);
    if (dsk_key_derive_from_material(k, m, &e) != DSK_OK)
        fail_msg("derive %s: %s", label, e.msg);
    OPENSSL_cleanse(m, sizeof m);
    return k;
}

static inline dsk_key *kt_key(dsk_keystore *ks, const char *label, dsk_key_type t, const char *seed)
{
    return kt_key_u(ks, label, t, seed, 0);
}

/* The key's public half in the application's DEFAULT context, for checks
 * that do not go through keys/. Free with EVP_PKEY_free. */
static inline EVP_PKEY *kt_default_pub(dsk_key *k)
{
    const unsigned char *der = NULL, *p;
    size_t len = 0;
    EVP_PKEY *pk;
    assert_int_equal(dsk_key_spki(k, &der, &len, NULL), DSK_OK);
    p = der;
    pk = d2i_PUBKEY(NULL, &p, (long)len);
    assert_non_null(pk);
    return pk;
}

static inline void kt_hex(const char *hex, unsigned char *out, size_t len)
{
    assert_int_equal(dsk_hex_decode(hex, strlen(hex), out, len), (long)len);
}

#endif
