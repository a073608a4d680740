/* Provenance: chain verification of every derivation and key statements. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

dsk_status dsk_keystore_set_trust(dsk_keystore *ks, const dsk_trust_opts *t, dsk_error *err)
{
    unsigned char(*roots)[DSK_SECP256K1_PUB_LEN] = NULL;

    if (!ks || !t || (t->n_roots && !t->roots))
        return dsk_error_set(err, DSK_E_ARGS, "set_trust: NULL argument");
    if (t->verify != DSK_VERIFY_OFF && t->n_roots == 0)
        return dsk_error_set(err, DSK_E_CONFIG,
                             "verify = %s needs at least one kms_root (the KMS root public key "
                             "to pin)",
                             dsk_verify_mode_name(t->verify));
    if (t->n_roots) {
        roots = malloc(t->n_roots * sizeof *roots);
        if (!roots)
            return dsk_error_set(err, DSK_E_NOMEM, "set_trust: out of memory");
        memcpy(roots, t->roots, t->n_roots * sizeof *roots);
    }
    free(ks->roots);
    ks->roots = roots;
    ks->n_roots = t->n_roots;
    ks->have_app_id = t->have_app_id;
    memcpy(ks->app_id, t->app_id, DSK_APP_ID_LEN);
    ks->verify = t->verify;
    return DSK_OK;
}

dsk_status dsk_keystore_set_trust_conf(dsk_keystore *ks, const dsk_conf *conf, dsk_error *err)
{
    dsk_trust_opts t;

    if (!ks || !conf)
        return dsk_error_set(err, DSK_E_ARGS, "set_trust_conf: NULL argument");
    memset(&t, 0, sizeof t);
    t.roots = (const unsigned char(*)[DSK_SECP256K1_PUB_LEN])conf->kms_roots;
    t.n_roots = conf->n_kms_roots;
    t.have_app_id = conf->have_app_id;
    memcpy(t.app_id, conf->app_id, DSK_APP_ID_LEN);
    t.verify = conf->verify;
    return dsk_keystore_set_trust(ks, &t, err);
}

dsk_status dsk_key_provenance(dsk_key *k, dsk_chain_verdict *v, dsk_error *err)
{
    (void)k;
    (void)v;
    return dsk_error_set(err, DSK_E_UNSUPPORTED, "key provenance: not implemented yet");
}

dsk_status dsk_key_statement(dsk_key *k, char **json, dsk_error *err)
{
    (void)k;
    (void)json;
    return dsk_error_set(err, DSK_E_UNSUPPORTED, "key statements: not implemented yet");
}
