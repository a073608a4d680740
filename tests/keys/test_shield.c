/* keys/shield.c: an application's default ENGINE does not take our keys
 * over. Run with one argument:
 *   libp11  the real libp11 engine (Debian libengine-pkcs11-openssl), made
 *           the default for everything as `openssl -engine pkcs11` does;
 *   dummy   an engine built here, the default for every algorithm it can
 *           be: EVP_PKEY methods for RSA, RSA-PSS, EC and Ed25519, an
 *           RSA_METHOD and an EC_KEY_METHOD, all of which fail and count
 *           their calls, and a RAND method that counts its calls;
 *   digest  the dummy engine plus a SHA-256 that gives wrong output: the
 *           derivation must refuse with a message, never make another key.
 * In every mode keys are derived from material and must sign, verify,
 * decrypt and do ECDH exactly as the application's own (engine-free)
 * checks say. */
#define OPENSSL_SUPPRESS_DEPRECATED /* ENGINE and *_METHOD: the legacy API under test */
#include "keytest.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

#include <openssl/ec.h>
#include <openssl/engine.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

static const char *mode;
static int calls; /* calls into the dummy engine's key methods */
static int rand_calls;

/* ---- the dummy engine ------------------------------------------------ */

static int fail_rsa(int flen, const unsigned char *from, unsigned char *to, RSA *rsa, int pad)
{
    (void)flen, (void)from, (void)to, (void)rsa, (void)pad;
    calls++;
    return -1;
}

static int fail_ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
                        unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey)
{
    (void)type, (void)dgst, (void)dlen, (void)sig, (void)siglen, (void)kinv, (void)r, (void)eckey;
    calls++;
    return 0;
}

static int fail_ec_setup(EC_KEY *eckey, BN_CTX *ctx, BIGNUM **kinv, BIGNUM **r)
{
    (void)eckey, (void)ctx, (void)kinv, (void)r;
    calls++;
    return 0;
}

static ECDSA_SIG *fail_ec_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
                              const BIGNUM *r, EC_KEY *eckey)
{
    (void)dgst, (void)dlen, (void)kinv, (void)r, (void)eckey;
    calls++;
    return NULL;
}

static int fail_ecdh(unsigned char **out, size_t *outlen, const EC_POINT *pub, const EC_KEY *ec)
{
    (void)out, (void)outlen, (void)pub, (void)ec;
    calls++;
    return 0;
}

static int fail_pkey_init(EVP_PKEY_CTX *ctx)
{
    (void)ctx;
    calls++;
    return 0;
}

static int counting_rand(unsigned char *buf, int num)
{
    rand_calls++;
    for (int i = 0; i < num; i++)
        buf[i] = (unsigned char)(i * 7 + rand_calls);
    return 1;
}

static int rand_status(void)
{
    return 1;
}

static const int pkey_nids[] = {EVP_PKEY_RSA, EVP_PKEY_RSA_PSS, EVP_PKEY_EC, EVP_PKEY_ED25519};
static EVP_PKEY_METHOD *pmeths[4];

static int dummy_pkey_meths(ENGINE *e, EVP_PKEY_METHOD **pmeth, const int **nids, int nid)
{
    (void)e;
    if (pmeth == NULL) {
        *nids = pkey_nids;
        return 4;
    }
    for (int i = 0; i < 4; i++)
        if (pkey_nids[i] == nid) {
            *pmeth = pmeths[i];
            return 1;
        }
    *pmeth = NULL;
    return 0;
}

/* SHA-256 that is not: the digest mode. */
static int bad_init(EVP_MD_CTX *c)
{
    (void)c;
    return 1;
}
static int bad_update(EVP_MD_CTX *c, const void *d, size_t n)
{
    (void)c, (void)d, (void)n;
    return 1;
}
static int bad_final(EVP_MD_CTX *c, unsigned char *md)
{
    (void)c;
    memset(md, 0x5a, 32);
    return 1;
}
static EVP_MD *bad_sha256;
static const int digest_nids[] = {NID_sha256};
static int dummy_digests(ENGINE *e, const EVP_MD **d, const int **nids, int nid)
{
    (void)e;
    if (d == NULL) {
        *nids = digest_nids;
        return 1;
    }
    *d = nid == NID_sha256 ? bad_sha256 : NULL;
    return *d != NULL;
}

static ENGINE *dummy_engine(int with_digest)
{
    ENGINE *e = ENGINE_new();
    RSA_METHOD *rm = RSA_meth_new("dsk-dummy", 0);
    EC_KEY_METHOD *em = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    static RAND_METHOD rnd = {NULL, counting_rand, NULL, NULL, counting_rand, rand_status};

    assert_non_null(e);
    RSA_meth_set_priv_enc(rm, fail_rsa);
    RSA_meth_set_priv_dec(rm, fail_rsa);
    RSA_meth_set_pub_enc(rm, fail_rsa);
    RSA_meth_set_pub_dec(rm, fail_rsa);
    EC_KEY_METHOD_set_sign(em, fail_ec_sign, fail_ec_setup, fail_ec_sig);
    EC_KEY_METHOD_set_compute_key(em, fail_ecdh);
    for (int i = 0; i < 4; i++) {
        pmeths[i] = EVP_PKEY_meth_new(pkey_nids[i], 0);
        EVP_PKEY_meth_set_init(pmeths[i], fail_pkey_init);
    }
    assert_int_equal(ENGINE_set_id(e, "dsk-dummy"), 1);
    assert_int_equal(ENGINE_set_name(e, "dstack-pkcs11 test engine"), 1);
    assert_int_equal(ENGINE_set_RSA(e, rm), 1);
    assert_int_equal(ENGINE_set_EC(e, em), 1);
    assert_int_equal(ENGINE_set_RAND(e, &rnd), 1);
    assert_int_equal(ENGINE_set_pkey_meths(e, dummy_pkey_meths), 1);
    if (with_digest) {
        bad_sha256 = EVP_MD_meth_new(NID_sha256, NID_undef);
        EVP_MD_meth_set_result_size(bad_sha256, 32);
        EVP_MD_meth_set_input_blocksize(bad_sha256, 64);
        EVP_MD_meth_set_init(bad_sha256, bad_init);
        EVP_MD_meth_set_update(bad_sha256, bad_update);
        EVP_MD_meth_set_final(bad_sha256, bad_final);
        assert_int_equal(ENGINE_set_digests(e, dummy_digests), 1);
    }
    return e;
}

/* ---- checks ------------------------------------------------------------ */

/* Our signature verified by the application's default context: the
 * ENGINE is set there too, so verify with a key of its own making checked
 * through the shield (dsk_key_verify) AND by recomputing with a public
 * key object: both must accept. */
static void sign_and_check(dsk_key *k, dsk_sig_scheme scheme, dsk_hash h)
{
    dsk_sign_params p = {.scheme = scheme, .hash = h, .der = 1, .salt_len = -1};
    unsigned char msg[32], sig[512];
    size_t sl = sizeof sig, ml = scheme == DSK_SIG_EDDSA ? 11 : 32;
    dsk_error e = {0};

    memset(msg, 0x33, sizeof msg);
    if (dsk_key_sign(k, &p, msg, ml, sig, &sl, &e) != DSK_OK)
        fail_msg("%s: sign: %s", dsk_key_label(k), e.msg);
    if (dsk_key_verify(k, &p, msg, ml, sig, sl, &e) != DSK_OK)
        fail_msg("%s: verify: %s", dsk_key_label(k), e.msg);
    sig[sl / 2] ^= 1;
    assert_int_equal(dsk_key_verify(k, &p, msg, ml, sig, sl, NULL), DSK_E_VERIFY);
}

static void test_keys_work(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key *p256 = kt_key(ks, "p256", DSK_KEY_EC_P256, "shield-p256");
    dsk_key *p384 = kt_key(ks, "p384", DSK_KEY_EC_P384, "shield-p384");
    dsk_key *rsa =
        kt_key_u(ks, "rsa", DSK_KEY_RSA_2048, "shield-rsa", DSK_USAGE_SIGN | DSK_USAGE_DECRYPT);
    dsk_key *ed = kt_key(ks, "ed", DSK_KEY_ED25519, "shield-ed");
    dsk_key *k1 = kt_key(ks, "k1", DSK_KEY_SECP256K1, "shield-k1");
    dsk_enc_params oaep = {.scheme = DSK_ENC_RSA_OAEP, .hash = DSK_HASH_SHA256};
    unsigned char ct[256], pt[256], z1[48], z2[48], rnd[100000];
    size_t cl = sizeof ct, pl = sizeof pt, zl1 = sizeof z1, zl2 = sizeof z2;
    const unsigned char *pt1 = NULL, *pt2 = NULL;
    size_t pt1l = 0, pt2l = 0;
    dsk_error e = {0};
    (void)state;

    sign_and_check(p256, DSK_SIG_ECDSA, DSK_HASH_NONE);
    sign_and_check(p384, DSK_SIG_ECDSA, DSK_HASH_NONE);
    sign_and_check(k1, DSK_SIG_ECDSA, DSK_HASH_NONE);
    sign_and_check(rsa, DSK_SIG_RSA_PKCS1, DSK_HASH_SHA256);
    sign_and_check(rsa, DSK_SIG_RSA_PSS, DSK_HASH_SHA256);
    sign_and_check(ed, DSK_SIG_EDDSA, DSK_HASH_NONE);

    if (dsk_key_encrypt(rsa, &oaep, (const unsigned char *)"secret", 6, ct, &cl, &e) != DSK_OK)
        fail_msg("encrypt: %s", e.msg);
    if (dsk_key_decrypt(rsa, &oaep, ct, cl, pt, &pl, &e) != DSK_OK)
        fail_msg("decrypt: %s", e.msg);
    assert_int_equal(pl, 6);
    assert_memory_equal(pt, "secret", 6);

    /* ECDH both ways between two of our keys gives one secret */
    assert_int_equal(dsk_key_public_point(p256, &pt1, &pt1l, NULL), DSK_OK);
    assert_int_equal(
        dsk_key_public_point(kt_key(ks, "p256b", DSK_KEY_EC_P256, "shield-b"), &pt2, &pt2l, NULL),
        DSK_OK);
    if (dsk_key_ecdh(p256, pt2, pt2l, z1, &zl1, &e) != DSK_OK)
        fail_msg("ecdh: %s", e.msg);
    assert_int_equal(dsk_key_ecdh(dsk_keystore_find(ks, "p256b"), pt1, pt1l, z2, &zl2, &e), DSK_OK);
    assert_int_equal(zl1, 32);
    assert_memory_equal(z1, z2, 32);

    /* C_GenerateRandom reads our DRBG, never the engine's RAND */
    int before = rand_calls;
    assert_int_equal(dsk_random(rnd, sizeof rnd, &e), DSK_OK);
    assert_int_equal(rand_calls, before);
    dsk_keystore_free(ks);
}

/* The derived keys are the contract's (tests/vectors/derivation-v1.json,
 * $DSK_VECTORS): the first vector of each type but the slow RSA sizes. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void test_derivation_unchanged(void **state)
{
    static const struct {
        const char *name;
        dsk_key_type t;
    } types[] = {{"ec-p256", DSK_KEY_EC_P256},
                 {"ec-p384", DSK_KEY_EC_P384},
                 {"ed25519", DSK_KEY_ED25519},
                 {"secp256k1", DSK_KEY_SECP256K1},
                 {"rsa-2048", DSK_KEY_RSA_2048}};
    char *text = read_all(getenv("DSK_VECTORS"));
    cJSON *doc = cJSON_Parse(text), *v;
    char hex[1100];
    (void)state;
    assert_non_null(doc);
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        int found = 0;
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "vectors"))
        {
            dsk_keystore *ks;
            dsk_key_desc d = {.label = "v", .type = types[ti].t};
            dsk_key *k = NULL;
            unsigned char m[32];
            const unsigned char *pub = NULL, *e = NULL;
            size_t pl = 0, el = 0;
            dsk_error err = {0};
            const char *want;
            if (strcmp(cJSON_GetObjectItem(v, "type")->valuestring, types[ti].name) != 0)
                continue;
            ks = kt_store(NULL);
            kt_hex(cJSON_GetObjectItem(v, "material")->valuestring, m, 32);
            assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
            if (dsk_key_derive_from_material(k, m, &err) != DSK_OK)
                fail_msg("derive %s: %s", types[ti].name, err.msg);
            if (types[ti].t == DSK_KEY_RSA_2048) {
                assert_int_equal(dsk_key_rsa_public(k, &pub, &pl, &e, &el, NULL), DSK_OK);
                want = cJSON_GetObjectItem(v, "n")->valuestring;
            } else {
                assert_int_equal(dsk_key_public_point(k, &pub, &pl, NULL), DSK_OK);
                want = cJSON_GetObjectItem(v, "public_key")->valuestring;
            }
            assert_true(pl * 2 < sizeof hex);
            to_hex(pub, pl, hex);
            assert_string_equal(hex, want);
            sign_and_check(k,
                           types[ti].t == DSK_KEY_ED25519    ? DSK_SIG_EDDSA
                           : types[ti].t == DSK_KEY_RSA_2048 ? DSK_SIG_RSA_PKCS1
                                                             : DSK_SIG_ECDSA,
                           types[ti].t == DSK_KEY_RSA_2048 ? DSK_HASH_SHA256 : DSK_HASH_NONE);
            dsk_keystore_free(ks);
            found = 1;
            break;
        }
        assert_true(found);
    }
    cJSON_Delete(doc);
    free(text);
}

static void test_digest_engine_refused(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key_desc d = {.label = "v", .type = DSK_KEY_EC_P256};
    dsk_key *k = NULL;
    unsigned char m[32] = {7};
    dsk_error e = {0};
    (void)state;
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    assert_int_equal(dsk_key_derive_from_material(k, m, &e), DSK_E_CRYPTO);
    assert_non_null(strstr(e.msg, "ENGINE"));
    assert_int_equal(dsk_key_is_derived(k), 0);
    dsk_keystore_free(ks);
}

int main(int argc, char **argv)
{
    ENGINE *e;
    int rc;

    mode = argc > 1 ? argv[1] : "dummy";
    if (strcmp(mode, "libp11") == 0) {
        e = ENGINE_by_id("pkcs11");
        if (e == NULL) {
            fprintf(stderr,
                    "the libp11 engine is not installed (Debian: libengine-pkcs11-openssl)\n");
            return 1;
        }
    } else {
        e = dummy_engine(strcmp(mode, "digest") == 0);
    }
    /* what `openssl -engine` does */
    if (ENGINE_set_default(e, ENGINE_METHOD_ALL) != 1) {
        fprintf(stderr, "ENGINE_set_default failed\n");
        return 1;
    }
    if (strcmp(mode, "digest") == 0) {
        const struct CMUnitTest t[] = {cmocka_unit_test(test_digest_engine_refused)};
        return cmocka_run_group_tests(t, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_work),
        cmocka_unit_test(test_derivation_unchanged),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (strcmp(mode, "dummy") == 0 && calls != 0) {
        fprintf(stderr, "FAIL: the dummy engine's key methods were called %d times\n", calls);
        rc = 1;
    }
    ENGINE_free(e);
    return rc;
}
