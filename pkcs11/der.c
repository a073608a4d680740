/* The little DER this folder writes: public encodings only, so it needs no
 * cryptographic library. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static size_t len_size(size_t len)
{
    return len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 4;
}

/* tag + length; returns the header size */
static size_t put_header(unsigned char *out, unsigned char tag, size_t len)
{
    size_t n = 0;
    out[n++] = tag;
    if (len < 0x80) {
        out[n++] = (unsigned char)len;
    } else if (len < 0x100) {
        out[n++] = 0x81;
        out[n++] = (unsigned char)len;
    } else if (len < 0x10000) {
        out[n++] = 0x82;
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)len;
    } else {
        out[n++] = 0x83;
        out[n++] = (unsigned char)(len >> 16);
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)len;
    }
    return n;
}

size_t dsk_der_octet_string(const unsigned char *in, size_t len, unsigned char *out, size_t max)
{
    if (len >= 0x1000000 || 1 + len_size(len) + len > max)
        return 0;
    size_t h = put_header(out, 0x04, len);
    memcpy(out + h, in, len);
    return h + len;
}

int dsk_der_unwrap_octet_string(const unsigned char *in, size_t len, const unsigned char **content,
                                size_t *clen)
{
    if (len < 2 || in[0] != 0x04)
        return 0;
    size_t n, h;
    if (in[1] < 0x80) {
        n = in[1];
        h = 2;
    } else if (in[1] == 0x81 && len >= 3 && in[2] >= 0x80) {
        n = in[2];
        h = 3;
    } else if (in[1] == 0x82 && len >= 4 && in[2] != 0) {
        n = ((size_t)in[2] << 8) | in[3];
        h = 4;
    } else {
        return 0;
    }
    if (h + n != len)
        return 0;
    *content = in + h;
    *clen = n;
    return 1;
}

/* A growing buffer of DER pieces. */
typedef struct buf {
    unsigned char *p;
    size_t len;
} buf;

static int wrap(buf *b, unsigned char tag, const unsigned char *pre, size_t prelen)
{
    size_t body = prelen + b->len;
    unsigned char *n = malloc(1 + len_size(body) + body);
    if (!n)
        return 0;
    size_t h = put_header(n, tag, body);
    if (prelen)
        memcpy(n + h, pre, prelen);
    if (b->len)
        memcpy(n + h + prelen, b->p, b->len);
    free(b->p);
    b->p = n;
    b->len = h + body;
    return 1;
}

static int append(buf *b, const unsigned char *p, size_t len)
{
    unsigned char *n = realloc(b->p, b->len + len);
    if (!n)
        return 0;
    memcpy(n + b->len, p, len);
    b->p = n;
    b->len += len;
    return 1;
}

static int integer(buf *b, const unsigned char *v, size_t len)
{
    while (len > 1 && v[0] == 0)
        v++, len--;
    buf t = {NULL, 0};
    unsigned char zero = 0;
    int ok = append(&t, v, len) && wrap(&t, 0x02, &zero, len && (v[0] & 0x80) ? 1 : 0) &&
             append(b, t.p, t.len);
    free(t.p);
    return ok;
}

static CK_RV finish(buf *alg, buf *key, unsigned char **out, size_t *out_len)
{
    static const unsigned char zero = 0;
    CK_RV rv = CKR_HOST_MEMORY;
    if (wrap(key, 0x03, &zero, 1) && append(alg, key->p, key->len) && wrap(alg, 0x30, NULL, 0)) {
        *out = alg->p;
        *out_len = alg->len;
        alg->p = NULL;
        rv = CKR_OK;
    }
    free(alg->p);
    free(key->p);
    return rv;
}

CK_RV dsk_der_spki_ec(const unsigned char *params, size_t plen, const unsigned char *point,
                      size_t ptlen, int eddsa, unsigned char **out, size_t *out_len)
{
    /* id-ecPublicKey 1.2.840.10045.2.1 */
    static const unsigned char ec_oid[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
    buf alg = {NULL, 0}, key = {NULL, 0};
    int ok = eddsa ? append(&alg, params, plen)
                   : append(&alg, ec_oid, sizeof ec_oid) && append(&alg, params, plen);
    if (!ok || !wrap(&alg, 0x30, NULL, 0) || !append(&key, point, ptlen)) {
        free(alg.p);
        free(key.p);
        return CKR_HOST_MEMORY;
    }
    return finish(&alg, &key, out, out_len);
}

CK_RV dsk_der_spki_rsa(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen,
                       unsigned char **out, size_t *out_len)
{
    /* rsaEncryption 1.2.840.113549.1.1.1 with NULL parameters */
    static const unsigned char rsa_alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                            0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    buf alg = {NULL, 0}, key = {NULL, 0};
    if (!append(&alg, rsa_alg, sizeof rsa_alg) || !integer(&key, n, nlen) ||
        !integer(&key, e, elen) || !wrap(&key, 0x30, NULL, 0)) {
        free(alg.p);
        free(key.p);
        return CKR_HOST_MEMORY;
    }
    return finish(&alg, &key, out, out_len);
}
