/* trust/verify.c: a valid statement passes every check in order; every
 * refusal names the check that failed and leaves the later ones "not
 * checked": each byte class tampered (SPKI, purpose, chain key, links, app
 * id, type), a wrong expected app id, a wrong or no root, an empty link 1,
 * an unknown format; v1 statements (the statement domain, the
 * length-prefixed claim over the throw-away key) and tappd-p256 too. */
#include "trusttest.h"

static unsigned char app[20], roots[2][33];

static int setup(void **state)
{
    (void)state;
    tt_hex(TT_APP_ID, app, 20);
    tt_hex(TT_ROOT, roots[0], 33);
    tt_hex(TT_OTHER_ROOT, roots[1], 33);
    return 0;
}

static dsk_statement_report verify_with(const dsk_statement *s, const unsigned char *id,
                                        size_t root_from, size_t n_roots)
{
    dsk_statement_report r;
    assert_int_equal(dsk_statement_verify(s, id, (const unsigned char(*)[33])roots[root_from],
                                          n_roots, &r),
                     DSK_OK);
    assert_int_equal(r.n_checks, 6);
    assert_non_null(r.not_checked);
    assert_non_null(strstr(r.not_checked, "path"));
    return r;
}

/* The first failing check is `name`; everything before held, everything
 * after was not run; all_ok is 0. */
static void expect_fail(const dsk_statement_report *r, const char *name, const char *detail)
{
    size_t i = 0;
    assert_false(r->all_ok);
    while (i < r->n_checks && r->checks[i].ok == 1)
        i++;
    assert_true(i < r->n_checks);
    if (strcmp(r->checks[i].name, name) != 0)
        fail_msg("failed at '%s' (%s), expected '%s'", r->checks[i].name, r->checks[i].detail, name);
    assert_int_equal(r->checks[i].ok, 0);
    if (detail && !strstr(r->checks[i].detail, detail))
        fail_msg("'%s' lacks '%s'", r->checks[i].detail, detail);
    for (i++; i < r->n_checks; i++)
        assert_int_equal(r->checks[i].ok, -1);
}

static void test_valid_statements(void **state)
{
    static const char *const types[] = {"secp256k1", "ec-p256"};
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        tt_statement t;
        dsk_statement_report r;
        tt_statement_make(&t, types[i]);
        r = verify_with(&t.s, app, 0, 1);
        for (size_t c = 0; c < r.n_checks; c++)
            if (r.checks[c].ok != 1)
                fail_msg("%s: %s", r.checks[c].name, r.checks[c].detail);
        assert_true(r.all_ok);
        assert_string_equal(r.checks[0].name, "format");
        assert_string_equal(r.checks[5].name, "link 1");
        assert_int_equal(r.chain.outcome, DSK_CHAIN_ANCHORED);
        /* two pinned roots, the first matches; only the other: refused */
        assert_true(verify_with(&t.s, app, 0, 2).all_ok);
        r = verify_with(&t.s, app, 1, 1);
        expect_fail(&r, "link 1", TT_OTHER_ROOT);
    }
}

static void test_wrong_app_id(void **state)
{
    tt_statement t;
    unsigned char other[20];
    dsk_statement_report r;
    (void)state;
    tt_statement_make(&t, "ec-p256");
    memcpy(other, app, 20);
    other[0] ^= 0x80;
    r = verify_with(&t.s, other, 0, 1);
    expect_fail(&r, "app id", TT_APP_ID);
    /* a statement claiming the expected app id but signed for another */
    t.s.app_id[5] ^= 1;
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "app id", NULL);
}

static void test_wrong_or_no_root(void **state)
{
    tt_statement t;
    dsk_statement_report r;
    (void)state;
    tt_statement_make(&t, "secp256k1");
    r = verify_with(&t.s, app, 1, 1);
    expect_fail(&r, "link 1", TT_ROOT);
    r = verify_with(&t.s, app, 0, 0);
    expect_fail(&r, "link 1", "pinned: none");
}

static void test_empty_link1(void **state)
{
    tt_statement t;
    dsk_statement_report r;
    (void)state;
    tt_statement_make(&t, "secp256k1");
    t.s.link1_len = 0;
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "link 1", "no KMS");
    assert_int_equal(r.chain.outcome, DSK_CHAIN_UNANCHORED);
}

/* t as a v1 statement: the same text as the statement's GetKey domain,
 * link 0 signed over the v1 (length-prefixed) claim; the chain key stands
 * for the throw-away key of that domain. */
static void make_v1(tt_statement *t, const char *type)
{
    tt_statement_make(t, type);
    t->s.api = DSK_CHAIN_V1;
    tt_sign_link0(&t->s);
}

/* Every byte of the SPKI, purpose (v0) or domain (v1), chain key and links,
 * one bit flipped: some check fails, never all_ok. */
static void test_every_byte_tampered(void **state)
{
    static const char *const types[] = {"secp256k1", "ec-p256", "secp256k1"};
    (void)state;
    for (size_t ti = 0; ti < 3; ti++) {
        tt_statement t;
        if (ti < 2)
            tt_statement_make(&t, types[ti]);
        else
            make_v1(&t, types[ti]);
        struct {
            unsigned char *p;
            size_t len;
        } parts[] = {
            {t.spki, t.s.spki_len},
            {(unsigned char *)t.purpose, t.s.purpose_len},
            {t.s.chain_pubkey, t.s.chain_pubkey_len},
            {t.s.link0, 65},
            {t.s.link1, 65},
        };
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
            for (size_t j = 0; j < parts[i].len; j++) {
                dsk_statement_report r;
                parts[i].p[j] ^= 0x01;
                r = verify_with(&t.s, app, 0, 1);
                if (r.all_ok)
                    fail_msg("%s: part %zu byte %zu tampered and still verified", types[ti], i, j);
                parts[i].p[j] ^= 0x01;
            }
        }
        assert_true(verify_with(&t.s, app, 0, 1).all_ok);
    }
}

/* Each field class fails at the check that covers it. */
static void test_failures_name_the_check(void **state)
{
    tt_statement t;
    dsk_statement_report r;
    (void)state;
    tt_statement_make(&t, "ec-p256");
    t.purpose[strlen(t.purpose) - 1] ^= 1;
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "purpose", "SHA-256 of the SPKI");

    tt_statement_make(&t, "ec-p256");
    t.spki[t.s.spki_len - 1] ^= 1; /* still a point? either way not this statement */
    r = verify_with(&t.s, app, 0, 1);
    assert_false(r.all_ok);

    tt_statement_make(&t, "ec-p256");
    t.s.spki_len -= 1;
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "key type", "not a DER");

    tt_statement_make(&t, "ec-p256");
    t.s.key_type = "ec-p384"; /* the SPKI is P-256 */
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "key type", "not a ec-p384 key");

    tt_statement_make(&t, "ec-p256");
    t.s.key_type = "dsa";
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "key type", "unknown key type");

    tt_statement_make(&t, "ec-p256");
    t.s.algorithm = "ed25519";
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "key type", NULL);

    /* secp256k1: the SPKI must be the chain key itself */
    tt_statement_make(&t, "secp256k1");
    tt_hex(TT_APP_PUB, t.s.chain_pubkey, 33);
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "key type", "not the chain's public key");

    tt_statement_make(&t, "ec-p256");
    t.s.link0[64] = 9;
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "link 0", "recovery id");

    tt_statement_make(&t, "ec-p256");
    t.s.format = "dstack-pkcs11/statement/v2";
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "format", NULL);

}

/* v1 statements (docs/provenance.md "v1 statements"): valid ones pass,
 * their check 4 is called "domain"; the same document read under the
 * other API's claim encoding recovers another app key and is refused; the
 * SPKI of a v1 secp256k1 / ed25519 key need not be the chain key (the
 * chain covers the statement domain's throw-away key). */
static void test_v1_statements(void **state)
{
    static const char *const types[] = {"secp256k1", "ec-p256", "tappd-p256"};
    unsigned char app_pub[33];
    (void)state;
    tt_hex(TT_APP_PUB, app_pub, 33);
    for (size_t i = 0; i < 3; i++) {
        tt_statement t;
        dsk_statement_report r;
        make_v1(&t, types[i]);
        r = verify_with(&t.s, app, 0, 1);
        for (size_t c = 0; c < r.n_checks; c++)
            if (r.checks[c].ok != 1)
                fail_msg("%s: %s: %s", types[i], r.checks[c].name, r.checks[c].detail);
        assert_true(r.all_ok);
        assert_string_equal(r.checks[0].detail, DSK_STATEMENT_FORMAT ", api v1");
        assert_string_equal(r.checks[3].name, "domain");
        assert_non_null(strstr(r.checks[4].detail, "v1 (length-prefixed)"));
        tt_assert_hex(r.chain.app_pubkey, 33, TT_APP_PUB);
        /* read as v0: the v0 claim, another digest: not this app's key */
        t.s.api = DSK_CHAIN_V0;
        r = verify_with(&t.s, app, 0, 1);
        assert_false(r.all_ok);
        assert_int_equal(r.chain.outcome, DSK_CHAIN_MISMATCH);
        assert_false(r.chain.have_app_pubkey && memcmp(r.chain.app_pubkey, app_pub, 33) == 0);
        t.s.api = DSK_CHAIN_V1;
        /* a domain naming another SPKI: refused at "domain" */
        t.purpose[strlen(t.purpose) - 1] ^= 1;
        r = verify_with(&t.s, app, 0, 1);
        expect_fail(&r, "domain", "SHA-256 of the SPKI");
    }
    /* a v0 statement read as v1: refused too */
    {
        tt_statement t;
        dsk_statement_report r;
        tt_statement_make(&t, "ec-p256");
        t.s.api = DSK_CHAIN_V1;
        r = verify_with(&t.s, app, 0, 1);
        assert_false(r.all_ok);
        assert_int_equal(r.chain.outcome, DSK_CHAIN_MISMATCH);
    }
    /* v1 secp256k1: the SPKI is another secp256k1 key than the chain's */
    {
        tt_statement t;
        dsk_statement_report r;
        unsigned char other[33];
        tt_hex(TT_APP_PUB, other, 33);
        make_v1(&t, "secp256k1");
        t.s.spki_len = tt_ec_spki("secp256k1", other, 33, t.spki);
        assert_int_equal(dsk_statement_purpose("secp256k1", t.spki, t.s.spki_len, t.purpose, NULL),
                         DSK_OK);
        tt_sign_link0(&t.s);
        r = verify_with(&t.s, app, 0, 1);
        assert_true(r.all_ok);
        /* the same under v0 is refused at "key type" */
        t.s.api = DSK_CHAIN_V0;
        tt_sign_link0(&t.s);
        r = verify_with(&t.s, app, 0, 1);
        expect_fail(&r, "key type", "not the chain's public key");
    }
}

/* tappd-p256 (docs/derivation.md section 10): a P-256 key whose scalar is
 * M; its v0 statement verifies like ec-p256's, and its SPKI must be P-256. */
static void test_tappd_p256(void **state)
{
    tt_statement t;
    dsk_statement_report r;
    (void)state;
    tt_statement_make(&t, "tappd-p256");
    r = verify_with(&t.s, app, 0, 1);
    assert_true(r.all_ok);
    assert_string_equal(r.checks[2].detail, "tappd-p256");
    t.s.key_type = "ec-p384";
    r = verify_with(&t.s, app, 0, 1);
    expect_fail(&r, "key type", "not a ec-p384 key");
}

static void test_purpose_and_args(void **state)
{
    tt_statement t;
    dsk_statement_report r;
    char p[DSK_STATEMENT_PURPOSE_MAX];
    unsigned char spki[] = "abc";
    (void)state;
    /* SHA-256("abc") */
    assert_int_equal(dsk_statement_purpose("rsa-2048", spki, 3, p, NULL), DSK_OK);
    assert_string_equal(p, "dstack-pkcs11/statement/v1:rsa-2048:"
                           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(dsk_statement_purpose("rsa-1024", spki, 3, p, NULL), DSK_E_ARGS);
    tt_statement_make(&t, "ec-p256");
    assert_int_equal(dsk_statement_verify(NULL, app, NULL, 0, &r), DSK_E_ARGS);
    assert_int_equal(dsk_statement_verify(&t.s, NULL, NULL, 0, &r), DSK_E_ARGS);
    assert_int_equal(dsk_statement_verify(&t.s, app, NULL, 1, &r), DSK_E_ARGS);
    assert_int_equal(dsk_statement_verify(&t.s, app, NULL, 0, NULL), DSK_E_ARGS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_statements),
        cmocka_unit_test(test_wrong_app_id),
        cmocka_unit_test(test_wrong_or_no_root),
        cmocka_unit_test(test_empty_link1),
        cmocka_unit_test(test_every_byte_tampered),
        cmocka_unit_test(test_failures_name_the_check),
        cmocka_unit_test(test_v1_statements),
        cmocka_unit_test(test_tappd_p256),
        cmocka_unit_test(test_purpose_and_args),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
