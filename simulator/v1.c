/* The dstack 0.6 /v1 GetKey (dstack's docs/guest-api-v1.md): a KDF that
 * binds the algorithm and a version tag under its own salt, a public_key in
 * the reply, and a length-prefixed link-0 claim. Link 1 is the same bytes as
 * on the unversioned surface. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "trust.h"
#include "wipe.h"

static const char v1_salt[] = "dstack-guest-v1";
static const char v1_key_tag[] = "dstack-guest-v1-key";
static const char v1_claim_tag[] = "dstack-guest-v1-key-claim";

static const char *const alg_names[] = {
    [DSK_SIM_ALG_SECP256K1] = "secp256k1",
    [DSK_SIM_ALG_ED25519] = "ed25519",
};

dsk_status dsk_sim_v1_algorithm_parse(const char *name, dsk_sim_algorithm *out)
{
    for (size_t i = 0; name && i < sizeof alg_names / sizeof alg_names[0]; i++) {
        if (strcmp(name, alg_names[i]) == 0) {
            *out = (dsk_sim_algorithm)i;
            return DSK_OK;
        }
    }
    return DSK_E_UNSUPPORTED;
}

/* LP(x) = uint32_be(len(x)) || x, appended at *pos. */
static void lp(uint8_t *buf, size_t *pos, const void *x, size_t len)
{
    buf[*pos] = (uint8_t)(len >> 24);
    buf[*pos + 1] = (uint8_t)(len >> 16);
    buf[*pos + 2] = (uint8_t)(len >> 8);
    buf[*pos + 3] = (uint8_t)len;
    if (len)
        memcpy(buf + *pos + 4, x, len);
    *pos += 4 + len;
}

/* tag, algorithm, domain and optionally a public key, each LP-encoded;
 * malloc'd into *out. */
static dsk_status lp_encode(const char *tag, dsk_sim_algorithm alg, const void *domain,
                            size_t domain_len, const uint8_t *pub, size_t pub_len, uint8_t **out,
                            size_t *out_len, dsk_error *err)
{
    const char *a = alg_names[alg];
    if (domain_len > 0xffffffffu)
        return dsk_error_set(err, DSK_E_ARGS, "domain longer than 2^32 - 1 bytes");
    size_t cap = 16 + strlen(tag) + strlen(a) + domain_len + pub_len;
    uint8_t *b = malloc(cap);
    size_t pos = 0;
    if (!b)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory encoding a v1 claim");
    lp(b, &pos, tag, strlen(tag));
    lp(b, &pos, a, strlen(a));
    lp(b, &pos, domain, domain_len);
    if (pub)
        lp(b, &pos, pub, pub_len);
    *out = b;
    *out_len = pos;
    return DSK_OK;
}

dsk_status dsk_sim_v1_derive_key(const uint8_t app_key[32], dsk_sim_algorithm alg,
                                 const void *domain, size_t domain_len, uint8_t out[32],
                                 dsk_error *err)
{
    uint8_t *info = NULL;
    size_t info_len = 0;
    dsk_status rc = lp_encode(v1_key_tag, alg, domain, domain_len, NULL, 0, &info, &info_len, err);
    if (rc == DSK_OK)
        rc = dsk_sim_hkdf32(v1_salt, sizeof v1_salt - 1, app_key, info, info_len, out, err);
    free(info); /* the domain is not secret */
    return rc;
}

dsk_status dsk_sim_v1_chain_sign(const uint8_t app_key[32], dsk_sim_algorithm alg,
                                 const void *domain, size_t domain_len, const uint8_t *pubkey,
                                 size_t pubkey_len, uint8_t sig[DSK_SIM_SIG_LEN], dsk_error *err)
{
    uint8_t *claim = NULL, hash[DSK_KECCAK256_LEN];
    size_t claim_len = 0;
    dsk_status rc = lp_encode(v1_claim_tag, alg, domain, domain_len, pubkey, pubkey_len, &claim,
                              &claim_len, err);
    if (rc != DSK_OK)
        return rc;
    dsk_keccak256(claim, claim_len, hash);
    free(claim);
    return dsk_sim_sign_recoverable(app_key, hash, sig, err);
}

dsk_status dsk_sim_v1_get_key(const dsk_sim_api *api, const dsk_sim_request *req, bool short_key,
                              dsk_sim_reply *reply)
{
    dsk_sim_algorithm alg;
    dsk_error err = {0};
    uint8_t key[32], pub[33], sig[DSK_SIM_SIG_LEN];
    size_t pub_len = 0;
    char key_hex[65], pub_hex[67], sig_hex[2 * DSK_SIM_SIG_LEN + 1],
        kms_hex[2 * DSK_SIM_SIG_LEN + 1];
    const char *domain = req->domain ? req->domain : "";
    dsk_status rc;

    /* v1 has no default and no alias: "", "k256" and the rest are errors. */
    if (dsk_sim_v1_algorithm_parse(req->algorithm, &alg) != DSK_OK)
        return dsk_sim_reply_error(reply, 400,
                                   "Unsupported algorithm: expected \"secp256k1\" or \"ed25519\"");
    rc = dsk_sim_v1_derive_key(api->keys.k256_key, alg, domain, req->domain_len, key, &err);
    if (rc == DSK_OK && dsk_sim_public_key(alg, key, pub, &pub_len, &err) != DSK_OK) {
        rc = dsk_sim_reply_error(reply, 400,
                                 "derived secp256k1 key is out of range; choose another domain");
        goto done;
    }
    if (rc == DSK_OK)
        rc = dsk_sim_v1_chain_sign(api->keys.k256_key, alg, domain, req->domain_len, pub, pub_len,
                                   sig, &err);
    if (rc != DSK_OK) {
        rc = dsk_sim_reply_error(reply, 400, err.msg);
        goto done;
    }
    dsk_hex_encode(key, short_key ? 31 : 32, key_hex);
    dsk_hex_encode(pub, pub_len, pub_hex);
    dsk_hex_encode(sig, sizeof sig, sig_hex);
    dsk_hex_encode(api->keys.k256_signature, api->keys.k256_signature_len, kms_hex);

    /* By hand, as the v0 GetKey: the key's hex only in buffers we wipe. */
    size_t cap = 160 + sizeof key_hex + sizeof pub_hex + sizeof sig_hex + sizeof kms_hex;
    reply->body = malloc(cap);
    if (!reply->body) {
        rc = DSK_E_NOMEM;
        goto done;
    }
    int n = snprintf(reply->body, cap,
                     "{\"key\":\"%s\",\"public_key\":\"%s\",\"signature_chain\":[\"%s\",\"%s\"]}",
                     key_hex, pub_hex, sig_hex, kms_hex);
    reply->body_len = (size_t)n;
    reply->status = 200;
done:
    dsk_wipe(key, sizeof key);
    dsk_wipe(key_hex, sizeof key_hex);
    return rc;
}
