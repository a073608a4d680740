/* The self-signed certificate every key gets unless configured otherwise:
 * programs that find keys through certificates (Java's SunPKCS11, OpenVPN,
 * gnupg-pkcs11-scd) then see every key with no extra configuration.
 *
 * Everything but the signature is a function of the key's description, so
 * the subject, issuer and serial are known without the agent, and the
 * certificate is byte-identical in every process and on every replica where
 * the signature is deterministic (RSA PKCS#1 v1.5, Ed25519; ECDSA signatures
 * differ per signing):
 *   version 3; subject = issuer = CN=<label>;
 *   serial = the first 16 bytes of SHA-256("dstack-pkcs11 self-signed v1" 0
 *            label 0 path 0 purpose 0 type), top bit cleared (positive);
 *   validity 2025-01-01 00:00:00Z to 9999-12-31 23:59:59Z (RFC 5280 4.1.2.5:
 *            no well-defined expiration);
 *   extensions: basicConstraints CA:FALSE (critical), keyUsage
 *            digitalSignature (+ keyEncipherment for RSA, keyAgreement for EC)
 *            (critical), subjectKeyIdentifier = SHA-1 of the public key bits;
 *   signature: ECDSA with SHA-256 (SHA-384 on P-384), sha256WithRSAEncryption,
 *            Ed25519. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define SERIAL_LEN 16

static X509_NAME *cn_name(const char *label)
{
    X509_NAME *n = X509_NAME_new();
    if (n != NULL && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                                                (const unsigned char *)label, -1, -1, 0) != 1) {
        X509_NAME_free(n);
        return NULL;
    }
    return n;
}

static ASN1_INTEGER *serial_of(const dsk_key *k)
{
    static const char tag[] = "dstack-pkcs11 self-signed v1";
    const char *parts[] = {tag, k->label, k->mat->path, k->mat->purpose,
                           dsk_type_info_get(k->mat->type)->name};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char h[32];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *out = NULL;

    if (md == NULL || EVP_DigestInit_ex(md, dsk_keys_md(DSK_HASH_SHA256), NULL) != 1)
        goto done;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (EVP_DigestUpdate(md, parts[i], strlen(parts[i]) + 1) != 1) /* with its NUL */
            goto done;
    if (EVP_DigestFinal_ex(md, h, NULL) != 1)
        goto done;
    h[0] &= 0x7f;
    h[0] |= 0x40; /* always 16 bytes: no leading zero to drop */
    bn = BN_bin2bn(h, SERIAL_LEN, NULL);
    if (bn != NULL)
        out = BN_to_ASN1_INTEGER(bn, NULL);
done:
    BN_free(bn);
    EVP_MD_CTX_free(md);
    return out;
}

#define DUP_DER(fn, obj, dst, dlen)                                                                \
    do {                                                                                           \
        unsigned char *p_;                                                                         \
        int n_ = fn(obj, NULL);                                                                    \
        if (n_ <= 0 || ((dst) = malloc((size_t)n_)) == NULL)                                       \
            goto done;                                                                             \
        p_ = (dst);                                                                                \
        if (fn(obj, &p_) != n_)                                                                    \
            goto done;                                                                             \
        (dlen) = (size_t)n_;                                                                       \
    } while (0)

dsk_status dsk_key_selfsigned_names(const dsk_key *k, dsk_cert *out, dsk_error *err)
{
    X509_NAME *n = NULL;
    ASN1_INTEGER *serial = NULL;
    dsk_status st = DSK_E_NOMEM;

    if (k == NULL || out == NULL || !k->mat->has_private)
        return dsk_error_set(err, DSK_E_ARGS, "self-signed certificate: no private key");
    memset(out, 0, sizeof *out);
    n = cn_name(k->label);
    serial = serial_of(k);
    if (n == NULL || serial == NULL)
        goto done;
    DUP_DER(i2d_X509_NAME, n, out->subject, out->subject_len);
    DUP_DER(i2d_X509_NAME, n, out->issuer, out->issuer_len);
    DUP_DER(i2d_ASN1_INTEGER, serial, out->serial, out->serial_len);
    st = DSK_OK;
done:
    X509_NAME_free(n);
    ASN1_INTEGER_free(serial);
    if (st != DSK_OK) {
        dsk_cert_free(out);
        return dsk_error_set(err, st, DSK_KEY_FMT ": out of memory for its certificate",
                             DSK_KEY_ARGS(k));
    }
    return DSK_OK;
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

dsk_status dsk_key_selfsigned(dsk_key *k, dsk_cert *out, dsk_error *err)
{
    dsk_status st;
    X509 *x = NULL;
    X509_NAME *n = NULL;
    ASN1_INTEGER *serial = NULL;
    ASN1_TIME *t = NULL;
    EVP_MD_CTX *mctx = NULL;
    dsk_key_type type;
    const char *md, *usage;

    if ((st = dsk_key_ready_for(k, DSK_USAGE_SIGN, 1, "a self-signed certificate", err)) != DSK_OK)
        return st;
    memset(out, 0, sizeof *out);
    type = k->mat->type;
    md = type == DSK_KEY_ED25519 ? NULL : type == DSK_KEY_EC_P384 ? "SHA384" : "SHA256";
    usage = type == DSK_KEY_ED25519                  ? "critical,digitalSignature"
            : dsk_type_info_get(type)->group != NULL ? "critical,digitalSignature,keyAgreement"
                                                     : "critical,digitalSignature,keyEncipherment";
    st = DSK_E_CRYPTO;
    x = X509_new_ex(dsk_keys_libctx(), NULL);
    n = cn_name(k->label);
    serial = serial_of(k);
    t = ASN1_TIME_new();
    if (x == NULL || n == NULL || serial == NULL || t == NULL || X509_set_version(x, 2) != 1 ||
        X509_set_serialNumber(x, serial) != 1 || X509_set_subject_name(x, n) != 1 ||
        X509_set_issuer_name(x, n) != 1 || ASN1_TIME_set_string(t, "20250101000000Z") != 1 ||
        X509_set1_notBefore(x, t) != 1 || ASN1_TIME_set_string(t, "99991231235959Z") != 1 ||
        X509_set1_notAfter(x, t) != 1 || X509_set_pubkey(x, k->mat->pkey) != 1 ||
        !add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, NID_key_usage, usage) || !add_ext(x, NID_subject_key_identifier, "hash"))
        goto done;
    /* Signed in the private context (the shield's): the key never leaves. */
    mctx = EVP_MD_CTX_new();
    if (mctx == NULL ||
        EVP_DigestSignInit_ex(mctx, NULL, md, dsk_keys_libctx(), NULL, k->mat->pkey, NULL) != 1 ||
        X509_sign_ctx(x, mctx) <= 0)
        goto done;
    st = DSK_E_NOMEM;
    DUP_DER(i2d_X509, x, out->der, out->der_len);
    DUP_DER(i2d_X509_NAME, n, out->subject, out->subject_len);
    DUP_DER(i2d_X509_NAME, n, out->issuer, out->issuer_len);
    DUP_DER(i2d_ASN1_INTEGER, serial, out->serial, out->serial_len);
    out->spki = malloc(k->mat->spki_len);
    if (out->spki == NULL)
        goto done;
    memcpy(out->spki, k->mat->spki, k->mat->spki_len);
    out->spki_len = k->mat->spki_len;
    st = DSK_OK;
done:
    if (st == DSK_E_CRYPTO)
        dsk_keys_ossl_error(err, st, "self-signed certificate: OpenSSL failed");
    else if (st != DSK_OK)
        dsk_error_set(err, st, "self-signed certificate: out of memory");
    if (st != DSK_OK)
        dsk_cert_free(out);
    EVP_MD_CTX_free(mctx);
    ASN1_TIME_free(t);
    ASN1_INTEGER_free(serial);
    X509_NAME_free(n);
    X509_free(x);
    return st;
}
