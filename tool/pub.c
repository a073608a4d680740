/* dstack-key pub: the public key in the form a program wants. */
#include <stdlib.h>

#include "tool.h"

static const dsk_tool_opt opts[] = {
    {"format", 'f', "FORMAT", 0, "pem (default), der, ssh, eth or jwk"},
    {0},
};

static int run(dsk_tool_ctx *ctx, const dsk_tool_args *a)
{
    const char *fname = dsk_tool_opt_value(a, "format");
    dsk_pub_format f = DSK_PUB_PEM;
    dsk_error err = {0};
    dsk_key *k = NULL;
    dsk_pub pub;
    char eth[43];
    unsigned char *out = NULL;
    size_t len = 0;
    int code;

    if ((fname != NULL && dsk_pub_format_parse(fname, &f, &err) != DSK_OK) ||
        dsk_tool_key(ctx, a->pos[0], &k, NULL, &err) != DSK_OK ||
        dsk_pub_from_key(k, &pub, eth, &err) != DSK_OK)
        return dsk_tool_fail(&err);
    /* ssh-keygen -D names a token key by its label: so do we. */
    pub.comment =
        a->pos[0][0] != '\0' && dsk_keystore_find(ctx->ks, a->pos[0]) == k ? a->pos[0] : NULL;
    if (dsk_pub_format_key(&pub, f, &out, &len, &err) != DSK_OK) {
        dsk_error_prefix(&err, "key '%s'", a->pos[0]);
        return dsk_tool_fail(&err);
    }
    code = dsk_tool_out(out, len);
    free(out);
    return code;
}

const dsk_tool_cmd dsk_cmd_pub = {
    .name = "pub",
    .synopsis = "pub [--format pem|der|ssh|eth|jwk] KEY",
    .summary = "print the public key (PEM, DER, OpenSSH, Ethereum address, JWK)",
    .description = "Print the public key of KEY: PEM or DER SubjectPublicKeyInfo, the OpenSSH\n"
                   "authorized_keys line (not for secp256k1), the EIP-55 Ethereum address\n"
                   "(secp256k1 only) or a JSON Web Key. Derives the key (asks the agent).",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
