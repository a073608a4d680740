/* dstack-key csr: a PKCS#10 request signed by the key itself. */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const dsk_tool_opt opts[] = {
    {"subject", 's', "NAME", 0, "subject, as openssl -subj: /CN=example.com/O=Org (required)"},
    {"san", 0, "NAME", 1, "subjectAltName: DNS:host, IP:addr, email:a@b, URI:u (repeatable)"},
    DSK_TOOL_RATLS_OPTS,
    {0},
};

static int run(dsk_tool_ctx *ctx, const dsk_tool_args *a)
{
    dsk_x509_spec spec = {.subject = dsk_tool_opt_value(a, "subject")};
    dsk_error err = {0};
    dsk_key *k = NULL;
    char *pem = NULL;
    int code;

    if (spec.subject == NULL)
        return dsk_tool_failf(DSK_EXIT_USAGE, "csr: --subject is required (e.g. --subject "
                                              "/CN=example.com)");
    dsk_tool_ratls r = {0};
    spec.sans = dsk_tool_opt_values(a, "san", &spec.nsans);
    if (dsk_tool_key(ctx, a->pos[0], &k, NULL, &err) != DSK_OK ||
        dsk_tool_ratls_args(ctx, a, k, &r, &err) != DSK_OK)
        return dsk_tool_fail(&err);
    /* The extensions go into the request's extensionRequest attribute. */
    spec.exts = r.exts;
    spec.nexts = r.n;
    dsk_status st = dsk_x509_make_req(k, &spec, &pem, &err);
    dsk_tool_ratls_clear(&r);
    if (st != DSK_OK)
        return dsk_tool_fail(&err);
    code = dsk_tool_out(pem, strlen(pem));
    free(pem);
    return code;
}

const dsk_tool_cmd dsk_cmd_csr = {
    .name = "csr",
    .synopsis = "csr KEY --subject NAME [--san NAME]... [--ra-tls [--statement]]",
    .summary = "print a certificate request signed by the key",
    .description = "Print a PEM PKCS#10 certificate request for KEY, signed by KEY (ECDSA with\n"
                   "SHA-256 or SHA-384, Ed25519, RSA PKCS#1 v1.5 with SHA-256), to give to a\n"
                   "certificate authority. With --ra-tls the request asks for dstack's RA-TLS\n"
                   "extensions (attestation bound to the key, app id; --statement: the key\n"
                   "statement) in its extensionRequest (docs/provenance.md).",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
