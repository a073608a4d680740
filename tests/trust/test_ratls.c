/* trust/ratls.c: OCTET STRING wrapping as the ra-tls crate writes it, the
 * legacy SCALE attestation against hand-assembled bytes, TDX v4
 * REPORT_DATA, the binding, and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "ratls.h"

#define QLEN (DSK_RATLS_TDX_V4_MIN_LEN + 8)

static void make_quote(uint8_t q[QLEN], const uint8_t rd[64])
{
    memset(q, 0, QLEN);
    q[0] = 4;    /* version */
    q[2] = 2;    /* attestation key type */
    q[4] = 0x81; /* TEE type TDX */
    memcpy(q + 568, rd, 64);
    q[632] = 8; /* signature data length */
    memcpy(q + 636, "FAKESIG!", 8);
}

static void test_report_data_is_sha512_of_tag_and_spki(void **state)
{
    (void)state;
    const uint8_t spki[] = {0x30, 0x03, 0x01, 0x02, 0x03};
    uint8_t got[64], want[64];
    uint8_t buf[11 + sizeof spki];
    memcpy(buf, "ratls-cert:", 11);
    memcpy(buf + 11, spki, sizeof spki);
    unsigned int n = 0;
    assert_int_equal(EVP_Digest(buf, sizeof buf, want, &n, EVP_sha512(), NULL), 1);
    assert_int_equal(dsk_ratls_report_data(spki, sizeof spki, got, NULL), DSK_OK);
    assert_memory_equal(got, want, 64);
}

static void roundtrip_wrap(size_t len, const uint8_t *hdr, size_t hlen)
{
    uint8_t *c = calloc(1, len ? len : 1), *der;
    assert_non_null(c);
    size_t dl, cl;
    const uint8_t *back;
    for (size_t i = 0; i < len; i++)
        c[i] = (uint8_t)i;
    assert_int_equal(dsk_ratls_ext_wrap(c, len, &der, &dl, NULL), DSK_OK);
    assert_int_equal(dl, hlen + len);
    assert_memory_equal(der, hdr, hlen);
    assert_int_equal(dsk_ratls_ext_unwrap(der, dl, &back, &cl, NULL), DSK_OK);
    assert_int_equal(cl, len);
    if (len)
        assert_memory_equal(back, c, len);
    free(der);
    free(c);
}

static void test_wrap_lengths(void **state)
{
    (void)state;
    roundtrip_wrap(0, (const uint8_t[]){0x04, 0x00}, 2);
    roundtrip_wrap(127, (const uint8_t[]){0x04, 0x7f}, 2);
    roundtrip_wrap(128, (const uint8_t[]){0x04, 0x81, 0x80}, 3);
    roundtrip_wrap(256, (const uint8_t[]){0x04, 0x82, 0x01, 0x00}, 4);
    roundtrip_wrap(70000, (const uint8_t[]){0x04, 0x83, 0x01, 0x11, 0x70}, 5);
}

static void test_unwrap_refusals(void **state)
{
    (void)state;
    const uint8_t *c;
    size_t cl;
    dsk_error e;
    const uint8_t not_octet[] = {0x0c, 0x01, 'a'};
    const uint8_t short_len[] = {0x04, 0x03, 'a'};
    const uint8_t long_len[] = {0x04, 0x01, 'a', 'b'};
    const uint8_t nonmin[] = {0x04, 0x81, 0x01, 'a'};
    const uint8_t indef[] = {0x04, 0x80, 'a', 0, 0};
    const uint8_t lead0[] = {0x04, 0x82, 0x00, 0x81};
    assert_int_equal(dsk_ratls_ext_unwrap(not_octet, 3, &c, &cl, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "OCTET STRING"));
    assert_int_equal(dsk_ratls_ext_unwrap(short_len, 3, &c, &cl, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_ratls_ext_unwrap(long_len, 4, &c, &cl, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_ratls_ext_unwrap(nonmin, 4, &c, &cl, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_ratls_ext_unwrap(indef, 5, &c, &cl, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_ratls_ext_unwrap(lead0, 4, &c, &cl, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_ratls_ext_unwrap(not_octet, 1, &c, &cl, &e), DSK_E_BAD_INPUT);
}

/* A V0 attestation assembled by hand from the SCALE rules: quote of 3
 * bytes, one event, no runtime events, report data 0x11.., config "{}". */
static void test_parse_hand_assembled(void **state)
{
    (void)state;
    uint8_t b[2 + 1 + 3 + 1 + (4 + 4 + 1 + 2 + 1 + 1 + 1 + 0) + 1 + 64 + 1 + 2];
    size_t n = 0;
    b[n++] = 0x00; /* V0 */
    b[n++] = 0x00; /* DstackTdx */
    b[n++] = 3 << 2;
    b[n++] = 'q';
    b[n++] = 'q';
    b[n++] = 'q';
    b[n++] = 1 << 2; /* one event */
    b[n++] = 3;
    b[n++] = 0;
    b[n++] = 0;
    b[n++] = 0; /* imr 3 */
    b[n++] = 0x01;
    b[n++] = 0x00;
    b[n++] = 0x00;
    b[n++] = 0x08; /* 0x08000001 */
    b[n++] = 2 << 2;
    b[n++] = 0xaa;
    b[n++] = 0xbb; /* digest */
    b[n++] = 1 << 2;
    b[n++] = 'x'; /* event name */
    b[n++] = 0;   /* empty payload */
    b[n++] = 0;   /* no runtime events */
    memset(b + n, 0x11, 64);
    n += 64;
    b[n++] = 2 << 2;
    b[n++] = '{';
    b[n++] = '}';
    assert_int_equal(n, sizeof b);
    dsk_ratls_attestation a;
    assert_int_equal(dsk_ratls_attestation_parse(b, n, &a, NULL), DSK_OK);
    assert_int_equal(a.quote_len, 3);
    assert_int_equal(a.n_events, 1);
    assert_int_equal(a.events[0].imr, 3);
    assert_int_equal(a.events[0].event_type, 0x08000001u);
    assert_int_equal(a.events[0].digest_len, 2);
    assert_memory_equal(a.events[0].event, "x", 1);
    assert_int_equal(a.config_len, 2);
    assert_int_equal(a.report_data[63], 0x11);
    /* the encoder writes the same bytes */
    uint8_t *enc;
    size_t el;
    assert_int_equal(dsk_ratls_attestation_encode(&a, &enc, &el, NULL), DSK_OK);
    assert_int_equal(el, n);
    assert_memory_equal(enc, b, n);
    free(enc);
    dsk_ratls_attestation_clear(&a);

    /* every truncation is refused, and a trailing byte too */
    dsk_error e;
    for (size_t cut = 0; cut < n; cut++)
        assert_int_not_equal(dsk_ratls_attestation_parse(b, cut, &a, &e), DSK_OK);
    uint8_t longer[sizeof b + 1];
    memcpy(longer, b, n);
    longer[n] = 0;
    assert_int_equal(dsk_ratls_attestation_parse(longer, n + 1, &a, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "trailing"));
}

static void test_parse_refusals(void **state)
{
    (void)state;
    dsk_ratls_attestation a;
    dsk_error e;
    const uint8_t msgpack[] = {0x85, 0x00};
    const uint8_t unknown[] = {0x01, 0x00};
    const uint8_t not_tdx[] = {0x00, 0x03, 0x00};
    /* quote length 1 in the two-byte form: non-canonical */
    const uint8_t noncanon[] = {0x00, 0x00, 0x05, 0x00, 'q'};
    /* event count far beyond the bytes present */
    const uint8_t many[] = {0x00, 0x00, 0x00, 0xfe, 0xff, 0x03, 0x00};
    assert_int_equal(dsk_ratls_attestation_parse(msgpack, 2, &a, &e), DSK_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "msgpack"));
    assert_int_equal(dsk_ratls_attestation_parse(unknown, 2, &a, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_ratls_attestation_parse(not_tdx, 3, &a, &e), DSK_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "DstackTdx"));
    assert_int_equal(dsk_ratls_attestation_parse(noncanon, 5, &a, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "quote"));
    assert_int_equal(dsk_ratls_attestation_parse(many, sizeof many, &a, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "event log count"));
    assert_int_equal(dsk_ratls_attestation_parse(NULL, 0, &a, &e), DSK_E_BAD_INPUT);
}

static void test_quote_report_data(void **state)
{
    (void)state;
    uint8_t rd[64], q[QLEN];
    const uint8_t *got;
    dsk_error e;
    memset(rd, 0x5a, 64);
    make_quote(q, rd);
    assert_int_equal(dsk_ratls_quote_report_data(q, QLEN, &got, NULL), DSK_OK);
    assert_ptr_equal(got, q + 568);
    assert_int_equal(dsk_ratls_quote_report_data(q, DSK_RATLS_TDX_V4_MIN_LEN - 1, &got, &e),
                     DSK_E_BAD_INPUT);
    assert_int_equal(dsk_ratls_quote_report_data(q, QLEN - 1, &got, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "signature data length"));
    q[0] = 5;
    assert_int_equal(dsk_ratls_quote_report_data(q, QLEN, &got, &e), DSK_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "version"));
    q[0] = 4;
    q[4] = 0x00; /* SGX */
    assert_int_equal(dsk_ratls_quote_report_data(q, QLEN, &got, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "TEE type"));
}

static void binding_case(const uint8_t att_rd[64], const uint8_t quote_rd[64], const uint8_t *spki,
                         size_t spki_len, dsk_status want, const char *needle)
{
    uint8_t q[QLEN], *enc;
    size_t el;
    dsk_error e;
    make_quote(q, quote_rd);
    dsk_ratls_attestation a = {.quote = q, .quote_len = QLEN, .config = "{}", .config_len = 2};
    memcpy(a.report_data, att_rd, 64);
    assert_int_equal(dsk_ratls_attestation_encode(&a, &enc, &el, NULL), DSK_OK);
    assert_int_equal(dsk_ratls_check_binding(enc, el, spki, spki_len, &e), want);
    if (needle)
        assert_non_null(strstr(e.msg, needle));
    free(enc);
}

static void test_binding(void **state)
{
    (void)state;
    const uint8_t spki[] = "a public key";
    uint8_t good[64], bad[64];
    assert_int_equal(dsk_ratls_report_data(spki, sizeof spki, good, NULL), DSK_OK);
    memcpy(bad, good, 64);
    bad[63] ^= 1;
    binding_case(good, good, spki, sizeof spki, DSK_OK, NULL);
    binding_case(bad, good, spki, sizeof spki, DSK_E_VERIFY, "attestation's report data");
    binding_case(good, bad, spki, sizeof spki, DSK_E_VERIFY, "quote's REPORT_DATA");
    binding_case(good, good, spki, sizeof spki - 1, DSK_E_VERIFY, "attestation's report data");
}

static void test_quote_binding(void **state)
{
    (void)state;
    const uint8_t spki[] = "a public key";
    uint8_t good[64], q[QLEN];
    dsk_error e;
    assert_int_equal(dsk_ratls_report_data(spki, sizeof spki, good, NULL), DSK_OK);
    make_quote(q, good);
    assert_int_equal(dsk_ratls_check_quote_binding(q, QLEN, spki, sizeof spki, &e), DSK_OK);
    assert_int_equal(dsk_ratls_check_quote_binding(q, QLEN, spki, sizeof spki - 1, &e),
                     DSK_E_VERIFY);
    assert_non_null(strstr(e.msg, "quote's REPORT_DATA"));
    q[568 + 10] ^= 1;
    assert_int_equal(dsk_ratls_check_quote_binding(q, QLEN, spki, sizeof spki, &e), DSK_E_VERIFY);
    q[568 + 10] ^= 1;
    q[4] = 0; /* not TDX: refused as such, not as a mismatch */
    assert_int_equal(dsk_ratls_check_quote_binding(q, QLEN, spki, sizeof spki, &e),
                     DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "TEE type"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_data_is_sha512_of_tag_and_spki),
        cmocka_unit_test(test_wrap_lengths),
        cmocka_unit_test(test_unwrap_refusals),
        cmocka_unit_test(test_parse_hand_assembled),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_quote_report_data),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_quote_binding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
