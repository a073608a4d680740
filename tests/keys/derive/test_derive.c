/* dsk_derive_v1 against the vectors of the independent implementation
 * (tests/vectors/derivation-v1.json, or the file in $DSK_VECTORS), plus the
 * dispatch rules of derive.c. Also the other sources of M and the
 * tappd-p256 type (docs/derivation.md sections 9 and 10): the files in
 * $DSK_VECTORS_API_V1 (tests/vectors/derivation-api-v1.json) and
 * $DSK_VECTORS_TAPPD (tests/vectors/tappd-p256.json), made by
 * tests/vectors/derive_ref_api_v1.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/provider.h>

#include "derive.h"
#include "hex.h"

/* The contract's type names, written out here rather than taken from the
 * code under test. */
static const char *const type_names[DSK_KEY_TYPE_COUNT] = {
    "secp256k1", "ed25519", "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "tappd-p256",
};

typedef struct fixture {
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov;
    cJSON *doc;
    cJSON *doc_api_v1, *doc_tappd;
} fixture;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len + 1)) != NULL) {
        if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        } else {
            buf[len] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    const char *path = getenv("DSK_VECTORS");
    char *text;

    if (fx == NULL || path == NULL) {
        fprintf(stderr, "DSK_VECTORS must name the vector file\n");
        free(fx);
        return -1;
    }
    text = read_file(path);
    if (text == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        free(fx);
        return -1;
    }
    fx->doc = cJSON_Parse(text);
    free(text);
    static const char *const envs[] = {"DSK_VECTORS_API_V1", "DSK_VECTORS_TAPPD"};
    cJSON **docs[] = {&fx->doc_api_v1, &fx->doc_tappd};
    for (size_t i = 0; i < 2; i++) {
        const char *f = getenv(envs[i]);
        char *t = f != NULL ? read_file(f) : NULL;
        if (t == NULL || (*docs[i] = cJSON_Parse(t)) == NULL) {
            fprintf(stderr, "%s must name a readable vector file\n", envs[i]);
            free(t);
            return -1;
        }
        free(t);
    }
    fx->libctx = OSSL_LIB_CTX_new();
    fx->prov = OSSL_PROVIDER_load(fx->libctx, "default");
    if (fx->doc == NULL || fx->prov == NULL) {
        fprintf(stderr, "bad vector file %s or no default provider\n", path);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;

    if (fx == NULL)
        return 0;
    cJSON_Delete(fx->doc);
    cJSON_Delete(fx->doc_api_v1);
    cJSON_Delete(fx->doc_tappd);
    OSSL_PROVIDER_unload(fx->prov);
    OSSL_LIB_CTX_free(fx->libctx);
    free(fx);
    return 0;
}

static const char *str(const cJSON *v, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(v, name);

    assert_true(cJSON_IsString(it));
    return it->valuestring;
}

/* The name a vector's key has: its v0 path or its v1 domain. */
static const char *vname(const cJSON *v)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(v, "path");
    if (!cJSON_IsString(it))
        it = cJSON_GetObjectItemCaseSensitive(v, "domain");
    assert_true(cJSON_IsString(it));
    return it->valuestring;
}

static dsk_key_type parse_type(const char *name)
{
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++)
        if (strcmp(name, type_names[t]) == 0)
            return (dsk_key_type)t;
    fail_msg("unknown type %s in the vector file", name);
    return DSK_KEY_TYPE_COUNT;
}

/* Decode hex of any length into a fresh buffer; *len gets the byte count. */
static unsigned char *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    unsigned char *out = malloc(n + 1);

    assert_non_null(out);
    assert_int_equal(dsk_hex_decode(hex, strlen(hex), out, n + 1), (long)n);
    *len = n;
    return out;
}

static void check_sig(OSSL_LIB_CTX *libctx, EVP_PKEY *key, const char *md, const char *msg,
                      const char *want_hex)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t want_len, len = 0;
    unsigned char *want = unhex(want_hex, &want_len), *sig;

    assert_non_null(ctx);
    assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, md, libctx, NULL, key, NULL), 1);
    assert_int_equal(EVP_DigestSign(ctx, NULL, &len, (const unsigned char *)msg, strlen(msg)), 1);
    sig = malloc(len);
    assert_non_null(sig);
    assert_int_equal(EVP_DigestSign(ctx, sig, &len, (const unsigned char *)msg, strlen(msg)), 1);
    assert_int_equal(len, want_len);
    assert_memory_equal(sig, want, len);
    free(sig);
    free(want);
    EVP_MD_CTX_free(ctx);
}

static void check_vector(fixture *fx, const cJSON *v, const char *msg)
{
    dsk_key_type t = parse_type(str(v, "type"));
    size_t mlen, plen;
    unsigned char *m = unhex(str(v, "material"), &mlen);
    unsigned char pub[600];
    EVP_PKEY *key = NULL;
    dsk_error err = {0};

    assert_int_equal(mlen, 32);
    assert_string_equal(dsk_derive_getkey_algorithm(t), str(v, "getkey_algorithm"));
    if (dsk_derive_v1(fx->libctx, t, m, &key, &err) != DSK_OK)
        fail_msg("%s '%s': %s", str(v, "type"), vname(v), err.msg);
    if (t == DSK_KEY_ED25519) {
        plen = sizeof pub;
        assert_int_equal(EVP_PKEY_get_raw_public_key(key, pub, &plen), 1);
    } else if (t == DSK_KEY_SECP256K1 || t == DSK_KEY_EC_P256 || t == DSK_KEY_EC_P384 ||
               t == DSK_KEY_TAPPD_P256) {
        assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                         pub, sizeof pub, &plen),
                         1);
    }
    if (t == DSK_KEY_RSA_2048 || t == DSK_KEY_RSA_3072 || t == DSK_KEY_RSA_4096) {
        BIGNUM *n = NULL, *e = NULL, *want = NULL;
        const cJSON *ej = cJSON_GetObjectItemCaseSensitive(v, "e");

        assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n), 1);
        assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e), 1);
        assert_true(BN_hex2bn(&want, str(v, "n")) > 0);
        if (BN_cmp(n, want) != 0)
            fail_msg("%s '%s': modulus differs", str(v, "type"), vname(v));
        assert_true(cJSON_IsNumber(ej));
        assert_true(BN_is_word(e, (BN_ULONG)ej->valuedouble));
        BN_free(n);
        BN_free(e);
        BN_free(want);
        check_sig(fx->libctx, key, "SHA256", msg, str(v, "signature"));
    } else {
        size_t wlen;
        unsigned char *want = unhex(str(v, "public_key"), &wlen);

        if (plen != wlen || memcmp(pub, want, plen) != 0)
            fail_msg("%s '%s': public key differs", str(v, "type"), vname(v));
        free(want);
    }
    if (t == DSK_KEY_ED25519)
        check_sig(fx->libctx, key, NULL, msg, str(v, "signature"));
    EVP_PKEY_free(key);
    free(m);
}

static void test_every_vector(void **state)
{
    fixture *fx = *state;
    const cJSON *vectors = cJSON_GetObjectItemCaseSensitive(fx->doc, "vectors");
    const char *msg = str(fx->doc, "message");
    const cJSON *v;
    int seen[DSK_KEY_TYPE_COUNT] = {0};

    assert_true(cJSON_IsArray(vectors));
    cJSON_ArrayForEach(v, vectors)
    {
        check_vector(fx, v, msg);
        seen[parse_type(str(v, "type"))]++;
    }
    /* Every type of contract v1's file is covered, most by several paths
     * (tappd-p256 has its own file, tested below). */
    for (int t = 0; t < DSK_KEY_TAPPD_P256; t++)
        assert_true(seen[t] >= 2);
    assert_int_equal(seen[DSK_KEY_TAPPD_P256], 0);
}

/* out = HMAC-SHA256(key, a || b), in the test's own library context. */
static void hmac_sha256(OSSL_LIB_CTX *libctx, const unsigned char *key, size_t klen,
                        const unsigned char *a, size_t alen, const unsigned char *b, size_t blen,
                        unsigned char out[32])
{
    unsigned char *buf = malloc(alen + blen + 1);

    assert_non_null(buf);
    /* a is NULL for the empty path: memcpy must not see a NULL pointer. */
    if (alen)
        memcpy(buf, a, alen);
    if (blen)
        memcpy(buf + alen, b, blen);
    assert_non_null(EVP_Q_mac(libctx, "HMAC", NULL, "SHA256", NULL, key, klen, buf, alen + blen,
                              out, 32, NULL));
    free(buf);
}

/* The material in the file is what the dstack agent returns for the path
 * (HKDF-SHA256, salt "RATLS", one output block): recompute it from the app
 * key, so that the file cannot drift from dstack-protocol.md. */
static void test_material_is_dstack_hkdf(void **state)
{
    fixture *fx = *state;
    size_t klen;
    unsigned char *app = unhex(str(fx->doc, "app_key"), &klen);
    const cJSON *v;
    int count = 0;

    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(fx->doc, "vectors"))
    {
        size_t plen, mlen;
        unsigned char *path = unhex(str(v, "path_hex"), &plen);
        unsigned char *m = unhex(str(v, "material"), &mlen);
        unsigned char prk[32], t1[32];
        static const unsigned char one = 1;

        assert_int_equal(plen, strlen(str(v, "path")));
        assert_memory_equal(path, str(v, "path"), plen);
        hmac_sha256(fx->libctx, (const unsigned char *)"RATLS", 5, app, klen, NULL, 0, prk);
        hmac_sha256(fx->libctx, prk, 32, path, plen, &one, 1, t1);
        assert_int_equal(mlen, 32);
        assert_memory_equal(t1, m, 32);
        free(path);
        free(m);
        count++;
    }
    assert_true(count > 0);
    free(app);
}

/* dstack-protocol.md: the SDK keys for these paths. */
static void test_sdk_equivalence(void **state)
{
    fixture *fx = *state;
    const cJSON *v;
    int found = 0;

    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(fx->doc, "vectors"))
    {
        if (strcmp(str(v, "type"), "secp256k1") == 0 &&
            strcmp(str(v, "path"), "/eth/main-wallet") == 0) {
            assert_string_equal(str(v, "eth_address"),
                                "0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0");
            found++;
        }
        if (strcmp(str(v, "type"), "ed25519") == 0 && strcmp(str(v, "path"), "test/wallet") == 0) {
            assert_string_equal(str(v, "public_key"),
                                "4f019bbd5f3d098befc637447b35356e4df6a8a8733d1f820e6d1a85af83da5e");
            found++;
        }
    }
    assert_int_equal(found, 2);
}

static void test_getkey_algorithm(void **state)
{
    (void)state;
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++)
        assert_string_equal(dsk_derive_getkey_algorithm((dsk_key_type)t),
                            t == DSK_KEY_ED25519 ? "ed25519" : "secp256k1");
    assert_null(dsk_derive_getkey_algorithm(DSK_KEY_TYPE_COUNT));
    assert_null(dsk_derive_getkey_algorithm((dsk_key_type)-1));
}

static void test_bad_arguments(void **state)
{
    fixture *fx = *state;
    unsigned char m[32] = {1};
    EVP_PKEY *key = (EVP_PKEY *)&key; /* must be reset to NULL on failure */
    dsk_error err = {0};

    assert_int_equal(dsk_derive_v1(fx->libctx, DSK_KEY_TYPE_COUNT, m, &key, &err), DSK_E_ARGS);
    assert_null(key);
    assert_non_null(strstr(err.msg, "type"));
    assert_int_equal(dsk_derive_v1(fx->libctx, (dsk_key_type)-1, m, &key, NULL), DSK_E_ARGS);
    assert_int_equal(dsk_derive_v1(fx->libctx, DSK_KEY_EC_P256, NULL, &key, &err), DSK_E_ARGS);
    assert_int_equal(dsk_derive_v1(fx->libctx, DSK_KEY_EC_P256, m, NULL, &err), DSK_E_ARGS);
}

/* Same material, every type: each key is different from every other, and a
 * second derivation gives the same key. */
static void test_domain_separation_and_determinism(void **state)
{
    fixture *fx = *state;
    unsigned char m[32];
    EVP_PKEY *keys[DSK_KEY_TYPE_COUNT] = {0};
    BIGNUM *d256 = NULL, *d384 = NULL, *mbn = NULL;
    unsigned char b256[32], b384[48];

    for (int i = 0; i < 32; i++)
        m[i] = (unsigned char)(0x11 * (i % 15) + 3);
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
        EVP_PKEY *again = NULL;

        assert_int_equal(dsk_derive_v1(fx->libctx, (dsk_key_type)t, m, &keys[t], NULL), DSK_OK);
        /* Large RSA only once: slow under valgrind, and the vectors already
         * show determinism across processes. */
        if (t <= DSK_KEY_RSA_2048) {
            assert_int_equal(dsk_derive_v1(fx->libctx, (dsk_key_type)t, m, &again, NULL), DSK_OK);
            assert_int_equal(EVP_PKEY_eq(keys[t], again), 1);
            EVP_PKEY_free(again);
        }
        for (int u = 0; u < t; u++)
            assert_int_not_equal(EVP_PKEY_eq(keys[t], keys[u]), 1);
    }
    /* The NIST scalars are not M, and P-384 does not extend P-256's. */
    mbn = BN_bin2bn(m, 32, NULL);
    assert_int_equal(EVP_PKEY_get_bn_param(keys[DSK_KEY_EC_P256], OSSL_PKEY_PARAM_PRIV_KEY, &d256),
                     1);
    assert_int_equal(EVP_PKEY_get_bn_param(keys[DSK_KEY_EC_P384], OSSL_PKEY_PARAM_PRIV_KEY, &d384),
                     1);
    assert_int_not_equal(BN_cmp(d256, mbn), 0);
    assert_int_equal(BN_bn2binpad(d256, b256, 32), 32);
    assert_int_equal(BN_bn2binpad(d384, b384, 48), 48);
    assert_memory_not_equal(b256, b384, 32);
    assert_memory_not_equal(b256, m, 32);
    BN_free(mbn);
    BN_clear_free(d256);
    BN_clear_free(d384);
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++)
        EVP_PKEY_free(keys[t]);
}

typedef struct worker {
    OSSL_LIB_CTX *libctx;
    dsk_key_type type;
    EVP_PKEY *key;
    dsk_status st;
} worker;

static void *derive_worker(void *arg)
{
    worker *w = arg;
    unsigned char m[32];

    memset(m, 0x6b, sizeof m);
    w->st = dsk_derive_v1(w->libctx, w->type, m, &w->key, NULL);
    return NULL;
}

/* Threads deriving at once from one library context get the same keys as a
 * single thread: there is no shared mutable state. */
static void test_concurrent_derivations(void **state)
{
    fixture *fx = *state;
    enum { NTHREADS = 8 };
    static const dsk_key_type types[] = {DSK_KEY_SECP256K1, DSK_KEY_ED25519, DSK_KEY_EC_P256,
                                         DSK_KEY_EC_P384, DSK_KEY_RSA_2048};
    worker w[NTHREADS];
    pthread_t th[NTHREADS];
    EVP_PKEY *ref[5] = {0};

    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){fx->libctx, types[i % 5], NULL, DSK_E_CRYPTO};
        assert_int_equal(pthread_create(&th[i], NULL, derive_worker, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < NTHREADS; i++) {
        int k = i % 5;

        assert_int_equal(w[i].st, DSK_OK);
        if (ref[k] == NULL) {
            worker one = {fx->libctx, types[k], NULL, DSK_E_CRYPTO};

            derive_worker(&one);
            assert_int_equal(one.st, DSK_OK);
            ref[k] = one.key;
        }
        assert_int_equal(EVP_PKEY_eq(w[i].key, ref[k]), 1);
        EVP_PKEY_free(w[i].key);
    }
    for (int k = 0; k < 5; k++)
        EVP_PKEY_free(ref[k]);
}

/* LP(x) = uint32_be(len) || x, appended at *n. */
static void lp(unsigned char *buf, size_t *n, const void *x, size_t len)
{
    buf[*n] = (unsigned char)(len >> 24), buf[*n + 1] = (unsigned char)(len >> 16);
    buf[*n + 2] = (unsigned char)(len >> 8), buf[*n + 3] = (unsigned char)len;
    if (len)
        memcpy(buf + *n + 4, x, len);
    *n += 4 + len;
}

/* dstack's v1 rule, written here from docs/guest-api-v1.md: M =
 * HKDF(salt "dstack-guest-v1", app key, LP(tag) || LP(alg) || LP(domain)). */
static void v1_material(fixture *fx, const unsigned char app[32], const char *alg,
                        const unsigned char *domain, size_t dlen, unsigned char out[32])
{
    unsigned char info[512], prk[32];
    size_t n = 0;
    const unsigned char one = 1;
    assert_true(dlen < 256);
    lp(info, &n, "dstack-guest-v1-key", 19);
    lp(info, &n, alg, strlen(alg));
    lp(info, &n, domain, dlen);
    hmac_sha256(fx->libctx, (const unsigned char *)"dstack-guest-v1", 15, app, 32, NULL, 0, prk);
    hmac_sha256(fx->libctx, prk, 32, info, n, &one, 1, out);
}

/* Every type from /v1 materials: M is recomputed from the app key by the v1
 * rule, then the contract gives the file's keys. */
static void test_api_v1_vectors(void **state)
{
    fixture *fx = *state;
    const cJSON *v, *vecs = cJSON_GetObjectItemCaseSensitive(fx->doc_api_v1, "vectors");
    size_t klen, n = 0;
    unsigned seen = 0;
    unsigned char *app = unhex(str(fx->doc_api_v1, "app_key"), &klen);

    assert_int_equal(klen, 32);
    cJSON_ArrayForEach(v, vecs)
    {
        size_t dlen, mlen;
        unsigned char *d = unhex(str(v, "domain_hex"), &dlen);
        unsigned char *m = unhex(str(v, "material"), &mlen);
        unsigned char want[32];
        assert_string_equal(str(v, "api"), "v1");
        v1_material(fx, app, str(v, "getkey_algorithm"), d, dlen, want);
        assert_int_equal(mlen, 32);
        assert_memory_equal(m, want, 32);
        check_vector(fx, v, str(fx->doc_api_v1, "message"));
        seen |= 1u << parse_type(str(v, "type"));
        free(d);
        free(m);
        n++;
    }
    free(app);
    assert_int_equal(n, 16);
    assert_int_equal(seen, (1u << DSK_KEY_TAPPD_P256) - 1); /* every type but tappd-p256 */
}

/* docs/guest-api-v1.md's own vectors: the agent's key as M gives, through
 * dsk_derive_v1, the public key the document publishes. */
static void test_api_v1_published(void **state)
{
    fixture *fx = *state;
    const cJSON *v, *pubs = cJSON_GetObjectItemCaseSensitive(fx->doc_api_v1, "published");
    size_t klen, n = 0;
    unsigned char *app = unhex(str(fx->doc_api_v1, "published_app_key"), &klen);

    cJSON_ArrayForEach(v, pubs)
    {
        size_t dlen, mlen, plen;
        unsigned char *d = unhex(str(v, "domain_hex"), &dlen);
        unsigned char *m = unhex(str(v, "key"), &mlen);
        unsigned char *want = unhex(str(v, "public_key"), &plen);
        unsigned char mine[32], pub[65];
        size_t got = 0;
        int ed = strcmp(str(v, "algorithm"), "ed25519") == 0;
        EVP_PKEY *key = NULL;

        v1_material(fx, app, str(v, "algorithm"), d, dlen, mine);
        assert_memory_equal(mine, m, 32);
        assert_int_equal(
            dsk_derive_v1(fx->libctx, ed ? DSK_KEY_ED25519 : DSK_KEY_SECP256K1, m, &key, NULL),
            DSK_OK);
        if (ed) {
            got = sizeof pub;
            assert_int_equal(EVP_PKEY_get_raw_public_key(key, pub, &got), 1);
        } else {
            assert_int_equal(EVP_PKEY_get_octet_string_param(
                                 key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof pub, &got),
                             1);
            assert_int_equal(got, 65);
            pub[0] = (unsigned char)(2 + (pub[64] & 1)); /* SEC1 compressed */
            got = 33;
        }
        assert_int_equal(got, plen);
        assert_memory_equal(pub, want, plen);
        EVP_PKEY_free(key);
        free(d);
        free(m);
        free(want);
        n++;
    }
    free(app);
    assert_int_equal(n, 6);
}

/* tappd-p256: M from the v0 rule, used as the P-256 scalar itself. */
static void test_tappd_vectors(void **state)
{
    fixture *fx = *state;
    const cJSON *v, *vecs = cJSON_GetObjectItemCaseSensitive(fx->doc_tappd, "vectors");
    size_t klen, n = 0;
    unsigned char *app = unhex(str(fx->doc_tappd, "app_key"), &klen);
    const unsigned char one = 1;

    cJSON_ArrayForEach(v, vecs)
    {
        size_t plen, mlen;
        unsigned char *path = unhex(str(v, "path_hex"), &plen);
        unsigned char *m = unhex(str(v, "material"), &mlen);
        unsigned char prk[32], want[32];
        assert_string_equal(str(v, "type"), "tappd-p256");
        hmac_sha256(fx->libctx, (const unsigned char *)"RATLS", 5, app, klen, NULL, 0, prk);
        hmac_sha256(fx->libctx, prk, 32, path, plen, &one, 1, want);
        assert_memory_equal(m, want, 32);
        check_vector(fx, v, "");
        free(path);
        free(m);
        n++;
    }
    free(app);
    assert_int_equal(n, 4);
}

/* M = 0, M = n and M = 2^256 - 1 are no P-256 scalar: refused, never reduced. */
static void test_tappd_unusable(void **state)
{
    fixture *fx = *state;
    static const char *const bad[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    };
    for (size_t i = 0; i < 3; i++) {
        unsigned char m[32];
        EVP_PKEY *key = NULL;
        dsk_error err = {0};
        assert_int_equal(dsk_hex_decode(bad[i], 64, m, 32), 32);
        assert_int_equal(dsk_derive_v1(fx->libctx, DSK_KEY_TAPPD_P256, m, &key, &err),
                         DSK_E_BAD_INPUT);
        assert_null(key);
        assert_non_null(strstr(err.msg, "not a valid P-256 (tappd-p256) private key"));
        assert_non_null(strstr(err.msg, "use another path"));
    }
    /* n - 1 is the largest scalar, and it is taken as it is. */
    unsigned char m[32];
    EVP_PKEY *key = NULL;
    assert_int_equal(
        dsk_hex_decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550", 64, m,
                       32),
        32);
    assert_int_equal(dsk_derive_v1(fx->libctx, DSK_KEY_TAPPD_P256, m, &key, NULL), DSK_OK);
    EVP_PKEY_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_vector),
        cmocka_unit_test(test_material_is_dstack_hkdf),
        cmocka_unit_test(test_sdk_equivalence),
        cmocka_unit_test(test_getkey_algorithm),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_domain_separation_and_determinism),
        cmocka_unit_test(test_concurrent_derivations),
        cmocka_unit_test(test_api_v1_vectors),
        cmocka_unit_test(test_api_v1_published),
        cmocka_unit_test(test_tappd_vectors),
        cmocka_unit_test(test_tappd_unusable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
