/* RA-TLS for dstack-key: the extensions cert --ra-tls adds (an attestation
 * from /Attest bound to the certificate's public key, the app id, and with
 * --statement the key statement), and verify's checks of a certificate.
 * The byte formats are trust/ratls.c's; this file does the I/O. */
#include "lazy_cjson.h"
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

/* An agent that still serves /GetQuote with TDX: the legacy quote (.1.1)
 * and event log (.1.2) extensions too, which older verifiers (dstack's Go
 * SDK among them) read. The quote must carry the same report data. No
 * /GetQuote, or a quote that is not TDX (another TEE, the simulator without
 * --tdx-quote): the attestation alone. */
static dsk_status legacy_exts(dsk_tool_ctx *ctx, const uint8_t rd[DSK_RATLS_REPORT_DATA_LEN],
                              dsk_tool_ratls *r, dsk_error *err)
{
    char *qhex = NULL, *json = NULL;
    uint8_t *q = NULL;
    const uint8_t *qrd;
    cJSON *o = NULL;
    dsk_error ignored = {0};
    dsk_status st = DSK_OK;

    if (dsk_client_get_quote(ctx->client, rd, DSK_RATLS_REPORT_DATA_LEN, &qhex, &json, &ignored) !=
        DSK_OK)
        return DSK_OK;
    size_t hl = strlen(qhex);
    if ((q = malloc(hl / 2 + 1)) == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    long n = dsk_hex_decode(qhex, hl, q, hl / 2 + 1);
    if (n <= 0 || dsk_ratls_quote_report_data(q, (size_t)n, &qrd, &ignored) != DSK_OK)
        goto done; /* not a TDX quote */
    if (memcmp(qrd, rd, DSK_RATLS_REPORT_DATA_LEN) != 0) {
        st = dsk_error_set(err, DSK_E_MALFORMED,
                           "the agent's /GetQuote quote does not carry the report data asked for");
        goto done;
    }
    o = cJSON_Parse(json);
    const cJSON *log = cJSON_GetObjectItemCaseSensitive(o, "event_log");
    if (!cJSON_IsString(log)) {
        st = dsk_error_set(err, DSK_E_MALFORMED,
                           "the agent's /GetQuote reply has a TDX quote but no event_log text");
        goto done;
    }
    /* ra-tls wrote the quote bytes and the event log's JSON text as they are */
    if ((st = add_ext(r, DSK_RATLS_OID_QUOTE, q, (size_t)n, err)) == DSK_OK)
        st = add_ext(r, DSK_RATLS_OID_EVENT_LOG, (const unsigned char *)log->valuestring,
                     strlen(log->valuestring), err);
done:
    cJSON_Delete(o);
    free(q);
    free(qhex);
    free(json);
    return st;
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
    st = legacy_exts(ctx, rd, r, err);
done:
    if (st != DSK_OK)
        dsk_tool_ratls_clear(r);
    free(att_hex);
    free(att);
    free(statement);
    dsk_info_free(&info);
    return st;
}

dsk_status dsk_tool_ratls_args(dsk_tool_ctx *ctx, const dsk_tool_args *a, dsk_key *k,
                               dsk_tool_ratls *r, dsk_error *err)
{
    int ratls = dsk_tool_opt_count(a, "ra-tls") > 0;
    int statement = dsk_tool_opt_count(a, "statement") > 0;

    memset(r, 0, sizeof *r);
    if (statement && !ratls)
        return dsk_error_set(err, DSK_E_ARGS, "--statement goes with --ra-tls");
    return ratls ? dsk_tool_ratls_exts(ctx, k, statement, r, err) : DSK_OK;
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

/* Every check is run and printed, and every failing one is named: a user
 * who changed one byte wants to see all it broke (the signature over the
 * certificate and the check of the part changed), not only the first. */
#define MAX_FAILED 8
typedef struct vstate {
    const char *failed[MAX_FAILED];
    size_t n_failed;
} vstate;

static void check(vstate *v, const char *name, int ok, const char *detail)
{
    printf("%s %s: %s\n", ok ? "ok  " : "FAIL", name, detail);
    if (!ok && v->n_failed < MAX_FAILED)
        v->failed[v->n_failed++] = name;
}

/* "a, b, c" of the failed checks. */
static void failed_names(const vstate *v, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < v->n_failed && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", v->failed[i]);
}

/* The statement extension: it holds under the pinned app id and roots, and
 * speaks of this certificate's key. */
static void check_statement(vstate *v, const uint8_t *c, size_t cl, const unsigned char *spki,
                            size_t spki_len, const dsk_verify_opts *o)
{
    dsk_statement *s = NULL;
    dsk_statement_report r = {0};
    dsk_error e = {0};
    char detail[DSK_ERROR_MSG_MAX + 64];

    if (dsk_statement_parse((const char *)c, cl, &s, &e) != DSK_OK) {
        snprintf(detail, sizeof detail, "the statement extension does not parse: %s", e.msg);
        check(v, "statement", 0, detail);
        return;
    }
    int ok = dsk_statement_verify(s, o->app_id, o->roots, o->n_roots, &r) == DSK_OK && r.all_ok;
    snprintf(detail, sizeof detail, "%s", "the key statement holds under --app-id and --kms-root");
    for (size_t i = 0; !ok && i < r.n_checks; i++)
        if (r.checks[i].ok == 0) { /* the statement's own check that failed, by name */
            snprintf(detail, sizeof detail, "%s: %s", r.checks[i].name, r.checks[i].detail);
            break;
        }
    check(v, "statement", ok, detail);
    int same_key = s->spki_len == spki_len && memcmp(s->spki, spki, spki_len) == 0;
    check(v, "statement key", same_key,
          same_key ? "the statement is about the certificate's public key"
                   : "the statement is about another public key than the certificate's");
    dsk_statement_free(s);
}

/* The legacy quote and event log extensions, when present: the quote bound
 * to the key as the attestation is, and the event log that must go with it
 * (dstack's reader refuses a quote without one). */
static void check_legacy(vstate *v, X509 *x, const unsigned char *spki, size_t spki_len)
{
    static const char gz[] = "ELGZv1"; /* ra-tls's gzip-compressed event log */
    const uint8_t *c;
    size_t cl;
    const char *why;
    dsk_error e = {0};
    char detail[DSK_ERROR_MSG_MAX + 64];

    c = ext_content(x, DSK_RATLS_OID_QUOTE, &cl, &why);
    if (c == NULL && strcmp(why, "absent") == 0) {
        printf("--   legacy quote: extension %s absent (the agent's /GetQuote gave no TDX "
               "quote)\n",
               DSK_RATLS_OID_QUOTE);
        return;
    }
    if (c == NULL) {
        snprintf(detail, sizeof detail, "extension %s %s", DSK_RATLS_OID_QUOTE, why);
        check(v, "legacy quote", 0, detail);
    } else if (dsk_ratls_check_quote_binding(c, cl, spki, spki_len, &e) != DSK_OK) {
        check(v, "legacy quote", 0, e.msg);
    } else {
        check(v, "legacy quote", 1,
              "the TDX quote's REPORT_DATA equals SHA-512(\"ratls-cert:\" || the certificate's "
              "public key)");
    }
    c = ext_content(x, DSK_RATLS_OID_EVENT_LOG, &cl, &why);
    if (c == NULL) {
        snprintf(detail, sizeof detail, "extension %s %s (it goes with the quote)",
                 DSK_RATLS_OID_EVENT_LOG, why);
        check(v, "legacy event log", 0, detail);
        return;
    }
    if (cl >= sizeof gz - 1 && memcmp(c, gz, sizeof gz - 1) == 0) {
        check(v, "legacy event log", 1, "present, gzip-compressed (not inspected)");
        return;
    }
    cJSON *log = cJSON_ParseWithLength((const char *)c, cl);
    int ok = cJSON_IsArray(log);
    snprintf(detail, sizeof detail, "%s", "present: a JSON array of events");
    if (!ok)
        snprintf(detail, sizeof detail, "extension %s is not a JSON array of events",
                 DSK_RATLS_OID_EVENT_LOG);
    check(v, "legacy event log", ok, detail);
    cJSON_Delete(log);
}

int dsk_tool_verify_certificate(const char *file, const unsigned char *data, size_t len,
                                const dsk_verify_opts *o)
{
    X509 *x = load_leaf(data, len);
    /* The SPKI as the certificate holds it, even when the key in it does
     * not parse (a changed byte of an EC point): the binding is over these
     * bytes. */
    X509_PUBKEY *xpub = x ? X509_get_X509_PUBKEY(x) : NULL;
    EVP_PKEY *pub = x ? X509_get0_pubkey(x) : NULL;
    unsigned char *spki = NULL;
    int spki_len = xpub ? i2d_X509_PUBKEY(xpub, &spki) : -1;
    const uint8_t *c;
    size_t cl;
    const char *why;
    dsk_error e = {0};
    char detail[DSK_ERROR_MSG_MAX + 64], names[256];
    vstate v = {0};

    if (x == NULL || spki_len <= 0) {
        printf("FAIL parse: %s holds no readable X.509 certificate\n", file);
        printf("verdict: NOT VALID (failed: parse)\n");
        fprintf(stderr, "%s: verify %s: NOT VALID, failed: parse\n", DSK_TOOL_NAME, file);
        X509_free(x);
        return DSK_EXIT_FAILED;
    }
    if (pub == NULL)
        check(&v, "signature", 0, "the certificate's public key does not parse");
    else
        check(&v, "signature", X509_verify(x, pub) == 1,
              "the certificate is signed by its own key (self-signed, as cert makes it)");
    check(&v, "validity",
          X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
              X509_cmp_current_time(X509_get0_notAfter(x)) > 0,
          "now is within notBefore..notAfter");
    c = ext_content(x, DSK_RATLS_OID_ATTESTATION, &cl, &why);
    if (c == NULL) {
        snprintf(detail, sizeof detail, "extension %s %s", DSK_RATLS_OID_ATTESTATION, why);
        check(&v, "attestation", 0, detail);
    } else if (dsk_ratls_check_binding(c, cl, spki, (size_t)spki_len, &e) != DSK_OK) {
        check(&v, "attestation", 1, "extension present");
        check(&v, "ra-tls binding", 0, e.msg);
    } else {
        check(&v, "attestation", 1, "extension present, legacy SCALE DstackTdx attestation");
        check(&v, "ra-tls binding", 1,
              "the attestation's report data and the TDX quote's REPORT_DATA equal "
              "SHA-512(\"ratls-cert:\" || the certificate's public key)");
    }
    c = ext_content(x, DSK_RATLS_OID_APP_ID, &cl, &why);
    if (c == NULL) {
        snprintf(detail, sizeof detail, "extension %s %s", DSK_RATLS_OID_APP_ID, why);
        check(&v, "app id", 0, detail);
    } else {
        int same = cl == DSK_APP_ID_LEN && memcmp(c, o->app_id, DSK_APP_ID_LEN) == 0;
        check(&v, "app id", same,
              same ? "the app id extension equals --app-id"
                   : "the app id extension differs from --app-id");
    }
    check_legacy(&v, x, spki, (size_t)spki_len);
    c = ext_content(x, DSK_RATLS_OID_STATEMENT, &cl, &why);
    if (c == NULL)
        printf("--   statement: extension %s %s (cert --ra-tls --statement adds it)\n",
               DSK_RATLS_OID_STATEMENT, why);
    else
        check_statement(&v, c, cl, spki, (size_t)spki_len, o);
    failed_names(&v, names, sizeof names);
    if (v.n_failed == 0)
        printf("verdict: VALID: this certificate's key is bound to the attestation inside it\n");
    else
        printf("verdict: NOT VALID (failed: %s)\n", names);
    printf("not checked: the TDX quote's signature and TCB status (Intel collateral: use "
           "dstack-verifier or trust-center) and the measurements (MRTD, RTMRs, compose hash)\n");
    if (v.n_failed != 0) /* the one line a failing run leaves on standard error */
        fprintf(stderr, "%s: verify %s: NOT VALID, failed: %s\n", DSK_TOOL_NAME, file, names);
    OPENSSL_free(spki);
    X509_free(x);
    return v.n_failed == 0 ? DSK_EXIT_OK : DSK_EXIT_FAILED;
}
