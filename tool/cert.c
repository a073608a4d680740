/* dstack-key cert: a self-signed certificate for the key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const dsk_tool_opt opts[] = {
    {"subject", 's', "NAME", 0, "subject and issuer, as openssl -subj: /CN=example.com (required)"},
    {"san", 0, "NAME", 1, "subjectAltName: DNS:host, IP:addr, email:a@b, URI:u (repeatable)"},
    {"days", 'd', "N", 0, "validity in days from now (default 365)"},
    DSK_TOOL_RATLS_OPTS,
    {0},
};

static int run(dsk_tool_ctx *ctx, const dsk_tool_args *a)
{
    dsk_x509_spec spec = {.subject = dsk_tool_opt_value(a, "subject"), .days = 365};
    const char *days = dsk_tool_opt_value(a, "days");
    dsk_error err = {0};
    dsk_key *k = NULL;
    char *pem = NULL, *end;
    int code;

    if (spec.subject == NULL)
        return dsk_tool_failf(DSK_EXIT_USAGE, "cert: --subject is required (e.g. --subject "
                                              "/CN=example.com)");
    if (days != NULL) {
        errno = 0;
        spec.days = strtol(days, &end, 10);
        if (errno != 0 || end == days || *end != '\0' || spec.days <= 0 || spec.days > 36500)
            return dsk_tool_failf(DSK_EXIT_USAGE,
                                  "cert: --days '%s': give a number of days from 1 to 36500", days);
    }
    dsk_tool_ratls r = {0};
    spec.sans = dsk_tool_opt_values(a, "san", &spec.nsans);
    if (dsk_tool_key(ctx, a->pos[0], &k, NULL, &err) != DSK_OK ||
        dsk_tool_ratls_args(ctx, a, k, &r, &err) != DSK_OK)
        return dsk_tool_fail(&err);
    spec.exts = r.exts;
    spec.nexts = r.n;
    if (dsk_x509_make_cert(k, &spec, &pem, &err) != DSK_OK) {
        dsk_tool_ratls_clear(&r);
        return dsk_tool_fail(&err);
    }
    dsk_tool_ratls_clear(&r);
    code = dsk_tool_out(pem, strlen(pem));
    free(pem);
    return code;
}

const dsk_tool_cmd dsk_cmd_cert = {
    .name = "cert",
    .synopsis = "cert KEY --subject NAME [--san NAME]... [--days N] [--ra-tls [--statement]]",
    .summary = "print a self-signed certificate for the key",
    .description =
        "Print a PEM X.509 v3 certificate for KEY, issued and signed by KEY itself:\n"
        "a random serial, valid from now for N days, not a CA, key usage\n"
        "digitalSignature (and keyEncipherment for RSA), key identifiers. With --ra-tls\n"
        "it also carries dstack's RA-TLS extensions (docs/provenance.md).",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
