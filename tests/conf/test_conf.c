/* conf/conf.c: loading files, the environment, defaults, lookup, freeing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "helpers.h"
#include "log.h"

static int setup(void **state)
{
    unsetenv(DSK_CONF_ENV);
    unsetenv(DSK_CONF_DEBUG_ENV);
    *state = test_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    unsetenv(DSK_CONF_ENV);
    unsetenv(DSK_CONF_DEBUG_ENV);
    test_rmtree(*state);
    return 0;
}

static void new_default(void **state)
{
    (void)state;
    dsk_conf *c = NULL;
    assert_int_equal(dsk_conf_new_default(&c, NULL), DSK_OK);
    assert_string_equal(c->token_label, DSK_CONF_DEFAULT_TOKEN);
    assert_null(c->file);
    assert_null(c->missing_file);
    assert_null(c->endpoint);
    assert_null(c->user_pin);
    assert_int_equal(c->log_level, DSK_LOG_WARNING);
    assert_int_equal(c->connect_timeout_ms, 0);
    assert_int_equal(c->timeout_ms, 0);
    assert_int_equal(c->nkeys, 0);
    assert_null(c->keys);
    dsk_conf_free(c);
    dsk_conf_free(NULL);
    dsk_error e = {0};
    assert_int_equal(dsk_conf_new_default(NULL, &e), DSK_E_ARGS);
}

static void load_file(void **state)
{
    const char *dir = *state;
    const char *text = "[token]\npin = 0000\n[key web]\npath = /a\n";
    char *path = test_write(dir, "d.conf", text, strlen(text));
    dsk_conf *c = NULL;
    dsk_error e = {0};
    assert_int_equal(dsk_conf_load(path, &c, &e), DSK_OK);
    assert_string_equal(c->file, path);
    assert_null(c->missing_file);
    assert_string_equal(c->user_pin, "0000");
    assert_string_equal(dsk_conf_find(c, "web")->path, "/a");
    dsk_conf_free(c);
    free(path);
}

static void missing_file_is_empty(void **state)
{
    char missing[512];
    snprintf(missing, sizeof missing, "%s/none.conf", (const char *)*state);
    dsk_conf *c = NULL;
    dsk_error e = {0};
    assert_int_equal(dsk_conf_load(missing, &c, &e), DSK_OK);
    assert_null(c->file);
    assert_string_equal(c->missing_file, missing);
    assert_int_equal(c->nkeys, 0);
    assert_string_equal(c->token_label, "dstack");
    dsk_conf_free(c);
    /* A missing directory on the way counts as missing too. */
    assert_int_equal(dsk_conf_load("/nonexistent-dir/x.conf", &c, &e), DSK_OK);
    assert_string_equal(c->missing_file, "/nonexistent-dir/x.conf");
    dsk_conf_free(c);
}

static void env_override(void **state)
{
    const char *dir = *state;
    const char *text = "[token]\nlabel = from-env\n";
    char *path = test_write(dir, "env.conf", text, strlen(text));
    dsk_conf *c = NULL;
    dsk_error e = {0};
    setenv(DSK_CONF_ENV, path, 1);
    assert_int_equal(dsk_conf_load(NULL, &c, &e), DSK_OK);
    assert_string_equal(c->file, path);
    assert_string_equal(c->token_label, "from-env");
    dsk_conf_free(c);

    /* An explicit file wins over the environment. */
    const char *other = "[token]\nlabel = explicit\n";
    char *opath = test_write(dir, "other.conf", other, strlen(other));
    assert_int_equal(dsk_conf_load(opath, &c, &e), DSK_OK);
    assert_string_equal(c->token_label, "explicit");
    dsk_conf_free(c);

    /* A missing file named by the environment: empty, and says which. */
    char missing[512];
    snprintf(missing, sizeof missing, "%s/absent.conf", dir);
    setenv(DSK_CONF_ENV, missing, 1);
    assert_int_equal(dsk_conf_load(NULL, &c, &e), DSK_OK);
    assert_string_equal(c->missing_file, missing);
    dsk_conf_free(c);
    free(path);
    free(opath);
}

static void env_empty_means_default_file(void **state)
{
    (void)state;
    setenv(DSK_CONF_ENV, "", 1);
    dsk_conf *c = NULL;
    dsk_error e = {0};
    dsk_status st = dsk_conf_load(NULL, &c, &e);
    if (access(DSK_CONF_DEFAULT_FILE, F_OK) == 0) {
        /* A machine with a real configuration: it was the one read. */
        if (st == DSK_OK)
            assert_string_equal(c->file, DSK_CONF_DEFAULT_FILE);
        else
            assert_non_null(strstr(e.msg, DSK_CONF_DEFAULT_FILE));
    } else {
        assert_int_equal(st, DSK_OK);
        assert_string_equal(c->missing_file, DSK_CONF_DEFAULT_FILE);
    }
    dsk_conf_free(c);
}

static void debug_env_overrides_log_level(void **state)
{
    const char *dir = *state;
    const char *text = "[token]\nlog_level = error\n";
    char *path = test_write(dir, "l.conf", text, strlen(text));
    dsk_conf *c = NULL;
    dsk_error e = {0};
    assert_int_equal(dsk_conf_load(path, &c, &e), DSK_OK);
    assert_int_equal(c->log_level, DSK_LOG_ERROR);
    dsk_conf_free(c);
    setenv(DSK_CONF_DEBUG_ENV, "debug", 1);
    assert_int_equal(dsk_conf_load(path, &c, &e), DSK_OK);
    assert_int_equal(c->log_level, DSK_LOG_DEBUG);
    dsk_conf_free(c);
    setenv(DSK_CONF_DEBUG_ENV, "0", 1);
    assert_int_equal(dsk_conf_load("/nonexistent-dir/x.conf", &c, &e), DSK_OK);
    assert_int_equal(c->log_level, DSK_LOG_NONE);
    dsk_conf_free(c);
    setenv(DSK_CONF_DEBUG_ENV, "", 1);
    assert_int_equal(dsk_conf_load(path, &c, &e), DSK_OK);
    assert_int_equal(c->log_level, DSK_LOG_ERROR);
    dsk_conf_free(c);
    /* Anything else asks for debugging: never an error. */
    static const char *const debug[] = {"1", "yes", "loud", "DEBUG", "4"};
    for (size_t i = 0; i < sizeof debug / sizeof debug[0]; i++) {
        setenv(DSK_CONF_DEBUG_ENV, debug[i], 1);
        assert_int_equal(dsk_conf_load(path, &c, &e), DSK_OK);
        assert_int_equal(c->log_level, DSK_LOG_DEBUG);
        dsk_conf_free(c);
    }
    setenv(DSK_CONF_DEBUG_ENV, "info", 1);
    assert_int_equal(dsk_conf_load(path, &c, &e), DSK_OK);
    assert_int_equal(c->log_level, DSK_LOG_INFO);
    dsk_conf_free(c);
    /* Only dsk_conf_load reads the environment. */
    assert_int_equal(dsk_conf_parse("", NULL, &c, &e), DSK_OK);
    assert_int_equal(c->log_level, DSK_LOG_WARNING);
    dsk_conf_free(c);
    free(path);
}

static void errors_name_the_file(void **state)
{
    const char *dir = *state;
    char expect[1024];
    const char *text = "[token]\n\nlog_level = chatty\n";
    char *path = test_write(dir, "bad.conf", text, strlen(text));
    dsk_conf *c = (dsk_conf *)1;
    dsk_error e = {0};
    assert_int_equal(dsk_conf_load(path, &c, &e), DSK_E_CONFIG);
    assert_null(c);
    snprintf(expect, sizeof expect,
             "%s:3: unknown log_level 'chatty': valid levels are none, error, warning, info, "
             "debug",
             path);
    assert_string_equal(e.msg, expect);
    free(path);

    /* A directory where the file should be cannot be read. */
    assert_int_equal(dsk_conf_load(dir, &c, &e), DSK_E_IO);
    assert_null(c);
    snprintf(expect, sizeof expect,
             "cannot read configuration file %s: Is a directory (set DSTACK_PKCS11_CONF to use "
             "another file)",
             dir);
    assert_string_equal(e.msg, expect);
}

static void nul_byte_and_size(void **state)
{
    const char *dir = *state;
    char expect[1024];
    static const char text[] = "[token]\nlabel = a\nlabel\0 = b\n";
    char *path = test_write(dir, "nul.conf", text, sizeof text - 1);
    dsk_conf *c = NULL;
    dsk_error e = {0};
    assert_int_equal(dsk_conf_load(path, &c, &e), DSK_E_CONFIG);
    snprintf(expect, sizeof expect, "%s:3: NUL byte in the file: is it a text file?", path);
    assert_string_equal(e.msg, expect);
    free(path);

    size_t big = 1024 * 1024 + 1;
    char *data = malloc(big);
    assert_non_null(data);
    memset(data, '#', big);
    path = test_write(dir, "big.conf", data, big);
    assert_int_equal(dsk_conf_load(path, &c, &e), DSK_E_CONFIG);
    snprintf(expect, sizeof expect,
             "configuration file %s is larger than 1048576 bytes: is it the right file?", path);
    assert_string_equal(e.msg, expect);
    free(data);
    free(path);
}

/* "certificate = none": no certificate at all (not even the self-signed one
 * keys/selfcert.c makes for every other key). */
static void certificate_none(void **state)
{
    dsk_conf *c = NULL;
    dsk_error e = {0};
    (void)state;
    assert_int_equal(dsk_conf_parse("[key a]\ncertificate = none\n[key b]\n", NULL, &c, &e),
                     DSK_OK);
    assert_int_equal(c->nkeys, 2);
    assert_int_equal(c->keys[0].cert_none, 1);
    assert_null(c->keys[0].cert);
    assert_int_equal(c->keys[1].cert_none, 0);
    dsk_conf_free(c);
}

static void relative_certificate(void **state)
{
    const char *dir = *state;
    char sub[512], certs[512];
    snprintf(sub, sizeof sub, "%s/etc", dir);
    snprintf(certs, sizeof certs, "%s/etc/certs", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(mkdir(certs, 0700), 0);
    char *pem = test_write(certs, "web.pem", test_cert_pem, strlen(test_cert_pem));
    char *der = test_write(sub, "ssh.der", test_cert_der, test_cert_der_len);
    const char *text = "[key web]\ncertificate = certs/web.pem\n"
                       "[key ssh]\ntype = ed25519\ncertificate = ssh.der\n";
    char *path = test_write(sub, "dstack.conf", text, strlen(text));

    /* Run from another directory: the paths follow the file, not the cwd. */
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir("/"), 0);
    dsk_conf *c = NULL;
    dsk_error e = {0};
    dsk_status st = dsk_conf_load(path, &c, &e);
    assert_int_equal(chdir(cwd), 0);
    if (st != DSK_OK)
        fail_msg("%s", e.msg);
    const dsk_key_entry *k = dsk_conf_find(c, "web");
    assert_string_equal(k->cert_file, pem);
    assert_int_equal(k->cert_len, strlen(test_cert_pem));
    assert_memory_equal(k->cert, test_cert_pem, k->cert_len);
    k = dsk_conf_find(c, "ssh");
    assert_string_equal(k->cert_file, der);
    assert_int_equal(k->cert_len, test_cert_der_len);
    assert_memory_equal(k->cert, test_cert_der, k->cert_len);
    dsk_conf_free(c);

    /* A relative configuration file name: relative to its own directory. */
    assert_int_equal(chdir(dir), 0);
    st = dsk_conf_load("etc/dstack.conf", &c, &e);
    assert_int_equal(chdir(cwd), 0);
    if (st != DSK_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(dsk_conf_find(c, "web")->cert_file, "etc/certs/web.pem");
    dsk_conf_free(c);

    /* An unreadable certificate names the resolved path and the line. */
    const char *bad = "[key web]\n\ncertificate = certs/missing.pem\n";
    char *bpath = test_write(sub, "bad.conf", bad, strlen(bad));
    char expect[1024];
    assert_int_equal(dsk_conf_load(bpath, &c, &e), DSK_E_IO);
    snprintf(expect, sizeof expect,
             "%s:3: key 'web': cannot read certificate %s/missing.pem: No such file or "
             "directory",
             bpath, certs);
    assert_string_equal(e.msg, expect);
    free(bpath);
    free(path);
    free(pem);
    free(der);
}

static void key_token_names(void **state)
{
    (void)state;
    dsk_conf *c = NULL;
    assert_int_equal(dsk_conf_parse("[token]\nlabel = hsm\n[key a]\n[key b]\ntype=ed25519\n"
                                    "[key c]\ntype=ed25519\ntoken=hsm\n[key d]\ntoken=x\n",
                                    "k.conf", &c, NULL),
                     DSK_OK);
    char t[DSK_CONF_TOKEN_LABEL_MAX + 1];
    assert_string_equal(dsk_conf_key_token(c, dsk_conf_find(c, "a"), t), "hsm");
    assert_string_equal(dsk_conf_key_token(c, dsk_conf_find(c, "b"), t), "hsm-ed25519");
    assert_string_equal(dsk_conf_key_token(c, dsk_conf_find(c, "c"), t), "hsm");
    assert_string_equal(dsk_conf_key_token(c, dsk_conf_find(c, "d"), t), "x");
    assert_string_equal(dsk_conf_key_token(NULL, NULL, t), "dstack");
    dsk_conf_free(c);
}

static char *slurp(const char *rel)
{
    const char *src = getenv("DSK_SRCDIR");
    if (!src)
        fail_msg("DSK_SRCDIR is not set (run through meson test)");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", src, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = calloc(1, 65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    assert_true(n > 0 && n < 65535);
    fclose(f);
    return buf;
}

/* The shipped example loads, means what its comments say, and is the one
 * printed in the manual page. */
static void shipped_example(void **state)
{
    (void)state;
    char *example = slurp("conf/dstack-pkcs11.conf.example");
    char *manual = slurp("docs/dstack-pkcs11.conf.5.md");
    assert_non_null(strstr(manual, example));
    dsk_conf *c = NULL;
    dsk_error e = {0};
    if (dsk_conf_parse(example, "example", &c, &e) != DSK_OK)
        fail_msg("%s", e.msg);
    char t[DSK_CONF_TOKEN_LABEL_MAX + 1];
    assert_int_equal(c->nkeys, 5);
    assert_null(c->endpoint);
    assert_int_equal(c->inline_keys, 1);
    assert_int_equal(c->agent_uid, 0);
    assert_string_equal(dsk_conf_find(c, "odd")->path, "#1 ; the whole line is the path");
    assert_null(c->user_pin);
    const dsk_key_entry *k = dsk_conf_find(c, "web");
    assert_string_equal(k->path, "/my-app/tls");
    assert_int_equal(k->usage, DSK_USAGE_SIGN);
    assert_null(k->cert);
    assert_string_equal(dsk_conf_key_token(c, k, t), "dstack");
    k = dsk_conf_find(c, "wallet");
    assert_int_equal(k->type, DSK_KEY_SECP256K1);
    assert_string_equal(dsk_conf_key_token(c, k, t), "dstack");
    assert_string_equal(dsk_conf_key_token(c, dsk_conf_find(c, "ssh"), t), "dstack-ed25519");
    k = dsk_conf_find(c, "backup");
    assert_int_equal(k->usage, DSK_USAGE_DECRYPT);
    assert_string_equal(dsk_conf_key_token(c, k, t), "dstack-rsa");
    dsk_conf_free(c);
    free(example);
    free(manual);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_default),
        cmocka_unit_test_setup_teardown(load_file, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_file_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(env_override, setup, teardown),
        cmocka_unit_test_setup_teardown(env_empty_means_default_file, setup, teardown),
        cmocka_unit_test_setup_teardown(debug_env_overrides_log_level, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_name_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(nul_byte_and_size, setup, teardown),
        cmocka_unit_test_setup_teardown(relative_certificate, setup, teardown),
        cmocka_unit_test(certificate_none),
        cmocka_unit_test(key_token_names),
        cmocka_unit_test(shipped_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
