/* keys/provenance.c against the real simulator: the verdict of every key
 * type (anchored to the development KMS root), verify = off | warn |
 * require with the right root, a wrong root, a spoofed agent (app key of
 * another KMS) and a KMS-less one; refusals never cached; statements that
 * verify offline and are byte-identical across stores and simulator
 * restarts; api = v1 keys anchored through the v1 claim and v1 statements
 * (a second /v1/GetKey on the statement domain). */
#include "keytest.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "simproc.h"

#define DEV_ROOT "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6"
#define DEV_APP "5bb4ff9a3837357f19dc176407a5709c62eb6c56"
#define SPOOF_KMS "0101010101010101010101010101010101010101010101010101010101010101"
/* the compressed public key of SPOOF_KMS */
#define SPOOF_ROOT "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f"

static void kt_assert_hex(const unsigned char *b, size_t len, const char *want)
{
    char got[2 * 64 + 1];
    dsk_hex_encode(b, len, got);
    assert_string_equal(got, want);
}

static int wait_listening(const dsk_test_sim *sim)
{
    for (int i = 0; i < 500; i++) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;
        memcpy(sa.sun_path, sim->sock, strlen(sim->sock) + 1);
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return 0;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return -1;
}

/* A simulator with the default keys, or with a made key file:
 * kms = NULL for the development key, "none" or a KMS private key. */
static void sim_start(dsk_test_sim *sim, const char *kms, char *keyfile, size_t kflen)
{
    const char *args[3] = {NULL, NULL, NULL};
    if (kms) {
        char cmd[1024];
        snprintf(keyfile, kflen, "/tmp/dsk-prov-%d-%s.json", (int)getpid(), kms[0] == 'n' ? "nokms" : "spoof");
        unlink(keyfile);
        snprintf(cmd, sizeof cmd, "'%s' --make-appkeys '%s' --kms-key %s >/dev/null",
                 getenv("DSK_SIMULATOR"), keyfile, kms);
        assert_int_equal(system(cmd), 0);
        args[0] = "--keys";
        args[1] = keyfile;
    }
    if (dsk_test_sim_start(sim, args) != 0 || wait_listening(sim) != 0)
        fail_msg("cannot start the simulator ($DSK_SIMULATOR)");
}

static void sim_stop(dsk_test_sim *sim, const char *keyfile)
{
    assert_int_equal(dsk_test_sim_stop(sim), 0);
    if (keyfile && *keyfile)
        unlink(keyfile);
}

static dsk_keystore *store(const char *sock, dsk_verify_mode mode, const char *root, int app_id)
{
    dsk_keystore *ks = kt_store(sock);
    dsk_trust_opts t;
    unsigned char roots[1][33];
    dsk_error e = {0};
    memset(&t, 0, sizeof t);
    if (root) {
        kt_hex(root, roots[0], 33);
        t.roots = (const unsigned char(*)[33])roots;
        t.n_roots = 1;
    }
    if (app_id) {
        kt_hex(DEV_APP, t.app_id, 20);
        t.have_app_id = 1;
    }
    t.verify = mode;
    if (dsk_keystore_set_trust(ks, &t, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    return ks;
}

static dsk_key *add(dsk_keystore *ks, const char *label, const char *path, dsk_key_type t)
{
    dsk_key_desc d = {.label = label, .path = path, .type = t};
    dsk_key *k = NULL;
    assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
    return k;
}

static void test_every_type_anchored(void **state)
{
    dsk_test_sim sim;
    (void)state;
    sim_start(&sim, NULL, NULL, 0);
    /* app id from /Info (not configured), require */
    dsk_keystore *ks = store(sim.sock, DSK_VERIFY_REQUIRE, DEV_ROOT, 0);
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
        if (t == DSK_KEY_RSA_3072 || t == DSK_KEY_RSA_4096)
            continue; /* same path as rsa-2048 through the chain; slow to derive */
        dsk_key *k = add(ks, dsk_key_type_name((dsk_key_type)t), "prov/any", (dsk_key_type)t);
        dsk_chain_verdict v;
        dsk_error e = {0};
        if (dsk_key_derive(k, &e) != DSK_OK)
            fail_msg("%s", e.msg);
        assert_int_equal(dsk_key_provenance(k, &v, &e), DSK_OK);
        assert_int_equal(v.outcome, DSK_CHAIN_ANCHORED);
        kt_assert_hex(v.kms_root, 33, DEV_ROOT);
    }
    dsk_keystore_free(ks);
    sim_stop(&sim, NULL);
}

/* A wrong root: require refuses (and never caches), warn and off work. */
static void test_modes_with_wrong_root(void **state)
{
    dsk_test_sim sim;
    dsk_error e = {0};
    dsk_chain_verdict v;
    (void)state;
    sim_start(&sim, NULL, NULL, 0);
    dsk_keystore *ks = store(sim.sock, DSK_VERIFY_REQUIRE, SPOOF_ROOT, 1);
    dsk_key *k = add(ks, "web", "/my-app/tls", DSK_KEY_EC_P256);
    assert_int_equal(dsk_key_derive(k, &e), DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "key 'web' (path '/my-app/tls')"));
    assert_non_null(strstr(e.msg, sim.sock));
    assert_non_null(strstr(e.msg, DEV_ROOT));   /* recovered */
    assert_non_null(strstr(e.msg, SPOOF_ROOT)); /* pinned */
    assert_false(dsk_key_is_derived(k));
    assert_int_equal(dsk_key_derive(k, &e), DSK_E_REFUSED); /* tried again, not cached */
    assert_int_equal(dsk_keystore_getkey_calls(ks), 2);
    dsk_keystore_free(ks);

    ks = store(sim.sock, DSK_VERIFY_WARN, SPOOF_ROOT, 1);
    k = add(ks, "web", "/my-app/tls", DSK_KEY_EC_P256);
    assert_int_equal(dsk_key_derive(k, &e), DSK_OK);
    assert_int_equal(dsk_key_provenance(k, &v, &e), DSK_OK);
    assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
    assert_int_equal(v.failed_link, 1);
    dsk_keystore_free(ks);

    ks = store(sim.sock, DSK_VERIFY_OFF, NULL, 1);
    k = add(ks, "web", "/my-app/tls", DSK_KEY_EC_P256);
    assert_int_equal(dsk_key_derive(k, &e), DSK_OK);
    /* provenance still answers: no root pinned, the recovered one shown */
    assert_int_equal(dsk_key_provenance(k, &v, &e), DSK_OK);
    assert_int_equal(v.outcome, DSK_CHAIN_MISMATCH);
    assert_true(v.have_kms_root);
    kt_assert_hex(v.kms_root, 33, DEV_ROOT);
    dsk_keystore_free(ks);
    sim_stop(&sim, NULL);
}

static void test_spoofed_agent(void **state)
{
    dsk_test_sim sim;
    char file[256];
    dsk_error e = {0};
    (void)state;
    sim_start(&sim, SPOOF_KMS, file, sizeof file);
    dsk_keystore *ks = store(sim.sock, DSK_VERIFY_REQUIRE, DEV_ROOT, 0);
    dsk_key *k = add(ks, "wallet", "/eth/main-wallet", DSK_KEY_SECP256K1);
    assert_int_equal(dsk_key_derive(k, &e), DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, SPOOF_ROOT));
    assert_non_null(strstr(e.msg, DEV_ROOT));
    dsk_keystore_free(ks);
    /* the same agent is fine for whoever pins its root */
    ks = store(sim.sock, DSK_VERIFY_REQUIRE, SPOOF_ROOT, 1);
    k = add(ks, "wallet", "/eth/main-wallet", DSK_KEY_SECP256K1);
    assert_int_equal(dsk_key_derive(k, &e), DSK_OK);
    dsk_keystore_free(ks);
    sim_stop(&sim, file);
}

static void test_kms_less_agent(void **state)
{
    dsk_test_sim sim;
    char file[256];
    dsk_error e = {0};
    dsk_chain_verdict v;
    (void)state;
    sim_start(&sim, "none", file, sizeof file);
    dsk_keystore *ks = store(sim.sock, DSK_VERIFY_REQUIRE, DEV_ROOT, 1);
    dsk_key *k = add(ks, "ssh", "ssh", DSK_KEY_ED25519);
    assert_int_equal(dsk_key_derive(k, &e), DSK_E_REFUSED);
    assert_non_null(strstr(e.msg, "unanchored"));
    assert_non_null(strstr(e.msg, "no KMS"));
    dsk_keystore_free(ks);
    ks = store(sim.sock, DSK_VERIFY_WARN, DEV_ROOT, 1);
    k = add(ks, "ssh", "ssh", DSK_KEY_ED25519);
    assert_int_equal(dsk_key_provenance(k, &v, &e), DSK_OK);
    assert_int_equal(v.outcome, DSK_CHAIN_UNANCHORED);
    dsk_keystore_free(ks);
    sim_stop(&sim, file);
}

static char *statement_of(const char *sock, const char *path, dsk_key_type t)
{
    dsk_keystore *ks = store(sock, DSK_VERIFY_OFF, NULL, 0);
    dsk_key *k = add(ks, "k", path, t);
    char *json = NULL;
    dsk_error e = {0};
    if (dsk_key_statement(k, &json, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    dsk_keystore_free(ks);
    return json;
}

/* Statements verify offline, and are byte-identical in another store and
 * after a simulator restart (RFC 6979 signatures, deterministic JSON). */
static void test_statements(void **state)
{
    static const dsk_key_type types[] = {DSK_KEY_SECP256K1, DSK_KEY_ED25519, DSK_KEY_EC_P256,
                                         DSK_KEY_EC_P384, DSK_KEY_RSA_2048, DSK_KEY_TAPPD_P256};
    enum { N = sizeof types / sizeof types[0] };
    dsk_test_sim sim;
    unsigned char app[20], roots[1][33];
    char *first[N];
    (void)state;
    kt_hex(DEV_APP, app, 20);
    kt_hex(DEV_ROOT, roots[0], 33);
    sim_start(&sim, NULL, NULL, 0);
    for (size_t i = 0; i < N; i++) {
        dsk_statement *s = NULL;
        dsk_statement_report r;
        dsk_error e = {0};
        char *again;
        first[i] = statement_of(sim.sock, "prov/statement", types[i]);
        again = statement_of(sim.sock, "prov/statement", types[i]);
        assert_string_equal(first[i], again);
        free(again);
        if (dsk_statement_parse(first[i], strlen(first[i]), &s, &e) != DSK_OK)
            fail_msg("%s", e.msg);
        assert_int_equal(dsk_statement_verify(s, app, (const unsigned char(*)[33])roots, 1, &r),
                         DSK_OK);
        for (size_t c = 0; c < r.n_checks; c++)
            if (r.checks[c].ok != 1)
                fail_msg("%s: %s: %s", dsk_key_type_name(types[i]), r.checks[c].name,
                         r.checks[c].detail);
        assert_true(r.all_ok);
        assert_string_equal(s->path, "prov/statement");
        dsk_statement_free(s);
    }
    sim_stop(&sim, NULL);
    sim_start(&sim, NULL, NULL, 0);
    for (size_t i = 0; i < N; i++) {
        char *again = statement_of(sim.sock, "prov/statement", types[i]);
        assert_string_equal(first[i], again);
        free(again);
        free(first[i]);
    }
    sim_stop(&sim, NULL);
}

/* api = v1 keys: the chain of /v1/GetKey (the length-prefixed claim over
 * the domain) is anchored to the development root for both algorithms and
 * derived types; a v1 statement (second /v1/GetKey on the statement
 * domain) verifies offline, is byte-identical in another store, and read
 * as a v0 statement does not verify. A spoofed agent's v1 keys are refused. */
static void test_v1_anchored_and_statements(void **state)
{
    /* RSA v1 keys: anchored in the v1-api-v1 integration test (slow here
     * under valgrind); a derived type is covered by ec-p256. */
    static const dsk_key_type types[] = {DSK_KEY_SECP256K1, DSK_KEY_ED25519, DSK_KEY_EC_P256};
    dsk_test_sim sim;
    unsigned char app[20], root[1][33];
    char file[256];
    (void)state;
    kt_hex(DEV_APP, app, 20);
    kt_hex(DEV_ROOT, root[0], 33);
    sim_start(&sim, NULL, NULL, 0);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        dsk_keystore *ks = store(sim.sock, DSK_VERIFY_REQUIRE, DEV_ROOT, 0);
        dsk_key_desc d = {.label = dsk_key_type_name(types[i]),
                          .type = types[i],
                          .api = DSK_API_V1,
                          .domain = "prov/v1"};
        dsk_key *k = NULL;
        dsk_chain_verdict v;
        dsk_error e = {0};
        char *json = NULL, *again = NULL, want[DSK_STATEMENT_PURPOSE_MAX];
        dsk_statement *s = NULL;
        dsk_statement_report r;
        const unsigned char *spki;
        size_t spki_len;
        assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
        if (dsk_key_derive(k, &e) != DSK_OK) /* under require */
            fail_msg("%s", e.msg);
        assert_int_equal(dsk_key_provenance(k, &v, &e), DSK_OK);
        assert_int_equal(v.outcome, DSK_CHAIN_ANCHORED);
        kt_assert_hex(v.kms_root, 33, DEV_ROOT);
        if (dsk_key_statement(k, &json, &e) != DSK_OK)
            fail_msg("%s", e.msg);
        assert_int_equal(dsk_keystore_getkey_calls(ks), 2);
        dsk_keystore_free(ks);
        /* another store (another process): the same bytes */
        ks = store(sim.sock, DSK_VERIFY_OFF, NULL, 0);
        assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
        assert_int_equal(dsk_key_statement(k, &again, &e), DSK_OK);
        assert_string_equal(json, again);
        free(again);
        assert_int_equal(dsk_statement_parse(json, strlen(json), &s, &e), DSK_OK);
        assert_int_equal(s->api, DSK_CHAIN_V1);
        assert_string_equal(s->path, "prov/v1"); /* the key's domain, information only */
        assert_int_equal(dsk_key_spki(k, &spki, &spki_len, NULL), DSK_OK);
        assert_int_equal(dsk_statement_purpose(d.label, spki, spki_len, want, NULL), DSK_OK);
        assert_int_equal(s->purpose_len, strlen(want));
        assert_memory_equal(s->purpose, want, s->purpose_len);
        /* the chain covers the statement domain's throw-away key, not the
         * key's own (for these two types the SPKI's key is the agent's) */
        if (types[i] == DSK_KEY_ED25519) {
            assert_int_equal(s->chain_pubkey_len, 32);
            assert_memory_not_equal(s->chain_pubkey, spki + spki_len - 32, 32);
        } else if (types[i] == DSK_KEY_SECP256K1) {
            unsigned char own[33];
            const unsigned char *pt = spki + spki_len - 65; /* 04 || X || Y */
            assert_int_equal(pt[0], 4);
            own[0] = (unsigned char)(2 + (pt[64] & 1));
            memcpy(own + 1, pt + 1, 32);
            assert_int_equal(s->chain_pubkey_len, 33);
            assert_memory_not_equal(s->chain_pubkey, own, 33);
            /* and the v0 statement check would refuse exactly that */
            s->api = DSK_CHAIN_V0;
            assert_int_equal(
                dsk_statement_verify(s, app, (const unsigned char(*)[33])root, 1, &r), DSK_OK);
            assert_string_equal(r.checks[2].name, "key type");
            assert_int_equal(r.checks[2].ok, 0);
            s->api = DSK_CHAIN_V1;
        }
        assert_int_equal(dsk_statement_verify(s, app, (const unsigned char(*)[33])root, 1, &r),
                         DSK_OK);
        if (!r.all_ok)
            fail_msg("%s: v1 statement does not verify: %s", d.label,
                     r.checks[r.n_checks - 1].detail);
        s->api = DSK_CHAIN_V0; /* the same bytes read as a v0 claim: no anchor */
        assert_int_equal(dsk_statement_verify(s, app, (const unsigned char(*)[33])root, 1, &r),
                         DSK_OK);
        assert_false(r.all_ok);
        dsk_statement_free(s);
        free(json);
        dsk_keystore_free(ks);
    }
    sim_stop(&sim, NULL);

    sim_start(&sim, SPOOF_KMS, file, sizeof file);
    {
        dsk_keystore *ks = store(sim.sock, DSK_VERIFY_REQUIRE, DEV_ROOT, 0);
        dsk_key_desc d = {
            .label = "v1web", .type = DSK_KEY_EC_P256, .api = DSK_API_V1, .domain = "my-app/tls"};
        dsk_key *k = NULL;
        dsk_error e = {0};
        assert_int_equal(dsk_keystore_add(ks, &d, &k, NULL), DSK_OK);
        assert_int_equal(dsk_key_derive(k, &e), DSK_E_REFUSED);
        assert_non_null(strstr(e.msg, SPOOF_ROOT));
        assert_non_null(strstr(e.msg, DEV_ROOT));
        assert_non_null(strstr(e.msg, "api v1, domain 'my-app/tls'"));
        dsk_keystore_free(ks);
    }
    sim_stop(&sim, file);
}

static void test_public_only_and_args(void **state)
{
    dsk_keystore *ks = kt_store(NULL);
    dsk_key *k = kt_key(ks, "m", DSK_KEY_EC_P256, "seed");
    dsk_chain_verdict v;
    dsk_error e = {0};
    char *json = NULL;
    dsk_trust_opts t = {.verify = DSK_VERIFY_REQUIRE};
    (void)state;
    /* derived from material: no chain */
    assert_int_equal(dsk_key_provenance(k, &v, &e), DSK_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "no signature chain"));
    assert_int_equal(dsk_key_provenance(NULL, &v, &e), DSK_E_ARGS);
    assert_int_equal(dsk_key_statement(NULL, &json, &e), DSK_E_ARGS);
    /* require without a root is a configuration error */
    assert_int_equal(dsk_keystore_set_trust(ks, &t, &e), DSK_E_CONFIG);
    assert_non_null(strstr(e.msg, "kms_root"));
    dsk_keystore_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_anchored),
        cmocka_unit_test(test_modes_with_wrong_root),
        cmocka_unit_test(test_spoofed_agent),
        cmocka_unit_test(test_kms_less_agent),
        cmocka_unit_test(test_statements),
        cmocka_unit_test(test_v1_anchored_and_statements),
        cmocka_unit_test(test_public_only_and_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
