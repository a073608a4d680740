/* dstack-key statement: evidence anyone can check offline that the app
 * vouched for this key (docs/provenance.md). */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const dsk_tool_opt opts[] = {{0}};

static int run(dsk_tool_ctx *ctx, const dsk_tool_args *a)
{
    dsk_error err = {0};
    dsk_key *k = NULL;
    char *json = NULL;
    int code;

    if (dsk_tool_key(ctx, a->pos[0], &k, NULL, &err) != DSK_OK ||
        dsk_key_statement(k, &json, &err) != DSK_OK)
        return dsk_tool_fail(&err);
    code = dsk_tool_out(json, strlen(json));
    free(json);
    return code;
}

const dsk_tool_cmd dsk_cmd_statement = {
    .name = "statement",
    .synopsis = "statement KEY",
    .summary = "print the key statement (JSON) that ties the key to the app and its KMS",
    .description = "Print KEY's statement: its public key, the app id and the agent's signature\n"
                   "chain over a claim naming the key's SubjectPublicKeyInfo hash. Anyone can\n"
                   "check it offline with 'dstack-key verify'. The same key gives the same bytes\n"
                   "on every replica and after every restart.",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
