/* Certificates and requests signed by a dstack key (dstack-key cert/csr).
 *
 * The front end builds the X509 or X509_REQ (names, extensions, validity)
 * with public data only and hands it here to be signed, so no private
 * material ever leaves keys/. OpenSSL encodes the to-be-signed part and the
 * algorithm identifiers (X509_sign_ctx) with a digest-sign context in our
 * private library context; for secp256k1 the signature is then made low-S
 * like every other signature of keys/ (both are valid ECDSA). */
#include "internal.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

/* The digest a type signs certificates with: none for Ed25519 (it signs the
 * whole message), SHA-384 for 384-bit curves, else SHA-256 (RFC 5758 and
 * what `openssl req` picks). Read from the type's facts so a new type gets
 * a sound choice without an edit here. */
static const char *cert_digest(dsk_key_type t)
{
    const dsk_type_info *ti = dsk_type_info_get(t);

    if (ti->group == NULL && strcmp(ti->ossl_name, "RSA") != 0)
        return NULL;
    return ti->group != NULL && ti->bits == 384 ? "SHA384" : "SHA256";
}

/* Replace the DER ECDSA signature in bits by its low-S form. */
static int low_s_bits(ASN1_BIT_STRING *bits)
{
    const unsigned char *p = ASN1_STRING_get0_data(bits);
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, ASN1_STRING_length(bits));
    unsigned char *der = NULL;
    int n, ok = 0;

    if (sig == NULL || !dsk_keys_k1_low_s(sig) || (n = i2d_ECDSA_SIG(sig, &der)) <= 0)
        goto done;
    /* Keeps the flags OpenSSL set (no unused bits). */
    ok = ASN1_BIT_STRING_set(bits, der, n) == 1;
done:
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    return ok;
}

/* sign_fn signs obj with mctx; sig_fn returns obj's signature BIT STRING. */
typedef int (*sign_fn)(void *obj, EVP_MD_CTX *mctx);
typedef const ASN1_BIT_STRING *(*sig_fn)(const void *obj);

static int x509_sign(void *obj, EVP_MD_CTX *mctx)
{
    return X509_sign_ctx(obj, mctx) > 0;
}

static int req_sign(void *obj, EVP_MD_CTX *mctx)
{
    return X509_REQ_sign_ctx(obj, mctx) > 0;
}

static const ASN1_BIT_STRING *x509_sig(const void *obj)
{
    const ASN1_BIT_STRING *s = NULL;
    X509_get0_signature(&s, NULL, obj);
    return s;
}

static const ASN1_BIT_STRING *req_sig(const void *obj)
{
    const ASN1_BIT_STRING *s = NULL;
    X509_REQ_get0_signature(obj, &s, NULL);
    return s;
}

static dsk_status sign_object(dsk_key *k, void *obj, const char *what, sign_fn sign, sig_fn sig,
                              dsk_error *err)
{
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY *k1 = NULL;
    char who[160];
    dsk_status st;

    if (k == NULL || obj == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "sign %s: NULL argument", what);
    if ((st = dsk_key_ready_for(k, DSK_USAGE_SIGN, 1, what, err)) != DSK_OK)
        return st;
    dsk_key_describe(k, who, sizeof who);
    ERR_set_mark();
    /* A secp256k1 scalar lives outside OpenSSL (k1.c): a transient key. */
    if (k->mat->k1_sec != NULL && (k1 = dsk_k1_private_pkey(k->mat)) == NULL) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, what);
        dsk_error_prefix(err, "%s", who);
        goto done;
    }
    if ((mctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit_ex(mctx, NULL, cert_digest(k->mat->type), dsk_keys_libctx(), NULL,
                              k1 != NULL ? k1 : k->mat->pkey, NULL) != 1 ||
        !sign(obj, mctx)) {
        st = dsk_keys_ossl_error(err, DSK_E_CRYPTO, what);
        dsk_error_prefix(err, "%s", who);
        goto done;
    }
    /* The signature string belongs to obj; OpenSSL offers no setter for a
     * certificate's, so it is rewritten in place (it is not part of the
     * cached to-be-signed encoding). */
    if (k->mat->type == DSK_KEY_SECP256K1 && !low_s_bits((ASN1_BIT_STRING *)sig(obj))) {
        st = dsk_error_set(err, DSK_E_CRYPTO, "%s: %s: cannot make the signature low-S", who, what);
        goto done;
    }
    st = DSK_OK;
done:
    ERR_pop_to_mark();
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(k1); /* clears the transient scalar */
    return st;
}

dsk_status dsk_key_sign_x509(dsk_key *k, struct x509_st *cert, dsk_error *err)
{
    return sign_object(k, cert, "sign a certificate", x509_sign, x509_sig, err);
}

dsk_status dsk_key_sign_x509_req(dsk_key *k, struct X509_req_st *req, dsk_error *err)
{
    return sign_object(k, req, "sign a certificate request", req_sign, req_sig, err);
}
