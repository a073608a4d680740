/* RA-TLS extension values, the legacy SCALE VersionedAttestation, TDX v4
 * REPORT_DATA and the report-data binding (ratls.h). */
#include "ratls.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define RATLS_TAG "ratls-cert:"
#define TDX_TEE_TYPE 0x81u
#define SCALE_V0 0x00u         /* LegacyVersionedAttestation::V0 */
#define SCALE_DSTACK_TDX 0x00u /* AttestationQuote::DstackTdx */

dsk_status dsk_ratls_report_data(const uint8_t *spki, size_t spki_len,
                                 uint8_t out[DSK_RATLS_REPORT_DATA_LEN], dsk_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) &&
             EVP_DigestUpdate(ctx, RATLS_TAG, strlen(RATLS_TAG)) &&
             EVP_DigestUpdate(ctx, spki, spki_len) && EVP_DigestFinal_ex(ctx, out, NULL);
    EVP_MD_CTX_free(ctx);
    return ok ? DSK_OK : dsk_error_set(err, DSK_E_CRYPTO, "RA-TLS report data: SHA-512 failed");
}

/* ---- DER OCTET STRING ------------------------------------------------ */

dsk_status dsk_ratls_ext_wrap(const uint8_t *content, size_t len, uint8_t **out, size_t *out_len,
                              dsk_error *err)
{
    uint8_t hdr[6];
    size_t h = 0;
    hdr[h++] = 0x04;
    if (len < 0x80) {
        hdr[h++] = (uint8_t)len;
    } else {
        size_t n = 0;
        for (size_t v = len; v; v >>= 8)
            n++;
        if (n > 4)
            return dsk_error_set(err, DSK_E_ARGS, "RA-TLS extension: content too large");
        hdr[h++] = (uint8_t)(0x80 | n);
        for (size_t i = n; i > 0; i--)
            hdr[h++] = (uint8_t)(len >> (8 * (i - 1)));
    }
    *out = malloc(h + len);
    if (!*out)
        return dsk_error_set(err, DSK_E_NOMEM, "RA-TLS extension: out of memory");
    memcpy(*out, hdr, h);
    if (len)
        memcpy(*out + h, content, len);
    *out_len = h + len;
    return DSK_OK;
}

dsk_status dsk_ratls_ext_unwrap(const uint8_t *der, size_t len, const uint8_t **content,
                                size_t *content_len, dsk_error *err)
{
    if (len < 2 || der[0] != 0x04)
        return dsk_error_set(err, DSK_E_BAD_INPUT,
                             "RA-TLS extension: value is not a DER OCTET STRING");
    size_t pos = 2, n = der[1];
    if (n & 0x80) {
        size_t k = n & 0x7f;
        if (k == 0 || k > 4 || len < 2 + k || der[2] == 0)
            return dsk_error_set(err, DSK_E_BAD_INPUT,
                                 "RA-TLS extension: bad DER length of the OCTET STRING");
        n = 0;
        for (size_t i = 0; i < k; i++)
            n = (n << 8) | der[2 + i];
        if (n < 0x80)
            return dsk_error_set(err, DSK_E_BAD_INPUT, "RA-TLS extension: non-minimal DER length");
        pos += k;
    }
    if (n != len - pos)
        return dsk_error_set(err, DSK_E_BAD_INPUT,
                             "RA-TLS extension: OCTET STRING length %zu does not match the %zu "
                             "bytes present",
                             n, len - pos);
    *content = der + pos;
    *content_len = n;
    return DSK_OK;
}

/* ---- SCALE ----------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    size_t left;
    const char *fail; /* first failure, for the message */
} reader;

static int take(reader *r, size_t n, const uint8_t **out, const char *what)
{
    if (r->fail)
        return 0;
    if (n > r->left) {
        r->fail = what;
        return 0;
    }
    *out = r->p;
    r->p += n;
    r->left -= n;
    return 1;
}

static int u32le(reader *r, uint32_t *v, const char *what)
{
    const uint8_t *b;
    if (!take(r, 4, &b, what))
        return 0;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

/* SCALE compact integer; like parity-scale-codec, refuses non-canonical
 * encodings and (here) anything above the attestation size limit. */
static int compact(reader *r, size_t *v, const char *what)
{
    const uint8_t *b;
    if (!take(r, 1, &b, what))
        return 0;
    uint64_t x = 0;
    unsigned mode = b[0] & 3;
    if (mode == 0) {
        x = b[0] >> 2;
    } else if (mode == 1) {
        const uint8_t *c;
        if (!take(r, 1, &c, what))
            return 0;
        x = ((uint64_t)b[0] | (uint64_t)c[0] << 8) >> 2;
        if (x < 64)
            goto bad;
    } else if (mode == 2) {
        const uint8_t *c;
        if (!take(r, 3, &c, what))
            return 0;
        x = ((uint64_t)b[0] | (uint64_t)c[0] << 8 | (uint64_t)c[1] << 16 | (uint64_t)c[2] << 24) >>
            2;
        if (x < (1u << 14))
            goto bad;
    } else {
        size_t n = (size_t)(b[0] >> 2) + 4;
        const uint8_t *c;
        if (n > 8 || !take(r, n, &c, what))
            goto bad;
        for (size_t i = n; i > 0; i--)
            x = (x << 8) | c[i - 1];
        if (x < (1u << 30) || c[n - 1] == 0)
            goto bad;
    }
    if (x > DSK_RATLS_MAX_ATTESTATION)
        goto bad;
    *v = (size_t)x;
    return 1;
bad:
    if (!r->fail)
        r->fail = what;
    return 0;
}

static int bytes(reader *r, const uint8_t **p, size_t *n, const char *what)
{
    return compact(r, n, what) && take(r, *n, p, what);
}

dsk_status dsk_ratls_attestation_parse(const uint8_t *buf, size_t len, dsk_ratls_attestation *out,
                                       dsk_error *err)
{
    memset(out, 0, sizeof *out);
    if (!buf || len == 0)
        return dsk_error_set(err, DSK_E_BAD_INPUT, "RA-TLS attestation: empty");
    if (len > DSK_RATLS_MAX_ATTESTATION)
        return dsk_error_set(err, DSK_E_BAD_INPUT, "RA-TLS attestation: larger than 10 MiB");
    if ((buf[0] & 0xf0) == 0x80 || buf[0] == 0xde || buf[0] == 0xdf)
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             "RA-TLS attestation: msgpack (V1) form is not supported yet; only "
                             "the legacy SCALE form (first byte 0x00) a TDX agent emits");
    if (buf[0] != SCALE_V0)
        return dsk_error_set(err, DSK_E_BAD_INPUT,
                             "RA-TLS attestation: unknown wire format (first byte 0x%02x)", buf[0]);
    if (len < 2 || buf[1] != SCALE_DSTACK_TDX)
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             "RA-TLS attestation: platform is not DstackTdx (variant %d)",
                             len < 2 ? -1 : buf[1]);
    reader r = {buf + 2, len - 2, NULL};
    size_t n;
    dsk_status st = DSK_OK;
    bytes(&r, &out->quote, &out->quote_len, "quote");
    if (compact(&r, &n, "event log count")) {
        /* each event takes at least 11 bytes: bound the allocation */
        if (n > r.left / 11) {
            r.fail = "event log count";
        } else if (n) {
            out->events = calloc(n, sizeof *out->events);
            if (!out->events)
                return dsk_error_set(err, DSK_E_NOMEM, "RA-TLS attestation: out of memory");
            out->n_events = n;
        }
    }
    for (size_t i = 0; !r.fail && i < out->n_events; i++) {
        dsk_ratls_event *e = &out->events[i];
        const uint8_t *ev;
        u32le(&r, &e->imr, "event imr");
        u32le(&r, &e->event_type, "event type");
        bytes(&r, &e->digest, &e->digest_len, "event digest");
        if (bytes(&r, &ev, &e->event_len, "event name"))
            e->event = (const char *)ev;
        bytes(&r, &e->payload, &e->payload_len, "event payload");
    }
    if (compact(&r, &out->n_runtime_events, "runtime event count")) {
        for (size_t i = 0; !r.fail && i < out->n_runtime_events; i++) {
            const uint8_t *p;
            size_t l;
            bytes(&r, &p, &l, "runtime event name");
            bytes(&r, &p, &l, "runtime event payload");
        }
    }
    const uint8_t *rdp, *cfg;
    if (take(&r, DSK_RATLS_REPORT_DATA_LEN, &rdp, "report data"))
        memcpy(out->report_data, rdp, DSK_RATLS_REPORT_DATA_LEN);
    if (bytes(&r, &cfg, &out->config_len, "config"))
        out->config = (const char *)cfg;
    if (r.fail)
        st = dsk_error_set(err, DSK_E_BAD_INPUT, "RA-TLS attestation: truncated or invalid %s",
                           r.fail);
    else if (r.left)
        st = dsk_error_set(err, DSK_E_BAD_INPUT, "RA-TLS attestation: %zu trailing bytes", r.left);
    if (st != DSK_OK)
        dsk_ratls_attestation_clear(out);
    return st;
}

void dsk_ratls_attestation_clear(dsk_ratls_attestation *a)
{
    if (!a)
        return;
    free(a->events);
    memset(a, 0, sizeof *a);
}

/* ---- encoder --------------------------------------------------------- */

typedef struct wr {
    uint8_t *buf;
    size_t len, cap;
    int oom;
} wr;

static void put(wr *w, const void *p, size_t n)
{
    if (w->oom)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *b = realloc(w->buf, cap);
        if (!b) {
            w->oom = 1;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    if (n)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_u32(wr *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, b, 4);
}

static void put_compact(wr *w, size_t v)
{
    uint8_t b[5];
    if (v < 64) {
        b[0] = (uint8_t)(v << 2);
        put(w, b, 1);
    } else if (v < (1u << 14)) {
        uint32_t x = (uint32_t)(v << 2) | 1;
        b[0] = (uint8_t)x;
        b[1] = (uint8_t)(x >> 8);
        put(w, b, 2);
    } else if (v < (1u << 30)) {
        put_u32(w, (uint32_t)(v << 2) | 2);
    } else {
        b[0] = 3; /* 4 bytes follow */
        for (int i = 0; i < 4; i++)
            b[1 + i] = (uint8_t)(v >> (8 * i));
        put(w, b, 5);
    }
}

static void put_bytes(wr *w, const void *p, size_t n)
{
    put_compact(w, n);
    put(w, p, n);
}

dsk_status dsk_ratls_attestation_encode(const dsk_ratls_attestation *a, uint8_t **out,
                                        size_t *out_len, dsk_error *err)
{
    wr w = {0};
    uint8_t head[2] = {SCALE_V0, SCALE_DSTACK_TDX};
    put(&w, head, 2);
    put_bytes(&w, a->quote, a->quote_len);
    put_compact(&w, a->n_events);
    for (size_t i = 0; i < a->n_events; i++) {
        const dsk_ratls_event *e = &a->events[i];
        put_u32(&w, e->imr);
        put_u32(&w, e->event_type);
        put_bytes(&w, e->digest, e->digest_len);
        put_bytes(&w, e->event, e->event_len);
        put_bytes(&w, e->payload, e->payload_len);
    }
    put_compact(&w, 0); /* runtime_events: a TDX agent keeps them in the event log */
    put(&w, a->report_data, DSK_RATLS_REPORT_DATA_LEN);
    put_bytes(&w, a->config, a->config_len);
    if (w.oom) {
        free(w.buf);
        return dsk_error_set(err, DSK_E_NOMEM, "RA-TLS attestation: out of memory");
    }
    *out = w.buf;
    *out_len = w.len;
    return DSK_OK;
}

/* ---- TDX v4 quote ---------------------------------------------------- */

static uint32_t le(const uint8_t *p, size_t n)
{
    uint32_t v = 0;
    for (size_t i = n; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

dsk_status dsk_ratls_quote_report_data(const uint8_t *quote, size_t len, const uint8_t **rd,
                                       dsk_error *err)
{
    if (len < DSK_RATLS_TDX_V4_MIN_LEN)
        return dsk_error_set(err, DSK_E_BAD_INPUT,
                             "TDX quote: %zu bytes, shorter than a v4 header, TD report and "
                             "signature length (%d)",
                             len, DSK_RATLS_TDX_V4_MIN_LEN);
    if (le(quote, 2) != 4)
        return dsk_error_set(err, DSK_E_UNSUPPORTED, "TDX quote: version %u, expected 4",
                             (unsigned)le(quote, 2));
    if (le(quote + 4, 4) != TDX_TEE_TYPE)
        return dsk_error_set(err, DSK_E_BAD_INPUT, "TDX quote: TEE type 0x%x is not TDX (0x81)",
                             (unsigned)le(quote + 4, 4));
    size_t sig = le(quote + DSK_RATLS_TDX_V4_MIN_LEN - 4, 4);
    if (sig != len - DSK_RATLS_TDX_V4_MIN_LEN)
        return dsk_error_set(err, DSK_E_BAD_INPUT,
                             "TDX quote: signature data length %zu does not match the %zu bytes "
                             "present",
                             sig, len - DSK_RATLS_TDX_V4_MIN_LEN);
    *rd = quote + DSK_RATLS_TDX_REPORT_DATA_OFF;
    return DSK_OK;
}

static dsk_status quote_bound(const uint8_t *quote, size_t qlen,
                              const uint8_t want[DSK_RATLS_REPORT_DATA_LEN], dsk_error *err)
{
    const uint8_t *qrd;
    dsk_status st = dsk_ratls_quote_report_data(quote, qlen, &qrd, err);
    if (st == DSK_OK && CRYPTO_memcmp(qrd, want, DSK_RATLS_REPORT_DATA_LEN) != 0)
        st = dsk_error_set(err, DSK_E_VERIFY,
                           "RA-TLS binding: the TDX quote's REPORT_DATA is not "
                           "SHA-512(\"ratls-cert:\" || the certificate's public key)");
    return st;
}

dsk_status dsk_ratls_check_quote_binding(const uint8_t *quote, size_t qlen, const uint8_t *spki,
                                         size_t spki_len, dsk_error *err)
{
    uint8_t want[DSK_RATLS_REPORT_DATA_LEN];
    dsk_status st = dsk_ratls_report_data(spki, spki_len, want, err);
    return st != DSK_OK ? st : quote_bound(quote, qlen, want, err);
}

dsk_status dsk_ratls_check_binding(const uint8_t *attestation, size_t alen, const uint8_t *spki,
                                   size_t spki_len, dsk_error *err)
{
    uint8_t want[DSK_RATLS_REPORT_DATA_LEN];
    dsk_ratls_attestation a;
    dsk_status st = dsk_ratls_report_data(spki, spki_len, want, err);
    if (st != DSK_OK)
        return st;
    st = dsk_ratls_attestation_parse(attestation, alen, &a, err);
    if (st != DSK_OK)
        return st;
    if (CRYPTO_memcmp(a.report_data, want, sizeof want) != 0)
        st = dsk_error_set(err, DSK_E_VERIFY,
                           "RA-TLS binding: the attestation's report data is not "
                           "SHA-512(\"ratls-cert:\" || the certificate's public key)");
    else
        st = quote_bound(a.quote, a.quote_len, want, err);
    dsk_ratls_attestation_clear(&a);
    return st;
}
