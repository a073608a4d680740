/* The configuration, the key store and the agent client of one run, and
 * KEY arguments: a label or a dstack: URI, parsed by keys/ref.c exactly as
 * the provider parses it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#include "tool.h"

#define CONF_HINT "use --conf FILE or set DSTACK_PKCS11_CONF"

/* The configuration's kms_root, app_id and verify, as the other front ends
 * apply them; a command that reports verdicts keeps the roots and app id
 * but turns refusal off, so it can say why a key would be refused. */
static dsk_status set_trust(dsk_tool_ctx *ctx, dsk_error *err)
{
    const dsk_conf *c = ctx->conf;
    dsk_trust_opts t = {
        .roots = (const unsigned char(*)[DSK_SECP256K1_PUB_LEN])c->kms_roots,
        .n_roots = c->n_kms_roots,
        .have_app_id = c->have_app_id,
        .verify = DSK_VERIFY_OFF,
    };

    if (!ctx->reports_chain)
        return dsk_keystore_set_trust_conf(ctx->ks, c, err);
    memcpy(t.app_id, c->app_id, sizeof t.app_id);
    return dsk_keystore_set_trust(ctx->ks, &t, err);
}

dsk_status dsk_tool_open(dsk_tool_ctx *ctx, dsk_error *err)
{
    dsk_status st;

    if ((st = dsk_conf_load(ctx->conf_file, &ctx->conf, err)) != DSK_OK)
        return st;
    dsk_log_set_level((dsk_log_level)ctx->conf->log_level);
    if (ctx->conf_file != NULL && ctx->conf->file == NULL)
        return dsk_error_set(err, DSK_E_CONFIG,
                             "configuration file %s does not exist: check --conf", ctx->conf_file);
    dsk_client_opts copts = {
        .endpoint = ctx->conf->endpoint,
        .connect_timeout_ms = ctx->conf->connect_timeout_ms,
        .timeout_ms = ctx->conf->timeout_ms,
    };
    if ((st = dsk_keystore_new(&copts, &ctx->ks, err)) != DSK_OK ||
        (st = dsk_keystore_add_conf(ctx->ks, ctx->conf, err)) != DSK_OK ||
        (st = set_trust(ctx, err)) != DSK_OK ||
        (st = dsk_client_new(&copts, &ctx->client, err)) != DSK_OK)
        return st;
    return DSK_OK;
}

void dsk_tool_close(dsk_tool_ctx *ctx)
{
    dsk_client_free(ctx->client);
    dsk_keystore_free(ctx->ks);
    dsk_conf_free(ctx->conf);
    ctx->client = NULL;
    ctx->ks = NULL;
    ctx->conf = NULL;
}

char *dsk_tool_label_uri(const char *label)
{
    size_t n = strlen(label);
    char *out = malloc(strlen(DSK_URI_SCHEME) + 3 * n + 1), *o;

    if (out == NULL)
        return NULL;
    o = out + sprintf(out, "%s", DSK_URI_SCHEME);
    for (const unsigned char *p = (const unsigned char *)label; *p != '\0'; p++) {
        if (*p == '%' || *p == ';' || *p == '=' || *p < 0x20 || *p == 0x7f)
            o += sprintf(o, "%%%02X", *p);
        else
            *o++ = (char)*p;
    }
    *o = '\0';
    return out;
}

dsk_status dsk_tool_key(dsk_tool_ctx *ctx, const char *text, dsk_key **key, char **uri,
                        dsk_error *err)
{
    size_t slen = strlen(DSK_URI_SCHEME);
    char *owned = NULL;
    dsk_ref ref;
    dsk_status st;

    if (text[0] == '\0')
        return dsk_error_set(err, DSK_E_ARGS, "empty KEY: give a label or a dstack: URI");
    if (strncmp(text, DSK_URI_SCHEME, slen) != 0) {
        if ((owned = dsk_tool_label_uri(text)) == NULL)
            return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        text = owned;
    }
    st = dsk_ref_parse(text, &ref, err);
    if (st == DSK_E_ARGS && err != NULL)
        err->code = DSK_E_CONFIG; /* not a dstack: URI after all: a bad key name */
    if (st == DSK_E_ARGS)
        st = DSK_E_CONFIG;
    if (st == DSK_OK)
        st = dsk_ref_resolve(ctx->ks, ctx->conf, CONF_HINT, &ref, key, err);
    if (st == DSK_OK && uri != NULL && (*uri = strdup(ref.uri)) == NULL)
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    dsk_ref_clear(&ref);
    free(owned);
    return st;
}
