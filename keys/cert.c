/* X.509 certificates (PEM or DER) split into the DER pieces PKCS#11
 * certificate objects carry, byte for byte as in the file. Public data
 * only. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* The certificate's bytes are kept as the file has them: OpenSSL only
 * checks them. Its re-encoding is not always the same bytes (a certificate
 * it accepts can come back as one it refuses to read), and CKA_VALUE,
 * CKA_SUBJECT, ... must be what the file says. */

/* One DER element at *p (before end): its tag, content and whole extent.
 * Definite lengths only (DER), single-byte tags. */
typedef struct der_el {
    unsigned char tag;
    const unsigned char *start, *content, *end;
} der_el;

static int der_next(const unsigned char **p, const unsigned char *end, der_el *el)
{
    const unsigned char *q = *p;
    size_t avail = (size_t)(end - q), len, hdr = 2;
    if (avail < 2 || (q[0] & 0x1f) == 0x1f)
        return 0;
    len = q[1];
    if (len & 0x80) {
        size_t n = len & 0x7f;
        if (n == 0 || n > 4 || avail < 2 + n)
            return 0;
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = (len << 8) | q[2 + i];
        hdr += n;
    }
    if (len > avail - hdr)
        return 0;
    el->tag = q[0];
    el->start = q;
    el->content = q + hdr;
    el->end = q + hdr + len;
    *p = el->end;
    return 1;
}

static int dup_el(const der_el *el, unsigned char **dst, size_t *dlen)
{
    *dlen = (size_t)(el->end - el->start);
    if ((*dst = malloc(*dlen)) == NULL)
        return 0;
    memcpy(*dst, el->start, *dlen);
    return 1;
}

/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
 * serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo,
 * ... }, ... }: copies serial, issuer, subject and SPKI out of der.
 * 1 on success, 0 if the layout is not that, -1 out of memory. */
static int split_tbs(const unsigned char *der, size_t len, dsk_cert *out)
{
    enum { SERIAL, SIG, ISSUER, VALIDITY, SUBJECT, SPKI, NFIELDS };
    static const unsigned char tags[NFIELDS] = {0x02, 0x30, 0x30, 0x30, 0x30, 0x30};
    const unsigned char *p = der, *end = der + len;
    der_el cert, tbs, f[NFIELDS];
    if (!der_next(&p, end, &cert) || cert.tag != 0x30 || cert.end != end)
        return 0;
    p = cert.content;
    if (!der_next(&p, cert.end, &tbs) || tbs.tag != 0x30)
        return 0;
    p = tbs.content;
    for (int i = 0; i < NFIELDS; i++) {
        if (!der_next(&p, tbs.end, &f[i]))
            return 0;
        if (i == SERIAL && f[i].tag == 0xa0 && !der_next(&p, tbs.end, &f[i])) /* version */
            return 0;
        if (f[i].tag != tags[i])
            return 0;
    }
    if (!dup_el(&f[SERIAL], &out->serial, &out->serial_len) ||
        !dup_el(&f[ISSUER], &out->issuer, &out->issuer_len) ||
        !dup_el(&f[SUBJECT], &out->subject, &out->subject_len) ||
        !dup_el(&f[SPKI], &out->spki, &out->spki_len))
        return -1;
    return 1;
}

/* The DER of the first certificate: data itself, or the base64 of its PEM
 * block (text before it, as `openssl x509 -text` writes, is skipped).
 * *pem is set to the OpenSSL buffer to free, if any. */
static int cert_der(const unsigned char *data, size_t len, const unsigned char **der,
                    size_t *der_len, unsigned char **pem)
{
    *pem = NULL;
    if (len >= 11 && memmem(data, len, "-----BEGIN ", 11) != NULL) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        long n = 0;
        char *name = NULL;
        int ok = bio != NULL &&
                 PEM_bytes_read_bio(pem, &n, &name, PEM_STRING_X509, bio, NULL, NULL) == 1;
        BIO_free(bio);
        OPENSSL_free(name);
        if (!ok || n <= 0)
            return 0;
        *der = *pem;
        *der_len = (size_t)n;
        return 1;
    }
    *der = data;
    *der_len = len;
    return 1;
}

dsk_status dsk_cert_parse(const unsigned char *data, size_t len, const char *name, dsk_cert *out,
                          dsk_error *err)
{
    X509 *x = NULL;
    unsigned char *pem = NULL;
    const unsigned char *der = NULL, *p = NULL;
    size_t der_len = 0;
    dsk_status st = DSK_E_CONFIG;
    int split = 0;

    if (name == NULL)
        name = "certificate";
    if (data == NULL || out == NULL || len == 0 || len > (1u << 24))
        return dsk_error_set(err, DSK_E_ARGS, "%s: empty or missing certificate", name);
    memset(out, 0, sizeof *out);
    ERR_set_mark();
    if (cert_der(data, len, &der, &der_len, &pem)) {
        p = der;
        x = d2i_X509(NULL, &p, (long)der_len);
    }
    ERR_pop_to_mark();
    /* OpenSSL must accept all of it; then the pieces are the file's. */
    if (x == NULL || p != der + der_len) {
        dsk_error_set(err, st, "%s: not an X.509 certificate in PEM or DER; check the file", name);
        goto done;
    }
    if ((split = split_tbs(der, der_len, out)) == 0) {
        dsk_error_set(err, st,
                      "%s: the certificate is not DER-encoded (indefinite lengths?); "
                      "re-encode it with openssl x509 -outform DER",
                      name);
        goto done;
    }
    if (split < 0 || (out->der = malloc(der_len)) == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "%s: out of memory while reading the certificate",
                           name);
        goto done;
    }
    memcpy(out->der, der, der_len);
    out->der_len = der_len;
    st = DSK_OK;
done:
    X509_free(x);
    OPENSSL_free(pem);
    if (st != DSK_OK)
        dsk_cert_free(out);
    return st;
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
