#include "internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "trust.h"

static const char hkdf_salt[] = "RATLS";

/* One signing context for the process: libsecp256k1 contexts are safe to
 * share between threads for signing once created. */
static secp256k1_context *sign_ctx;
static pthread_once_t sign_ctx_once = PTHREAD_ONCE_INIT;

static void sign_ctx_create(void)
{
    sign_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
}

static const secp256k1_context *get_sign_ctx(void)
{
    pthread_once(&sign_ctx_once, sign_ctx_create);
    return sign_ctx;
}


dsk_status dsk_sim_algorithm_parse(const char *name, dsk_sim_algorithm *out)
{
    if (!name || !*name || strcmp(name, "secp256k1") == 0 || strcmp(name, "k256") == 0) {
        *out = DSK_SIM_ALG_SECP256K1;
        return DSK_OK;
    }
    if (strcmp(name, "ed25519") == 0) {
        *out = DSK_SIM_ALG_ED25519;
        return DSK_OK;
    }
    return DSK_E_UNSUPPORTED;
}

/* Fetched once: a fetch per request costs more than the HMAC itself. */
static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* Called by main before exit, while OpenSSL is still initialised (a
 * destructor would run after OpenSSL's own atexit cleanup). */
void dsk_sim_chain_cleanup(void)
{
    EVP_MAC_free(hmac_alg);
    hmac_alg = NULL;
    if (sign_ctx)
        secp256k1_context_destroy(sign_ctx);
    sign_ctx = NULL;
}

static int hmac_sha256(const void *key, size_t key_len, const void *a, size_t a_len,
                       const void *b, size_t b_len, uint8_t out[32])
{
    int ok = 0;
    pthread_once(&hmac_once, hmac_fetch);
    EVP_MAC_CTX *mctx = hmac_alg ? EVP_MAC_CTX_new(hmac_alg) : NULL;
    size_t got = 0;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!mctx || !EVP_MAC_init(mctx, key, key_len, params))
        goto done;
    if (!EVP_MAC_update(mctx, a, a_len) || (b_len && !EVP_MAC_update(mctx, b, b_len)))
        goto done;
    ok = EVP_MAC_final(mctx, out, &got, 32) && got == 32;
done:
    EVP_MAC_CTX_free(mctx);
    return ok;
}

dsk_status dsk_sim_hkdf32(const void *salt, size_t salt_len, const uint8_t app_key[32],
                          const void *info, size_t info_len, uint8_t out[32], dsk_error *err)
{
    /* RFC 5869 with L = 32 is one extract and one expand block:
     * PRK = HMAC(salt, IKM); OKM = HMAC(PRK, info || 0x01). Done by hand
     * because OpenSSL 3.0's HKDF refuses info longer than 1 KiB. */
    uint8_t prk[32];
    static const uint8_t counter = 0x01;
    dsk_status rc = DSK_OK;
    if (!hmac_sha256(salt, salt_len, app_key, 32, NULL, 0, prk) ||
        !hmac_sha256(prk, sizeof prk, info, info_len, &counter, 1, out))
        rc = dsk_error_set(err, DSK_E_CRYPTO, "HKDF-SHA256 failed (OpenSSL HMAC)");
    OPENSSL_cleanse(prk, sizeof prk);
    return rc;
}

dsk_status dsk_sim_derive_key(const uint8_t app_key[32], const void *path, size_t path_len,
                              uint8_t out[32], dsk_error *err)
{
    return dsk_sim_hkdf32(hkdf_salt, sizeof hkdf_salt - 1, app_key, path, path_len, out, err);
}

static dsk_status ed25519_public(const uint8_t seed[32], uint8_t out[32], dsk_error *err)
{
    size_t len = 32;
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    dsk_status rc = DSK_OK;
    if (!pk || !EVP_PKEY_get_raw_public_key(pk, out, &len) || len != 32)
        rc = dsk_error_set(err, DSK_E_CRYPTO, "Ed25519 public key computation failed (OpenSSL)");
    EVP_PKEY_free(pk);
    return rc;
}

dsk_status dsk_sim_public_key(dsk_sim_algorithm alg, const uint8_t key[32],
                              uint8_t out[33], size_t *out_len, dsk_error *err)
{
    if (alg == DSK_SIM_ALG_ED25519) {
        *out_len = 32;
        return ed25519_public(key, out, err);
    }
    const secp256k1_context *ctx = get_sign_ctx();
    secp256k1_pubkey pub;
    size_t len = 33;
    if (!ctx)
        return dsk_error_set(err, DSK_E_NOMEM, "cannot create a libsecp256k1 context");
    /* A derived key outside [1, n-1] has probability ~2^-128; the real agent
     * fails too. */
    if (!secp256k1_ec_pubkey_create(ctx, &pub, key) ||
        !secp256k1_ec_pubkey_serialize(ctx, out, &len, &pub, SECP256K1_EC_COMPRESSED))
        return dsk_error_set(err, DSK_E_CRYPTO, "derived key is not a valid secp256k1 scalar");
    *out_len = len;
    return DSK_OK;
}

dsk_status dsk_sim_sign_recoverable(const uint8_t seckey[32], const uint8_t hash[32],
                                    uint8_t sig[DSK_SIM_SIG_LEN], dsk_error *err)
{
    const secp256k1_context *ctx = get_sign_ctx();
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = 0;
    if (!ctx)
        return dsk_error_set(err, DSK_E_NOMEM, "cannot create a libsecp256k1 context");
    /* NULL nonce function = RFC 6979 with HMAC-SHA256; the result is low-S. */
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, hash, seckey, NULL, NULL))
        return dsk_error_set(err, DSK_E_CRYPTO, "secp256k1 signing failed (invalid app key?)");
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &recid, &rs);
    sig[64] = (uint8_t)recid;
    return DSK_OK;
}

dsk_status dsk_sim_chain_sign(const uint8_t app_key[32], const char *purpose,
                              const uint8_t *pubkey, size_t pubkey_len,
                              uint8_t sig[DSK_SIM_SIG_LEN], dsk_error *err)
{
    size_t plen = purpose ? strlen(purpose) : 0;
    size_t mlen = plen + 1 + 2 * pubkey_len;
    char *msg = malloc(mlen + 1);
    uint8_t hash[DSK_KECCAK256_LEN];
    if (!msg)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory signing the key chain");
    if (plen)
        memcpy(msg, purpose, plen);
    msg[plen] = ':';
    dsk_hex_encode(pubkey, pubkey_len, msg + plen + 1);
    dsk_keccak256(msg, mlen, hash);
    free(msg);
    return dsk_sim_sign_recoverable(app_key, hash, sig, err);
}
