/* dstack-key list: the configured keys. */
#include <stdio.h>
#include <string.h>

#include "tool.h"

static const dsk_tool_opt opts[] = {
    {"check", 'c', NULL, 0, "derive each key and say whether its chain is anchored"},
    {0},
};

/* A v0 key's path, or "v1:" and a v1 key's domain (v1 keys have no path). */
static const char *key_name(const dsk_key_entry *e, char *buf, size_t len)
{
    if (e->api != DSK_API_V1)
        return e->path;
    snprintf(buf, len, "v1:%s", e->domain);
    return buf;
}

static int run(dsk_tool_ctx *ctx, const dsk_tool_args *a)
{
    const dsk_conf *c = ctx->conf;
    int wl = 5, wt = 4, wp = 4, code = DSK_EXIT_OK;
    size_t bad = 0;
    int check = dsk_tool_opt_count(a, "check") > 0;
    char tok[DSK_CONF_TOKEN_LABEL_MAX + 1], name[1024];

    for (size_t i = 0; i < c->nkeys; i++) {
        int l = (int)strlen(c->keys[i].label);
        int p = (int)strlen(key_name(&c->keys[i], name, sizeof name));
        int t = (int)strlen(dsk_key_type_name(c->keys[i].type));
        wl = l > wl ? l : wl;
        wp = p > wp ? p : wp;
        wt = t > wt ? t : wt;
    }
    printf("%-*s  %-*s  %-*s  %s%s\n", wl, "LABEL", wt, "TYPE", wp, "PATH", "TOKEN",
           check ? "  CHAIN" : "");
    for (size_t i = 0; i < c->nkeys; i++) {
        const dsk_key_entry *e = &c->keys[i];
        printf("%-*s  %-*s  %-*s  %s", wl, e->label, wt, dsk_key_type_name(e->type), wp,
               key_name(e, name, sizeof name), dsk_conf_key_token(c, e, tok));
        if (check) {
            int r = dsk_tool_chain_status(ctx, dsk_keystore_find(ctx->ks, e->label), stdout);
            if (r != DSK_EXIT_OK && r != DSK_EXIT_FAILED)
                return r; /* the agent failed: the next key would fail alike */
            bad += r == DSK_EXIT_FAILED;
            code = code == DSK_EXIT_OK ? r : code;
        } else {
            putchar('\n');
        }
    }
    if (c->nkeys == 0)
        fprintf(stderr, DSK_TOOL_NAME ": no keys configured in %s\n",
                c->file != NULL ? c->file : c->missing_file);
    if (dsk_tool_out(NULL, 0) != DSK_EXIT_OK)
        return DSK_EXIT_INTERNAL;
    if (bad > 0)
        return dsk_tool_failf(DSK_EXIT_FAILED,
                              "%zu of %zu keys are not anchored to a configured kms_root (see "
                              "CHAIN): check kms_root and app_id in %s, and that the socket is "
                              "your app's dstack agent",
                              bad, c->nkeys, c->file != NULL ? c->file : "the configuration");
    return code;
}

const dsk_tool_cmd dsk_cmd_list = {
    .name = "list",
    .synopsis = "list [--check]",
    .summary = "list the configured keys (label, type, path, token)",
    .description = "List the keys of the configuration: label, type, getKey path and the PKCS#11\n"
                   "token that holds each. With --check, derive each key and print its chain's\n"
                   "status (anchored to which KMS root, unanchored, or a mismatch); the exit\n"
                   "status is then 1 if any key is not anchored, 4 if the agent fails.",
    .opts = opts,
    .min_args = 0,
    .max_args = 0,
    .reports_chain = 1,
    .run = run,
};
