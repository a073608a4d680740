/* The private OpenSSL library context of keys/.
 *
 * Every operation here runs in a context of our own with only the "default"
 * provider's algorithms and no configuration read: if the application's
 * openssl.cnf activates our own provider, using the default context from
 * inside that provider would recurse into it. Creating the context does no
 * dstack I/O, so it happens lazily, at first use, under pthread_once.
 *
 * The context is the shield's (shield.c): an application's default ENGINE
 * can take over neither the creation of our keys nor their operations. What
 * OpenSSL 3.0 still lets an ENGINE reach, even here: a default DIGEST engine
 * (EVP_DigestInit_ex asks ENGINE_get_digest_engine for provider digests
 * too, also inside the default provider) and a default RAND engine
 * (RAND_priv_bytes_ex, used for RSA blinding and mixed into ECDSA nonces
 * with the private key and the message, so nonces stay unique per message).
 * Derivation checks SHA-256 and HMAC-SHA-256 against known answers before
 * every derivation and refuses, saying why, if an engine changed them:
 * keys never change silently (derive.c). dsk_random reads the context's DRBG
 * directly, not through RAND_bytes_ex.
 *
 * The context lives as long as the process and is never freed on purpose:
 * freeing it from dsk_keystore_free or a destructor races with OpenSSL's own
 * atexit cleanup (OPENSSL_cleanup) and with other threads still using keys of
 * another store; tearing it down would also take OpenSSL's global locks,
 * which teardown must not. valgrind reports it as "still reachable", never as
 * a definite leak. */
#include "internal.h"

#include "log.h"

#include <pthread.h>

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/provider.h>

static pthread_once_t libctx_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *libctx;

static void libctx_create(void)
{
    /* The providers stay loaded for the life of the context (never unloaded). */
    libctx = dsk_keys_shield_ctx();
    /* Said because it is the costliest step of a first use (the default
     * provider started, every digest fetched): tests check that loading
     * and listing never get here (tests/pkcs11/test_lazy.c). */
    dsk_log(DSK_LOG_DEBUG, "keys: OpenSSL library context created");
}

OSSL_LIB_CTX *dsk_keys_libctx(void)
{
    pthread_once(&libctx_once, libctx_create);
    return libctx;
}

dsk_status dsk_keys_ossl_error(dsk_error *err, dsk_status code, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char reason[200];

    if (e == 0)
        return dsk_error_set(err, code, "%s", what);
    ERR_error_string_n(e, reason, sizeof reason);
    return dsk_error_set(err, code, "%s (OpenSSL: %s)", what, reason);
}

EVP_PKEY_CTX *dsk_key_pkey_ctx(const dsk_key *k)
{
    /* A fresh context per call: EVP_PKEY_CTX is not shareable between threads,
     * while the EVP_PKEY it points to is, as long as it is only read. */
    return EVP_PKEY_CTX_new_from_pkey(dsk_keys_libctx(), k->mat->pkey, NULL);
}

EVP_PKEY *dsk_keys_d2i_spki(const unsigned char *der, size_t len)
{
    EVP_PKEY *pkey = NULL;
    const unsigned char *p = der;
    size_t left = len;
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(
        &pkey, "DER", "SubjectPublicKeyInfo", NULL, EVP_PKEY_PUBLIC_KEY, dsk_keys_libctx(), NULL);

    if (dctx == NULL || OSSL_DECODER_from_data(dctx, &p, &left) != 1 || left != 0) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(dctx);
    return pkey;
}

int dsk_keys_openssl_alive(void)
{
    /* After OPENSSL_cleanup (an atexit handler) this returns 0 without doing
     * anything; before, it is an atomic load on its fast path: no lock. */
    return OPENSSL_init_crypto(0, NULL) == 1;
}
