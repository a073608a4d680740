/* The provenance settings: kms_root, app_id, verify (shared by the [token]
 * section and the provider's openssl.cnf section). */
#include "conf.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "trust.h"

_Static_assert(DSK_CONF_KMS_ROOT_LEN == DSK_SECP256K1_PUB_LEN, "root size");
_Static_assert(DSK_CONF_APP_ID_LEN == DSK_APP_ID_LEN, "app id size");

#define MAX_ROOTS 16
#define SEPARATORS " \t,"

static dsk_status parse_roots(dsk_conf *c, const char *text, dsk_error *err)
{
    unsigned char(*roots)[DSK_CONF_KMS_ROOT_LEN];
    char *copy = strdup(text), *save = NULL, *tok;
    size_t n = 0;
    dsk_status st = DSK_OK;

    roots = calloc(MAX_ROOTS, sizeof *roots);
    if (!copy || !roots) {
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    for (tok = strtok_r(copy, SEPARATORS, &save); tok; tok = strtok_r(NULL, SEPARATORS, &save)) {
        if (n == MAX_ROOTS) {
            st = dsk_error_set(err, DSK_E_CONFIG, "kms_root: more than %d roots", MAX_ROOTS);
            goto done;
        }
        st = dsk_trust_parse_root(tok, roots[n++], err);
        if (st != DSK_OK) {
            dsk_error_prefix(err, "kms_root");
            goto done;
        }
    }
    if (n == 0) {
        st = dsk_error_set(err, DSK_E_CONFIG,
                           "empty kms_root: write the KMS root public key (66 hex digits, e.g. "
                           "the KMS contract's kmsInfo().k256Pubkey) or leave the setting out");
        goto done;
    }
    free(c->kms_roots);
    c->kms_roots = roots;
    c->n_kms_roots = n;
    roots = NULL;
done:
    free(roots);
    free(copy);
    return st;
}

dsk_status dsk_conf_trust_set(dsk_conf *conf, const char *kms_root, const char *app_id,
                              const char *verify, dsk_error *err)
{
    dsk_status st;

    if (kms_root && (st = parse_roots(conf, kms_root, err)) != DSK_OK)
        return st;
    if (app_id) {
        if ((st = dsk_trust_parse_app_id(app_id, conf->app_id, err)) != DSK_OK)
            return dsk_error_prefix(err, "app_id");
        conf->have_app_id = 1;
    }
    if (verify) {
        if ((st = dsk_verify_mode_parse(verify, &conf->verify, err)) != DSK_OK)
            return st;
        conf->verify_set = 1;
    }
    return DSK_OK;
}

dsk_status dsk_conf_trust_settle(dsk_conf *conf, dsk_error *err)
{
    if (!conf->verify_set)
        conf->verify = conf->n_kms_roots ? DSK_VERIFY_REQUIRE : DSK_VERIFY_OFF;
    if (conf->verify != DSK_VERIFY_OFF && conf->n_kms_roots == 0)
        return dsk_error_set(err, DSK_E_CONFIG,
                             "verify = %s needs kms_root (the KMS root public key to pin); set "
                             "kms_root or verify = off",
                             dsk_verify_mode_name(conf->verify));
    return DSK_OK;
}

dsk_status dsk_conf_apply_trust(dsk_conf *conf, const char *kms_root, const char *app_id,
                                const char *verify, dsk_error *err)
{
    dsk_status st;

    if (!conf)
        return dsk_error_set(err, DSK_E_ARGS, "apply_trust: NULL configuration");
    st = dsk_conf_trust_set(conf, kms_root, app_id, verify, err);
    return st != DSK_OK ? st : dsk_conf_trust_settle(conf, err);
}
