/* Key statements: the offline verification (docs/provenance.md "Verifying
 * a statement"). Each check is reported in order; the first that fails
 * ends the run (the rest are "not checked"), and all_ok is 1 only when
 * every check held: a statement proves nothing unless all of it holds. */
#include "internal.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "lazy_secp.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

static const char not_proved[] =
    "what a valid statement does not prove: which getKey path or v1 domain the key came from "
    "(label and path are information only), that the private key never left the TEE, or that "
    "the app is the code you expect (check the app id's attestation and compose hash for that)";

/* The key types (conf's names), what their SPKI holds and how GetKey
 * was asked: the two dstack types are the agent's key itself. */
static const struct {
    const char *name;
    const char *ossl; /* EVP_PKEY_is_a name */
    const char *group; /* EC group, else NULL */
    int bits;          /* RSA modulus bits, else 0 */
    const char *algorithm;
    int is_chain_key; /* the SPKI's key is the chain's public key */
} types[] = {
    {"secp256k1", "EC", "secp256k1", 0, "secp256k1", 1},
    {"ed25519", "ED25519", NULL, 0, "ed25519", 1},
    {"ec-p256", "EC", "prime256v1", 0, "secp256k1", 0},
    {"ec-p384", "EC", "secp384r1", 0, "secp256k1", 0},
    {"rsa-2048", "RSA", NULL, 2048, "secp256k1", 0},
    {"rsa-3072", "RSA", NULL, 3072, "secp256k1", 0},
    {"rsa-4096", "RSA", NULL, 4096, "secp256k1", 0},
    {"tappd-p256", "EC", "prime256v1", 0, "secp256k1", 0},
};
#define N_TYPES (sizeof types / sizeof types[0])

static size_t find_type(const char *name)
{
    for (size_t i = 0; name && i < N_TYPES; i++)
        if (strcmp(types[i].name, name) == 0)
            return i;
    return N_TYPES;
}

dsk_status dsk_statement_purpose(const char *key_type, const unsigned char *spki,
                                 size_t spki_len, char out[DSK_STATEMENT_PURPOSE_MAX],
                                 dsk_error *e)
{
    unsigned char h[32];
    char hex[65];
    unsigned int hl = 0;

    if (!key_type || !spki || !out || find_type(key_type) == N_TYPES)
        return dsk_error_set(e, DSK_E_ARGS, "statement purpose: unknown key type or no SPKI");
    if (EVP_Digest(spki, spki_len, h, &hl, EVP_sha256(), NULL) != 1 || hl != 32)
        return dsk_error_set(e, DSK_E_CRYPTO, "statement purpose: SHA-256 failed");
    dsk_hex_encode(h, 32, hex);
    snprintf(out, DSK_STATEMENT_PURPOSE_MAX, DSK_STATEMENT_PURPOSE_PREFIX "%s:%s", key_type, hex);
    return DSK_OK;
}

static dsk_statement_check *check(dsk_statement_report *r, const char *name, int ok,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static dsk_statement_check *check(dsk_statement_report *r, const char *name, int ok,
                                  const char *fmt, ...)
{
    dsk_statement_check *c = &r->checks[r->n_checks++];
    va_list ap;
    c->name = name;
    c->ok = ok;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
    return c;
}

/* The SPKI parses as the statement's type; for the two dstack types its
 * key is also the chain's public key. Returns NULL or the failure. */
static const char *check_spki(const dsk_statement *s, size_t t, char *why, size_t wlen)
{
    const unsigned char *p = s->spki;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)s->spki_len);
    unsigned char raw[97], comp[33];
    size_t rlen = 0, clen = sizeof comp;
    char group[32] = "";
    const char *res = NULL;
    secp256k1_pubkey pub;

    if (!pk || p != s->spki + s->spki_len) {
        res = "the SPKI is not a DER SubjectPublicKeyInfo";
        goto done;
    }
    if (!EVP_PKEY_is_a(pk, types[t].ossl) ||
        (types[t].group && (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                             sizeof group, NULL) ||
                            strcmp(group, types[t].group) != 0)) ||
        (types[t].bits && EVP_PKEY_get_bits(pk) != types[t].bits)) {
        snprintf(why, wlen, "the SPKI is not a %s key", types[t].name);
        res = why;
        goto done;
    }
    /* A v1 statement's chain covers the throw-away key of the statement
     * domain, never the SPKI's key (docs/provenance.md, "v1 statements"). */
    if (!types[t].is_chain_key || s->api == DSK_CHAIN_V1)
        goto done;
    if (!EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, raw, sizeof raw, &rlen)) {
        res = "cannot read the SPKI's public key";
        goto done;
    }
    if (types[t].group) { /* secp256k1: compare compressed */
        if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &pub, raw, rlen) ||
            !secp256k1_ec_pubkey_serialize(secp256k1_context_static, comp, &clen, &pub,
                                           SECP256K1_EC_COMPRESSED)) {
            res = "the SPKI's secp256k1 point is invalid";
            goto done;
        }
        memcpy(raw, comp, 33);
        rlen = 33;
    }
    if (rlen != s->chain_pubkey_len || memcmp(raw, s->chain_pubkey, rlen) != 0)
        res = "the SPKI's key is not the chain's public key (for secp256k1 and ed25519 keys they "
              "are the same key)";
done:
    EVP_PKEY_free(pk);
    return res;
}

dsk_status dsk_statement_verify(const dsk_statement *s, const unsigned char app_id[DSK_APP_ID_LEN],
                                const unsigned char (*roots)[DSK_SECP256K1_PUB_LEN],
                                size_t n_roots, dsk_statement_report *r)
{
    char want[DSK_STATEMENT_PURPOSE_MAX], hex_a[41], hex_b[41], why[128], keyhex[67];
    const char *fail;
    size_t t;
    dsk_chain_input in;
    const char *names[] = {"format", "app id", "key type", "purpose", "link 0", "link 1"};

    if (!s || !app_id || !r || (n_roots && !roots))
        return DSK_E_ARGS;
    memset(r, 0, sizeof *r);
    r->not_checked = not_proved;

    /* 1. a format and API this verifier knows */
    if (!s->format || strcmp(s->format, DSK_STATEMENT_FORMAT) != 0 ||
        (s->api != DSK_CHAIN_V0 && s->api != DSK_CHAIN_V1)) {
        check(r, names[0], 0, "unknown format or API (this verifier reads %s, api v0 or v1)",
              DSK_STATEMENT_FORMAT);
        goto rest;
    }
    check(r, names[0], 1, "%s, api %s", DSK_STATEMENT_FORMAT, s->api == DSK_CHAIN_V0 ? "v0" : "v1");
    if (s->api == DSK_CHAIN_V1)
        names[3] = "domain"; /* v1 has no purpose: the statement's own GetKey domain */

    /* 2. the app you expect: the statement's app id is what link 1 names */
    dsk_hex_encode(s->app_id, DSK_APP_ID_LEN, hex_a);
    dsk_hex_encode(app_id, DSK_APP_ID_LEN, hex_b);
    if (memcmp(s->app_id, app_id, DSK_APP_ID_LEN) != 0) {
        check(r, names[1], 0, "the statement is for app %s, not the expected %s", hex_a, hex_b);
        goto rest;
    }
    check(r, names[1], 1, "%s", hex_a);

    /* 3. the SPKI is a key of the stated type (and is the chain key for the dstack types) */
    t = find_type(s->key_type);
    if (t == N_TYPES || !s->algorithm || strcmp(s->algorithm, types[t].algorithm) != 0) {
        check(r, names[2], 0, "unknown key type '%.40s' or algorithm '%.20s' that does not fit it",
              s->key_type ? s->key_type : "", s->algorithm ? s->algorithm : "");
        goto rest;
    }
    fail = check_spki(s, t, why, sizeof why);
    if (fail) {
        check(r, names[2], 0, "%s", fail);
        goto rest;
    }
    check(r, names[2], 1, "%s%s", s->key_type,
          types[t].is_chain_key && s->api == DSK_CHAIN_V0
              ? " (the SPKI's key is the chain's public key)"
              : "");

    /* 4. the purpose (v0) or the statement domain (v1) names exactly this
     * type and SPKI: the same text under both APIs */
    if (dsk_statement_purpose(s->key_type, s->spki, s->spki_len, want, NULL) != DSK_OK ||
        s->purpose_len != strlen(want) || memcmp(s->purpose, want, s->purpose_len) != 0) {
        check(r, names[3], 0, "the %s is not \"%s\" (type and SHA-256 of the SPKI)", names[3],
              want);
        goto rest;
    }
    check(r, names[3], 1, "%s", want);

    /* 5, 6. the chain, under the EXPECTED app id and the pinned roots */
    memset(&in, 0, sizeof in);
    in.api = s->api;
    in.algorithm = s->algorithm;
    in.purpose = s->purpose;
    in.purpose_len = s->purpose_len;
    in.pubkey = s->chain_pubkey;
    in.pubkey_len = s->chain_pubkey_len;
    in.link0 = s->link0;
    in.link0_len = DSK_CHAIN_LINK_LEN;
    in.link1 = s->link1;
    in.link1_len = s->link1_len;
    in.app_id = app_id;
    in.roots = roots;
    in.n_roots = n_roots;
    if (dsk_chain_verify(&in, &r->chain) != DSK_OK)
        return DSK_E_ARGS;
    if (r->chain.failed_link == 0) {
        check(r, names[4], 0, "%s", r->chain.reason);
        goto rest;
    }
    dsk_trust_hex33(r->chain.app_pubkey, DSK_SECP256K1_PUB_LEN, keyhex);
    check(r, names[4], 1, "the app key %s signed the %s claim over this %s", keyhex,
          s->api == DSK_CHAIN_V1 ? "v1 (length-prefixed)" : "v0",
          s->api == DSK_CHAIN_V1 ? "domain and its throw-away public key" : "public key");
    if (r->chain.outcome != DSK_CHAIN_ANCHORED) {
        check(r, names[5], 0, "%s", r->chain.reason);
        goto rest;
    }
    check(r, names[5], 1, "%s", r->chain.reason);
    r->all_ok = 1;
    return DSK_OK;
rest:
    for (size_t i = r->n_checks; i < sizeof names / sizeof names[0]; i++)
        check(r, names[i], -1, "not checked (an earlier check failed)");
    return DSK_OK;
}
