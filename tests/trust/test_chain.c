/* trust/chain.c: dstack's "Verifying a chain" against the published
 * vectors (dstack's v0 and v1 link 0, the official simulator's chain), and
 * every refusal: each byte of every input tampered, wrong app id, wrong or
 * no root, high-S, bad recovery ids, wrong lengths, empty link 1. */
#include "trusttest.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

/* A fixture chain: the simulator's test/wallet key under purpose "signing". */
typedef struct fixture {
    unsigned char pub[33], link0[65], link1[65], app_id[20], roots[3][33];
    dsk_chain_input in;
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    tt_hex(TT_WALLET_PUB, f->pub, 33);
    tt_hex(TT_WALLET_LINK0, f->link0, 65);
    tt_hex(TT_LINK1, f->link1, 65);
    tt_hex(TT_APP_ID, f->app_id, 20);
    tt_hex(TT_ROOT, f->roots[0], 33);
    f->in.api = DSK_CHAIN_V0;
    f->in.algorithm = "secp256k1";
    f->in.purpose = (const unsigned char *)"signing";
    f->in.purpose_len = 7;
    f->in.pubkey = f->pub;
    f->in.pubkey_len = 33;
    f->in.link0 = f->link0;
    f->in.link0_len = 65;
    f->in.link1 = f->link1;
    f->in.link1_len = 65;
    f->in.app_id = f->app_id;
    f->in.roots = (const unsigned char(*)[33])f->roots;
    f->in.n_roots = 1;
}

static dsk_chain_verdict run(const dsk_chain_input *in)
{
    dsk_chain_verdict v;
    assert_int_equal(dsk_chain_verify(in, &v), DSK_OK);
    assert_true(strlen(v.reason) > 0);
    return v;
}

static void test_simulator_chain_anchored(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_ANCHORED);
    assert_int_equal(v.failed_link, -1);
    assert_int_equal(v.root_index, 0);
    assert_true(v.have_app_pubkey && v.have_kms_root);
    tt_assert_hex(v.app_pubkey, 33, TT_APP_PUB);
    tt_assert_hex(v.kms_root, 33, TT_ROOT);
    assert_non_null(strstr(v.reason, TT_ROOT));
    assert_string_equal(dsk_chain_outcome_name(v.outcome), "anchored");
}

static void test_second_root_matches(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    tt_hex(TT_OTHER_ROOT, f.roots[0], 33);
    tt_hex(TT_ROOT, f.roots[1], 33);
    f.in.n_roots = 2;
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_ANCHORED);
    assert_int_equal(v.root_index, 1);
}

static void test_wrong_root(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    tt_hex(TT_OTHER_ROOT, f.roots[0], 33);
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
    assert_int_equal(v.failed_link, 1);
    assert_true(v.have_kms_root);
    tt_assert_hex(v.kms_root, 33, TT_ROOT);
    /* the message names the recovered root and the pinned one */
    assert_non_null(strstr(v.reason, TT_ROOT));
    assert_non_null(strstr(v.reason, TT_OTHER_ROOT));
}

static void test_no_root_pinned(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    f.in.n_roots = 0;
    f.in.roots = NULL;
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
    assert_int_equal(v.failed_link, 1);
    assert_non_null(strstr(v.reason, "pinned: none"));
}

static void test_wrong_app_id(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    f.app_id[19] ^= 1;
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
    assert_int_equal(v.failed_link, 1);
    assert_non_null(strstr(v.reason, "app_id"));
}

static void test_empty_link1_unanchored(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    f.in.link1_len = 0;
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_UNANCHORED);
    assert_true(v.have_app_pubkey);
    assert_false(v.have_kms_root);
    tt_assert_hex(v.app_pubkey, 33, TT_APP_PUB);
    assert_non_null(strstr(v.reason, "no KMS"));
}

/* One flipped bit anywhere in the public key, purpose, either link or the
 * app id: never anchored. */
static void test_every_byte_tampered(void **state)
{
    fixture f;
    unsigned char purpose[8] = "signing";
    struct {
        unsigned char *p;
        size_t len;
    } parts[5];
    (void)state;
    fixture_init(&f);
    f.in.purpose = purpose;
    parts[0].p = f.pub, parts[0].len = 33;
    parts[1].p = purpose, parts[1].len = 7;
    parts[2].p = f.link0, parts[2].len = 65;
    parts[3].p = f.link1, parts[3].len = 65;
    parts[4].p = f.app_id, parts[4].len = 20;
    for (size_t i = 0; i < 5; i++) {
        for (size_t j = 0; j < parts[i].len; j++) {
            for (unsigned bit = 0; bit < 8; bit += 7) {
                dsk_chain_verdict v;
                parts[i].p[j] ^= (unsigned char)(1u << bit);
                v = run(&f.in);
                if (v.outcome != DSK_CHAIN_MISMATCH)
                    fail_msg("part %zu byte %zu bit %u: outcome %s", i, j, bit,
                             dsk_chain_outcome_name(v.outcome));
                parts[i].p[j] ^= (unsigned char)(1u << bit);
            }
        }
    }
    assert_int_equal(run(&f.in).outcome, DSK_CHAIN_ANCHORED);
}

/* s -> n - s and v -> v ^ 1 is the same signature's malleable twin: it
 * recovers the same key, and must be refused. */
static void make_high_s(unsigned char link[65])
{
    static const unsigned char n[32] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
        0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
    };
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = n[i] - link[32 + i] - borrow;
        borrow = d < 0;
        link[32 + i] = (unsigned char)(d + (borrow ? 256 : 0));
    }
    link[64] ^= 1;
}

static void test_high_s_rejected(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    make_high_s(f.link0);
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
    assert_int_equal(v.failed_link, 0);
    assert_non_null(strstr(v.reason, "high-S"));

    fixture_init(&f);
    make_high_s(f.link1);
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
    assert_int_equal(v.failed_link, 1);
    assert_non_null(strstr(v.reason, "high-S"));
}

/* The twin really is a valid signature libsecp256k1 would recover from:
 * otherwise the test above proves nothing. */
static void test_high_s_twin_recovers_without_check(void **state)
{
    fixture f;
    unsigned char digest[32], claim[7 + 1 + 66];
    size_t len = sizeof claim, out_len = 33;
    secp256k1_ecdsa_recoverable_signature sig;
    secp256k1_pubkey pub;
    unsigned char got[33];
    (void)state;
    fixture_init(&f);
    assert_int_equal(dsk_chain_claim(&f.in, claim, &len), DSK_OK);
    dsk_keccak256(claim, len, digest);
    make_high_s(f.link0);
    assert_true(secp256k1_ecdsa_recoverable_signature_parse_compact(secp256k1_context_static, &sig,
                                                                    f.link0, f.link0[64]));
    assert_true(secp256k1_ecdsa_recover(secp256k1_context_static, &pub, &sig, digest));
    secp256k1_ec_pubkey_serialize(secp256k1_context_static, got, &out_len, &pub,
                                  SECP256K1_EC_COMPRESSED);
    tt_assert_hex(got, 33, TT_APP_PUB);
}

static void test_bad_recovery_id(void **state)
{
    static const unsigned char ids[] = {4, 27, 28, 255};
    (void)state;
    for (size_t i = 0; i < sizeof ids; i++) {
        fixture f;
        dsk_chain_verdict v;
        fixture_init(&f);
        f.link0[64] = ids[i];
        v = run(&f.in);
        assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
        assert_int_equal(v.failed_link, 0);
        assert_non_null(strstr(v.reason, "recovery id"));
        fixture_init(&f);
        f.link1[64] = ids[i];
        v = run(&f.in);
        assert_int_equal(v.failed_link, 1);
        assert_non_null(strstr(v.reason, "recovery id"));
    }
}

static void test_zero_and_overflow_rs(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    memset(f.link0, 0, 64);
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
    assert_int_equal(v.failed_link, 0);
    fixture_init(&f);
    memset(f.link0, 0xff, 32); /* r >= n */
    v = run(&f.in);
    assert_int_equal(v.failed_link, 0);
    assert_non_null(strstr(v.reason, "out of range"));
}

static void test_wrong_lengths(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    f.in.link0_len = 64;
    v = run(&f.in);
    assert_int_equal(v.failed_link, 0);
    assert_non_null(strstr(v.reason, "64 bytes"));
    fixture_init(&f);
    f.in.link1_len = 64;
    v = run(&f.in);
    assert_int_equal(v.failed_link, 1);
    fixture_init(&f);
    f.in.pubkey_len = 32;
    v = run(&f.in);
    assert_int_equal(v.failed_link, 0);
    fixture_init(&f);
    f.in.algorithm = "k256"; /* the alias is a request spelling, not a claim algorithm */
    v = run(&f.in);
    assert_int_equal(v.failed_link, 0);
    assert_non_null(strstr(v.reason, "unknown key algorithm"));
}

static void test_args(void **state)
{
    fixture f;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    assert_int_equal(dsk_chain_verify(NULL, &v), DSK_E_ARGS);
    assert_int_equal(dsk_chain_verify(&f.in, NULL), DSK_E_ARGS);
    f.in.app_id = NULL;
    assert_int_equal(dsk_chain_verify(&f.in, &v), DSK_E_ARGS);
    fixture_init(&f);
    f.in.roots = NULL;
    assert_int_equal(dsk_chain_verify(&f.in, &v), DSK_E_ARGS);
}

/* HKDF-SHA256(salt, key, info) as dstack's v0 KDF, then the compressed
 * secp256k1 public key. */
static void v0_pubkey(const unsigned char app_key[32], const char *path, unsigned char pub[33])
{
    unsigned char m[32];
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM p[] = {
        OSSL_PARAM_utf8_string("digest", "SHA256", 0),
        OSSL_PARAM_octet_string("salt", "RATLS", 5),
        OSSL_PARAM_octet_string("key", (void *)app_key, 32),
        OSSL_PARAM_octet_string("info", (void *)path, strlen(path)),
        OSSL_PARAM_END,
    };
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_pubkey pk;
    size_t len = 33;
    assert_int_equal(EVP_KDF_derive(kctx, m, 32, p), 1);
    assert_true(secp256k1_ec_pubkey_create(ctx, &pk, m));
    secp256k1_ec_pubkey_serialize(ctx, pub, &len, &pk, SECP256K1_EC_COMPRESSED);
    secp256k1_context_destroy(ctx);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
}

static void pubkey_of(const unsigned char key[32], unsigned char pub[33])
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_pubkey pk;
    size_t len = 33;
    assert_true(secp256k1_ec_pubkey_create(ctx, &pk, key));
    secp256k1_ec_pubkey_serialize(ctx, pub, &len, &pk, SECP256K1_EC_COMPRESSED);
    secp256k1_context_destroy(ctx);
}

#define DSTACK_FIXTURE_KEY "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"

/* dstack's guest-api-v0.md test vector: path "test", purpose "signing". */
static void test_dstack_v0_vector(void **state)
{
    unsigned char app_key[32], app_pub[33], pub[33], link0[65], app_id[20] = {0};
    dsk_chain_input in;
    dsk_chain_verdict v;
    (void)state;
    tt_hex(DSTACK_FIXTURE_KEY, app_key, 32);
    pubkey_of(app_key, app_pub);
    v0_pubkey(app_key, "test", pub);
    tt_hex("c8a3dcf06c4e95bd78a5d7a1c8fcff171fc5848cfae804c6fc11bda4dc5d4062"
           "379995390843827444992c4c0e4bac70f0f878e01b9fc8b98cd7126fe5a3876b01",
           link0, 65);
    memset(&in, 0, sizeof in);
    in.api = DSK_CHAIN_V0;
    in.algorithm = "secp256k1";
    in.purpose = (const unsigned char *)"signing";
    in.purpose_len = 7;
    in.pubkey = pub;
    in.pubkey_len = 33;
    in.link0 = link0;
    in.link0_len = 65;
    in.app_id = app_id;
    v = run(&in);
    assert_int_equal(v.outcome, DSK_CHAIN_UNANCHORED);
    assert_memory_equal(v.app_pubkey, app_pub, 33);
}

/* dstack's guest-api-v1.md link 0 vector: domain "storage-encryption". */
static void test_dstack_v1_vector(void **state)
{
    unsigned char app_key[32], app_pub[33], pub[33], link0[65], app_id[20] = {0};
    unsigned char claim[128];
    size_t len = sizeof claim;
    dsk_chain_input in;
    dsk_chain_verdict v;
    (void)state;
    tt_hex(DSTACK_FIXTURE_KEY, app_key, 32);
    pubkey_of(app_key, app_pub);
    tt_hex("03d962450a41748021c8b02787ac36ce642ff0ae25f4c55019eb527e1112cfd764", pub, 33);
    tt_hex("5b6193729ce7976ec67863f21692d4b98c69832698aae8e001a7d33a6f818b6e"
           "46ca950725b6e90e8ca9bcf394abd03ce264bf9b7eec1e91693247f9dd53c26901",
           link0, 65);
    memset(&in, 0, sizeof in);
    in.api = DSK_CHAIN_V1;
    in.algorithm = "secp256k1";
    in.purpose = (const unsigned char *)"storage-encryption";
    in.purpose_len = 18;
    in.pubkey = pub;
    in.pubkey_len = 33;
    in.link0 = link0;
    in.link0_len = 65;
    in.app_id = app_id;
    /* The worked claim: 00000019 tag, 00000009 algorithm, 00000012 domain, 00000021 key. */
    assert_int_equal(dsk_chain_claim(&in, claim, &len), DSK_OK);
    assert_int_equal(len, 4 + 25 + 4 + 9 + 4 + 18 + 4 + 33);
    assert_memory_equal(claim, "\0\0\0\x19" "dstack-guest-v1-key-claim", 29);
    assert_memory_equal(claim + 29, "\0\0\0\x09" "secp256k1", 13);
    assert_memory_equal(claim + 42, "\0\0\0\x12" "storage-encryption", 22);
    assert_memory_equal(claim + 64, "\0\0\0\x21", 4);
    assert_memory_equal(claim + 68, pub, 33);
    v = run(&in);
    assert_int_equal(v.outcome, DSK_CHAIN_UNANCHORED);
    assert_memory_equal(v.app_pubkey, app_pub, 33);
    /* one changed byte of the domain, the algorithm or the public key:
     * the link recovers some other key (or none), never the app's */
    in.purpose = (const unsigned char *)"storage-encryptioN";
    v = run(&in);
    assert_false(v.have_app_pubkey && memcmp(v.app_pubkey, app_pub, 33) == 0);
    in.purpose = (const unsigned char *)"storage-encryption";
    pub[32] ^= 1;
    v = run(&in);
    assert_false(v.have_app_pubkey && memcmp(v.app_pubkey, app_pub, 33) == 0);
    pub[32] ^= 1;
    in.algorithm = "ed25519"; /* and a 33-byte key is not an Ed25519 key */
    v = run(&in);
    assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
    assert_int_equal(v.failed_link, 0);
    in.algorithm = "secp256k1";
    v = run(&in);
    assert_memory_equal(v.app_pubkey, app_pub, 33);
    /* the same link under the v0 claim recovers some other key */
    in.api = DSK_CHAIN_V0;
    v = run(&in);
    assert_false(v.have_app_pubkey && memcmp(v.app_pubkey, app_pub, 33) == 0);
}

/* An Ed25519 claim: the simulator's app key signs "signing:" hex(32-byte
 * Ed25519 public key); the verdict is anchored to the dev root. */
static void test_ed25519_claim(void **state)
{
    fixture f;
    unsigned char app_key[32], ed[32], digest[32], claim[8 + 64];
    size_t len = sizeof claim;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_ecdsa_recoverable_signature sig;
    int recid;
    dsk_chain_verdict v;
    (void)state;
    fixture_init(&f);
    tt_hex(TT_APP_KEY, app_key, 32);
    tt_hex("4f019bbd5f3d098befc637447b35356e4df6a8a8733d1f820e6d1a85af83da5e", ed, 32);
    f.in.algorithm = "ed25519";
    f.in.pubkey = ed;
    f.in.pubkey_len = 32;
    assert_int_equal(dsk_chain_claim(&f.in, claim, &len), DSK_OK);
    assert_int_equal(len, 8 + 64);
    assert_memory_equal(claim, "signing:4f019bbd", 16);
    dsk_keccak256(claim, len, digest);
    assert_true(secp256k1_ecdsa_sign_recoverable(ctx, &sig, digest, app_key, NULL, NULL));
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, f.link0, &recid, &sig);
    f.link0[64] = (unsigned char)recid;
    secp256k1_context_destroy(ctx);
    v = run(&f.in);
    assert_int_equal(v.outcome, DSK_CHAIN_ANCHORED);
    /* a 33-byte key under ed25519 is refused */
    f.in.pubkey = f.pub;
    f.in.pubkey_len = 33;
    assert_int_equal(run(&f.in).failed_link, 0);
}

static void test_claim_buffer(void **state)
{
    fixture f;
    unsigned char small[10];
    size_t len = 0;
    (void)state;
    fixture_init(&f);
    assert_int_equal(dsk_chain_claim(&f.in, NULL, &len), DSK_OK);
    assert_int_equal(len, 7 + 1 + 66);
    len = sizeof small;
    assert_int_equal(dsk_chain_claim(&f.in, small, &len), DSK_E_BUFFER_TOO_SMALL);
    assert_int_equal(len, 74);
    f.in.api = (dsk_chain_api)7;
    assert_int_equal(dsk_chain_claim(&f.in, NULL, &len), DSK_E_ARGS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulator_chain_anchored),
        cmocka_unit_test(test_second_root_matches),
        cmocka_unit_test(test_wrong_root),
        cmocka_unit_test(test_no_root_pinned),
        cmocka_unit_test(test_wrong_app_id),
        cmocka_unit_test(test_empty_link1_unanchored),
        cmocka_unit_test(test_every_byte_tampered),
        cmocka_unit_test(test_high_s_rejected),
        cmocka_unit_test(test_high_s_twin_recovers_without_check),
        cmocka_unit_test(test_bad_recovery_id),
        cmocka_unit_test(test_zero_and_overflow_rs),
        cmocka_unit_test(test_wrong_lengths),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_dstack_v0_vector),
        cmocka_unit_test(test_dstack_v1_vector),
        cmocka_unit_test(test_ed25519_claim),
        cmocka_unit_test(test_claim_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
