/* secp256k1 ECDSA through libsecp256k1 (issue 14): about 14 times fewer
 * instructions per signature than OpenSSL's generic curve code, constant
 * time, and the scalar stays in our own locked, MADV_DONTDUMP memory.
 *
 * Nonces: RFC 6979 (libsecp256k1's default), so a signature is a function
 * of key and hash. OpenSSL 3.0's ECDSA, used here before, draws a random
 * nonce: its signatures were never reproducible, so none changes meaning.
 * libsecp256k1 always gives low-S, which this project promised already.
 * ECDH on secp256k1 goes through libsecp256k1 as well, so that OpenSSL keeps
 * only the public key (take_scalar swaps it in): no copy of the scalar is
 * left in OpenSSL's ordinary heap, which core dumps include. OpenSSL stays
 * for every other curve. */
#include "internal.h"

#include "derive.h" /* DSK_KEYMGMT_EC: types named by OID (shield.c) */

#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "lazy_secp.h"

/* One context for the process: after creation and randomisation it is only
 * read, which libsecp256k1 allows from any number of threads. */
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static secp256k1_context *k1_ctx;

static void ctx_init(void)
{
    unsigned char seed[32];
    secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);

    /* Blinding against side channels; without randomness the context is
     * still correct, only unblinded. The seed comes from the kernel: through
     * OpenSSL it would instantiate our context's DRBGs (8 M instructions),
     * which a process whose only secp256k1 work is checking the agent's
     * chain for a P-256 or RSA key never needs otherwise. */
    int seeded = getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed ||
                 RAND_bytes_ex(dsk_keys_libctx(), seed, sizeof seed, 0) == 1;
    if (c != NULL && seeded && !secp256k1_context_randomize(c, seed)) {
        secp256k1_context_destroy(c); /* cannot happen with a fresh context */
        c = NULL;
    }
    OPENSSL_cleanse(seed, sizeof seed);
    k1_ctx = c;
}

const struct secp256k1_context_struct *dsk_k1_ctx(void)
{
    pthread_once(&ctx_once, ctx_init);
    return k1_ctx;
}

dsk_status dsk_k1_take_scalar(dsk_keymat *mat, dsk_error *err)
{
    BIGNUM *d = NULL;
    dsk_status st = DSK_OK;

    if (mat->k1_sec == NULL && (mat->k1_sec = dsk_secret_alloc(32)) == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory for the secp256k1 key");
    if (EVP_PKEY_get_bn_param(mat->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
        BN_bn2binpad(d, mat->k1_sec, 32) != 32 ||
        !secp256k1_ec_seckey_verify(secp256k1_context_static, mat->k1_sec)) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "cannot read the secp256k1 scalar");
        dsk_k1_drop_scalar(mat);
    }
    BN_clear_free(d);
    if (st != DSK_OK)
        return st;
    /* From now on OpenSSL holds the public half only (verification, SPKI,
     * peer checks); freeing the full key clears its scalar. */
    /* by the provider decoders: d2i_PUBKEY asks an application's default
     * ENGINE first (shield.c) */
    EVP_PKEY *pub = dsk_keys_d2i_spki(mat->spki, mat->spki_len);
    if (pub == NULL) {
        dsk_k1_drop_scalar(mat);
        return dsk_keys_ossl_error(err, DSK_E_CRYPTO, "cannot rebuild the secp256k1 public key");
    }
    EVP_PKEY_free(mat->pkey);
    mat->pkey = pub;
    return DSK_OK;
}

static int copy_x(unsigned char *out, const unsigned char *x32, const unsigned char *y32,
                  void *data)
{
    (void)y32;
    (void)data;
    memcpy(out, x32, 32);
    return 1;
}

dsk_status dsk_k1_ecdh(const dsk_keymat *mat, const unsigned char *point, size_t point_len,
                       unsigned char out[32], dsk_error *err)
{
    secp256k1_pubkey pub;

    if (dsk_k1_ctx() == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "secp256k1: out of memory for the context");
    if (!secp256k1_ec_pubkey_parse(k1_ctx, &pub, point, point_len))
        return dsk_error_set(err, DSK_E_BAD_INPUT, "the peer key is not a secp256k1 point");
    /* The raw x coordinate, as OpenSSL's ECDH (and PKCS#11's CKD_NULL) gives. */
    if (!secp256k1_ecdh(k1_ctx, out, &pub, mat->k1_sec, copy_x, NULL))
        return dsk_error_set(err, DSK_E_CRYPTO, "ECDH failed");
    return DSK_OK;
}

void dsk_k1_drop_scalar(dsk_keymat *mat)
{
    dsk_secret_free(mat->k1_sec, 32);
    mat->k1_sec = NULL;
}

dsk_status dsk_k1_sign(const dsk_keymat *mat, const unsigned char *in, size_t in_len, int der,
                       unsigned char *out, size_t *out_len, dsk_error *err)
{
    unsigned char h[32] = {0};
    secp256k1_ecdsa_signature sig;

    if (dsk_k1_ctx() == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "secp256k1: out of memory for the context");
    /* The hash as OpenSSL's ECDSA reads it for a 256-bit order: the leftmost
     * 32 bytes of a longer one, a shorter one as the same number. */
    if (in_len >= 32)
        memcpy(h, in, 32);
    else
        memcpy(h + 32 - in_len, in, in_len);
    if (!secp256k1_ecdsa_sign(k1_ctx, &sig, h, mat->k1_sec, NULL, NULL))
        return dsk_error_set(err, DSK_E_CRYPTO, "secp256k1 signature failed");
    if (der) {
        if (!secp256k1_ecdsa_signature_serialize_der(k1_ctx, out, out_len, &sig))
            return dsk_error_set(err, DSK_E_CRYPTO, "secp256k1 signature: cannot encode DER");
        return DSK_OK;
    }
    secp256k1_ecdsa_signature_serialize_compact(k1_ctx, out, &sig);
    *out_len = 64;
    return DSK_OK;
}

EVP_PKEY *dsk_k1_private_pkey(const dsk_keymat *mat)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pk = NULL;
    BIGNUM *d = BN_secure_new(); /* cleared when freed, whatever the heap */

    if (bld == NULL || d == NULL || mat->k1_sec == NULL || BN_bin2bn(mat->k1_sec, 32, d) == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, mat->point,
                                         mat->point_len) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(dsk_keys_libctx(), DSK_KEYMGMT_EC, NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1)
        pk = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* the BN's part is in secure memory: cleared */
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    return pk;
}
