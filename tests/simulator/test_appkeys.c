#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"
#include "internal.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/dsk-appkeys-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* The official appkeys.json gives exactly the compiled-in default. */
static void test_official_file_equals_default(void **state)
{
    (void)state;
    const char *path = getenv("DSK_APPKEYS");
    assert_non_null(path);
    dsk_sim_appkeys loaded, def;
    dsk_error err = {0};
    memset(&loaded, 0xaa, sizeof loaded);
    dsk_sim_appkeys_default(&def);
    memcpy(loaded.app_id, def.app_id, sizeof def.app_id);
    assert_int_equal(dsk_sim_appkeys_load(path, &loaded, &err), DSK_OK);
    dsk_sim_appkeys_default(&def);
    assert_memory_equal(loaded.k256_key, def.k256_key, 32);
    assert_int_equal(loaded.k256_signature_len, 65);
    assert_memory_equal(loaded.k256_signature, def.k256_signature, 65);
    assert_memory_equal(loaded.app_id, def.app_id, 20);
    char hex[65];
    dsk_hex_encode(def.k256_key, 32, hex);
    assert_string_equal(hex, "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d");
}

static void test_other_key_and_empty_signature(void **state)
{
    (void)state;
    const char *p = write_file("k.json",
        "{\"extra\":[1,2],\"k256_signature\":\"\",\"k256_key\":\"0x"
        "0101010101010101010101010101010101010101010101010101010101010101\"}");
    dsk_sim_appkeys k;
    assert_int_equal(dsk_sim_appkeys_load(p, &k, NULL), DSK_OK);
    assert_int_equal(k.k256_signature_len, 0);
    for (int i = 0; i < 32; i++)
        assert_int_equal(k.k256_key[i], 1);
}

static void expect_error(const char *name, const char *text, const char *needle)
{
    const char *p = text ? write_file(name, text) : name;
    dsk_sim_appkeys k;
    dsk_error err = {0};
    dsk_sim_appkeys_default(&k);
    assert_int_not_equal(dsk_sim_appkeys_load(p, &k, &err), DSK_OK);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' does not mention '%s'", err.msg, needle);
    if (!strstr(err.msg, text ? p : name))
        fail_msg("error '%s' does not name the file", err.msg);
    /* A failed load leaves the keys untouched. */
    dsk_sim_appkeys def;
    dsk_sim_appkeys_default(&def);
    assert_memory_equal(k.k256_key, def.k256_key, sizeof k.k256_key);
    assert_memory_equal(k.k256_signature, def.k256_signature, sizeof k.k256_signature);
    assert_int_equal(k.k256_signature_len, def.k256_signature_len);
    assert_memory_equal(k.app_id, def.app_id, sizeof k.app_id);
}

static void test_bad_files(void **state)
{
    (void)state;
    expect_error("/nonexistent/appkeys.json", NULL, "cannot open");
    expect_error("notjson.json", "k256_key = 1", "not a JSON object");
    expect_error("array.json", "[]", "not a JSON object");
    expect_error("nokey.json", "{\"k256_signature\":\"\"}", "k256_key");
    expect_error("numkey.json", "{\"k256_key\":5,\"k256_signature\":\"\"}", "k256_key");
    expect_error("short.json", "{\"k256_key\":\"0102\",\"k256_signature\":\"\"}", "32 bytes");
    expect_error("badsig.json",
                 "{\"k256_key\":\"0101010101010101010101010101010101010101010101010101010101010101\","
                 "\"k256_signature\":\"zz\"}", "k256_signature");
    expect_error("nosig.json",
                 "{\"k256_key\":\"0101010101010101010101010101010101010101010101010101010101010101\"}",
                 "k256_signature");
}

static void test_app_id(void **state)
{
    (void)state;
    dsk_sim_appkeys k;
    dsk_error err = {0};
    dsk_sim_appkeys_default(&k);
    assert_int_equal(dsk_sim_appkeys_set_app_id(&k, "0x00112233445566778899aabbccddeeff00112233", &err), DSK_OK);
    assert_int_equal(k.app_id[0], 0x00);
    assert_int_equal(k.app_id[19], 0x33);
    assert_int_equal(dsk_sim_appkeys_set_app_id(&k, "0011", &err), DSK_E_ARGS);
    assert_non_null(strstr(err.msg, "0011"));
    assert_int_equal(dsk_sim_appkeys_set_app_id(&k, "zz112233445566778899aabbccddeeff00112233", &err), DSK_E_ARGS);
    assert_int_equal(k.app_id[19], 0x33);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_official_file_equals_default),
        cmocka_unit_test(test_other_key_and_empty_signature),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_app_id),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
