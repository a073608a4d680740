/* dstack-key ref: the PEM reference file for programs that read key files
 * (nginx, curl, openssl s_server): the same bytes the provider's encoder
 * writes for `openssl pkey -in dstack:KEY -out KEY.pem`. */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const dsk_tool_opt opts[] = {{0}};

static int run(dsk_tool_ctx *ctx, const dsk_tool_args *a)
{
    dsk_error err = {0};
    dsk_key *k = NULL;
    char *uri = NULL, *pem = NULL;
    int code;

    /* Resolving checks the label exists; the reference needs no agent. */
    if (dsk_tool_key(ctx, a->pos[0], &k, &uri, &err) != DSK_OK)
        return dsk_tool_fail(&err);
    if ((pem = dsk_ref_pem(uri)) == NULL)
        code = dsk_tool_failf(DSK_EXIT_INTERNAL, "out of memory");
    else
        code = dsk_tool_out(pem, strlen(pem));
    free(pem);
    free(uri);
    return code;
}

const dsk_tool_cmd dsk_cmd_ref = {
    .name = "ref",
    .synopsis = "ref KEY",
    .summary = "print the PEM reference file of a key (no key material)",
    .description = "Print a DSTACK KEY REFERENCE PEM block naming KEY, for programs that read\n"
                   "key files through the dstack OpenSSL provider (nginx ssl_certificate_key,\n"
                   "curl --key, openssl s_server -key). It holds no key material. Does not\n"
                   "contact the agent.",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
