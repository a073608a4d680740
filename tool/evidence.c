/* What verify can check: a table of evidence kinds, each with a cheap
 * detector and a verifier. Certificates (RA-TLS, with a statement inside)
 * are recognised already and get their verifier as a row of their own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

dsk_status dsk_tool_read_file(const char *file, unsigned char **data, size_t *len, dsk_error *err)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    unsigned char *buf = NULL;
    size_t n = 0;
    dsk_status st = DSK_OK;

    *data = NULL;
    *len = 0;
    if (f == NULL)
        return dsk_error_set(err, DSK_E_IO, "cannot open %s: %s", file, strerror(errno));
    if ((buf = malloc(DSK_TOOL_MAX_INPUT + 2)) == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    n = fread(buf, 1, DSK_TOOL_MAX_INPUT + 1, f);
    if (ferror(f)) {
        st = dsk_error_set(err, DSK_E_IO, "cannot read %s: %s", file, strerror(errno));
        goto done;
    }
    if (n > DSK_TOOL_MAX_INPUT) {
        st = dsk_error_set(err, DSK_E_IO,
                           "%s is larger than %d bytes: not a statement or a "
                           "certificate",
                           file, DSK_TOOL_MAX_INPUT);
        goto done;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
done:
    if (f != stdin)
        fclose(f);
    free(buf);
    return st;
}

static const unsigned char *skip_space(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static int is_statement(const unsigned char *data, size_t len)
{
    const unsigned char *p = skip_space(data, data + len);
    return p < data + len && *p == '{';
}

/* PEM certificates (one or a chain, as openssl s_client -showcerts prints
 * with text around them) or a DER certificate (a SEQUENCE with a long
 * length, as every certificate has). */
static int is_certificate(const unsigned char *data, size_t len)
{
    static const char pem[] = "-----BEGIN CERTIFICATE-----";
    return memmem(data, len, pem, sizeof pem - 1) != NULL ||
           (len > 4 && data[0] == 0x30 && (data[1] == 0x82 || data[1] == 0x81));
}

static const char *const check_mark[] = {"--  ", "FAIL", "ok  "}; /* ok = -1, 0, 1 */

static int verify_statement(const char *file, const unsigned char *data, size_t len,
                            const dsk_verify_opts *o)
{
    dsk_statement *s = NULL;
    dsk_statement_report r;
    dsk_error err = {0};
    const dsk_statement_check *failed = NULL;

    if (dsk_statement_parse((const char *)data, len, &s, &err) != DSK_OK) {
        /* A document that does not even parse is evidence that fails. */
        printf("FAIL parse: %s\nverdict: NOT VALID (%s is not a well-formed key statement)\n",
               err.msg, file);
        fflush(stdout);
        return dsk_tool_failf(DSK_EXIT_FAILED, "%s is not valid: %s", file, err.msg);
    }
    if (dsk_statement_verify(s, o->app_id, o->roots, o->n_roots, &r) != DSK_OK) {
        dsk_statement_free(s);
        return dsk_tool_failf(DSK_EXIT_INTERNAL, "%s: the verifier was called wrongly", file);
    }
    for (size_t i = 0; i < r.n_checks; i++) {
        const dsk_statement_check *c = &r.checks[i];
        int m = c->ok < 0 ? 0 : c->ok > 0 ? 2 : 1;
        printf("%s %s: %s\n", check_mark[m], c->name, c->ok < 0 ? "not run" : c->detail);
        if (c->ok == 0 && failed == NULL)
            failed = c;
    }
    if (r.all_ok && failed == NULL)
        printf("verdict: VALID: the app with this id, under this KMS root, vouched for this "
               "public key\n");
    else
        printf("verdict: NOT VALID (failed: %s)\n", failed != NULL ? failed->name : "incomplete");
    if (r.not_checked != NULL)
        printf("not checked: %s\n", r.not_checked);
    dsk_statement_free(s);
    if (r.all_ok && failed == NULL)
        return DSK_EXIT_OK;
    /* The report is data (stdout); the verdict is also the one-line message. */
    fflush(stdout);
    return dsk_tool_failf(DSK_EXIT_FAILED, "%s is not valid: %s: %s", file,
                          failed != NULL ? failed->name : "verification incomplete",
                          failed != NULL ? failed->detail : "not every check ran");
}

static const dsk_evidence_kind kinds[] = {
    {"key statement", is_statement, verify_statement},
    {"X.509 certificate", is_certificate, dsk_tool_verify_certificate},
};

const dsk_evidence_kind *dsk_evidence_detect(const unsigned char *data, size_t len)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].detect(data, len))
            return &kinds[i];
    return NULL;
}
