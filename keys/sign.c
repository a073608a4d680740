/* Signatures: ECDSA, Ed25519, RSA PKCS#1 v1.5 and PSS; and verification.
 *
 * No lock on this path: the key is read-only once derived, and every call has
 * its own EVP_PKEY_CTX / EVP_MD_CTX (ECDSA's come from a per-key pool,
 * below). Signing duplicates a per-key context
 * that was sign-initialised once (mat->sign_tmpl): a fresh context per call
 * cost a method fetch plus a sign-init, a fixed ~3 us that made the provider
 * measurably slower than the default one for ECDSA P-256 and Ed25519.
 * OpenSSL errors raised here are removed from the thread's queue
 * (ERR_set_mark/ERR_pop_to_mark) so they do not leak into the application's
 * error handling; our dsk_error carries the reason.
 *
 * ECDSA on secp256k1 always gives low-S signatures (s <= n/2, else n - s, as
 * Ethereum's EIP-2 and Bitcoin's standardness rules require); both are valid
 * ECDSA, so other curves keep OpenSSL's s. secp256k1 keys sign through
 * libsecp256k1 (k1.c), which is low-S by construction. */
#include "internal.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#define MAX_HASH 64

static const char *scheme_name(dsk_sig_scheme s)
{
    switch (s) {
    case DSK_SIG_ECDSA:
        return "ECDSA";
    case DSK_SIG_EDDSA:
        return "EdDSA";
    case DSK_SIG_RSA_PKCS1:
        return "RSA PKCS#1 v1.5";
    case DSK_SIG_RSA_PSS:
        return "RSA-PSS";
    }
    return "an unknown signature scheme";
}

static int scheme_fits(dsk_key_type t, dsk_sig_scheme s)
{
    const dsk_type_info *ti = dsk_type_info_get(t);

    switch (s) {
    case DSK_SIG_ECDSA:
        return ti->group != NULL;
    case DSK_SIG_EDDSA:
        return t == DSK_KEY_ED25519;
    case DSK_SIG_RSA_PKCS1:
    case DSK_SIG_RSA_PSS:
        return strcmp(ti->ossl_name, "RSA") == 0;
    }
    return 0;
}

/* Checks common to sign and verify that need no key material. */
static dsk_status check_input(const dsk_key *k, const dsk_sign_params *p, size_t in_len,
                              dsk_error *err)
{
    const dsk_type_info *ti = dsk_type_info_get(k->mat->type);
    size_t hl = dsk_hash_size(p->hash);

    if (!scheme_fits(k->mat->type, p->scheme))
        return dsk_error_set(err, DSK_E_UNSUPPORTED, DSK_KEY_FMT " does not support %s",
                             DSK_KEY_ARGS(k), scheme_name(p->scheme));
    switch (p->scheme) {
    case DSK_SIG_ECDSA:
        if (in_len == 0 || in_len > MAX_HASH)
            return dsk_error_set(err, DSK_E_BAD_INPUT,
                                 DSK_KEY_FMT ": ECDSA signs a hash of 1 to %d bytes, got %zu",
                                 DSK_KEY_ARGS(k), MAX_HASH, in_len);
        break;
    case DSK_SIG_EDDSA:
        break;
    case DSK_SIG_RSA_PKCS1:
        if (p->hash == DSK_HASH_NONE) {
            if (in_len > ti->max_sig - 11)
                return dsk_error_set(err, DSK_E_BAD_INPUT,
                                     DSK_KEY_FMT
                                     ": raw PKCS#1 v1.5 input is %zu bytes, at most %zu fit",
                                     DSK_KEY_ARGS(k), in_len, ti->max_sig - 11);
            break;
        }
        __attribute__((fallthrough)); /* a digest of the named hash */
    case DSK_SIG_RSA_PSS:
        if (hl == 0)
            return dsk_error_set(err, DSK_E_ARGS, DSK_KEY_FMT ": %s needs a hash (got %d)",
                                 DSK_KEY_ARGS(k), scheme_name(p->scheme), (int)p->hash);
        if (in_len != hl)
            return dsk_error_set(err, DSK_E_BAD_INPUT,
                                 DSK_KEY_FMT ": a %s digest is %zu bytes, got %zu", DSK_KEY_ARGS(k),
                                 dsk_hash_name(p->hash), hl, in_len);
        if (p->scheme == DSK_SIG_RSA_PSS && p->mgf1 != DSK_HASH_NONE && dsk_hash_size(p->mgf1) == 0)
            return dsk_error_set(err, DSK_E_ARGS, DSK_KEY_FMT ": unknown MGF1 hash %d",
                                 DSK_KEY_ARGS(k), (int)p->mgf1);
        if (p->scheme == DSK_SIG_RSA_PSS && p->salt_len < -2)
            return dsk_error_set(err, DSK_E_ARGS, DSK_KEY_FMT ": invalid PSS salt length %ld",
                                 DSK_KEY_ARGS(k), p->salt_len);
        break;
    }
    return DSK_OK;
}

/* Padding, digest, MGF1 and salt for an RSA signature context. */
static int rsa_params(EVP_PKEY_CTX *ctx, const dsk_sign_params *p)
{
    OSSL_PARAM params[5];
    int pad = p->scheme == DSK_SIG_RSA_PSS ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING;
    int salt = p->salt_len == -1   ? RSA_PSS_SALTLEN_DIGEST
               : p->salt_len == -2 ? RSA_PSS_SALTLEN_MAX
                                   : (int)p->salt_len;
    size_t n = 0;

    params[n++] = OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PAD_MODE, &pad);
    if (p->hash != DSK_HASH_NONE)
        params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST,
                                                       (char *)dsk_hash_name(p->hash), 0);
    if (p->scheme == DSK_SIG_RSA_PSS) {
        dsk_hash mgf = p->mgf1 != DSK_HASH_NONE ? p->mgf1 : p->hash;
        params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST,
                                                       (char *)dsk_hash_name(mgf), 0);
        params[n++] = OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &salt);
    }
    params[n] = OSSL_PARAM_construct_end();
    return EVP_PKEY_CTX_set_params(ctx, params);
}

void dsk_keymat_drop_sign_ctx(dsk_keymat *mat, int openssl_alive)
{
    EVP_PKEY_CTX *t = atomic_exchange_explicit(&mat->sign_tmpl, NULL, memory_order_acquire);

    if (openssl_alive)
        EVP_PKEY_CTX_free(t);
    for (int i = 0; i < DSK_SIGN_POOL; i++) {
        t = atomic_exchange_explicit(&mat->sign_pool[i], NULL, memory_order_acquire);
        if (openssl_alive)
            EVP_PKEY_CTX_free(t);
    }
}

/* The ECDSA context pool (issue 14: two threads signing with one key). A
 * context that signed goes back to the key's pool instead of being freed,
 * and the next signature takes it: no duplicate of the template, whose
 * reference counts (the key, the signature method, the provider's key data)
 * every signing thread shares and bounces between CPUs. ECDSA takes no
 * parameters, so a used context signs like a fresh one; RSA contexts carry
 * padding and digest settings from their last use and are not pooled. A
 * slot is taken by exchange and filled by compare-and-swap, so a context
 * belongs to one thread at a time. */
static EVP_PKEY_CTX *pool_take(dsk_keymat *mat)
{
    for (int i = 0; i < DSK_SIGN_POOL; i++) {
        EVP_PKEY_CTX *c;
        /* Look before writing: an empty slot stays unshared in the cache. */
        if (atomic_load_explicit(&mat->sign_pool[i], memory_order_relaxed) != NULL &&
            (c = atomic_exchange_explicit(&mat->sign_pool[i], NULL, memory_order_acquire)) != NULL)
            return c;
    }
    return NULL;
}

static void pool_give(dsk_keymat *mat, EVP_PKEY_CTX *c)
{
    for (int i = 0; i < DSK_SIGN_POOL; i++) {
        EVP_PKEY_CTX *expected = NULL;
        if (atomic_load_explicit(&mat->sign_pool[i], memory_order_relaxed) == NULL &&
            atomic_compare_exchange_strong_explicit(&mat->sign_pool[i], &expected, c,
                                                    memory_order_release, memory_order_relaxed))
            return;
    }
    EVP_PKEY_CTX_free(c);
}

/* A new context sign-initialised for mat->pkey, for the scheme the key
 * type has (Ed25519: digest-sign; the others: EVP_PKEY_sign). */
static EVP_PKEY_CTX *make_sign_ctx(const dsk_key *k)
{
    EVP_PKEY_CTX *ctx = NULL;
    EVP_MD_CTX *mctx;

    if (k->mat->type != DSK_KEY_ED25519) {
        ctx = dsk_key_pkey_ctx(k);
        if (ctx != NULL && EVP_PKEY_sign_init(ctx) != 1) {
            EVP_PKEY_CTX_free(ctx);
            ctx = NULL;
        }
        return ctx;
    }
    /* The digest-sign context lives inside an EVP_MD_CTX: keep a copy of
     * it (EVP_PKEY_CTX_dup carries the provider's signature state). */
    mctx = EVP_MD_CTX_new();
    if (mctx != NULL &&
        EVP_DigestSignInit_ex(mctx, NULL, NULL, dsk_keys_libctx(), NULL, k->mat->pkey, NULL) == 1)
        ctx = EVP_PKEY_CTX_dup(EVP_MD_CTX_get_pkey_ctx(mctx));
    EVP_MD_CTX_free(mctx);
    return ctx;
}

/* A private copy of the key's sign-initialised context; the first call
 * makes the shared one. Racing first calls each make one; one is published
 * (compare-and-swap) and the others are freed, so no lock is needed and the
 * published context is never written again. */
static EVP_PKEY_CTX *sign_ctx(const dsk_key *k)
{
    dsk_keymat *mat = k->mat;
    EVP_PKEY_CTX *t = atomic_load_explicit(&mat->sign_tmpl, memory_order_acquire);
    EVP_PKEY_CTX *expected = NULL;

    if (t == NULL) {
        if ((t = make_sign_ctx(k)) == NULL)
            return NULL;
        if (!atomic_compare_exchange_strong_explicit(&mat->sign_tmpl, &expected, t,
                                                     memory_order_acq_rel, memory_order_acquire)) {
            EVP_PKEY_CTX_free(t);
            t = expected;
        }
    }
    return EVP_PKEY_CTX_dup(t);
}

/* secp256k1's group order n, big-endian. */
static const unsigned char k1_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};

int dsk_keys_k1_low_s(ECDSA_SIG *sig)
{
    const BIGNUM *r0, *s0;
    BIGNUM *n = BN_bin2bn(k1_order, sizeof k1_order, NULL);
    BIGNUM *half = BN_new(), *r = NULL, *s = NULL;
    int ok = 0;

    ECDSA_SIG_get0(sig, &r0, &s0);
    if (n == NULL || half == NULL || BN_rshift1(half, n) != 1)
        goto done;
    if (BN_cmp(s0, half) <= 0) {
        ok = 1;
        goto done;
    }
    r = BN_dup(r0);
    s = BN_new();
    if (r == NULL || s == NULL || BN_sub(s, n, s0) != 1 || ECDSA_SIG_set0(sig, r, s) != 1)
        goto done;
    r = s = NULL; /* owned by sig now */
    ok = 1;
done:
    BN_free(r);
    BN_free(s);
    BN_free(half);
    BN_free(n);
    return ok;
}

/* One DER INTEGER (positive, short length) at *p, copied right-aligned into
 * out[0..n) with zero padding. 0 if it is not one or does not fit. */
static int der_uint(const unsigned char **p, const unsigned char *end, unsigned char *out, size_t n)
{
    const unsigned char *q = *p;
    if (end - q < 2 || q[0] != 0x02 || q[1] == 0 || q[1] > 0x7f || end - q - 2 < q[1])
        return 0;
    size_t len = q[1];
    q += 2;
    if (q[0] & 0x80)
        return 0; /* negative */
    *p = q + len;
    while (len > 0 && *q == 0) {
        q++;
        len--;
    }
    if (len > n)
        return 0;
    memset(out, 0, n - len);
    memcpy(out + n - len, q, len);
    return 1;
}

/* OpenSSL's ECDSA-Sig-Value (SEQUENCE of r and s) as r||s, each half bytes.
 * Our own few lines instead of d2i_ECDSA_SIG + BN_bn2binpad: those allocate
 * two BIGNUMs and a structure per signature, ~4,200 instructions of a P-256
 * signature's 250,000 (issue 14, callgrind). The input is OpenSSL's own
 * output, still checked byte by byte. */
static int der_sig_to_rs(const unsigned char *der, size_t dlen, unsigned char *out, size_t half)
{
    const unsigned char *p = der, *end = der + dlen;
    size_t len;
    if (dlen < 2 || p[0] != 0x30)
        return 0;
    if (p[1] < 0x80) {
        len = p[1];
        p += 2;
    } else if (p[1] == 0x81 && dlen >= 3 && p[2] >= 0x80) {
        len = p[2];
        p += 3;
    } else {
        return 0;
    }
    if ((size_t)(end - p) != len)
        return 0;
    return der_uint(&p, end, out, half) && der_uint(&p, end, out + half, half) && p == end;
}

static dsk_status sign_pkey(dsk_key *k, const dsk_sign_params *p, const unsigned char *in,
                            size_t in_len, unsigned char *out, size_t *out_len, dsk_error *err)
{
    const dsk_type_info *ti = dsk_type_info_get(k->mat->type);
    unsigned char der[128];
    size_t dlen = sizeof der;
    int pooled = p->scheme == DSK_SIG_ECDSA;
    EVP_PKEY_CTX *ctx = pooled ? pool_take(k->mat) : NULL;
    dsk_status st = DSK_E_CRYPTO;

    if (ctx == NULL)
        ctx = sign_ctx(k);

    if (ctx == NULL || (p->scheme != DSK_SIG_ECDSA && rsa_params(ctx, p) != 1)) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "cannot set up the signature");
        goto done;
    }
    if (p->scheme != DSK_SIG_ECDSA) {
        if (EVP_PKEY_sign(ctx, out, out_len, in, in_len) != 1) {
            st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "RSA signature failed");
            goto done;
        }
        st = DSK_OK;
        goto done;
    }
    if (EVP_PKEY_sign(ctx, der, &dlen, in, in_len) != 1) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "ECDSA signature failed");
        goto done;
    }
    if (p->der) {
        memcpy(out, der, dlen);
        *out_len = dlen;
        st = DSK_OK;
        goto done;
    }
    /* PKCS#11 and JOSE want r||s, each zero-padded to the curve size. */
    if (!der_sig_to_rs(der, dlen, out, ti->max_sig / 2)) {
        st = dsk_error_set(err, DSK_E_CRYPTO, "ECDSA signature: cannot read OpenSSL's DER as r||s");
        goto done;
    }
    *out_len = ti->max_sig;
    st = DSK_OK;
done:
    if (pooled && st == DSK_OK)
        pool_give(k->mat, ctx);
    else
        EVP_PKEY_CTX_free(ctx);
    return st;
}

/* Ed25519 signing: the key's digest-sign context, duplicated, run by a
 * fresh EVP_MD_CTX that borrows it (EVP_MD_CTX_set_pkey_ctx keeps it ours
 * to free). */
static dsk_status ed_sign(dsk_key *k, const unsigned char *in, size_t in_len, unsigned char *sig,
                          size_t *sig_len, dsk_error *err)
{
    static const unsigned char empty[1];
    EVP_PKEY_CTX *ctx = sign_ctx(k);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    dsk_status st = DSK_E_CRYPTO;

    if (in == NULL)
        in = empty;
    if (ctx == NULL || mctx == NULL) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "Ed25519: cannot set up the signature");
        goto done;
    }
    EVP_MD_CTX_set_pkey_ctx(mctx, ctx);
    if (EVP_DigestSign(mctx, sig, sig_len, in, in_len) != 1) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "Ed25519 signature failed");
        goto done;
    }
    st = DSK_OK;
done:
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

/* Ed25519 verification is a one-shot DigestVerify over the whole message
 * (no prehash). */
static dsk_status ed_verify(dsk_key *k, const unsigned char *in, size_t in_len,
                            const unsigned char *sig, size_t sig_len, dsk_error *err)
{
    static const unsigned char empty[1];
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    dsk_status st = DSK_E_CRYPTO;

    if (in == NULL)
        in = empty;
    if (mctx == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "Ed25519: out of memory");
        goto done;
    }
    if (EVP_DigestVerifyInit_ex(mctx, NULL, NULL, dsk_keys_libctx(), NULL, k->mat->pkey, NULL) !=
        1) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "Ed25519 verification setup failed");
        goto done;
    }
    st = EVP_DigestVerify(mctx, sig, sig_len, in, in_len) == 1
             ? DSK_OK
             : dsk_error_set(err, DSK_E_VERIFY, "Ed25519 signature is not valid");
done:
    EVP_MD_CTX_free(mctx);
    return st;
}

dsk_status dsk_key_sign(dsk_key *k, const dsk_sign_params *p, const unsigned char *in,
                        size_t in_len, unsigned char *out, size_t *out_len, dsk_error *err)
{
    const dsk_type_info *ti;
    size_t need;
    dsk_status st;

    if (k == NULL || p == NULL || out_len == NULL || (in == NULL && in_len > 0))
        return dsk_error_set(err, DSK_E_ARGS, "sign: NULL argument");
    if ((st = check_input(k, p, in_len, err)) != DSK_OK)
        return st;
    ti = dsk_type_info_get(k->mat->type);
    need = (p->scheme == DSK_SIG_ECDSA && p->der) ? ti->max_der_sig : ti->max_sig;
    if (out == NULL) {
        *out_len = need;
        return DSK_OK;
    }
    if (*out_len < need) {
        *out_len = need;
        return dsk_error_set(err, DSK_E_BUFFER_TOO_SMALL, "sign: the signature needs %zu bytes",
                             need);
    }
    if ((st = dsk_key_ready_for(k, DSK_USAGE_SIGN, 1, "sign", err)) != DSK_OK)
        return st;
    ERR_set_mark();
    if (p->scheme == DSK_SIG_EDDSA)
        st = ed_sign(k, in, in_len, out, out_len, err);
    else if (k->mat->k1_sec != NULL)
        st = dsk_k1_sign(k->mat, in, in_len, p->der, out, out_len, err);
    else
        st = sign_pkey(k, p, in, in_len, out, out_len, err);
    ERR_pop_to_mark();
    if (st != DSK_OK)
        dsk_error_prefix(err, "key '%s' (%s)", k->label, ti->name);
    return st;
}

/* r||s back to the DER OpenSSL verifies. *der is allocated by OpenSSL. */
static int raw_to_der(const unsigned char *sig, size_t half, unsigned char **der)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL);
    BIGNUM *s = BN_bin2bn(sig + half, (int)half, NULL);
    int n = -1;

    if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es now */
        n = i2d_ECDSA_SIG(es, der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return n;
}

static dsk_status verify_pkey(dsk_key *k, const dsk_sign_params *p, const unsigned char *in,
                              size_t in_len, const unsigned char *sig, size_t sig_len,
                              dsk_error *err)
{
    const dsk_type_info *ti = dsk_type_info_get(k->mat->type);
    EVP_PKEY_CTX *ctx = dsk_key_pkey_ctx(k);
    unsigned char *der = NULL;
    dsk_status st = DSK_E_CRYPTO;
    int n;

    if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
        (p->scheme != DSK_SIG_ECDSA && rsa_params(ctx, p) != 1)) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "cannot set up the verification");
        goto done;
    }
    if (p->scheme == DSK_SIG_ECDSA && !p->der) {
        if (sig_len != ti->max_sig) {
            st = dsk_error_set(err, DSK_E_VERIFY, "an r||s signature is %zu bytes, got %zu",
                               ti->max_sig, sig_len);
            goto done;
        }
        if ((n = raw_to_der(sig, ti->max_sig / 2, &der)) <= 0) {
            st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
            goto done;
        }
        sig = der;
        sig_len = (size_t)n;
    }
    if (EVP_PKEY_verify(ctx, sig, sig_len, in, in_len) != 1) {
        st = dsk_error_set(err, DSK_E_VERIFY, "%s signature is not valid", scheme_name(p->scheme));
        goto done;
    }
    st = DSK_OK;
done:
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

dsk_status dsk_key_verify(dsk_key *k, const dsk_sign_params *p, const unsigned char *in,
                          size_t in_len, const unsigned char *sig, size_t sig_len, dsk_error *err)
{
    dsk_status st;

    if (k == NULL || p == NULL || (in == NULL && in_len > 0) || (sig == NULL && sig_len > 0))
        return dsk_error_set(err, DSK_E_ARGS, "verify: NULL argument");
    if ((st = check_input(k, p, in_len, err)) != DSK_OK)
        return st;
    if ((st = dsk_key_ready_for(k, DSK_USAGE_SIGN, 0, "verify", err)) != DSK_OK)
        return st;
    ERR_set_mark();
    if (p->scheme == DSK_SIG_EDDSA)
        st = ed_verify(k, in, in_len, sig, sig_len, err);
    else
        st = verify_pkey(k, p, in, in_len, sig, sig_len, err);
    ERR_pop_to_mark();
    if (st != DSK_OK)
        dsk_error_prefix(err, "key '%s' (%s)", k->label, dsk_type_info_get(k->mat->type)->name);
    return st;
}
