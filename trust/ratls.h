/* trust/ratls — the RA-TLS certificate profile of dstack, as pure functions
 * over bytes (no I/O):
 *
 *  - extension values exactly as dstack's ra-tls crate writes them: the
 *    extension's extnValue holds a DER OCTET STRING that wraps the content
 *    bytes (1.3.6.1.4.1.62397.1.8 attestation, .1.3 app id, .1.1 quote,
 *    .1.2 event log);
 *  - the VersionedAttestation a TDX CVM's agent emits from /Attest: the
 *    legacy SCALE form, first byte 0x00 = V0 { Attestation { quote:
 *    DstackTdx(TdxQuote { quote, event_log }), runtime_events, report_data
 *    [64], config } }.  The msgpack V1 form (first byte a msgpack map) is
 *    recognised and refused with a message: the agent emits it only when
 *    runtime events use event-log version 2;
 *  - REPORT_DATA of a TDX v4 quote (bytes 568..632);
 *  - the binding: report data = SHA-512("ratls-cert:" || SPKI DER), dstack's
 *    QuoteContentType::RaTlsCert.to_report_data.
 *
 * Nothing here checks a quote's signature, its TCB status or measurements:
 * that needs Intel's collateral (dstack-verifier, trust-center). */
#ifndef DSK_RATLS_H
#define DSK_RATLS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define DSK_RATLS_OID_QUOTE "1.3.6.1.4.1.62397.1.1"
#define DSK_RATLS_OID_EVENT_LOG "1.3.6.1.4.1.62397.1.2"
#define DSK_RATLS_OID_APP_ID "1.3.6.1.4.1.62397.1.3"
#define DSK_RATLS_OID_ATTESTATION "1.3.6.1.4.1.62397.1.8"
/* The project's own extension: the key statement JSON (docs/provenance.md),
 * under 2.25.<UUID cfc2d33d-5071-4a89-9af4-b38a0d04434c as an integer>. */
#define DSK_RATLS_OID_STATEMENT "2.25.276161785164273387520420499670444557132"

#define DSK_RATLS_REPORT_DATA_LEN 64
#define DSK_RATLS_TDX_V4_HEADER_LEN 48
#define DSK_RATLS_TDX_V4_BODY_LEN 584
#define DSK_RATLS_TDX_REPORT_DATA_OFF 568 /* header 48 + body offset 520 */
/* header + body + the u32 signature-data length */
#define DSK_RATLS_TDX_V4_MIN_LEN (DSK_RATLS_TDX_V4_HEADER_LEN + DSK_RATLS_TDX_V4_BODY_LEN + 4)
/* dstack's MAX_ATTESTATION_BYTES */
#define DSK_RATLS_MAX_ATTESTATION (10u * 1024u * 1024u)

/* SHA-512("ratls-cert:" || spki): the report data binding a certificate's
 * public key (SubjectPublicKeyInfo DER) to an attestation. */
dsk_status dsk_ratls_report_data(const uint8_t *spki, size_t spki_len,
                                 uint8_t out[DSK_RATLS_REPORT_DATA_LEN], dsk_error *err);

/* An extension value as the ra-tls crate's add_ext writes it: DER OCTET
 * STRING of content. *out is malloc'd. */
dsk_status dsk_ratls_ext_wrap(const uint8_t *content, size_t len, uint8_t **out, size_t *out_len,
                              dsk_error *err);
/* The reverse: *content points into der. Refuses anything but exactly one
 * definite-length, minimally encoded OCTET STRING. */
dsk_status dsk_ratls_ext_unwrap(const uint8_t *der, size_t len, const uint8_t **content,
                                size_t *content_len, dsk_error *err);

/* One TdxEvent in its SCALE form (imr, event_type, digest, event, payload). */
typedef struct dsk_ratls_event {
    uint32_t imr;
    uint32_t event_type;
    const uint8_t *digest;
    size_t digest_len;
    const char *event; /* not NUL-terminated when parsed */
    size_t event_len;
    const uint8_t *payload;
    size_t payload_len;
} dsk_ratls_event;

/* A legacy (V0, DstackTdx) attestation. Parsed fields point into the input
 * buffer; events is malloc'd by parse (dsk_ratls_attestation_clear). */
typedef struct dsk_ratls_attestation {
    const uint8_t *quote;
    size_t quote_len;
    dsk_ratls_event *events;
    size_t n_events;
    size_t n_runtime_events; /* parsed and skipped: TDX agents send none */
    uint8_t report_data[DSK_RATLS_REPORT_DATA_LEN];
    const char *config; /* not NUL-terminated */
    size_t config_len;
} dsk_ratls_attestation;

/* SCALE-encode a V0 DstackTdx attestation (no runtime events). *out malloc'd. */
dsk_status dsk_ratls_attestation_encode(const dsk_ratls_attestation *a, uint8_t **out,
                                        size_t *out_len, dsk_error *err);
dsk_status dsk_ratls_attestation_parse(const uint8_t *buf, size_t len, dsk_ratls_attestation *out,
                                       dsk_error *err);
void dsk_ratls_attestation_clear(dsk_ratls_attestation *a);

/* The REPORT_DATA of a TDX v4 quote, after checking its structure: version
 * 4, TEE type 0x81 (TDX), at least header + body + signature length, and a
 * signature-data length that matches the bytes that follow. */
dsk_status dsk_ratls_quote_report_data(const uint8_t *quote, size_t len, const uint8_t **rd,
                                       dsk_error *err);

/* A TDX quote (the legacy 1.3.6.1.4.1.62397.1.1 extension holds one, and
 * dstack's Go SDK verifier reads it) bound to spki: a v4 quote whose
 * REPORT_DATA equals SHA-512("ratls-cert:" || spki). */
dsk_status dsk_ratls_check_quote_binding(const uint8_t *quote, size_t qlen, const uint8_t *spki,
                                         size_t spki_len, dsk_error *err);

/* The RA-TLS binding check of a certificate: the attestation's report data
 * and its quote's REPORT_DATA both equal SHA-512("ratls-cert:" || spki).
 * The message of a failure names which of the two differs. */
dsk_status dsk_ratls_check_binding(const uint8_t *attestation, size_t alen, const uint8_t *spki,
                                   size_t spki_len, dsk_error *err);

#endif
