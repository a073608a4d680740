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

#include "sha256.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define SERIAL_LEN 16

/* The subject (= issuer) and serial are DER written here, not by OpenSSL:
 * they are made when the module lists its objects, and OpenSSL's X509_NAME
 * string rules and its SHA-256 make it initialise itself, read openssl.cnf
 * and start our library context (7 M instructions) in programs that list
 * the module's objects and never use a key. The bytes are what OpenSSL's
 * X509_NAME and ASN1_INTEGER gave before (tests/keys/test_selfcert.c). */

/* A DER tag and length: the number of bytes written to p (NULL: counted). */
static size_t der_head(unsigned char *p, unsigned char tag, size_t len)
{
    size_t n = len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : 3;
    if (p != NULL) {
        p[0] = tag;
        p[1] = n == 0 ? (unsigned char)len : (unsigned char)(0x80 | n);
        for (size_t i = 0; i < n; i++)
            p[2 + i] = (unsigned char)(len >> (8 * (n - 1 - i)));
    }
    return 2 + n;
}

/* Name ::= SEQUENCE { SET { SEQUENCE { id-at-commonName, UTF8String label } } } */
static unsigned char *cn_der(const char *label, size_t *out_len)
{
    static const unsigned char cn_oid[] = {0x06, 0x03, 0x55, 0x04, 0x03};
    size_t l = strlen(label);
    if (l >= 0x1000000 - 64)
        return NULL;
    size_t str = der_head(NULL, 0x0c, l) + l;
    size_t atv = sizeof cn_oid + str;
    size_t set = der_head(NULL, 0x30, atv) + atv;
    size_t name = der_head(NULL, 0x31, set) + set;
    size_t total = der_head(NULL, 0x30, name) + name;
    unsigned char *der = malloc(total), *p = der;
    if (der == NULL)
        return NULL;
    p += der_head(p, 0x30, name);
    p += der_head(p, 0x31, set);
    p += der_head(p, 0x30, atv);
    memcpy(p, cn_oid, sizeof cn_oid);
    p += sizeof cn_oid;
    p += der_head(p, 0x0c, l);
    memcpy(p, label, l);
    *out_len = total;
    return der;
}

/* INTEGER of the first 16 bytes of SHA-256 over the description. */
static unsigned char *serial_der(const dsk_key *k, size_t *out_len)
{
    static const char tag[] = "dstack-pkcs11 self-signed v1";
    const char *parts[] = {tag, k->label, k->mat->path, k->mat->purpose,
                           dsk_type_info_get(k->mat->type)->name};
    size_t len = 0, at = 0;
    unsigned char h[32], *der;

    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        len += strlen(parts[i]) + 1; /* with its NUL */
    unsigned char *buf = malloc(len);
    if (buf == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t n = strlen(parts[i]) + 1;
        memcpy(buf + at, parts[i], n);
        at += n;
    }
    dsk_sha256(buf, len, h);
    free(buf);
    if ((der = malloc(2 + SERIAL_LEN)) == NULL)
        return NULL;
    der[0] = 0x02;
    der[1] = SERIAL_LEN;
    memcpy(der + 2, h, SERIAL_LEN);
    der[2] = (unsigned char)((der[2] & 0x7f) | 0x40); /* positive, no leading zero to drop */
    *out_len = 2 + SERIAL_LEN;
    return der;
}

dsk_status dsk_key_selfsigned_names(const dsk_key *k, dsk_cert *out, dsk_error *err)
{
    if (k == NULL || out == NULL || !k->mat->has_private)
        return dsk_error_set(err, DSK_E_ARGS, "self-signed certificate: no private key");
    memset(out, 0, sizeof *out);
    out->subject = cn_der(k->label, &out->subject_len);
    out->issuer = cn_der(k->label, &out->issuer_len);
    out->serial = serial_der(k, &out->serial_len);
    if (out->subject == NULL || out->issuer == NULL || out->serial == NULL) {
        dsk_cert_free(out);
        return dsk_error_set(err, DSK_E_NOMEM, DSK_KEY_FMT ": out of memory for its certificate",
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
    type = k->mat->type;
    md = type == DSK_KEY_ED25519 ? NULL : type == DSK_KEY_EC_P384 ? "SHA384" : "SHA256";
    usage = type == DSK_KEY_ED25519                  ? "critical,digitalSignature"
            : dsk_type_info_get(type)->group != NULL ? "critical,digitalSignature,keyAgreement"
                                                     : "critical,digitalSignature,keyEncipherment";
    if ((st = dsk_key_selfsigned_names(k, out, err)) != DSK_OK)
        return st;
    const unsigned char *np = out->subject, *sp = out->serial;
    st = DSK_E_CRYPTO;
    x = X509_new_ex(dsk_keys_libctx(), NULL);
    n = d2i_X509_NAME(NULL, &np, (long)out->subject_len);
    serial = d2i_ASN1_INTEGER(NULL, &sp, (long)out->serial_len);
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
    int der_len = i2d_X509(x, NULL);
    unsigned char *dp;
    if (der_len <= 0 || (out->der = dp = malloc((size_t)der_len)) == NULL ||
        i2d_X509(x, &dp) != der_len)
        goto done;
    out->der_len = (size_t)der_len;
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
