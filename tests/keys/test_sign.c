/* keys/sign.c: every signature scheme checked by OpenSSL's default provider,
 * default-provider signatures checked by ours, bad inputs, usage and buffer
 * rules, many threads signing with one key at once (also as the key's very
 * first signatures, which race to create its cached signing context), and
 * low-S ECDSA on secp256k1 with the agent's own /eth/main-wallet key. */
#include "keytest.h"

#include <pthread.h>
#include <unistd.h>

#include "simproc.h"

#include <openssl/ec.h>
#include <openssl/rsa.h>

typedef struct fix {
    dsk_keystore *ks;
    dsk_key *k[DSK_KEY_RSA_2048 + 1];
} fix;

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    f->ks = kt_store(NULL);
    for (int t = 0; t <= DSK_KEY_RSA_2048; t++)
        f->k[t] = kt_key(f->ks, dsk_type_info_get((dsk_key_type)t)->name, (dsk_key_type)t, "sign");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix *f = *state;
    dsk_keystore_free(f->ks);
    free(f);
    return 0;
}

static void digest(dsk_hash h, const char *msg, unsigned char *out)
{
    EVP_Digest(msg, strlen(msg), out, NULL, EVP_get_digestbyname(dsk_hash_name(h)), NULL);
}

/* Verify with the default provider; raw r||s is converted to DER here. */
static int default_verify_ecdsa(dsk_key *k, const unsigned char *h, size_t hl,
                                const unsigned char *sig, size_t sl, int der)
{
    EVP_PKEY *pk = kt_default_pub(k);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
    unsigned char *d = NULL;
    int r, n = (int)sl;
    if (!der) {
        ECDSA_SIG *es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)sl / 2, NULL),
                       BN_bin2bn(sig + sl / 2, (int)sl / 2, NULL));
        n = i2d_ECDSA_SIG(es, &d);
        ECDSA_SIG_free(es);
        sig = d;
    }
    assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
    r = EVP_PKEY_verify(ctx, sig, (size_t)n, h, hl);
    OPENSSL_free(d);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    return r;
}

static void test_ecdsa(void **state)
{
    fix *f = *state;
    static const dsk_key_type types[] = {DSK_KEY_SECP256K1, DSK_KEY_EC_P256, DSK_KEY_EC_P384};
    static const dsk_hash hashes[] = {DSK_HASH_SHA1, DSK_HASH_SHA256, DSK_HASH_SHA384,
                                      DSK_HASH_SHA512};
    for (size_t i = 0; i < 3; i++) {
        dsk_key *k = f->k[types[i]];
        const dsk_type_info *ti = dsk_type_info_get(types[i]);
        for (size_t j = 0; j < 4; j++) {
            unsigned char h[64], sig[128];
            size_t hl = dsk_hash_size(hashes[j]), sl;
            digest(hashes[j], "ecdsa message", h);
            for (int der = 0; der <= 1; der++) {
                dsk_sign_params p = {.scheme = DSK_SIG_ECDSA, .der = der};
                sl = 0;
                assert_int_equal(dsk_key_sign(k, &p, h, hl, NULL, &sl, NULL), DSK_OK);
                assert_int_equal(sl, der ? ti->max_der_sig : ti->max_sig);
                assert_int_equal(dsk_key_sign(k, &p, h, hl, sig, &sl, NULL), DSK_OK);
                if (!der)
                    assert_int_equal(sl, ti->max_sig);
                assert_int_equal(default_verify_ecdsa(k, h, hl, sig, sl, der), 1);
                assert_int_equal(dsk_key_verify(k, &p, h, hl, sig, sl, NULL), DSK_OK);
                sig[sl / 2] ^= 1;
                assert_int_equal(dsk_key_verify(k, &p, h, hl, sig, sl, NULL), DSK_E_VERIFY);
                assert_int_not_equal(default_verify_ecdsa(k, h, hl, sig, sl, der), 1);
            }
        }
    }
}

/* r||s keeps leading zero bytes: over many signatures some r or s is short. */
static void test_ecdsa_raw_padding(void **state)
{
    fix *f = *state;
    dsk_key *k = f->k[DSK_KEY_EC_P256];
    dsk_sign_params p = {.scheme = DSK_SIG_ECDSA};
    unsigned char h[32], sig[64];
    int zero_seen = 0;
    digest(DSK_HASH_SHA256, "pad", h);
    for (int i = 0; i < 600 && !zero_seen; i++) {
        size_t sl = sizeof sig;
        assert_int_equal(dsk_key_sign(k, &p, h, 32, sig, &sl, NULL), DSK_OK);
        assert_int_equal(sl, 64);
        assert_int_equal(default_verify_ecdsa(k, h, 32, sig, sl, 0), 1);
        zero_seen = sig[0] == 0 || sig[32] == 0;
    }
    assert_true(zero_seen);
}

static void test_ed25519(void **state)
{
    fix *f = *state;
    dsk_key *k = f->k[DSK_KEY_ED25519];
    dsk_sign_params p = {.scheme = DSK_SIG_EDDSA};
    const char *msgs[] = {"", "a", "a longer message for Ed25519, signed whole (pure EdDSA)"};
    for (size_t i = 0; i < 3; i++) {
        unsigned char sig[64];
        size_t sl = sizeof sig, ml = strlen(msgs[i]);
        EVP_PKEY *pk = kt_default_pub(k);
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        assert_int_equal(dsk_key_sign(k, &p, (const unsigned char *)msgs[i], ml, sig, &sl, NULL),
                         DSK_OK);
        assert_int_equal(sl, 64);
        assert_int_equal(EVP_DigestVerifyInit(m, NULL, NULL, NULL, pk), 1);
        assert_int_equal(EVP_DigestVerify(m, sig, sl, (const unsigned char *)msgs[i], ml), 1);
        assert_int_equal(dsk_key_verify(k, &p, (const unsigned char *)msgs[i], ml, sig, sl, NULL),
                         DSK_OK);
        /* Ed25519 is deterministic: same message, same signature */
        unsigned char sig2[64];
        size_t sl2 = sizeof sig2;
        assert_int_equal(dsk_key_sign(k, &p, (const unsigned char *)msgs[i], ml, sig2, &sl2, NULL),
                         DSK_OK);
        assert_memory_equal(sig, sig2, 64);
        sig[3] ^= 0x20;
        assert_int_equal(dsk_key_verify(k, &p, (const unsigned char *)msgs[i], ml, sig, sl, NULL),
                         DSK_E_VERIFY);
        EVP_MD_CTX_free(m);
        EVP_PKEY_free(pk);
    }
}

static int default_verify_rsa(dsk_key *k, int pad, dsk_hash h, dsk_hash mgf, int salt,
                              const unsigned char *in, size_t il, const unsigned char *sig,
                              size_t sl)
{
    EVP_PKEY *pk = kt_default_pub(k);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
    int r;
    assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, pad), 1);
    if (h != DSK_HASH_NONE)
        assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, EVP_get_digestbyname(dsk_hash_name(h))),
                         1);
    if (pad == RSA_PKCS1_PSS_PADDING) {
        assert_int_equal(
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_get_digestbyname(dsk_hash_name(mgf))), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, salt), 1);
    }
    r = EVP_PKEY_verify(ctx, sig, sl, in, il);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    return r;
}

static void test_rsa_pkcs1(void **state)
{
    fix *f = *state;
    dsk_key *k = f->k[DSK_KEY_RSA_2048];
    static const dsk_hash hashes[] = {DSK_HASH_SHA1, DSK_HASH_SHA224, DSK_HASH_SHA256,
                                      DSK_HASH_SHA384, DSK_HASH_SHA512};
    unsigned char h[64], sig[256];
    size_t sl;
    for (size_t i = 0; i < 5; i++) {
        dsk_sign_params p = {.scheme = DSK_SIG_RSA_PKCS1, .hash = hashes[i]};
        size_t hl = dsk_hash_size(hashes[i]);
        digest(hashes[i], "pkcs1", h);
        sl = sizeof sig;
        assert_int_equal(dsk_key_sign(k, &p, h, hl, sig, &sl, NULL), DSK_OK);
        assert_int_equal(sl, 256);
        assert_int_equal(default_verify_rsa(k, RSA_PKCS1_PADDING, hashes[i], 0, 0, h, hl, sig, sl),
                         1);
        assert_int_equal(dsk_key_verify(k, &p, h, hl, sig, sl, NULL), DSK_OK);
        sig[100] ^= 1;
        assert_int_equal(dsk_key_verify(k, &p, h, hl, sig, sl, NULL), DSK_E_VERIFY);
    }
    /* NONE: the input (here a DigestInfo made by the caller) is signed as is */
    dsk_sign_params raw = {.scheme = DSK_SIG_RSA_PKCS1, .hash = DSK_HASH_NONE};
    unsigned char in[245];
    memset(in, 0x5a, sizeof in);
    sl = sizeof sig;
    assert_int_equal(dsk_key_sign(k, &raw, in, 245, sig, &sl, NULL), DSK_OK);
    assert_int_equal(
        default_verify_rsa(k, RSA_PKCS1_PADDING, DSK_HASH_NONE, 0, 0, in, 245, sig, sl), 1);
    assert_int_equal(dsk_key_verify(k, &raw, in, 245, sig, sl, NULL), DSK_OK);
    /* same key, same input: PKCS#1 v1.5 signatures are deterministic */
    unsigned char sig2[256];
    size_t sl2 = sizeof sig2;
    assert_int_equal(dsk_key_sign(k, &raw, in, 245, sig2, &sl2, NULL), DSK_OK);
    assert_memory_equal(sig, sig2, 256);
    /* more than k - 11 bytes cannot be padded */
    dsk_error e = {0};
    unsigned char big[246] = {0};
    sl = sizeof sig;
    assert_int_equal(dsk_key_sign(k, &raw, big, 246, sig, &sl, &e), DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "245"));
}

static void test_rsa_pss(void **state)
{
    fix *f = *state;
    dsk_key *k = f->k[DSK_KEY_RSA_2048];
    static const struct {
        dsk_hash h, mgf;
        long salt;
        int ossl_salt;
    } cases[] = {
        {DSK_HASH_SHA256, DSK_HASH_NONE, -1, RSA_PSS_SALTLEN_DIGEST},
        {DSK_HASH_SHA256, DSK_HASH_SHA256, 32, 32},
        {DSK_HASH_SHA384, DSK_HASH_SHA1, 0, 0},
        {DSK_HASH_SHA512, DSK_HASH_SHA512, -2, RSA_PSS_SALTLEN_MAX},
        {DSK_HASH_SHA1, DSK_HASH_SHA256, 20, 20},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dsk_sign_params p = {.scheme = DSK_SIG_RSA_PSS,
                             .hash = cases[i].h,
                             .mgf1 = cases[i].mgf,
                             .salt_len = cases[i].salt};
        dsk_hash mgf = cases[i].mgf == DSK_HASH_NONE ? cases[i].h : cases[i].mgf;
        unsigned char h[64], sig[256];
        size_t hl = dsk_hash_size(cases[i].h), sl = sizeof sig;
        digest(cases[i].h, "pss", h);
        assert_int_equal(dsk_key_sign(k, &p, h, hl, sig, &sl, NULL), DSK_OK);
        assert_int_equal(default_verify_rsa(k, RSA_PKCS1_PSS_PADDING, cases[i].h, mgf,
                                            cases[i].ossl_salt, h, hl, sig, sl),
                         1);
        assert_int_equal(dsk_key_verify(k, &p, h, hl, sig, sl, NULL), DSK_OK);
        /* a different salt length does not verify (except against "max" = auto) */
        if (cases[i].salt >= 0) {
            dsk_sign_params q = p;
            q.salt_len = cases[i].salt + 1;
            assert_int_equal(dsk_key_verify(k, &q, h, hl, sig, sl, NULL), DSK_E_VERIFY);
        }
    }
}

/* Signatures made by the default provider verify with ours (public-only key). */
static void test_verify_foreign(void **state)
{
    fix *f = *state;
    EVP_PKEY *pk = EVP_EC_gen("prime256v1");
    unsigned char *spki = NULL, h[32], sig[80];
    size_t sl = sizeof sig;
    dsk_key *pub = NULL;
    dsk_error e = {0};
    int n = i2d_PUBKEY(pk, &spki);
    digest(DSK_HASH_SHA256, "foreign", h);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
    assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
    assert_int_equal(EVP_PKEY_sign(ctx, sig, &sl, h, 32), 1);
    assert_int_equal(dsk_keystore_add_public(f->ks, spki, (size_t)n, &pub, NULL), DSK_OK);
    dsk_sign_params der = {.scheme = DSK_SIG_ECDSA, .der = 1};
    assert_int_equal(dsk_key_verify(pub, &der, h, 32, sig, sl, NULL), DSK_OK);
    h[0] ^= 1;
    assert_int_equal(dsk_key_verify(pub, &der, h, 32, sig, sl, NULL), DSK_E_VERIFY);
    /* a public key cannot sign */
    size_t ol = sizeof sig;
    assert_int_equal(dsk_key_sign(pub, &der, h, 32, sig, &ol, &e), DSK_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "public key only"));
    /* a raw signature of the wrong length is simply invalid */
    dsk_sign_params raw = {.scheme = DSK_SIG_ECDSA};
    assert_int_equal(dsk_key_verify(pub, &raw, h, 32, sig, 63, NULL), DSK_E_VERIFY);
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(spki);
    EVP_PKEY_free(pk);
}

static void test_bad_inputs(void **state)
{
    fix *f = *state;
    unsigned char h[70] = {1}, sig[600];
    size_t sl;
    dsk_error e = {0};
    dsk_sign_params p;

    /* wrong hash lengths */
    p = (dsk_sign_params){.scheme = DSK_SIG_RSA_PKCS1, .hash = DSK_HASH_SHA256};
    sl = sizeof sig;
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_RSA_2048], &p, h, 31, sig, &sl, &e),
                     DSK_E_BAD_INPUT);
    assert_non_null(strstr(e.msg, "key 'rsa-2048' (rsa-2048)"));
    p = (dsk_sign_params){.scheme = DSK_SIG_RSA_PSS, .hash = DSK_HASH_SHA384};
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_RSA_2048], &p, h, 32, sig, &sl, &e),
                     DSK_E_BAD_INPUT);
    p = (dsk_sign_params){.scheme = DSK_SIG_RSA_PSS, .hash = DSK_HASH_NONE};
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_RSA_2048], &p, h, 32, sig, &sl, &e), DSK_E_ARGS);
    p = (dsk_sign_params){.scheme = DSK_SIG_RSA_PSS, .hash = DSK_HASH_SHA256, .salt_len = -7};
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_RSA_2048], &p, h, 32, sig, &sl, &e), DSK_E_ARGS);
    /* PSS salt too long for the modulus: OpenSSL refuses, we report it */
    p = (dsk_sign_params){.scheme = DSK_SIG_RSA_PSS, .hash = DSK_HASH_SHA512, .salt_len = 250};
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_RSA_2048], &p, h, 64, sig, &sl, &e), DSK_E_CRYPTO);
    p = (dsk_sign_params){.scheme = DSK_SIG_ECDSA};
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_EC_P256], &p, h, 0, sig, &sl, &e), DSK_E_BAD_INPUT);
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_EC_P256], &p, h, 65, sig, &sl, &e), DSK_E_BAD_INPUT);
    /* ECDSA truncates a hash longer than the order, as the standard says */
    sl = sizeof sig;
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_EC_P256], &p, h, 64, sig, &sl, NULL), DSK_OK);
    assert_int_equal(default_verify_ecdsa(f->k[DSK_KEY_EC_P256], h, 64, sig, sl, 0), 1);

    /* scheme does not fit the key */
    p = (dsk_sign_params){.scheme = DSK_SIG_EDDSA};
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_EC_P256], &p, h, 32, sig, &sl, &e),
                     DSK_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "key 'ec-p256' (ec-p256) does not support EdDSA"));
    p = (dsk_sign_params){.scheme = DSK_SIG_ECDSA};
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_RSA_2048], &p, h, 32, sig, &sl, &e),
                     DSK_E_UNSUPPORTED);
    p = (dsk_sign_params){.scheme = DSK_SIG_RSA_PKCS1, .hash = DSK_HASH_SHA256};
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_ED25519], &p, h, 32, sig, &sl, &e),
                     DSK_E_UNSUPPORTED);
    p = (dsk_sign_params){.scheme = (dsk_sig_scheme)42};
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_ED25519], &p, h, 32, sig, &sl, &e),
                     DSK_E_UNSUPPORTED);
    assert_int_equal(dsk_key_sign(NULL, &p, h, 32, sig, &sl, &e), DSK_E_ARGS);
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_ED25519], NULL, h, 32, sig, &sl, &e), DSK_E_ARGS);
}

static void test_buffer_rule(void **state)
{
    fix *f = *state;
    dsk_sign_params p = {.scheme = DSK_SIG_ECDSA, .der = 1};
    unsigned char h[48] = {7}, sig[200];
    size_t sl = 0;
    dsk_error e = {0};
    dsk_key *k = f->k[DSK_KEY_EC_P384];
    assert_int_equal(dsk_key_sign(k, &p, h, 48, NULL, &sl, NULL), DSK_OK);
    assert_int_equal(sl, 104);
    sl = 103;
    assert_int_equal(dsk_key_sign(k, &p, h, 48, sig, &sl, &e), DSK_E_BUFFER_TOO_SMALL);
    assert_int_equal(sl, 104);
    assert_int_equal(dsk_key_sign(k, &p, h, 48, sig, &sl, NULL), DSK_OK);
    assert_true(sl <= 104 && sl >= 8);
    assert_int_equal(default_verify_ecdsa(k, h, 48, sig, sl, 1), 1);
    p = (dsk_sign_params){.scheme = DSK_SIG_RSA_PKCS1, .hash = DSK_HASH_SHA256};
    sl = 255;
    assert_int_equal(dsk_key_sign(f->k[DSK_KEY_RSA_2048], &p, h, 32, sig, &sl, NULL),
                     DSK_E_BUFFER_TOO_SMALL);
    assert_int_equal(sl, 256);
}

static void test_usage_enforced(void **state)
{
    fix *f = *state;
    dsk_key_desc d = {
        .label = "derive-only", .path = "sign", .type = DSK_KEY_EC_P256, .usage = DSK_USAGE_DERIVE};
    dsk_key *k = NULL;
    unsigned char h[32] = {0}, sig[64];
    size_t sl = sizeof sig;
    dsk_sign_params p = {.scheme = DSK_SIG_ECDSA};
    dsk_error e = {0};
    assert_int_equal(dsk_keystore_add(f->ks, &d, &k, NULL), DSK_OK);
    assert_int_equal(dsk_key_sign(k, &p, h, 32, sig, &sl, &e), DSK_E_UNSUPPORTED);
    assert_string_equal(e.msg, "key 'derive-only' (ec-p256) does not allow sign");
}

typedef struct worker {
    dsk_key *k;
    dsk_sign_params p;
    int n; /* rounds (kept small: this also runs under valgrind) */
    int ok;
} worker;

static void *sign_loop(void *arg)
{
    worker *w = arg;
    unsigned char h[32], sig[256];
    EVP_PKEY *pk = NULL;
    for (int i = 0; i < w->n; i++) {
        size_t sl = sizeof sig;
        h[0] = (unsigned char)i;
        memset(h + 1, 0x11, 31);
        if (dsk_key_sign(w->k, &w->p, h, 32, sig, &sl, NULL) != DSK_OK)
            return NULL;
        if (dsk_key_verify(w->k, &w->p, h, 32, sig, sl, NULL) != DSK_OK)
            return NULL;
        w->ok++;
    }
    EVP_PKEY_free(pk);
    return NULL;
}

static void test_threads_sign_concurrently(void **state)
{
    fix *f = *state;
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.k = f->k[i % 2 ? DSK_KEY_EC_P256 : DSK_KEY_SECP256K1],
                        .p = {.scheme = DSK_SIG_ECDSA, .der = i / 2},
                        .n = 100};
        assert_int_equal(pthread_create(&th[i], NULL, sign_loop, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, 100);
    }
    /* and four threads on one RSA key */
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.k = f->k[DSK_KEY_RSA_2048],
                        .p = {.scheme = i % 2 ? DSK_SIG_RSA_PSS : DSK_SIG_RSA_PKCS1,
                              .hash = DSK_HASH_SHA256,
                              .salt_len = -1},
                        .n = 20};
        assert_int_equal(pthread_create(&th[i], NULL, sign_loop, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, 20);
    }
}

/* The first signatures of fresh keys, from four threads at once: they race
 * to publish the key's signing context; every signature must verify. */
static void test_threads_first_signatures(void **state)
{
    static const dsk_key_type types[] = {DSK_KEY_EC_P256, DSK_KEY_ED25519, DSK_KEY_SECP256K1};
    (void)state;
    for (size_t t = 0; t < 3; t++) {
        dsk_keystore *ks = kt_store(NULL);
        dsk_key *k = kt_key(ks, "fresh", types[t], "first signatures");
        pthread_t th[4];
        worker w[4];
        for (int i = 0; i < 4; i++) {
            w[i] = (worker){
                .k = k,
                .p = {.scheme = types[t] == DSK_KEY_ED25519 ? DSK_SIG_EDDSA : DSK_SIG_ECDSA,
                      .der = i % 2},
                .n = 5};
            assert_int_equal(pthread_create(&th[i], NULL, sign_loop, &w[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(w[i].ok, 5);
        }
        dsk_keystore_free(ks);
    }
}

/* n/2 for secp256k1, big-endian (n = FFFF...FFFE BAAEDCE6 AF48A03B
 * BFD25E8C D0364141). */
static const char k1_half_n[] = "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0";

/* Every ECDSA signature of the agent's own wallet key is low-S (EIP-2),
 * raw r||s and DER alike, and still verifies with the default provider.
 * Over 64 messages about half of the plain ECDSA s values would be high. */
static void test_k1_low_s(void **state)
{
    dsk_test_sim sim;
    dsk_keystore *ks;
    dsk_key *k;
    dsk_key_desc d = {.label = "wallet", .path = "/eth/main-wallet", .type = DSK_KEY_SECP256K1};
    dsk_error e = {0};
    unsigned char half[32];
    char addr[43];
    (void)state;

    kt_hex(k1_half_n, half, 32);
    if (dsk_test_sim_start(&sim, NULL) != 0)
        fail_msg("cannot start the simulator ($DSK_SIMULATOR)");
    ks = kt_store(sim.sock);
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    /* The socket file can exist a moment before the simulator accepts. */
    for (int i = 0; i < 100 && dsk_key_derive(k, &e) != DSK_OK; i++)
        usleep(20000);
    if (dsk_key_eth_address(k, addr, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(addr, "0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0");
    for (int i = 0; i < 64; i++) {
        unsigned char h[32], raw[64], der[80];
        size_t rl = sizeof raw, dl = sizeof der;
        dsk_sign_params pr = {.scheme = DSK_SIG_ECDSA, .der = 0};
        dsk_sign_params pd = {.scheme = DSK_SIG_ECDSA, .der = 1};
        const unsigned char *dp = der;
        const BIGNUM *r, *s;
        ECDSA_SIG *es;
        char msg[32];
        snprintf(msg, sizeof msg, "low-S message %d", i);
        digest(DSK_HASH_SHA256, msg, h);

        assert_int_equal(dsk_key_sign(k, &pr, h, 32, raw, &rl, NULL), DSK_OK);
        assert_int_equal(rl, 64);
        assert_true(memcmp(raw + 32, half, 32) <= 0);
        assert_int_equal(default_verify_ecdsa(k, h, 32, raw, rl, 0), 1);

        assert_int_equal(dsk_key_sign(k, &pd, h, 32, der, &dl, NULL), DSK_OK);
        es = d2i_ECDSA_SIG(NULL, &dp, (long)dl);
        assert_non_null(es);
        assert_ptr_equal(dp, der + dl); /* nothing after the SEQUENCE */
        ECDSA_SIG_get0(es, &r, &s);
        unsigned char sb[32];
        assert_int_equal(BN_bn2binpad(s, sb, 32), 32);
        assert_true(memcmp(sb, half, 32) <= 0);
        assert_int_equal(default_verify_ecdsa(k, h, 32, der, dl, 1), 1);
        assert_int_equal(dsk_key_verify(k, &pd, h, 32, der, dl, NULL), DSK_OK);
        ECDSA_SIG_free(es);
    }
    dsk_keystore_free(ks);
    assert_int_equal(dsk_test_sim_stop(&sim), 0);
}

/* secp256k1 signs through libsecp256k1 with RFC 6979 nonces: known answers
 * (the first is the well-known "Satoshi Nakamoto" vector of key 1; the second
 * was computed by an independent Python RFC 6979 + ECDSA written for this
 * test), DER and r||s of the same signature, and the same signature again
 * for the same hash. OpenSSL 3.0 drew random nonces, so no earlier signature
 * was reproducible and none changes. */
static void test_k1_rfc6979(void **state)
{
    static const struct {
        const char *scalar, *msg, *rs;
    } kat[] = {
        {"0000000000000000000000000000000000000000000000000000000000000001", "Satoshi Nakamoto",
         "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
         "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"},
        {"c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", "sample",
         "432310e32cb80eb6503a26ce83cc165c783b870845fb8aad6d970889fcd7a6c8"
         "530128b6b81c548874a6305d93ed071ca6e05074d85863d4056ce89b02bfab69"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        dsk_keystore *ks = kt_store(NULL);
        dsk_key *k = NULL;
        dsk_key_desc d = {.label = "kat", .path = "kat", .type = DSK_KEY_SECP256K1};
        unsigned char m[32], want[64], h[32], raw[64], raw2[64], der[80];
        size_t rl = sizeof raw, rl2 = sizeof raw2, dl = sizeof der;
        dsk_sign_params pr = {.scheme = DSK_SIG_ECDSA, .der = 0};
        dsk_sign_params pd = {.scheme = DSK_SIG_ECDSA, .der = 1};
        kt_hex(kat[i].scalar, m, 32);
        kt_hex(kat[i].rs, want, 64);
        assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
        assert_int_equal(dsk_key_derive_from_material(k, m, NULL), DSK_OK);
        digest(DSK_HASH_SHA256, kat[i].msg, h);
        assert_int_equal(dsk_key_sign(k, &pr, h, 32, raw, &rl, NULL), DSK_OK);
        assert_memory_equal(raw, want, 64);
        assert_int_equal(dsk_key_sign(k, &pr, h, 32, raw2, &rl2, NULL), DSK_OK);
        assert_memory_equal(raw2, want, 64);
        assert_int_equal(dsk_key_sign(k, &pd, h, 32, der, &dl, NULL), DSK_OK);
        const unsigned char *dp = der;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &dp, (long)dl);
        assert_non_null(es);
        const BIGNUM *r, *s;
        ECDSA_SIG_get0(es, &r, &s);
        unsigned char rs[64];
        assert_int_equal(BN_bn2binpad(r, rs, 32), 32);
        assert_int_equal(BN_bn2binpad(s, rs + 32, 32), 32);
        assert_memory_equal(rs, want, 64);
        ECDSA_SIG_free(es);
        assert_int_equal(default_verify_ecdsa(k, h, 32, raw, rl, 0), 1);
        dsk_keystore_free(ks);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdsa),
        cmocka_unit_test(test_ecdsa_raw_padding),
        cmocka_unit_test(test_ed25519),
        cmocka_unit_test(test_rsa_pkcs1),
        cmocka_unit_test(test_rsa_pss),
        cmocka_unit_test(test_verify_foreign),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_buffer_rule),
        cmocka_unit_test(test_usage_enforced),
        cmocka_unit_test(test_threads_sign_concurrently),
        cmocka_unit_test(test_threads_first_signatures),
        cmocka_unit_test(test_k1_low_s),
        cmocka_unit_test(test_k1_rfc6979),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
