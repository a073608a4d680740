/* dstack signature chains, as the normative "Verifying a chain" sections of
 * dstack's guest API v0 and v1 documents say:
 *   link 0: the app root key signs keccak256(claim), where the claim is
 *           v0: purpose ":" lowercase-hex(public key)
 *           v1: LP("dstack-guest-v1-key-claim") LP(algorithm) LP(domain) LP(public key)
 *   link 1: the KMS root signs keccak256("dstack-kms-issued:" app_id app_root_pubkey)
 * Both links are r || s || v (v = recovery id 0..3, s low). We recover the
 * app root key from link 0, the KMS root from link 1, and compare the latter
 * with every pinned root. The anchor must come from the caller: a root read
 * from the agent being checked proves nothing. */
#include "internal.h"

#include "lazy_secp.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

#define KMS_PREFIX "dstack-kms-issued:"
#define V1_CLAIM_TAG "dstack-guest-v1-key-claim"

/* n/2 for secp256k1: an s above it is the malleable twin of a low one. */
static const unsigned char half_order[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};

static const struct {
    const char *name;
    size_t pubkey_len;
} algorithms[] = {
    {"secp256k1", DSK_SECP256K1_PUB_LEN},
    {"ed25519", DSK_ED25519_PUB_LEN},
};

size_t dsk_trust_pubkey_len(const char *algorithm)
{
    for (size_t i = 0; algorithm && i < sizeof algorithms / sizeof algorithms[0]; i++)
        if (strcmp(algorithm, algorithms[i].name) == 0)
            return algorithms[i].pubkey_len;
    return 0;
}

void dsk_trust_hex33(const unsigned char *in, size_t len, char out[67])
{
    dsk_hex_encode(in, len > 33 ? 33 : len, out);
}

const char *dsk_chain_outcome_name(dsk_chain_outcome o)
{
    static const char *const names[] = {"anchored", "unanchored", "mismatch"};
    return (unsigned)o < 3 ? names[o] : "mismatch";
}

const char *dsk_trust_recover(const unsigned char hash[DSK_KECCAK256_LEN],
                              const unsigned char link[DSK_CHAIN_LINK_LEN],
                              unsigned char out[DSK_SECP256K1_PUB_LEN])
{
    secp256k1_ecdsa_recoverable_signature sig;
    secp256k1_pubkey pub;
    size_t len = DSK_SECP256K1_PUB_LEN;
    int v = link[64];

    if (v > 3)
        return "bad recovery id (v must be 0..3)";
    /* libsecp256k1 recovers from a high s as well; dstack signs low-S only
     * and the documents say to reject the other. */
    if (memcmp(link + 32, half_order, 32) > 0)
        return "high-S signature (non-canonical s)";
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(secp256k1_context_static, &sig,
                                                             link, v))
        return "r or s out of range";
    if (!secp256k1_ecdsa_recover(secp256k1_context_static, &pub, &sig, hash))
        return "no public key recovers from this signature";
    secp256k1_ec_pubkey_serialize(secp256k1_context_static, out, &len, &pub,
                                  SECP256K1_EC_COMPRESSED);
    return NULL;
}

static void put_lp(unsigned char **p, const void *data, size_t len)
{
    (*p)[0] = (unsigned char)(len >> 24);
    (*p)[1] = (unsigned char)(len >> 16);
    (*p)[2] = (unsigned char)(len >> 8);
    (*p)[3] = (unsigned char)len;
    if (len)
        memcpy(*p + 4, data, len);
    *p += 4 + len;
}

dsk_status dsk_chain_claim(const dsk_chain_input *in, unsigned char *claim, size_t *claim_len)
{
    size_t need, alen;

    if (!in || !claim_len || (in->purpose_len && !in->purpose) || !in->pubkey)
        return DSK_E_ARGS;
    if (dsk_trust_pubkey_len(in->algorithm) != in->pubkey_len)
        return DSK_E_ARGS;
    alen = strlen(in->algorithm);
    if (in->api == DSK_CHAIN_V0)
        need = in->purpose_len + 1 + 2 * in->pubkey_len;
    else if (in->api == DSK_CHAIN_V1) {
        if (in->purpose_len > UINT32_MAX)
            return DSK_E_ARGS;
        need = 16 + strlen(V1_CLAIM_TAG) + alen + in->purpose_len + in->pubkey_len;
    } else
        return DSK_E_ARGS;
    if (!claim) {
        *claim_len = need;
        return DSK_OK;
    }
    if (*claim_len < need) {
        *claim_len = need;
        return DSK_E_BUFFER_TOO_SMALL;
    }
    if (in->api == DSK_CHAIN_V0) {
        char hex[2 * DSK_SECP256K1_PUB_LEN + 1];
        if (in->purpose_len)
            memcpy(claim, in->purpose, in->purpose_len);
        claim[in->purpose_len] = ':';
        dsk_hex_encode(in->pubkey, in->pubkey_len, hex);
        memcpy(claim + in->purpose_len + 1, hex, 2 * in->pubkey_len);
    } else {
        unsigned char *p = claim;
        put_lp(&p, V1_CLAIM_TAG, strlen(V1_CLAIM_TAG));
        put_lp(&p, in->algorithm, alen);
        put_lp(&p, in->purpose, in->purpose_len);
        put_lp(&p, in->pubkey, in->pubkey_len);
    }
    *claim_len = need;
    return DSK_OK;
}

/* A MISMATCH verdict at link, with a reason. */
static dsk_status mismatch(dsk_chain_verdict *v, int link, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static dsk_status mismatch(dsk_chain_verdict *v, int link, const char *fmt, ...)
{
    va_list ap;
    v->outcome = DSK_CHAIN_MISMATCH;
    v->failed_link = link;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof v->reason, fmt, ap);
    va_end(ap);
    return DSK_OK;
}

static dsk_status link0_app_key(const dsk_chain_input *in, dsk_chain_verdict *v)
{
    unsigned char digest[DSK_KECCAK256_LEN], *claim = NULL;
    unsigned char small[256];
    size_t len = 0;
    const char *why;

    if (!dsk_trust_pubkey_len(in->algorithm))
        return mismatch(v, 0, "link 0: unknown key algorithm '%s' (secp256k1 or ed25519)",
                        in->algorithm ? in->algorithm : "(none)");
    if (in->pubkey_len != dsk_trust_pubkey_len(in->algorithm))
        return mismatch(v, 0, "link 0: the %s public key is %zu bytes (33 SEC1-compressed for "
                        "secp256k1, 32 for ed25519)", in->algorithm, in->pubkey_len);
    if (in->link0_len != DSK_CHAIN_LINK_LEN)
        return mismatch(v, 0, "link 0: signature is %zu bytes, not 65 (r || s || v)",
                        in->link0_len);
    if (dsk_chain_claim(in, NULL, &len) != DSK_OK)
        return DSK_E_ARGS;
    claim = len <= sizeof small ? small : malloc(len);
    if (!claim)
        return DSK_E_NOMEM;
    dsk_chain_claim(in, claim, &len);
    dsk_keccak256(claim, len, digest);
    if (claim != small)
        free(claim);
    why = dsk_trust_recover(digest, in->link0, v->app_pubkey);
    if (why)
        return mismatch(v, 0, "link 0 (the app key's claim over this public key): %s", why);
    v->have_app_pubkey = 1;
    return DSK_OK;
}

/* "03ab..., 02cd... and 3 more" into out. */
static void list_roots(const dsk_chain_input *in, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    if (in->n_roots == 0) {
        snprintf(out, len, "none");
        return;
    }
    for (size_t i = 0; i < in->n_roots && i < 2; i++) {
        char hex[67];
        dsk_trust_hex33(in->roots[i], DSK_SECP256K1_PUB_LEN, hex);
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "", hex);
    }
    if (in->n_roots > 2)
        snprintf(out + used, len - used, " and %zu more", in->n_roots - 2);
}

dsk_status dsk_chain_verify(const dsk_chain_input *in, dsk_chain_verdict *v)
{
    unsigned char msg[sizeof KMS_PREFIX - 1 + DSK_APP_ID_LEN + DSK_SECP256K1_PUB_LEN];
    unsigned char digest[DSK_KECCAK256_LEN];
    char app_hex[67], root_hex[67], pinned[200];
    const char *why;
    dsk_status st;

    if (!in || !v || !in->app_id || (in->n_roots && !in->roots) ||
        (in->purpose_len && !in->purpose) || (in->pubkey_len && !in->pubkey) ||
        (in->link0_len && !in->link0) || (in->link1_len && !in->link1))
        return DSK_E_ARGS;
    memset(v, 0, sizeof *v);
    v->failed_link = -1;

    st = link0_app_key(in, v);
    if (st != DSK_OK || v->outcome == DSK_CHAIN_MISMATCH)
        return st;
    dsk_trust_hex33(v->app_pubkey, DSK_SECP256K1_PUB_LEN, app_hex);

    if (in->link1_len == 0) {
        v->outcome = DSK_CHAIN_UNANCHORED;
        snprintf(v->reason, sizeof v->reason,
                 "link 1 is empty: the agent's key provider has no KMS, so nothing vouches for "
                 "the app key %s",
                 app_hex);
        return DSK_OK;
    }
    if (in->link1_len != DSK_CHAIN_LINK_LEN)
        return mismatch(v, 1, "link 1: signature is %zu bytes, not 65 (r || s || v)",
                        in->link1_len);
    memcpy(msg, KMS_PREFIX, sizeof KMS_PREFIX - 1);
    memcpy(msg + sizeof KMS_PREFIX - 1, in->app_id, DSK_APP_ID_LEN);
    memcpy(msg + sizeof KMS_PREFIX - 1 + DSK_APP_ID_LEN, v->app_pubkey, DSK_SECP256K1_PUB_LEN);
    dsk_keccak256(msg, sizeof msg, digest);
    why = dsk_trust_recover(digest, in->link1, v->kms_root);
    if (why)
        return mismatch(v, 1, "link 1 (the KMS's signature over the app key %s): %s", app_hex,
                        why);
    v->have_kms_root = 1;
    for (size_t i = 0; i < in->n_roots; i++) {
        if (memcmp(in->roots[i], v->kms_root, DSK_SECP256K1_PUB_LEN) == 0) {
            v->outcome = DSK_CHAIN_ANCHORED;
            v->root_index = i;
            dsk_trust_hex33(v->kms_root, DSK_SECP256K1_PUB_LEN, root_hex);
            snprintf(v->reason, sizeof v->reason, "anchored to the pinned KMS root %s", root_hex);
            return DSK_OK;
        }
    }
    dsk_trust_hex33(v->kms_root, DSK_SECP256K1_PUB_LEN, root_hex);
    list_roots(in, pinned, sizeof pinned);
    v->outcome = DSK_CHAIN_MISMATCH;
    v->failed_link = 1;
    snprintf(v->reason, sizeof v->reason,
             "link 1 recovers to KMS root %s, which is not pinned (pinned: %s): check kms_root "
             "and app_id (the app id is part of link 1)",
             root_hex, pinned);
    return DSK_OK;
}
