/* keys/store.c: adding and finding keys, label rules, shared derivation,
 * configuration import, domain separation between types, unusable material
 * (never cached), and teardown of stores in every state. */
#include "keytest.h"

#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

static void test_add_and_find(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_desc d = {.label = "web", .type = DSK_KEY_EC_P256};
    dsk_key *k = NULL, *k2 = NULL;
    (void)state;
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    assert_string_equal(dsk_key_label(k), "web");
    assert_string_equal(dsk_key_path(k), "web"); /* path defaults to the label */
    assert_int_equal(dsk_key_get_type(k), DSK_KEY_EC_P256);
    assert_int_equal(dsk_key_usage(k), DSK_USAGE_SIGN | DSK_USAGE_DERIVE);
    assert_true(dsk_key_has_private(k));
    assert_false(dsk_key_is_derived(k));
    assert_ptr_equal(dsk_keystore_find(ks, "web"), k);
    assert_null(dsk_keystore_find(ks, "nope"));
    assert_null(dsk_keystore_find(ks, NULL));
    /* the same description again: the same key */
    assert_int_equal(dsk_keystore_add(ks, &d, &k2, NULL), DSK_OK);
    assert_ptr_equal(k2, k);
    /* out may be NULL */
    dsk_key_desc d2 = {
        .label = "ssh", .path = "app/ssh", .purpose = "ssh", .type = DSK_KEY_ED25519};
    assert_int_equal(dsk_keystore_add(ks, &d2, NULL, NULL), DSK_OK);
    assert_string_equal(dsk_key_path(dsk_keystore_find(ks, "ssh")), "app/ssh");
    /* accessors are NULL-safe */
    assert_null(dsk_key_label(NULL));
    assert_null(dsk_key_path(NULL));
    assert_int_equal(dsk_key_get_type(NULL), DSK_KEY_TYPE_COUNT);
    assert_int_equal(dsk_key_usage(NULL), 0);
    assert_false(dsk_key_has_private(NULL));
    assert_false(dsk_key_is_derived(NULL));
    dsk_keystore_free(ks); /* nothing derived: fine */
    dsk_keystore_free(NULL);
}

static void test_label_rules(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key *k = (dsk_key *)1;
    dsk_error e = {0};
    dsk_key_desc d = {.label = "web", .path = "a", .type = DSK_KEY_EC_P256};
    (void)state;
    assert_int_equal(dsk_keystore_add(ks, &d, NULL, NULL), DSK_OK);
    d.path = "b";
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    assert_null(k);
    assert_string_equal(e.msg,
                        "label 'web' is already used for another key (path 'a', type ec-p256)");
    d = (dsk_key_desc){.label = "web", .path = "a", .type = DSK_KEY_EC_P384};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    d = (dsk_key_desc){
        .label = "web", .path = "a", .type = DSK_KEY_EC_P256, .usage = DSK_USAGE_SIGN};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    d = (dsk_key_desc){.label = "", .type = DSK_KEY_EC_P256};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    d = (dsk_key_desc){.label = NULL, .type = DSK_KEY_EC_P256};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    d = (dsk_key_desc){.label = "x", .type = DSK_KEY_TYPE_COUNT};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    char want[64];
    snprintf(want, sizeof want, "key 'x': unknown key type %d", (int)DSK_KEY_TYPE_COUNT);
    assert_string_equal(e.msg, want);
    /* v1 keys are named by a domain only; v0 keys never by a domain. */
    d = (dsk_key_desc){.label = "x", .path = "p", .api = DSK_API_V1};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    assert_string_equal(e.msg, "key 'x': a v1 key is named by its domain: v1 has no path and no "
                               "purpose");
    d = (dsk_key_desc){.label = "x", .purpose = "p", .api = DSK_API_V1};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    d = (dsk_key_desc){.label = "x", .domain = "d"};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    assert_string_equal(e.msg, "key 'x': domain is a v1 setting; a v0 key is named by its path");
    d = (dsk_key_desc){.label = "x", .type = DSK_KEY_TAPPD_P256, .api = DSK_API_V1};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "it needs api = v0"));
    d = (dsk_key_desc){.label = "x", .api = (dsk_api)7};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    d = (dsk_key_desc){.label = "x", .type = DSK_KEY_EC_P256, .usage = DSK_USAGE_DECRYPT};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    assert_string_equal(e.msg, "key 'x': a ec-p256 key cannot be used for decrypt; allowed: "
                               "sign, derive");
    d = (dsk_key_desc){.label = "x", .type = DSK_KEY_ED25519, .usage = DSK_USAGE_DERIVE};
    assert_int_equal(dsk_keystore_add(ks, &d, &k, &e), DSK_E_CONFIG);
    assert_int_equal(dsk_keystore_add(NULL, &d, &k, &e), DSK_E_ARGS);
    assert_int_equal(dsk_keystore_add(ks, NULL, &k, &e), DSK_E_ARGS);
    assert_null(dsk_keystore_find(ks, "x"));
    dsk_keystore_free(ks);
}

/* Two labels, one (path, purpose, type): one derivation serves both. */
static void test_shared_material(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_desc a = {.label = "a", .path = "p", .type = DSK_KEY_EC_P256};
    dsk_key_desc b = {.label = "b", .path = "p", .type = DSK_KEY_EC_P256, .usage = DSK_USAGE_SIGN};
    dsk_key_desc c = {.label = "c", .path = "p", .purpose = "other", .type = DSK_KEY_EC_P256};
    dsk_key *ka, *kb, *kc;
    unsigned char m[32] = {1, 2, 3};
    const unsigned char *da, *db;
    size_t la, lb;
    (void)state;
    assert_int_equal(dsk_keystore_add(ks, &a, &ka, NULL), DSK_OK);
    assert_int_equal(dsk_keystore_add(ks, &b, &kb, NULL), DSK_OK);
    assert_int_equal(dsk_keystore_add(ks, &c, &kc, NULL), DSK_OK);
    assert_ptr_not_equal(ka, kb);
    assert_ptr_equal(dsk_keystore_find(ks, "b"), kb);
    assert_int_equal(dsk_key_usage(kb), DSK_USAGE_SIGN);
    assert_int_equal(dsk_key_derive_from_material(ka, m, NULL), DSK_OK);
    assert_true(dsk_key_is_derived(kb));
    assert_false(dsk_key_is_derived(kc)); /* another purpose is another key */
    assert_int_equal(dsk_key_spki(ka, &da, &la, NULL), DSK_OK);
    assert_int_equal(dsk_key_spki(kb, &db, &lb, NULL), DSK_OK);
    assert_ptr_equal(da, db);
    dsk_keystore_free(ks);
}

static void test_add_conf(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_entry ent[2] = {
        {.label = "web",
         .path = "app/web",
         .type = DSK_KEY_EC_P384,
         .purpose = "",
         .usage = DSK_USAGE_SIGN,
         .line = 3},
        {.label = "web", .path = "app/other", .type = DSK_KEY_EC_P384, .purpose = "", .line = 9},
    };
    dsk_conf conf = {.file = "/etc/dstack-pkcs11.conf", .keys = ent, .nkeys = 1};
    dsk_error e = {0};
    (void)state;
    assert_int_equal(dsk_keystore_add_conf(ks, &conf, NULL), DSK_OK);
    dsk_key *k = dsk_keystore_find(ks, "web");
    assert_non_null(k);
    assert_string_equal(dsk_key_path(k), "app/web");
    assert_int_equal(dsk_key_get_type(k), DSK_KEY_EC_P384);
    assert_int_equal(dsk_key_usage(k), DSK_USAGE_SIGN);
    conf.nkeys = 2;
    assert_int_equal(dsk_keystore_add_conf(ks, &conf, &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "/etc/dstack-pkcs11.conf:9: label 'web'"));
    assert_int_equal(dsk_keystore_add_conf(ks, NULL, &e), DSK_E_ARGS);
    dsk_keystore_free(ks);
}

/* The public key of a key whose scalar were M itself (computed here). */
static EVP_PKEY *scalar_key(const char *group, const unsigned char m[32])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(OBJ_sn2nid(group));
    EC_POINT *pt = EC_POINT_new(g);
    BIGNUM *d = BN_bin2bn(m, 32, NULL);
    unsigned char oct[100];
    size_t ol;
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pk = NULL;
    assert_int_equal(EC_POINT_mul(g, pt, d, NULL, NULL, NULL), 1);
    ol = EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, oct, sizeof oct, NULL);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, oct, ol);
    params[2] = OSSL_PARAM_construct_end();
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
    BN_free(d);
    EC_POINT_free(pt);
    EC_GROUP_free(g);
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

/* One M under every type: no two types share a scalar with M or with each
 * other (the NIST types are not M itself). */
static void test_domain_separation(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    unsigned char m[32], x[DSK_KEY_RSA_2048 + 1][32];
    (void)state;
    EVP_Digest("domain", 6, m, NULL, EVP_sha256(), NULL);
    for (int t = 0; t <= DSK_KEY_RSA_2048; t++) {
        const dsk_type_info *ti = dsk_type_info_get((dsk_key_type)t);
        dsk_key_desc d = {.label = ti->name, .path = "same/path", .type = (dsk_key_type)t};
        dsk_key *k;
        const unsigned char *p, *n, *e;
        size_t l, nl, el;
        assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
        assert_int_equal(dsk_key_derive_from_material(k, m, NULL), DSK_OK);
        if (t == DSK_KEY_RSA_2048) {
            assert_int_equal(dsk_key_rsa_public(k, &n, &nl, &e, &el, NULL), DSK_OK);
            memcpy(x[t], n, 32);
        } else {
            assert_int_equal(dsk_key_public_point(k, &p, &l, NULL), DSK_OK);
            memcpy(x[t], p + (t == DSK_KEY_ED25519 ? 0 : 1), 32);
        }
    }
    for (int i = 0; i <= DSK_KEY_RSA_2048; i++)
        for (int j = i + 1; j <= DSK_KEY_RSA_2048; j++)
            assert_memory_not_equal(x[i], x[j], 32);
    /* P-256 and P-384 keys are not "scalar = M" */
    static const dsk_key_type nist[] = {DSK_KEY_EC_P256, DSK_KEY_EC_P384};
    for (int i = 0; i < 2; i++) {
        const dsk_type_info *ti = dsk_type_info_get(nist[i]);
        EVP_PKEY *direct = scalar_key(ti->group, m);
        EVP_PKEY *ours = kt_default_pub(dsk_keystore_find(ks, ti->name));
        assert_int_equal(EVP_PKEY_eq(direct, ours), 0);
        EVP_PKEY_free(direct);
        EVP_PKEY_free(ours);
    }
    /* while secp256k1 is: the SDKs' key */
    EVP_PKEY *direct = scalar_key("secp256k1", m);
    EVP_PKEY *ours = kt_default_pub(dsk_keystore_find(ks, "secp256k1"));
    assert_int_equal(EVP_PKEY_eq(direct, ours), 1);
    EVP_PKEY_free(direct);
    EVP_PKEY_free(ours);
    dsk_keystore_free(ks);
}

/* M that is no secp256k1 scalar fails clearly, is not cached, and a usable M
 * later derives the same key object. */
static void test_unusable_material(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_desc d = {.label = "wallet", .path = "eth/w", .type = DSK_KEY_SECP256K1};
    dsk_key *k;
    unsigned char ff[32], zero[32] = {0}, good[32] = {9};
    char addr[43];
    dsk_error e = {0};
    (void)state;
    memset(ff, 0xff, sizeof ff);
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    assert_int_equal(dsk_key_derive_from_material(k, ff, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "key 'wallet' (path 'eth/w'): "));
    assert_false(dsk_key_is_derived(k));
    assert_int_equal(dsk_key_derive_from_material(k, zero, &e), DSK_E_BAD_INPUT);
    assert_false(dsk_key_is_derived(k));
    assert_int_equal(dsk_key_derive_from_material(k, good, &e), DSK_OK);
    assert_true(dsk_key_is_derived(k));
    assert_int_equal(dsk_key_eth_address(k, addr, NULL), DSK_OK);
    /* once derived, new material is ignored: the key never changes */
    const unsigned char *p1, *p2;
    size_t l1, l2;
    assert_int_equal(dsk_key_spki(k, &p1, &l1, NULL), DSK_OK);
    good[0] = 10;
    assert_int_equal(dsk_key_derive_from_material(k, good, NULL), DSK_OK);
    assert_int_equal(dsk_key_spki(k, &p2, &l2, NULL), DSK_OK);
    assert_ptr_equal(p1, p2);
    dsk_keystore_free(ks);
}

/* C_Finalize or a destructor may run after OpenSSL's own atexit cleanup:
 * freeing the store then must not touch OpenSSL objects. */
static EVP_PKEY *volatile kept_for_exit; /* still reachable: not a leak for valgrind */

/* Issue 13, item 6: distinct run-time keys (inline URIs, generated pairs,
 * imported public keys) are bounded by a cap with a clear error, the same
 * key again costs nothing, and lookups go through the index (20000 labels
 * found, each the right one). */
static void test_growth_is_bounded(void **state)
{
    (void)state;
    dsk_keystore *ks = kt_store(NULL);
    dsk_error e = {0};
    dsk_key *k = NULL, *again = NULL;
    char label[32], path[32];

    ks->max_keys = 20000;
    for (int i = 0; i < 20000; i++) {
        snprintf(label, sizeof label, "k%d", i);
        snprintf(path, sizeof path, "p/%d", i % 5000); /* 4 labels share each path */
        dsk_key_desc d = {.label = label, .path = path, .type = DSK_KEY_EC_P256};
        assert_int_equal(dsk_keystore_add(ks, &d, NULL, &e), DSK_OK);
    }
    for (int i = 0; i < 20000; i++) {
        snprintf(label, sizeof label, "k%d", i);
        snprintf(path, sizeof path, "p/%d", i % 5000);
        k = dsk_keystore_find(ks, label);
        assert_non_null(k);
        assert_string_equal(dsk_key_label(k), label);
        assert_string_equal(dsk_key_path(k), path);
    }
    assert_null(dsk_keystore_find(ks, "k20000"));
    assert_int_equal(ks->nkeys, 20000);
    /* one material per distinct path: 5000 */
    size_t nmat = 0;
    for (dsk_keymat *m = ks->mats; m != NULL; m = m->next)
        nmat++;
    assert_int_equal(nmat, 5000);

    /* full: a new key is refused clearly; an existing one is still found */
    dsk_key_desc d = {.label = "one-more", .path = "x", .type = DSK_KEY_EC_P256};
    assert_int_equal(dsk_keystore_add(ks, &d, NULL, &e), DSK_E_NOMEM);
    assert_string_equal(e.msg, "key 'one-more': the key store is full (20000 keys; inline dstack: "
                               "URIs are kept until the process ends, generated key pairs until "
                               "destroyed): use fewer distinct keys, or configure them");
    dsk_key_desc same = {.label = "k7", .path = "p/7", .type = DSK_KEY_EC_P256};
    assert_int_equal(dsk_keystore_add(ks, &same, &again, &e), DSK_OK);
    assert_ptr_equal(again, dsk_keystore_find(ks, "k7"));
    assert_int_equal(ks->nkeys, 20000);

    /* public keys: the same SPKI again adds nothing; past the cap, refused */
    ks->max_public = 2;
    ks->max_keys = 20003; /* room for the three private keys below */
    const unsigned char *spki;
    size_t spki_len;
    dsk_key *pk[3], *pub = NULL;
    for (int i = 0; i < 3; i++) {
        snprintf(label, sizeof label, "pub%d", i);
        pk[i] = kt_key(ks, label, DSK_KEY_EC_P256, label);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(dsk_key_spki(pk[i], &spki, &spki_len, NULL), DSK_OK);
        assert_int_equal(dsk_keystore_add_public(ks, spki, spki_len, &pub, &e), DSK_OK);
        assert_int_equal(dsk_keystore_add_public(ks, spki, spki_len, &again, &e), DSK_OK);
        assert_ptr_equal(pub, again);
    }
    assert_int_equal(ks->npubkeys, 2);
    assert_int_equal(dsk_key_spki(pk[2], &spki, &spki_len, NULL), DSK_OK);
    assert_int_equal(dsk_keystore_add_public(ks, spki, spki_len, &pub, &e), DSK_E_NOMEM);
    assert_non_null(strstr(e.msg, "the key store is full (2 distinct public keys"));
    dsk_keystore_free(ks);
}

static size_t count_mats(const dsk_keystore *ks)
{
    size_t n = 0;
    for (const dsk_keymat *m = ks->mats; m != NULL; m = m->next)
        n++;
    return n;
}

static dsk_key *held_key(dsk_keystore *ks, const char *label, const char *path)
{
    unsigned char m[32];
    dsk_key_desc d = {.label = label, .path = path, .type = DSK_KEY_EC_P256};
    dsk_key *k = NULL;
    dsk_error e = {0};
    EVP_Digest(path, strlen(path), m, NULL, EVP_sha256(), NULL);
    assert_int_equal(dsk_keystore_add_held(ks, &d, &k, &e), DSK_OK);
    if (!dsk_key_is_derived(k))
        assert_int_equal(dsk_key_derive_from_material(k, m, &e), DSK_OK);
    return k;
}

/* Issue 13 item 6: run-time keys are released with their last holder; keys
 * in use stay; configured (plain) keys and shared material are kept. */
static void test_held_keys_are_released(void **state)
{
    (void)state;
    dsk_keystore *ks = kt_store(NULL);
    dsk_error e = {0};
    char label[32];
    dsk_key *conf = kt_key(ks, "conf", DSK_KEY_EC_P256, "conf");
    size_t base_keys = ks->nkeys, base_mats = count_mats(ks);

    /* many distinct held keys, each released: nothing stays */
    for (int i = 0; i < 100; i++) {
        snprintf(label, sizeof label, "gen%d", i);
        dsk_key *k = held_key(ks, label, label);
        assert_int_equal(ks->nkeys, base_keys + 1);
        dsk_key_release(k);
        assert_int_equal(ks->nkeys, base_keys);
        assert_int_equal(count_mats(ks), base_mats);
        assert_null(dsk_keystore_find(ks, label));
    }

    /* two holders (an object and an operation): the key stays until both go */
    dsk_key *k = held_key(ks, "busy", "busy"), *again = NULL;
    dsk_key_hold(k);
    dsk_key_release(k);
    assert_ptr_equal(dsk_keystore_find(ks, "busy"), k);
    dsk_sign_params sp = {.scheme = DSK_SIG_ECDSA, .der = 1};
    unsigned char dgst[32] = {1}, sig[80];
    size_t sig_len = sizeof sig;
    assert_int_equal(dsk_key_sign(k, &sp, dgst, sizeof dgst, sig, &sig_len, &e), DSK_OK);
    /* the same label again is the same key, one more holder */
    dsk_key_desc busy = {.label = "busy", .path = "busy", .type = DSK_KEY_EC_P256};
    assert_int_equal(dsk_keystore_add_held(ks, &busy, &again, &e), DSK_OK);
    assert_ptr_equal(again, k);
    dsk_key_release(again);
    assert_ptr_equal(dsk_keystore_find(ks, "busy"), k);
    dsk_key_release(k);
    assert_null(dsk_keystore_find(ks, "busy"));
    assert_int_equal(ks->nkeys, base_keys);

    /* material shared with a configured key stays, derived, for it */
    dsk_key_desc shared = {.label = "gen-shared", .path = "conf", .type = DSK_KEY_EC_P256};
    assert_int_equal(dsk_keystore_add_held(ks, &shared, &k, &e), DSK_OK);
    assert_int_equal(count_mats(ks), base_mats);
    assert_true(dsk_key_is_derived(k));
    dsk_key_release(k);
    assert_int_equal(count_mats(ks), base_mats);
    assert_true(dsk_key_is_derived(conf));

    /* held, then added plainly (e.g. an inline URI): permanent from then on */
    k = held_key(ks, "mixed", "mixed");
    dsk_key_desc mixed = {.label = "mixed", .path = "mixed", .type = DSK_KEY_EC_P256};
    assert_int_equal(dsk_keystore_add(ks, &mixed, NULL, &e), DSK_OK);
    dsk_key_release(k);
    assert_ptr_equal(dsk_keystore_find(ks, "mixed"), k);

    /* a permanent key: hold and release only count */
    dsk_key_hold(conf);
    dsk_key_release(conf);
    dsk_key_release(conf);
    assert_ptr_equal(dsk_keystore_find(ks, "conf"), conf);

    /* public keys: the same SPKI twice is one key with two holders */
    const unsigned char *spki;
    size_t spki_len;
    dsk_key *p1 = NULL, *p2 = NULL;
    size_t mats = count_mats(ks);
    for (int i = 0; i < 50; i++) {
        snprintf(label, sizeof label, "pubsrc%d", i);
        dsk_key *src = held_key(ks, label, label);
        assert_int_equal(dsk_key_spki(src, &spki, &spki_len, &e), DSK_OK);
        assert_int_equal(dsk_keystore_add_public_held(ks, spki, spki_len, &p1, &e), DSK_OK);
        assert_int_equal(dsk_keystore_add_public_held(ks, spki, spki_len, &p2, &e), DSK_OK);
        assert_ptr_equal(p1, p2);
        dsk_key_release(src); /* the public copy has its own material */
        assert_int_equal(ks->npubkeys, 1);
        assert_int_equal(dsk_key_verify(p1, &sp, dgst, sizeof dgst, sig, sig_len, &e),
                         DSK_E_VERIFY);
        dsk_key_release(p1);
        assert_int_equal(ks->npubkeys, 1);
        dsk_key_release(p2);
        assert_int_equal(ks->npubkeys, 0);
        assert_int_equal(count_mats(ks), mats);
    }
    /* imported plainly (the provider): kept */
    assert_int_equal(dsk_key_spki(conf, &spki, &spki_len, &e), DSK_OK);
    assert_int_equal(dsk_keystore_add_public_held(ks, spki, spki_len, &p1, &e), DSK_OK);
    assert_int_equal(dsk_keystore_add_public(ks, spki, spki_len, &p2, &e), DSK_OK);
    dsk_key_release(p1);
    assert_int_equal(ks->npubkeys, 1);
    dsk_keystore_free(ks);
}

static void test_free_after_openssl_cleanup(void **state)
{
    int status;
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dsk_keystore *ks = kt_store(NULL);
        dsk_key *k = kt_key(ks, "web", DSK_KEY_EC_P256, "exit");
        kept_for_exit = k->mat->pkey;
        if (!dsk_keys_openssl_alive())
            _exit(1);
        OPENSSL_cleanup();
        if (dsk_keys_openssl_alive())
            _exit(2);
        dsk_keystore_free(ks);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(dsk_keys_openssl_alive());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_find),
        cmocka_unit_test(test_label_rules),
        cmocka_unit_test(test_shared_material),
        cmocka_unit_test(test_add_conf),
        cmocka_unit_test(test_domain_separation),
        cmocka_unit_test(test_unusable_material),
        cmocka_unit_test(test_free_after_openssl_cleanup),
        cmocka_unit_test(test_growth_is_bounded),
        cmocka_unit_test(test_held_keys_are_released),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
