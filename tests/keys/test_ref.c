/* keys/ref.c: dstack: URI parsing, percent-decoding, resolution against
 * a configuration, and the reference PEM both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ref.h"

static void test_label(void **state)
{
    dsk_ref r;
    dsk_error err = {0};
    assert_int_equal(dsk_ref_parse("dstack:web", &r, &err), DSK_OK);
    assert_string_equal(r.label, "web");
    assert_null(r.path);
    assert_string_equal(r.uri, "dstack:web");
    dsk_ref_clear(&r);
    assert_int_equal(dsk_ref_parse("dstack:my%20key%2Fa", &r, &err), DSK_OK);
    assert_string_equal(r.label, "my key/a");
    dsk_ref_clear(&r);
}

static void test_inline(void **state)
{
    dsk_ref r;
    dsk_error err = {0};
    assert_int_equal(dsk_ref_parse("dstack:path=/a%3Bb%3Dc;type=rsa-3072;purpose=tls", &r, &err),
                     DSK_OK);
    assert_null(r.label);
    assert_string_equal(r.path, "/a;b=c");
    assert_string_equal(r.purpose, "tls");
    assert_int_equal(r.type, DSK_KEY_RSA_3072);
    dsk_ref_clear(&r);
    /* type defaults to ec-p256 */
    assert_int_equal(dsk_ref_parse("dstack:path=x", &r, &err), DSK_OK);
    assert_int_equal(r.type, DSK_KEY_EC_P256);
    assert_null(r.purpose);
    dsk_ref_clear(&r);
}

/* Issue 13, items 11-12: the empty path can be named inline, and a URI of
 * exactly DSK_URI_MAX bytes is accepted everywhere (one more is refused). */
static void test_empty_path_and_limit(void **state)
{
    char uri[DSK_URI_MAX + 2], *pem, *back = NULL;
    const char *body, *end;
    dsk_ref r;
    dsk_error err = {0};

    assert_int_equal(dsk_ref_parse("dstack:path=;type=ec-p384", &r, &err), DSK_OK);
    assert_string_equal(r.path, "");
    assert_int_equal(r.type, DSK_KEY_EC_P384);
    dsk_ref_clear(&r);
    assert_int_equal(dsk_ref_parse("dstack:path=", &r, &err), DSK_OK);
    assert_string_equal(r.path, "");
    dsk_ref_clear(&r);

    memcpy(uri, "dstack:path=", 12);
    memset(uri + 12, 'p', DSK_URI_MAX - 12);
    uri[DSK_URI_MAX] = '\0';
    assert_int_equal(strlen(uri), DSK_URI_MAX);
    if (dsk_ref_parse(uri, &r, &err) != DSK_OK)
        fail_msg("%d-byte URI refused: %s", DSK_URI_MAX, err.msg);
    assert_int_equal(strlen(r.path), DSK_URI_MAX - 12);
    dsk_ref_clear(&r);
    pem = dsk_ref_pem(uri);
    body = pem + 37;
    end = strstr(body, "-----END");
    if (dsk_ref_from_base64(body, (size_t)(end - body), &back, &err) != DSK_OK)
        fail_msg("%d-byte URI in a reference refused: %s", DSK_URI_MAX, err.msg);
    assert_string_equal(back, uri);
    free(back);
    free(pem);

    uri[DSK_URI_MAX] = 'p';
    uri[DSK_URI_MAX + 1] = '\0';
    assert_int_not_equal(dsk_ref_parse(uri, &r, &err), DSK_OK);
    assert_string_equal(err.msg, "dstack: URI longer than 2048 bytes");
    pem = dsk_ref_pem(uri);
    body = pem + 37;
    end = strstr(body, "-----END");
    assert_int_not_equal(dsk_ref_from_base64(body, (size_t)(end - body), &back, &err), DSK_OK);
    assert_string_equal(err.msg, "DSTACK KEY REFERENCE block: URI longer than 2048 bytes");
    free(pem);
}

static void test_errors(void **state)
{
    static const struct {
        const char *uri, *msg;
    } bad[] = {
        {"file:web", "not a dstack: URI"},
        {"dstack:", "empty dstack: URI"},
        {"dstack:type=ec-p256", "no path"},
        {"dstack:path=/x;colour=red", "unknown field 'colour'"},
        {"dstack:path=/x;path=/y", "given twice"},
        {"dstack:path=%4;type=ec-p256", "bad %-escape"},
        {"dstack:path=%00;type=ec-p256", "bad %-escape"},
        {"dstack:path=/x;type=ec-p999", "ec-p999"},
        {"dstack:path=/x;oops", "not name=value"},
        {"dstack:we%zzb", "bad label"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dsk_ref r;
        dsk_error err = {0};
        assert_int_not_equal(dsk_ref_parse(bad[i].uri, &r, &err), DSK_OK);
        if (strstr(err.msg, bad[i].msg) == NULL)
            fail_msg("%s: message '%s' lacks '%s'", bad[i].uri, err.msg, bad[i].msg);
    }
}

static void test_resolve(void **state)
{
    struct {
        dsk_conf *conf;
        dsk_keystore *ks;
    } p = {0};
    dsk_error err = {0};
    dsk_client_opts o = {.endpoint = "/nonexistent/dsk-ref-test.sock"};
    dsk_ref r;
    dsk_key *k = NULL, *k2 = NULL;

    assert_int_equal(dsk_conf_parse("[key web]\npath = /app/web\ntype = ec-p384\n", "/etc/x.conf",
                                    &p.conf, &err),
                     DSK_OK);
    assert_int_equal(dsk_keystore_new(&o, &p.ks, &err), DSK_OK);
    assert_int_equal(dsk_keystore_add_conf(p.ks, p.conf, &err), DSK_OK);

    assert_int_equal(dsk_ref_parse("dstack:web", &r, &err), DSK_OK);
    assert_int_equal(dsk_ref_resolve(p.ks, p.conf, "use --conf", &r, &k, &err), DSK_OK);
    assert_string_equal(dsk_key_path(k), "/app/web");
    assert_int_equal(dsk_key_get_type(k), DSK_KEY_EC_P384);
    dsk_ref_clear(&r);

    assert_int_equal(dsk_ref_parse("dstack:path=/app/web;type=ec-p384", &r, &err), DSK_OK);
    assert_int_equal(dsk_ref_resolve(p.ks, p.conf, "use --conf", &r, &k2, &err), DSK_OK);
    assert_string_equal(dsk_key_path(k2), "/app/web");
    dsk_ref_clear(&r);

    /* RSA keys sign only unless the URI asks for decrypt (issue 13, 14). */
    assert_int_equal(dsk_ref_parse("dstack:path=/r;type=rsa-2048", &r, &err), DSK_OK);
    assert_int_equal(dsk_ref_resolve(p.ks, p.conf, "use --conf", &r, &k2, &err), DSK_OK);
    assert_int_equal(dsk_key_usage(k2), DSK_USAGE_SIGN);
    dsk_ref_clear(&r);
    assert_int_equal(dsk_ref_parse("dstack:path=/r;type=rsa-2048;usage=sign,decrypt", &r, &err),
                     DSK_OK);
    assert_int_equal(dsk_ref_resolve(p.ks, p.conf, "use --conf", &r, &k2, &err), DSK_OK);
    assert_int_equal(dsk_key_usage(k2), DSK_USAGE_SIGN | DSK_USAGE_DECRYPT);
    dsk_ref_clear(&r);
    assert_int_not_equal(dsk_ref_parse("dstack:path=/r;usage=fly", &r, &err), DSK_OK);
    assert_non_null(strstr(err.msg, "unknown usage 'fly'"));

    /* inline_keys = no: only configured labels resolve. */
    p.conf->inline_keys = 0;
    assert_int_equal(dsk_ref_parse("dstack:path=/app/web;type=ec-p384", &r, &err), DSK_OK);
    assert_int_equal(dsk_ref_resolve(p.ks, p.conf, "use --conf", &r, &k2, &err), DSK_E_CONFIG);
    assert_string_equal(err.msg, "inline dstack: URIs are turned off (inline_keys = no): name a "
                                 "configured key, dstack:LABEL, instead of "
                                 "dstack:path=/app/web;type=ec-p384");
    dsk_ref_clear(&r);
    assert_int_equal(dsk_ref_parse("dstack:web", &r, &err), DSK_OK);
    assert_int_equal(dsk_ref_resolve(p.ks, p.conf, "use --conf", &r, &k, &err), DSK_OK);
    dsk_ref_clear(&r);
    p.conf->inline_keys = 1;

    assert_int_equal(dsk_ref_parse("dstack:other", &r, &err), DSK_OK);
    assert_int_equal(dsk_ref_resolve(p.ks, p.conf, "use --conf", &r, &k, &err), DSK_E_NOT_FOUND);
    assert_non_null(strstr(err.msg, "'other'"));
    assert_non_null(strstr(err.msg, "/etc/x.conf"));
    dsk_ref_clear(&r);
    dsk_keystore_free(p.ks);
    dsk_conf_free(p.conf);

    /* No file: the message says which file was missing and how this front
     * end is pointed at another. */
    assert_int_equal(dsk_conf_new_default(&p.conf, &err), DSK_OK);
    p.conf->missing_file = strdup("/etc/none.conf");
    assert_int_equal(dsk_keystore_new(&o, &p.ks, &err), DSK_OK);
    assert_int_equal(dsk_ref_parse("dstack:web", &r, &err), DSK_OK);
    assert_int_equal(dsk_ref_resolve(p.ks, p.conf, "use --conf", &r, &k, &err), DSK_E_NOT_FOUND);
    assert_non_null(strstr(err.msg, "/etc/none.conf does not exist (use --conf)"));
    dsk_ref_clear(&r);
    dsk_keystore_free(p.ks);
    dsk_conf_free(p.conf);
}

static void test_pem_roundtrip(void **state)
{
    /* A long URI spans several base64 lines. */
    char uri[300];
    const char *uris[] = {"dstack:web", uri};
    memcpy(uri, "dstack:path=", 12);
    memset(uri + 12, 'p', sizeof uri - 13);
    uri[sizeof uri - 1] = '\0';
    for (size_t i = 0; i < 2; i++) {
        char *pem = dsk_ref_pem(uris[i]), *back = NULL;
        const char *body, *end;
        dsk_error err = {0};
        assert_non_null(pem);
        assert_int_equal(strncmp(pem, "-----BEGIN DSTACK KEY REFERENCE-----\n", 37), 0);
        body = pem + 37;
        end = strstr(body, "-----END DSTACK KEY REFERENCE-----\n");
        assert_non_null(end);
        assert_string_equal(end, "-----END DSTACK KEY REFERENCE-----\n");
        for (const char *l = body; l < end;) {
            const char *nl = strchr(l, '\n');
            assert_true(nl - l <= 64);
            l = nl + 1;
        }
        assert_int_equal(dsk_ref_from_base64(body, (size_t)(end - body), &back, &err), DSK_OK);
        assert_string_equal(back, uris[i]);
        free(back);
        free(pem);
    }
}

static void test_base64_rejects(void **state)
{
    char *uri = NULL;
    dsk_error err = {0};
    /* "file:/etc/passwd", "dsta", invalid base64, embedded NUL ("dstack:\0x") */
    assert_int_not_equal(dsk_ref_from_base64("ZmlsZTovZXRjL3Bhc3N3ZA==", 24, &uri, &err), DSK_OK);
    assert_int_not_equal(dsk_ref_from_base64("ZHN0YQ==", 8, &uri, &err), DSK_OK);
    assert_int_not_equal(dsk_ref_from_base64("!!!!", 4, &uri, &err), DSK_OK);
    assert_int_not_equal(dsk_ref_from_base64("ZHN0YWNrOgB4", 12, &uri, &err), DSK_OK);
    assert_null(uri);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label),         cmocka_unit_test(test_inline),
        cmocka_unit_test(test_errors),        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_pem_roundtrip), cmocka_unit_test(test_base64_rejects),
        cmocka_unit_test(test_empty_path_and_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
