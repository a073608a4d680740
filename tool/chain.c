/* The chain status of a key, as list --check and info print it. */
#include <stdio.h>

#include "hex.h"

#include "tool.h"

int dsk_tool_chain_status(dsk_tool_ctx *ctx, dsk_key *k, FILE *out)
{
    dsk_chain_verdict v;
    dsk_error err = {0};
    char hex[2 * DSK_SECP256K1_PUB_LEN + 1];
    dsk_status st = dsk_key_provenance(k, &v, &err);
    int pinned = ctx->conf->n_kms_roots > 0;

    if (st != DSK_OK) {
        fputs(" (error)\n", out);
        fflush(out);
        return dsk_tool_fail(&err);
    }
    switch (v.outcome) {
    case DSK_CHAIN_ANCHORED:
        dsk_hex_encode(v.kms_root, sizeof v.kms_root, hex);
        fprintf(out, " anchored to KMS root %s\n", hex);
        return DSK_EXIT_OK;
    case DSK_CHAIN_UNANCHORED:
        fprintf(out, " unanchored: %s\n", v.reason);
        return pinned ? DSK_EXIT_FAILED : DSK_EXIT_OK;
    case DSK_CHAIN_MISMATCH:
        break;
    }
    if (!pinned && v.have_kms_root) {
        /* Nothing pinned: show where the chain leads, never as proof. */
        dsk_hex_encode(v.kms_root, sizeof v.kms_root, hex);
        fprintf(out,
                " not checked: no kms_root configured; the agent's chain leads to %s (read "
                "from the agent itself: pin a root from the KMS contract, not this one)\n",
                hex);
        return DSK_EXIT_OK;
    }
    fprintf(out, " mismatch: %s\n", v.reason);
    return DSK_EXIT_FAILED;
}
