/* RSA decryption and encryption.
 *
 * Padding oracles: every decryption failure (bad length aside) gives one
 * message and one status, DSK_E_BAD_INPUT, with OpenSSL's reason dropped, and
 * the plaintext goes through a stack buffer that is always wiped. For TLS 1.2
 * premasters, DSK_ENC_RSA_PKCS1_TLS uses OpenSSL's implicit rejection (a
 * random premaster on bad padding, in constant time), which is what a TLS
 * server must use. */
#include "internal.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#define TLS_PREMASTER 48

static size_t max_plain(size_t k, const dsk_enc_params *p)
{
    dsk_hash h = p->hash != DSK_HASH_NONE ? p->hash : DSK_HASH_SHA1;

    switch (p->scheme) {
    case DSK_ENC_RSA_OAEP:
        return k > 2 * dsk_hash_size(h) + 2 ? k - 2 * dsk_hash_size(h) - 2 : 0;
    case DSK_ENC_RSA_PKCS1:
        return k - 11;
    case DSK_ENC_RSA_PKCS1_TLS:
        return TLS_PREMASTER;
    case DSK_ENC_RSA_RAW:
        return k;
    }
    return 0;
}

static dsk_status check_params(const dsk_key *k, const dsk_enc_params *p, const char *what,
                               dsk_error *err)
{

    if (strcmp(dsk_type_info_get(k->mat->type)->ossl_name, "RSA") != 0)
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             DSK_KEY_FMT " does not allow %s (only RSA keys do)", DSK_KEY_ARGS(k),
                             what);
    if ((unsigned)p->scheme > DSK_ENC_RSA_RAW)
        return dsk_error_set(err, DSK_E_ARGS, DSK_KEY_FMT ": unknown encryption scheme %d",
                             DSK_KEY_ARGS(k), (int)p->scheme);
    if (p->scheme == DSK_ENC_RSA_OAEP &&
        ((p->hash != DSK_HASH_NONE && dsk_hash_size(p->hash) == 0) ||
         (p->mgf1 != DSK_HASH_NONE && dsk_hash_size(p->mgf1) == 0)))
        return dsk_error_set(err, DSK_E_ARGS, DSK_KEY_FMT ": unknown OAEP hash", DSK_KEY_ARGS(k));
    if (p->scheme == DSK_ENC_RSA_OAEP && p->label == NULL && p->label_len > 0)
        return dsk_error_set(err, DSK_E_ARGS, DSK_KEY_FMT ": OAEP label length without a label",
                             DSK_KEY_ARGS(k));
    return DSK_OK;
}

static int set_params(EVP_PKEY_CTX *ctx, const dsk_enc_params *p)
{
    OSSL_PARAM params[6];
    int pad;
    unsigned cv = p->tls_client_version, av = p->tls_alt_version;
    dsk_hash h = p->hash != DSK_HASH_NONE ? p->hash : DSK_HASH_SHA1;
    dsk_hash mgf = p->mgf1 != DSK_HASH_NONE ? p->mgf1 : h;
    size_t n = 0;

    switch (p->scheme) {
    case DSK_ENC_RSA_OAEP:
        pad = RSA_PKCS1_OAEP_PADDING;
        break;
    case DSK_ENC_RSA_PKCS1_TLS:
        pad = RSA_PKCS1_WITH_TLS_PADDING;
        break;
    case DSK_ENC_RSA_RAW:
        pad = RSA_NO_PADDING;
        break;
    default:
        pad = RSA_PKCS1_PADDING;
        break;
    }
    params[n++] = OSSL_PARAM_construct_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, &pad);
    if (p->scheme == DSK_ENC_RSA_OAEP) {
        params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST,
                                                       (char *)dsk_hash_name(h), 0);
        params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST,
                                                       (char *)dsk_hash_name(mgf), 0);
        /* OpenSSL copies the label. */
        if (p->label_len > 0)
            params[n++] = OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL,
                                                            (void *)p->label, p->label_len);
    }
    if (p->scheme == DSK_ENC_RSA_PKCS1_TLS) {
        params[n++] = OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION, &cv);
        params[n++] = OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_TLS_NEGOTIATED_VERSION, &av);
    }
    params[n] = OSSL_PARAM_construct_end();
    return EVP_PKEY_CTX_set_params(ctx, params);
}

static dsk_status decrypt_locked_out(dsk_key *k, const dsk_enc_params *p, const unsigned char *in,
                                     size_t in_len, unsigned char *out, size_t *out_len,
                                     dsk_error *err)
{
    unsigned char tmp[DSK_MAX_RSA_BYTES];
    size_t tl = sizeof tmp;
    EVP_PKEY_CTX *ctx = dsk_key_pkey_ctx(k);
    dsk_status st = DSK_E_CRYPTO;

    if (ctx == NULL || EVP_PKEY_decrypt_init(ctx) != 1 || set_params(ctx, p) != 1) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, "cannot set up the decryption");
        goto done;
    }
    /* OpenSSL wants room for a whole modulus; the caller may have less. */
    if (EVP_PKEY_decrypt(ctx, tmp, &tl, in, in_len) != 1) {
        st = dsk_error_set(err, DSK_E_BAD_INPUT, "decryption failed (invalid ciphertext)");
        goto done;
    }
    if (*out_len < tl) {
        *out_len = tl;
        st = dsk_error_set(err, DSK_E_BUFFER_TOO_SMALL, "the plaintext needs %zu bytes", tl);
        goto done;
    }
    memcpy(out, tmp, tl);
    *out_len = tl;
    st = DSK_OK;
done:
    OPENSSL_cleanse(tmp, sizeof tmp);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

dsk_status dsk_key_decrypt(dsk_key *k, const dsk_enc_params *p, const unsigned char *in,
                           size_t in_len, unsigned char *out, size_t *out_len, dsk_error *err)
{
    const dsk_type_info *ti;
    dsk_status st;

    if (k == NULL || p == NULL || out_len == NULL || in == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "decrypt: NULL argument");
    if ((st = check_params(k, p, "decrypt", err)) != DSK_OK)
        return st;
    ti = dsk_type_info_get(k->mat->type);
    if (out == NULL) {
        *out_len = max_plain(ti->max_sig, p);
        return DSK_OK;
    }
    if (p->scheme == DSK_ENC_RSA_PKCS1_TLS && *out_len < TLS_PREMASTER) {
        *out_len = TLS_PREMASTER;
        return dsk_error_set(err, DSK_E_BUFFER_TOO_SMALL, "a TLS premaster needs 48 bytes");
    }
    if (p->scheme == DSK_ENC_RSA_PKCS1_TLS && p->tls_client_version == 0)
        return dsk_error_set(err, DSK_E_ARGS, "TLS decryption needs the client version");
    if ((st = dsk_key_ready_for(k, DSK_USAGE_DECRYPT, 1, "decrypt", err)) != DSK_OK)
        return st;
    if (in_len != ti->max_sig) {
        st = dsk_error_set(err, DSK_E_BAD_INPUT, "the ciphertext must be %zu bytes, got %zu",
                           ti->max_sig, in_len);
        goto done;
    }
    ERR_set_mark();
    st = decrypt_locked_out(k, p, in, in_len, out, out_len, err);
    ERR_pop_to_mark();
done:
    if (st != DSK_OK)
        dsk_error_prefix(err, "key '%s' (%s)", k->label, ti->name);
    return st;
}

dsk_status dsk_key_encrypt(dsk_key *k, const dsk_enc_params *p, const unsigned char *in,
                           size_t in_len, unsigned char *out, size_t *out_len, dsk_error *err)
{
    const dsk_type_info *ti;
    EVP_PKEY_CTX *ctx = NULL;
    dsk_enc_params pp;
    size_t max;
    dsk_status st;

    if (k == NULL || p == NULL || out_len == NULL || (in == NULL && in_len > 0))
        return dsk_error_set(err, DSK_E_ARGS, "encrypt: NULL argument");
    if ((st = check_params(k, p, "encrypt", err)) != DSK_OK)
        return st;
    ti = dsk_type_info_get(k->mat->type);
    /* Encrypting a TLS premaster is plain PKCS#1 v1.5. */
    pp = *p;
    if (pp.scheme == DSK_ENC_RSA_PKCS1_TLS)
        pp.scheme = DSK_ENC_RSA_PKCS1;
    if (out == NULL) {
        *out_len = ti->max_sig;
        return DSK_OK;
    }
    if (*out_len < ti->max_sig) {
        *out_len = ti->max_sig;
        return dsk_error_set(err, DSK_E_BUFFER_TOO_SMALL, "the ciphertext needs %zu bytes",
                             ti->max_sig);
    }
    max = max_plain(ti->max_sig, &pp);
    if (in_len > max || (pp.scheme == DSK_ENC_RSA_RAW && in_len != max)) {
        st = dsk_error_set(err, DSK_E_BAD_INPUT, "the plaintext is %zu bytes; %s%zu fit", in_len,
                           pp.scheme == DSK_ENC_RSA_RAW ? "exactly " : "at most ", max);
        goto done;
    }
    if ((st = dsk_key_ready_for(k, DSK_USAGE_DECRYPT, 0, "encrypt", err)) != DSK_OK)
        return st;
    ERR_set_mark();
    ctx = dsk_key_pkey_ctx(k);
    if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) != 1 || set_params(ctx, &pp) != 1 ||
        EVP_PKEY_encrypt(ctx, out, out_len, in, in_len) != 1)
        st = dsk_keys_ossl_error(err, DSK_E_BAD_INPUT, "encryption failed");
    ERR_pop_to_mark();
    EVP_PKEY_CTX_free(ctx);
done:
    if (st != DSK_OK)
        dsk_error_prefix(err, "key '%s' (%s)", k->label, ti->name);
    return st;
}
