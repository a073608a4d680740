/* Signatures: ECDSA, Ed25519, RSA PKCS#1 v1.5 and PSS; and verification.
 *
 * No lock on this path: the key is read-only once derived, and every call has
 * its own EVP_PKEY_CTX / EVP_MD_CTX. OpenSSL errors raised here are removed
 * from the thread's queue (ERR_set_mark/ERR_pop_to_mark) so they do not leak
 * into the application's error handling; our dsk_error carries the reason. */
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

static dsk_status sign_pkey(dsk_key *k, const dsk_sign_params *p, const unsigned char *in,
                            size_t in_len, unsigned char *out, size_t *out_len, dsk_error *err)
{
    const dsk_type_info *ti = dsk_type_info_get(k->mat->type);
    unsigned char der[128];
    size_t dlen = sizeof der;
    EVP_PKEY_CTX *ctx = dsk_key_pkey_ctx(k);
    ECDSA_SIG *sig = NULL;
    const unsigned char *dp = der;
    const BIGNUM *r, *s;
    dsk_status st = DSK_E_CRYPTO;

    if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
        (p->scheme != DSK_SIG_ECDSA && rsa_params(ctx, p) != 1)) {
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
    sig = d2i_ECDSA_SIG(NULL, &dp, (long)dlen);
    if (sig == NULL) {
        st = dsk_error_set(err, DSK_E_CRYPTO, "ECDSA signature: cannot parse OpenSSL's DER");
        goto done;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, out, (int)ti->max_sig / 2) < 0 ||
        BN_bn2binpad(s, out + ti->max_sig / 2, (int)ti->max_sig / 2) < 0) {
        st = dsk_error_set(err, DSK_E_CRYPTO, "ECDSA signature: r or s too long");
        goto done;
    }
    *out_len = ti->max_sig;
    st = DSK_OK;
done:
    ECDSA_SIG_free(sig);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

/* Ed25519 is a one-shot DigestSign over the whole message (no prehash). */
static dsk_status eddsa(dsk_key *k, int verify, const unsigned char *in, size_t in_len,
                        unsigned char *sig, size_t *sig_len, dsk_error *err)
{
    static const unsigned char empty[1];
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    dsk_status st = DSK_E_CRYPTO;
    int r;

    if (in == NULL)
        in = empty;
    if (mctx == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "Ed25519: out of memory");
        goto done;
    }
    if (!verify) {
        if (EVP_DigestSignInit_ex(mctx, NULL, NULL, dsk_keys_libctx(), NULL, k->mat->pkey, NULL) !=
                1 ||
            EVP_DigestSign(mctx, sig, sig_len, in, in_len) != 1) {
            st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "Ed25519 signature failed");
            goto done;
        }
        st = DSK_OK;
        goto done;
    }
    if (EVP_DigestVerifyInit_ex(mctx, NULL, NULL, dsk_keys_libctx(), NULL, k->mat->pkey, NULL) !=
        1) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "Ed25519 verification setup failed");
        goto done;
    }
    r = EVP_DigestVerify(mctx, sig, *sig_len, in, in_len);
    st = r == 1 ? DSK_OK : dsk_error_set(err, DSK_E_VERIFY, "Ed25519 signature is not valid");
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
        st = eddsa(k, 0, in, in_len, out, out_len, err);
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
        st = eddsa(k, 1, in, in_len, (unsigned char *)sig, &sig_len, err);
    else
        st = verify_pkey(k, p, in, in_len, sig, sig_len, err);
    ERR_pop_to_mark();
    if (st != DSK_OK)
        dsk_error_prefix(err, "key '%s' (%s)", k->label, dsk_type_info_get(k->mat->type)->name);
    return st;
}
