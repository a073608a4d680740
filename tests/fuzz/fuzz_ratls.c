/* trust/ratls.c: the parsers that read what a certificate's RA-TLS
 * extensions hold. The input is tried as an extension value (the DER OCTET
 * STRING the ra-tls crate writes), as a VersionedAttestation and as a TDX
 * quote. Every refusal carries a message; an attestation that parses and
 * has no runtime events encodes back to the same bytes (the parser is
 * strict, so there is one encoding); parsed fields lie inside the input;
 * the binding check runs on every input without crashing. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ratls.h"

/* p lies within [base, base + len] together with its n bytes. */
static int inside(const void *p, size_t n, const uint8_t *base, size_t len)
{
    const uint8_t *q = p;
    return n == 0 || (q >= base && q <= base + len && n <= (size_t)(base + len - q));
}

static void attestation(const uint8_t *data, size_t size)
{
    dsk_ratls_attestation a = {0};
    dsk_error e = {0};
    const uint8_t *rd;
    uint8_t *again = NULL;
    size_t again_len = 0;

    if (dsk_ratls_attestation_parse(data, size, &a, &e) != DSK_OK) {
        DSK_FUZZ_ASSERT(e.msg[0] != '\0' && a.events == NULL);
        return;
    }
    DSK_FUZZ_ASSERT(inside(a.quote, a.quote_len, data, size));
    DSK_FUZZ_ASSERT(inside(a.config, a.config_len, data, size));
    for (size_t i = 0; i < a.n_events; i++) {
        const dsk_ratls_event *ev = &a.events[i];
        DSK_FUZZ_ASSERT(inside(ev->digest, ev->digest_len, data, size));
        DSK_FUZZ_ASSERT(inside(ev->event, ev->event_len, data, size));
        DSK_FUZZ_ASSERT(inside(ev->payload, ev->payload_len, data, size));
    }
    if (a.n_runtime_events == 0) {
        DSK_FUZZ_ASSERT(dsk_ratls_attestation_encode(&a, &again, &again_len, &e) == DSK_OK);
        DSK_FUZZ_ASSERT(again_len == size && memcmp(again, data, size) == 0);
        free(again);
    }
    if (dsk_ratls_quote_report_data(a.quote, a.quote_len, &rd, &e) == DSK_OK)
        DSK_FUZZ_ASSERT(inside(rd, DSK_RATLS_REPORT_DATA_LEN, a.quote, a.quote_len));
    dsk_ratls_attestation_clear(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t spki[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    const uint8_t *content, *rd;
    size_t content_len;
    dsk_error e = {0};

    if (dsk_ratls_ext_unwrap(data, size, &content, &content_len, &e) == DSK_OK) {
        DSK_FUZZ_ASSERT(inside(content, content_len, data, size));
        uint8_t *wrapped = NULL;
        size_t wl = 0;
        /* unwrap accepts only the minimal encoding wrap writes */
        DSK_FUZZ_ASSERT(dsk_ratls_ext_wrap(content, content_len, &wrapped, &wl, &e) == DSK_OK);
        DSK_FUZZ_ASSERT(wl == size && memcmp(wrapped, data, size) == 0);
        free(wrapped);
        attestation(content, content_len);
    } else {
        DSK_FUZZ_ASSERT(e.msg[0] != '\0');
    }
    attestation(data, size);
    e.msg[0] = '\0';
    if (dsk_ratls_quote_report_data(data, size, &rd, &e) == DSK_OK)
        DSK_FUZZ_ASSERT(inside(rd, DSK_RATLS_REPORT_DATA_LEN, data, size));
    else
        DSK_FUZZ_ASSERT(e.msg[0] != '\0');
    e.msg[0] = '\0';
    /* No fuzzer input can bind to this SPKI without a SHA-512 preimage
     * search, but whatever it holds, the check answers with a message. */
    if (dsk_ratls_check_binding(data, size, spki, sizeof spki, &e) != DSK_OK)
        DSK_FUZZ_ASSERT(e.msg[0] != '\0');
    return 0;
}
