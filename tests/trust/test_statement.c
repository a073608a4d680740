/* trust/statement.c: format is deterministic and parse gives back every
 * field; parse refuses, naming the field, every malformed document (not
 * JSON, missing or mistyped fields, unknown format or api, bad hex, bad
 * base64, bad chain arrays); unknown extra fields are ignored. */
#include "trusttest.h"

static char *format_ok(const dsk_statement *s)
{
    char *json = NULL;
    dsk_error e = {0};
    if (dsk_statement_format(s, &json, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    return json;
}

static void test_round_trip(void **state)
{
    tt_statement t;
    dsk_statement *p = NULL;
    dsk_error e = {0};
    char *json, *again;
    (void)state;
    tt_statement_make(&t, "ec-p256");
    json = format_ok(&t.s);
    again = format_ok(&t.s);
    assert_string_equal(json, again); /* deterministic */
    assert_int_equal(json[strlen(json) - 1], '\n');
    assert_non_null(strstr(json, "\"format\":\t\"dstack-pkcs11/statement/v1\""));
    assert_int_equal(dsk_statement_parse(json, strlen(json), &p, &e), DSK_OK);
    assert_string_equal(p->format, DSK_STATEMENT_FORMAT);
    assert_int_equal(p->api, DSK_CHAIN_V0);
    assert_memory_equal(p->app_id, t.s.app_id, 20);
    assert_string_equal(p->key_type, "ec-p256");
    assert_int_equal(p->spki_len, t.s.spki_len);
    assert_memory_equal(p->spki, t.s.spki, t.s.spki_len);
    assert_string_equal(p->algorithm, "secp256k1");
    assert_int_equal(p->purpose_len, t.s.purpose_len);
    assert_memory_equal(p->purpose, t.s.purpose, t.s.purpose_len);
    assert_int_equal(p->chain_pubkey_len, 33);
    assert_memory_equal(p->chain_pubkey, t.s.chain_pubkey, 33);
    assert_memory_equal(p->link0, t.s.link0, 65);
    assert_int_equal(p->link1_len, 65);
    assert_memory_equal(p->link1, t.s.link1, 65);
    assert_string_equal(p->label, "wallet");
    assert_string_equal(p->path, "test/wallet");
    /* the parsed statement formats to the same bytes */
    free(again);
    again = format_ok(p);
    assert_string_equal(json, again);
    dsk_statement_free(p);
    free(json);
    free(again);
}

static void test_optional_and_v1(void **state)
{
    tt_statement t;
    dsk_statement *p = NULL;
    dsk_error e = {0};
    char *json;
    static const unsigned char domain[] = {'k', 0, ':', 'e', 'y'};
    (void)state;
    tt_statement_make(&t, "secp256k1");
    t.s.label = NULL;
    t.s.path = NULL;
    t.s.link1_len = 0;
    t.s.api = DSK_CHAIN_V1;
    t.s.purpose = domain;
    t.s.purpose_len = sizeof domain;
    json = format_ok(&t.s);
    assert_null(strstr(json, "label"));
    assert_non_null(strstr(json, "\"domain_hex\":\t\"6b003a6579\""));
    assert_int_equal(dsk_statement_parse(json, strlen(json), &p, &e), DSK_OK);
    assert_null(p->label);
    assert_null(p->path);
    assert_int_equal(p->link1_len, 0);
    assert_int_equal(p->api, DSK_CHAIN_V1);
    assert_int_equal(p->purpose_len, 5);
    assert_memory_equal(p->purpose, domain, 5);
    dsk_statement_free(p);
    free(json);
}

/* Replace the first occurrence of from with to in json; returns malloc'd. */
static char *replace(const char *json, const char *from, const char *to)
{
    const char *at = strstr(json, from);
    size_t n = strlen(json) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    assert_non_null(at);
    memcpy(out, json, (size_t)(at - json));
    strcpy(out + (at - json), to);
    strcat(out, at + strlen(from));
    return out;
}

static void expect_refused(const char *json, const char *msg)
{
    dsk_statement *p = (dsk_statement *)1;
    dsk_error e = {0};
    assert_int_equal(dsk_statement_parse(json, strlen(json), &p, &e), DSK_E_BAD_INPUT);
    assert_null(p);
    if (!strstr(e.msg, msg))
        fail_msg("'%s' lacks '%s' (input %.200s)", e.msg, msg, json);
}

static void test_refusals(void **state)
{
    tt_statement t;
    char *json, *bad;
    char hex0[131], app[41];
    (void)state;
    tt_statement_make(&t, "ec-p256");
    json = format_ok(&t.s);
    dsk_hex_encode(t.s.link0, 65, hex0);
    dsk_hex_encode(t.s.app_id, 20, app);
    expect_refused("", "not valid JSON");
    expect_refused("{", "not valid JSON");
    expect_refused("[1]", "not a JSON object");
    expect_refused("{}", "'format' is missing");
    static const struct {
        const char *from, *to, *msg;
    } cases[] = {
        {"\"format\"", "\"formot\"", "'format' is missing"},
        {"dstack-pkcs11/statement/v1\"", "dstack-pkcs11/statement/v9\"", "unknown format"},
        {"\"api\":\t\"v0\"", "\"api\":\t0", "'api' is not a string"},
        {"\"api\":\t\"v0\"", "\"api\":\t\"v2\"", "'api' must be"},
        {"\"key_type\"", "\"key-type\"", "'key_type' is missing"},
        {"\"spki\":\t\"", "\"spki\":\t\"!", "'spki' must be the base64"},
        {"\"spki\":\t\"", "\"spki\":\t\" ", "'spki' must be the base64"},
        {"\"spki\":\t\"", "\"spki\":\t\"A", "'spki' must be the base64"},
        {"\"algorithm\":\t\"secp256k1\"", "\"algorithm\":\t\"k256\"", "'algorithm' must be"},
        {"\"purpose\"", "\"porpose\"", "'purpose' is missing"},
        {"\"chain_public_key\":\t\"03", "\"chain_public_key\":\t\"0", "'chain_public_key' must be 33"},
        {"\"signature_chain\"", "\"signature_chian\"", "'signature_chain' must be an array"},
        {"\"label\":\t\"wallet\"", "\"label\":\t7", "'label' is not a string"},
        {"\"path\":\t\"test/wallet\"", "\"path\":\tnull", "'path' is not a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bad = replace(json, cases[i].from, cases[i].to);
        expect_refused(bad, cases[i].msg);
        free(bad);
    }
    /* upper-case hex, short hex, one-element and three-element chains */
    char up[41];
    strcpy(up, app);
    for (char *c = up; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    if (strcmp(up, app) != 0) {
        bad = replace(json, app, up);
        expect_refused(bad, "'app_id' must be 20 bytes of lowercase hex");
        free(bad);
    }
    bad = replace(json, app, "5bb4");
    expect_refused(bad, "'app_id' must be 20 bytes");
    free(bad);
    char chain0[200];
    snprintf(chain0, sizeof chain0, "\"%s\",", hex0);
    bad = replace(json, chain0, "");
    expect_refused(bad, "'signature_chain' must be an array of two");
    free(bad);
    snprintf(chain0, sizeof chain0, "\"%s\"", hex0);
    char three[300];
    snprintf(three, sizeof three, "\"%s\", \"\", \"\"", hex0);
    bad = replace(json, chain0, "\"00\"");
    expect_refused(bad, "signature_chain[0] must be 65 bytes");
    free(bad);
    bad = replace(json, "\"signature_chain\":\t[", "\"signature_chain\":\t[\"\", ");
    expect_refused(bad, "'signature_chain' must be an array of two");
    free(bad);
    /* an extra unknown field is ignored */
    bad = replace(json, "{", "{\"future\": [1, 2],");
    {
        dsk_statement *p = NULL;
        assert_int_equal(dsk_statement_parse(bad, strlen(bad), &p, NULL), DSK_OK);
        dsk_statement_free(p);
    }
    free(bad);
    free(json);
}

static void test_format_args(void **state)
{
    tt_statement t;
    char *json = NULL;
    dsk_error e = {0};
    (void)state;
    tt_statement_make(&t, "ec-p256");
    t.s.chain_pubkey_len = 32; /* secp256k1 needs 33 */
    assert_int_equal(dsk_statement_format(&t.s, &json, &e), DSK_E_ARGS);
    tt_statement_make(&t, "ec-p256");
    t.s.link1_len = 64;
    assert_int_equal(dsk_statement_format(&t.s, &json, &e), DSK_E_ARGS);
    tt_statement_make(&t, "ec-p256");
    t.s.purpose = (const unsigned char *)"a\0b";
    t.s.purpose_len = 3;
    assert_int_equal(dsk_statement_format(&t.s, &json, &e), DSK_E_ARGS);
    assert_int_equal(dsk_statement_format(NULL, &json, &e), DSK_E_ARGS);
    assert_int_equal(dsk_statement_parse(NULL, 0, NULL, &e), DSK_E_ARGS);
    dsk_statement_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_optional_and_v1),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_format_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
