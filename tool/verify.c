/* dstack-key verify: check evidence offline against an app id and pinned
 * KMS roots. Never contacts the agent. */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const dsk_tool_opt opts[] = {
    {"app-id", 'a', "HEX", 0, "the app id the key must belong to (40 hex digits; required)"},
    {"kms-root", 'r', "HEX", 1,
     "a pinned KMS root public key (66 hex digits; repeatable; at least one)"},
    {0},
};

static int run(dsk_tool_ctx *ctx, const dsk_tool_args *a)
{
    const char *app = dsk_tool_opt_value(a, "app-id");
    size_t n = 0;
    const char *const *roots = dsk_tool_opt_values(a, "kms-root", &n);
    unsigned char pinned[DSK_TOOL_MAX_VALUES][DSK_SECP256K1_PUB_LEN];
    dsk_verify_opts o = {.roots = (const unsigned char(*)[DSK_SECP256K1_PUB_LEN])pinned,
                         .n_roots = n};
    const dsk_evidence_kind *kind;
    unsigned char *data = NULL;
    size_t len = 0;
    dsk_error err = {0};
    int code;

    if (app == NULL || n == 0)
        return dsk_tool_failf(DSK_EXIT_USAGE,
                              "verify: --app-id and at least one --kms-root are required: pin "
                              "them from the KMS contract or out of band, never from the agent");
    if (dsk_trust_parse_app_id(app, o.app_id, &err) != DSK_OK) {
        dsk_error_prefix(&err, "--app-id");
        err.code = DSK_E_ARGS;
        return dsk_tool_fail(&err);
    }
    for (size_t i = 0; i < n; i++)
        if (dsk_trust_parse_root(roots[i], pinned[i], &err) != DSK_OK) {
            dsk_error_prefix(&err, "--kms-root %s", roots[i]);
            err.code = DSK_E_ARGS;
            return dsk_tool_fail(&err);
        }
    if (dsk_tool_read_file(a->pos[0], &data, &len, &err) != DSK_OK)
        return dsk_tool_fail(&err);
    if ((kind = dsk_evidence_detect(data, len)) == NULL)
        code = dsk_tool_failf(DSK_EXIT_INPUT,
                              "%s is neither a key statement (JSON from 'dstack-key statement') "
                              "nor a certificate: give one of those",
                              a->pos[0]);
    else if (kind->verify == NULL)
        code = dsk_tool_failf(DSK_EXIT_INPUT,
                              "%s is an %s: this version cannot verify it (make a statement "
                              "with 'dstack-key statement KEY')",
                              a->pos[0], kind->name);
    else
        code = kind->verify(a->pos[0], data, len, &o);
    free(data);
    return code;
}

const dsk_tool_cmd dsk_cmd_verify = {
    .name = "verify",
    .synopsis = "verify FILE --app-id HEX --kms-root HEX [--kms-root HEX]...",
    .summary = "check a key statement or an RA-TLS certificate offline against an app id and "
               "pinned KMS roots",
    .description = "Check the evidence in FILE (a key statement or an RA-TLS certificate; '-' "
                   "reads standard input)\n"
                   "against the app id and the KMS root keys you pinned, print each check and\n"
                   "the verdict. Exit 0 only when every check holds, 1 when one does not.\n"
                   "Never contacts the agent; needs no configuration.",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .offline = 1,
    .run = run,
};
