/* RA-TLS for dstack-key: the extensions cert --ra-tls adds (an attestation
 * from /Attest bound to the certificate's public key, the app id, and with
 * --statement the key statement), and verify's checks of a certificate.
 * The byte formats are trust/ratls.c's; this file does the I/O. */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "ratls.h"
#include "socket.h"
#include "tool.h"

void dsk_tool_ratls_clear(dsk_tool_ratls *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->bufs[i]);
    memset(r, 0, sizeof *r);
}

static dsk_status add_ext(dsk_tool_ratls *r, const char *oid, const unsigned char *content,
                          size_t len, dsk_error *err)
{
    uint8_t *der;
    size_t dl;
    dsk_status st = dsk_ratls_ext_wrap(content, len, &der, &dl, err);
    if (st != DSK_OK)
        return st;
    r->bufs[r->n] = der;
    r->exts[r->n] = (dsk_x509_ext){.oid = oid, .der = der, .der_len = dl};
    r->n++;
    return DSK_OK;
}

dsk_status dsk_tool_ratls_exts(dsk_tool_ctx *ctx, dsk_key *k, int with_statement, dsk_tool_ratls *r,
                               dsk_error *err)
{
    const unsigned char *spki;
    size_t spki_len, hl;
    uint8_t rd[DSK_RATLS_REPORT_DATA_LEN], app_id[DSK_APP_ID_LEN], *att = NULL;
    char *att_hex = NULL, *statement = NULL;
    dsk_info info = {0};
    dsk_status st;

    memset(r, 0, sizeof *r);
    /* The SPKI is known before signing: the attestation binds it. */
    if ((st = dsk_key_spki(k, &spki, &spki_len, err)) != DSK_OK ||
        (st = dsk_ratls_report_data(spki, spki_len, rd, err)) != DSK_OK ||
        (st = dsk_client_attest(ctx->client, rd, sizeof rd, &att_hex, err)) != DSK_OK ||
        (st = dsk_client_info(ctx->client, &info, err)) != DSK_OK)
        goto done;
    hl = strlen(att_hex);
    if ((att = malloc(hl / 2 + 1)) == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    long n = dsk_hex_decode(att_hex, hl, att, hl / 2 + 1);
    if (n <= 0 || info.app_id == NULL ||
        dsk_hex_decode(info.app_id, strlen(info.app_id), app_id, sizeof app_id) !=
            (long)sizeof app_id) {
        st = dsk_error_set(err, DSK_E_MALFORMED,
                           "the agent's /Attest attestation or /Info app id is not hex");
        goto done;
    }
    /* Refuse to issue what verify would reject (e.g. a msgpack attestation). */
    if ((st = dsk_ratls_check_binding(att, (size_t)n, spki, spki_len, err)) != DSK_OK) {
        dsk_error_prefix(err, "the agent's attestation");
        goto done;
    }
    if ((st = add_ext(r, DSK_RATLS_OID_ATTESTATION, att, (size_t)n, err)) != DSK_OK ||
        (st = add_ext(r, DSK_RATLS_OID_APP_ID, app_id, sizeof app_id, err)) != DSK_OK)
        goto done;
    if (with_statement &&
        ((st = dsk_key_statement(k, &statement, err)) != DSK_OK ||
         (st = add_ext(r, DSK_RATLS_OID_STATEMENT, (const unsigned char *)statement,
                       strlen(statement), err)) != DSK_OK))
        goto done;
done:
    if (st != DSK_OK)
        dsk_tool_ratls_clear(r);
    free(att_hex);
    free(att);
    free(statement);
    dsk_info_free(&info);
    return st;
}

/* ---- verify CERT ------------------------------------------------------- */

static X509 *load_leaf(const unsigned char *data, size_t len)
{
    static const char pem[] = "-----BEGIN CERTIFICATE-----";
    if (memmem(data, len, pem, sizeof pem - 1) != NULL) {
        /* PEM_read_bio skips text before the first BEGIN line: the leaf of
         * an s_client -showcerts chain comes first. */
        BIO *b = BIO_new_mem_buf(data, (int)len);
        X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        return x;
    }
    const unsigned char *p = data;
    return d2i_X509(NULL, &p, (long)len);
}

/* An extension's content (inside the ra-tls OCTET STRING), or NULL. */
static const uint8_t *ext_content(X509 *x, const char *oid, size_t *len, const char **why)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    int i = o ? X509_get_ext_by_OBJ(x, o, -1) : -1;
    ASN1_OBJECT_free(o);
    *why = "absent";
    if (i < 0)
        return NULL;
    ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(x, i));
    const uint8_t *c;
    dsk_error e = {0};
    if (dsk_ratls_ext_unwrap(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), &c, len,
                             &e) != DSK_OK) {
        *why = "not an OCTET STRING as dstack's ra-tls writes it";
        return NULL;
    }
    return c;
}

static const char *failed;

static void check(const char *name, int ok, const char *detail)
{
    printf("%s %s: %s\n", ok ? "ok  " : "FAIL", name, detail);
    if (!ok && failed == NULL)
        failed = name;
}

int dsk_tool_verify_certificate(const char *file, const unsigned char *data, size_t len,
                                const dsk_verify_opts *o)
{
    X509 *x = load_leaf(data, len);
    EVP_PKEY *pub = x ? X509_get0_pubkey(x) : NULL;
    unsigned char *spki = NULL;
    int spki_len = pub ? i2d_PUBKEY(pub, &spki) : -1;
    const uint8_t *c;
    size_t cl;
    const char *why;
    dsk_error e = {0};
    char detail[DSK_ERROR_MSG_MAX + 64];

    failed = NULL;
    if (x == NULL || spki_len <= 0) {
        printf("FAIL parse: %s holds no readable X.509 certificate\n", file);
        printf("verdict: NOT VALID (failed: parse)\n");
        fprintf(stderr, "%s: verify %s: NOT VALID, failed check: parse\n", DSK_TOOL_NAME, file);
        X509_free(x);
        return DSK_EXIT_FAILED;
    }
    check("signature", X509_verify(x, pub) == 1,
          "the certificate is signed by its own key (self-signed, as cert makes it)");
    check("validity",
          X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
              X509_cmp_current_time(X509_get0_notAfter(x)) > 0,
          "now is within notBefore..notAfter");
    c = ext_content(x, DSK_RATLS_OID_ATTESTATION, &cl, &why);
    if (c == NULL) {
        snprintf(detail, sizeof detail, "extension %s %s", DSK_RATLS_OID_ATTESTATION, why);
        check("attestation", 0, detail);
    } else if (dsk_ratls_check_binding(c, cl, spki, (size_t)spki_len, &e) != DSK_OK) {
        check("attestation", 1, "extension present");
        check("ra-tls binding", 0, e.msg);
    } else {
        check("attestation", 1, "extension present, legacy SCALE DstackTdx attestation");
        check("ra-tls binding", 1,
              "the attestation's report data and the TDX quote's REPORT_DATA equal "
              "SHA-512(\"ratls-cert:\" || the certificate's public key)");
    }
    c = ext_content(x, DSK_RATLS_OID_APP_ID, &cl, &why);
    if (c == NULL) {
        snprintf(detail, sizeof detail, "extension %s %s", DSK_RATLS_OID_APP_ID, why);
        check("app id", 0, detail);
    } else {
        check("app id", cl == DSK_APP_ID_LEN && memcmp(c, o->app_id, DSK_APP_ID_LEN) == 0,
              cl == DSK_APP_ID_LEN && memcmp(c, o->app_id, DSK_APP_ID_LEN) == 0
                  ? "the app id extension equals --app-id"
                  : "the app id extension differs from --app-id");
    }
    c = ext_content(x, DSK_RATLS_OID_STATEMENT, &cl, &why);
    if (c == NULL) {
        printf("--   statement: extension %s %s (cert --ra-tls --statement adds it)\n",
               DSK_RATLS_OID_STATEMENT, why);
    } else {
        dsk_statement *s = NULL;
        dsk_statement_report r;
        int ok = dsk_statement_parse((const char *)c, cl, &s, &e) == DSK_OK &&
                 dsk_statement_verify(s, o->app_id, o->roots, o->n_roots, &r) == DSK_OK && r.all_ok;
        int same_key =
            ok && s->spki_len == (size_t)spki_len && memcmp(s->spki, spki, (size_t)spki_len) == 0;
        check("statement", ok,
              ok ? "the key statement holds under --app-id and --kms-root"
                 : (e.msg[0] ? e.msg : "a statement check failed"));
        if (ok)
            check("statement key", same_key,
                  same_key ? "the statement is about the certificate's public key"
                           : "the statement is about another public key");
        dsk_statement_free(s);
    }
    if (failed == NULL)
        printf("verdict: VALID: this certificate's key is bound to the attestation inside it\n");
    else
        printf("verdict: NOT VALID (failed: %s)\n", failed);
    if (failed != NULL) /* the one line a failing run leaves on standard error */
        fprintf(stderr, "%s: verify %s: NOT VALID, failed check: %s\n", DSK_TOOL_NAME, file,
                failed);
    printf("not checked: the TDX quote's signature and TCB status (Intel collateral: use "
           "dstack-verifier or trust-center) and the measurements (MRTD, RTMRs, compose hash)\n");
    OPENSSL_free(spki);
    X509_free(x);
    return failed == NULL ? DSK_EXIT_OK : DSK_EXIT_FAILED;
}
