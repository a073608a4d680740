/* Provenance: the dstack chain of every derivation checked against pinned
 * KMS roots (verify = warn | require), the verdict of a key on demand, and
 * key statements (docs/provenance.md).
 *
 * The chain covers the public key of M, the agent's 32 bytes, as the agent
 * encodes it: SEC1-compressed secp256k1 (every type but ed25519 asks GetKey
 * for secp256k1) or the Ed25519 key of M as seed. For derived types (P-256,
 * RSA) the chain vouches for M; statements bind the derived SPKI through the
 * purpose of a second GetKey (v0), or through the domain of a second
 * /v1/GetKey whose throw-away key the chain then covers (v1). */
#include "internal.h"

#include <pthread.h>
#include "lazy_secp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "hex.h"
#include "log.h"

/* ---- settings ------------------------------------------------------- */

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
    pthread_mutex_lock(&ks->lock);
    free(ks->roots);
    ks->roots = roots;
    ks->n_roots = t->n_roots;
    ks->have_app_id = t->have_app_id ? 1 : 0;
    memcpy(ks->app_id, t->app_id, DSK_APP_ID_LEN);
    ks->verify = t->verify;
    pthread_mutex_unlock(&ks->lock);
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

/* ---- the public key of M -------------------------------------------- */

/* The public key the agent's chain covers for M under algorithm. */
static dsk_status chain_pubkey(const char *algorithm, const unsigned char m[32],
                               unsigned char out[DSK_SECP256K1_PUB_LEN], size_t *len,
                               dsk_error *err)
{
    if (strcmp(algorithm, "ed25519") == 0) {
        EVP_PKEY *pk = EVP_PKEY_new_raw_private_key_ex(dsk_keys_libctx(), "ED25519", NULL, m, 32);
        size_t n = DSK_ED25519_PUB_LEN;
        int ok = pk && EVP_PKEY_get_raw_public_key(pk, out, &n) && n == DSK_ED25519_PUB_LEN;
        EVP_PKEY_free(pk);
        if (!ok)
            return dsk_keys_ossl_error(err, DSK_E_CRYPTO, "Ed25519 public key of the dstack key");
        *len = n;
        return DSK_OK;
    }
    secp256k1_pubkey pub;
    size_t n = DSK_SECP256K1_PUB_LEN;
    const secp256k1_context *k1 = dsk_k1_ctx();
    if (!k1 || !secp256k1_ec_pubkey_create(k1, &pub, m) ||
        !secp256k1_ec_pubkey_serialize(k1, out, &n, &pub, SECP256K1_EC_COMPRESSED))
        return dsk_error_set(err, DSK_E_MALFORMED,
                             "the agent's key is not a valid secp256k1 private key");
    *len = n;
    return DSK_OK;
}

/* ---- the app id ----------------------------------------------------- */

/* The configured app id, else the agent's /Info one (read once per store,
 * logged once: the operator should pin it). */
static dsk_status store_app_id(dsk_keystore *ks, unsigned char out[DSK_APP_ID_LEN],
                               dsk_error *err)
{
    dsk_info info;
    unsigned char id[DSK_APP_ID_LEN];
    dsk_status st;
    int have;

    pthread_mutex_lock(&ks->lock);
    have = ks->have_app_id;
    memcpy(out, ks->app_id, DSK_APP_ID_LEN);
    pthread_mutex_unlock(&ks->lock);
    if (have)
        return DSK_OK;
    memset(&info, 0, sizeof info);
    st = dsk_client_info(ks->client, &info, err);
    if (st != DSK_OK) {
        dsk_error_prefix(err, "app_id is not configured and /Info failed");
        return st;
    }
    if (!info.app_id || strlen(info.app_id) != 2 * DSK_APP_ID_LEN ||
        dsk_hex_decode(info.app_id, strlen(info.app_id), id, sizeof id) != DSK_APP_ID_LEN) {
        dsk_info_free(&info);
        return dsk_error_set(err, DSK_E_MALFORMED, "the agent's /Info app_id is not 40 hex digits");
    }
    dsk_log(DSK_LOG_INFO,
            "app_id is not configured: using the agent's /Info app id %s (set app_id in [token] "
            "to pin it)",
            info.app_id);
    dsk_info_free(&info);
    pthread_mutex_lock(&ks->lock);
    if (!ks->have_app_id) {
        memcpy(ks->app_id, id, DSK_APP_ID_LEN);
        ks->have_app_id = 2;
    }
    memcpy(out, ks->app_id, DSK_APP_ID_LEN);
    pthread_mutex_unlock(&ks->lock);
    return DSK_OK;
}

/* ---- verification --------------------------------------------------- */

static dsk_status verify_chain(dsk_keystore *ks, const dsk_keymat *mat, const unsigned char *link0,
                               const unsigned char *link1, size_t link1_len,
                               const unsigned char *pub, size_t pub_len, const char *purpose,
                               dsk_chain_verdict *v, dsk_error *err)
{
    unsigned char app_id[DSK_APP_ID_LEN];
    dsk_chain_input in;
    dsk_status st;

    st = store_app_id(ks, app_id, err);
    if (st != DSK_OK)
        return st;
    memset(&in, 0, sizeof in);
    /* v1 keys: the claim binds the domain (kept in mat->path), not a purpose. */
    in.api = mat->api == DSK_API_V1 ? DSK_CHAIN_V1 : DSK_CHAIN_V0;
    if (mat->api == DSK_API_V1)
        purpose = mat->path;
    in.algorithm = dsk_derive_getkey_algorithm(mat->type);
    in.purpose = (const unsigned char *)purpose;
    in.purpose_len = strlen(purpose);
    in.pubkey = pub;
    in.pubkey_len = pub_len;
    in.link0 = link0;
    in.link0_len = DSK_CHAIN_LINK_LEN;
    in.link1 = link1;
    in.link1_len = link1_len;
    in.app_id = app_id;
    in.roots = (const unsigned char(*)[DSK_SECP256K1_PUB_LEN])ks->roots;
    in.n_roots = ks->n_roots;
    if (dsk_chain_verify(&in, v) != DSK_OK)
        return dsk_error_set(err, DSK_E_ARGS, "chain verification: bad arguments");
    return DSK_OK;
}

dsk_status dsk_keys_check_chain(dsk_key *k, const dsk_key_reply *reply, dsk_error *err)
{
    dsk_keymat *mat = k->mat;
    dsk_keystore *ks = k->ks;
    dsk_chain_verdict v;
    char sock[256];
    dsk_status st;

    if (reply->chain_len[0] != DSK_CHAIN_LINK_LEN) {
        mat->have_chain = 0;
    } else {
        st = chain_pubkey(dsk_derive_getkey_algorithm(mat->type), reply->key, mat->chain_pub,
                          &mat->chain_pub_len, err);
        if (st != DSK_OK)
            return st;
        memcpy(mat->link0, reply->chain[0], DSK_CHAIN_LINK_LEN);
        mat->link1_len = reply->chain_len[1] == DSK_CHAIN_LINK_LEN ? DSK_CHAIN_LINK_LEN : 0;
        memcpy(mat->link1, reply->chain[1], mat->link1_len);
        mat->have_chain = 1;
    }
    if (ks->verify == DSK_VERIFY_OFF)
        return DSK_OK;
    dsk_client_describe(ks->client, sock, sizeof sock);
    if (!mat->have_chain) {
        memset(&v, 0, sizeof v);
        v.outcome = DSK_CHAIN_MISMATCH;
        v.failed_link = 0;
        snprintf(v.reason, sizeof v.reason, "the agent's reply has no signature chain");
    } else {
        st = verify_chain(ks, mat, mat->link0, mat->link1, mat->link1_len, mat->chain_pub,
                          mat->chain_pub_len, mat->purpose, &v, err);
        if (st != DSK_OK)
            return st;
    }
    if (v.outcome == DSK_CHAIN_ANCHORED) {
        if (!atomic_exchange(&mat->verdict_logged, 1))
            dsk_log(DSK_LOG_INFO, DSK_KEY_FMT ": chain %s", DSK_KEY_ARGS(k), v.reason);
        return DSK_OK;
    }
    if (ks->verify == DSK_VERIFY_WARN) {
        if (!atomic_exchange(&mat->verdict_logged, 1))
            dsk_log(DSK_LOG_WARNING,
                    DSK_KEY_FMT ": the agent at %s is not anchored to a pinned KMS root (%s): %s; "
                    "used anyway (verify = warn)",
                    DSK_KEY_ARGS(k), sock, dsk_chain_outcome_name(v.outcome), v.reason);
        return DSK_OK;
    }
    return dsk_error_set(err, DSK_E_REFUSED,
                         "refused (verify = require): the agent at %s is not anchored to a "
                         "pinned KMS root (%s): %s; check that this socket is the dstack agent "
                         "of your app, and kms_root and app_id in [token]",
                         sock, dsk_chain_outcome_name(v.outcome), v.reason);
}

dsk_status dsk_key_provenance(dsk_key *k, dsk_chain_verdict *v, dsk_error *err)
{
    dsk_status st;

    if (!k || !v)
        return dsk_error_set(err, DSK_E_ARGS, "provenance: NULL argument");
    if (!k->mat->has_private)
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             "key '%s' is a public key only: it has no dstack chain", k->label);
    st = dsk_key_derive(k, err);
    if (st != DSK_OK)
        return st;
    if (!k->mat->have_chain)
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             DSK_KEY_FMT ": the agent gave no signature chain for it",
                             DSK_KEY_ARGS(k));
    return verify_chain(k->ks, k->mat, k->mat->link0, k->mat->link1, k->mat->link1_len,
                        k->mat->chain_pub, k->mat->chain_pub_len, k->mat->purpose, v, err);
}

/* ---- statements ----------------------------------------------------- */

dsk_status dsk_key_statement(dsk_key *k, char **json, dsk_error *err)
{
    dsk_keymat *mat;
    dsk_key_reply *reply = NULL;
    char purpose[DSK_STATEMENT_PURPOSE_MAX];
    const char *alg;
    dsk_statement s;
    dsk_status st;

    if (!k || !json)
        return dsk_error_set(err, DSK_E_ARGS, "statement: NULL argument");
    *json = NULL;
    mat = k->mat;
    if (!mat->has_private)
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             "key '%s' is a public key only: no statement", k->label);
    st = dsk_key_derive(k, err);
    if (st != DSK_OK)
        return st;
    alg = dsk_derive_getkey_algorithm(mat->type);
    memset(&s, 0, sizeof s);
    st = dsk_statement_purpose(dsk_type_info_get(mat->type)->name, mat->spki, mat->spki_len,
                               purpose, err);
    if (st != DSK_OK)
        goto done;
    st = store_app_id(k->ks, s.app_id, err);
    if (st != DSK_OK)
        goto done;
    reply = dsk_secret_alloc(sizeof *reply);
    if (!reply) {
        st = dsk_error_set(err, DSK_E_NOMEM, "statement: out of memory");
        goto done;
    }
    atomic_fetch_add(&k->ks->getkey_calls, 1);
    if (mat->api == DSK_API_V1)
        /* v1 has no purpose: a second /v1/GetKey whose domain is the same
         * text. Its key M' is a throw-away (wiped below); the chain covers
         * the public key of M', checked to be the reply's public_key. */
        st = dsk_client_v1_get_key(k->ks->client, purpose, alg, reply, err);
    else
        st = dsk_client_get_key(k->ks->client, mat->path, purpose, alg, reply, err);
    if (st != DSK_OK)
        goto done;
    st = chain_pubkey(alg, reply->key, s.chain_pubkey, &s.chain_pubkey_len, err);
    if (st == DSK_OK && mat->api == DSK_API_V1)
        st = dsk_keys_check_getkey_public(alg, reply->key, reply->public_key, reply->public_key_len,
                                          err);
    if (st != DSK_OK)
        goto done;
    /* v0: the purpose does not reach the KDF: the same path must give the
     * same M, or this agent is not the one the key came from. (Under v1 the
     * statement domain is another key by design.) */
    if (mat->api == DSK_API_V0 && mat->have_chain &&
        (s.chain_pubkey_len != mat->chain_pub_len ||
         memcmp(s.chain_pubkey, mat->chain_pub, s.chain_pubkey_len) != 0)) {
        st = dsk_error_set(err, DSK_E_MALFORMED,
                           "the agent answered another key for the statement's GetKey of the "
                           "same path");
        goto done;
    }
    if (reply->chain_len[0] != DSK_CHAIN_LINK_LEN) {
        st = dsk_error_set(err, DSK_E_MALFORMED, "the agent's reply has no signature chain");
        goto done;
    }
    s.format = DSK_STATEMENT_FORMAT;
    s.api = mat->api == DSK_API_V1 ? DSK_CHAIN_V1 : DSK_CHAIN_V0;
    s.key_type = dsk_type_info_get(mat->type)->name;
    s.spki = mat->spki;
    s.spki_len = mat->spki_len;
    s.algorithm = alg;
    s.purpose = (const unsigned char *)purpose;
    s.purpose_len = strlen(purpose);
    memcpy(s.link0, reply->chain[0], DSK_CHAIN_LINK_LEN);
    s.link1_len = reply->chain_len[1] == DSK_CHAIN_LINK_LEN ? DSK_CHAIN_LINK_LEN : 0;
    memcpy(s.link1, reply->chain[1], s.link1_len);
    s.label = k->label;
    s.path = mat->path;
    st = dsk_statement_format(&s, json, err);
done:
    if (reply) {
        dsk_key_reply_clear(reply);
        dsk_secret_free(reply, sizeof *reply);
    }
    if (st != DSK_OK)
        dsk_error_prefix(err, "statement for key '%s' (%s '%s')", k->label,
                         mat->api == DSK_API_V1 ? "api v1, domain" : "path", mat->path);
    return st;
}
