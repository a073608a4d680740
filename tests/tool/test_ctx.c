/* tool/ctx.c: KEY as a label or a dstack: URI, resolved as the provider
 * resolves it; labels become URIs that parse back to the label. No agent:
 * nothing here derives. */
#include "tooltest.h"

#include <stdio.h>
#include <unistd.h>

static void test_label_uri(void **state)
{
    static const char *labels[] = {"web", "a;b", "x=y", "100%", "tab\there", "sp ace/é"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        char *uri = dsk_tool_label_uri(labels[i]);
        dsk_ref r;
        dsk_error e = {0};
        assert_non_null(uri);
        assert_int_equal(strncmp(uri, "dstack:", 7), 0);
        assert_null(strchr(uri + 7, ';'));
        assert_null(strchr(uri + 7, '='));
        assert_int_equal(dsk_ref_parse(uri, &r, &e), DSK_OK);
        assert_string_equal(r.label, labels[i]);
        dsk_ref_clear(&r);
        free(uri);
    }
    char *u = dsk_tool_label_uri("web");
    assert_string_equal(u, "dstack:web"); /* as the provider writes for dstack:web */
    free(u);
}

static void test_resolve(void **state)
{
    char file[] = "/tmp/dsk-tool-ctx-XXXXXX";
    int fd = mkstemp(file);
    FILE *f = fdopen(fd, "w");
    dsk_tool_ctx ctx = {.conf_file = file};
    dsk_error e = {0};
    dsk_key *k = NULL, *k2 = NULL;
    char *uri = NULL;

    assert_non_null(f);
    fputs("[token]\nendpoint = /nonexistent/dsk-tool.sock\n[key web]\npath = /app/web\ntype = "
          "ec-p384\n",
          f);
    fclose(f);
    assert_int_equal(dsk_tool_open(&ctx, &e), DSK_OK);

    assert_int_equal(dsk_tool_key(&ctx, "web", &k, &uri, &e), DSK_OK);
    assert_string_equal(dsk_key_path(k), "/app/web");
    assert_int_equal(dsk_key_get_type(k), DSK_KEY_EC_P384);
    assert_string_equal(uri, "dstack:web");
    free(uri);
    assert_int_equal(dsk_tool_key(&ctx, "dstack:web", &k2, NULL, &e), DSK_OK);
    assert_ptr_equal(k, k2);

    assert_int_equal(dsk_tool_key(&ctx, "dstack:path=/app/x;type=rsa-2048", &k, &uri, &e), DSK_OK);
    assert_string_equal(dsk_key_path(k), "/app/x");
    assert_int_equal(dsk_key_get_type(k), DSK_KEY_RSA_2048);
    assert_string_equal(uri, "dstack:path=/app/x;type=rsa-2048");
    free(uri);

    assert_int_equal(dsk_tool_key(&ctx, "nope", &k, NULL, &e), DSK_E_NOT_FOUND);
    assert_msg_has(&e, "no key labelled 'nope'");
    assert_msg_has(&e, file);
    assert_int_equal(dsk_tool_key(&ctx, "dstack:path=/x;colour=red", &k, NULL, &e), DSK_E_CONFIG);
    assert_msg_has(&e, "unknown field 'colour'");
    assert_int_equal(dsk_tool_key(&ctx, "", &k, NULL, &e), DSK_E_ARGS);
    assert_int_equal(dsk_tool_exit_code(e.code), DSK_EXIT_USAGE);
    dsk_tool_close(&ctx);
    unlink(file);
}

static void test_missing_conf(void **state)
{
    dsk_tool_ctx ctx = {.conf_file = "/nonexistent/dsk-tool.conf"};
    dsk_error e = {0};
    assert_int_equal(dsk_tool_open(&ctx, &e), DSK_E_CONFIG);
    assert_msg_has(&e, "/nonexistent/dsk-tool.conf does not exist: check --conf");
    dsk_tool_close(&ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_uri),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_missing_conf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
