/* X.509 certificates (PEM or DER) split into the DER pieces PKCS#11
 * certificate objects carry. Public data only. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* i2d into a fresh malloc'd buffer. */
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

static X509 *read_cert(const unsigned char *data, size_t len)
{
    const unsigned char *p = data;
    X509 *x = NULL;
    BIO *bio;

    if (len >= 11 && memmem(data, len, "-----BEGIN ", 11) != NULL) {
        bio = BIO_new_mem_buf(data, (int)len);
        if (bio == NULL)
            return NULL;
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
        return x;
    }
    x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != data + len) {
        X509_free(x);
        return NULL;
    }
    return x;
}

dsk_status dsk_cert_parse(const unsigned char *data, size_t len, const char *name, dsk_cert *out,
                          dsk_error *err)
{
    X509 *x = NULL;
    dsk_status st = DSK_E_NOMEM;

    if (name == NULL)
        name = "certificate";
    if (data == NULL || out == NULL || len == 0 || len > (1u << 24))
        return dsk_error_set(err, DSK_E_ARGS, "%s: empty or missing certificate", name);
    memset(out, 0, sizeof *out);
    ERR_set_mark();
    x = read_cert(data, len);
    ERR_pop_to_mark();
    if (x == NULL)
        return dsk_error_set(err, DSK_E_CONFIG,
                             "%s: not an X.509 certificate in PEM or DER; check the file", name);
    DUP_DER(i2d_X509, x, out->der, out->der_len);
    DUP_DER(i2d_X509_NAME, X509_get_subject_name(x), out->subject, out->subject_len);
    DUP_DER(i2d_X509_NAME, X509_get_issuer_name(x), out->issuer, out->issuer_len);
    DUP_DER(i2d_ASN1_INTEGER, X509_get0_serialNumber(x), out->serial, out->serial_len);
    DUP_DER(i2d_X509_PUBKEY, X509_get_X509_PUBKEY(x), out->spki, out->spki_len);
    st = DSK_OK;
done:
    X509_free(x);
    if (st != DSK_OK) {
        dsk_cert_free(out);
        return dsk_error_set(err, st, "%s: out of memory while reading the certificate", name);
    }
    return DSK_OK;
}

void dsk_cert_free(dsk_cert *c)
{
    if (c == NULL)
        return;
    free(c->der);
    free(c->subject);
    free(c->issuer);
    free(c->serial);
    free(c->spki);
    memset(c, 0, sizeof *c);
}
