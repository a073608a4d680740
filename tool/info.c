/* dstack-key info: which agent answers, and where its keys lead. */
#include <stdio.h>
#include <string.h>

#include "tool.h"

/* The probe: any path gives the same chain root; this one is ours alone. */
#define PROBE_PATH "dstack-key/info-probe"

static const dsk_tool_opt opts[] = {{0}};

static int run(dsk_tool_ctx *ctx, const dsk_tool_args *a)
{
    char endpoint[512], version[64], rev[128];
    dsk_info info = {0};
    dsk_error err = {0};
    dsk_key *probe = NULL;
    dsk_key_desc d = {.label = "(info probe)", .path = PROBE_PATH, .type = DSK_KEY_SECP256K1};
    dsk_status st;
    int code;

    dsk_client_describe(ctx->client, endpoint, sizeof endpoint);
    if (dsk_client_info(ctx->client, &info, &err) != DSK_OK)
        return dsk_tool_fail(&err);
    printf("agent: %s\n", endpoint);
    st = dsk_client_version(ctx->client, version, sizeof version, rev, sizeof rev, &err);
    if (st == DSK_OK)
        printf("version: %s (rev %s)\n", version, rev);
    else if (st == DSK_E_REFUSED)
        printf("version: unknown (the agent has no /Version: older than 0.5.7)\n");
    else {
        dsk_info_free(&info);
        return dsk_tool_fail(&err);
    }
    printf("app id: %s\n", info.app_id);
    if (info.app_name != NULL && info.app_name[0] != '\0')
        printf("app name: %s\n", info.app_name);
    dsk_info_free(&info);
    if (dsk_keystore_add(ctx->ks, &d, &probe, &err) != DSK_OK)
        return dsk_tool_fail(&err);
    printf("chain (probe key %s):", PROBE_PATH);
    code = dsk_tool_chain_status(ctx, probe, stdout);
    if (dsk_tool_out(NULL, 0) != DSK_EXIT_OK)
        return DSK_EXIT_INTERNAL;
    if (code == DSK_EXIT_FAILED)
        return dsk_tool_failf(code,
                              "the agent's key chain is not anchored to a configured "
                              "kms_root (see above): check kms_root and app_id, and that "
                              "%s is your app's dstack agent",
                              endpoint);
    return code;
}

const dsk_tool_cmd dsk_cmd_info = {
    .name = "info",
    .synopsis = "info",
    .summary = "the agent's version and app id, and where its key chain leads",
    .description = "Print the agent's endpoint, version and app id, then derive a probe key\n"
                   "(path " PROBE_PATH ") and print its chain's status under the configured\n"
                   "kms_root and app_id: anchored to which root, unanchored (no KMS), or a\n"
                   "mismatch and why. Exit status 1 for a mismatch, 4 if the agent fails.",
    .opts = opts,
    .min_args = 0,
    .max_args = 0,
    .reports_chain = 1,
    .run = run,
};
