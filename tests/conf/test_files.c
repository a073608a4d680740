/* conf/files.c: reading whole files, relative paths, certificates. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "internal.h"

static int setup(void **state)
{
    *state = test_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    test_rmtree(*state);
    return 0;
}

static void read_whole_file(void **state)
{
    const char *dir = *state;
    /* Larger than the first 4096-byte buffer, so the growth path runs. */
    size_t n = 10000;
    char *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    char *path = test_write(dir, "big.txt", data, n);
    char *got = NULL;
    size_t len = 0;
    int errnum = 0;
    assert_int_equal(dsk_conf_read_file(path, 20000, &got, &len, &errnum), DSK_OK);
    assert_int_equal(len, n);
    assert_memory_equal(got, data, n);
    assert_int_equal(got[n], '\0');
    free(got);
    free(data);
    free(path);
}

static void read_empty_file(void **state)
{
    char *path = test_write(*state, "empty", "", 0);
    char *got = NULL;
    size_t len = 99;
    int errnum = 0;
    assert_int_equal(dsk_conf_read_file(path, 100, &got, &len, &errnum), DSK_OK);
    assert_int_equal(len, 0);
    assert_string_equal(got, "");
    free(got);
    free(path);
}

static void read_errors(void **state)
{
    const char *dir = *state;
    char *got = NULL;
    size_t len = 0;
    int errnum = 0;
    assert_int_equal(dsk_conf_read_file("/nonexistent/dsk/file", 100, &got, &len, &errnum),
                     DSK_E_IO);
    assert_int_equal(errnum, ENOENT);
    assert_int_equal(dsk_conf_read_file(dir, 100, &got, &len, &errnum), DSK_E_IO);
    assert_int_equal(errnum, EISDIR);
    char *path = test_write(dir, "ten", "0123456789", 10);
    assert_int_equal(dsk_conf_read_file(path, 10, &got, &len, &errnum), DSK_OK);
    free(got);
    got = NULL;
    assert_int_equal(dsk_conf_read_file(path, 9, &got, &len, &errnum), DSK_E_IO);
    assert_int_equal(errnum, EFBIG);
    assert_null(got);
    free(path);
}

static void resolve_and_dirname(void **state)
{
    (void)state;
    char *s = dsk_conf_resolve("/etc/dstack", "web.crt");
    assert_string_equal(s, "/etc/dstack/web.crt");
    free(s);
    s = dsk_conf_resolve("/", "web.crt");
    assert_string_equal(s, "/web.crt");
    free(s);
    s = dsk_conf_resolve("conf", "certs/web.crt");
    assert_string_equal(s, "conf/certs/web.crt");
    free(s);
    s = dsk_conf_resolve("/etc/dstack", "/abs/web.crt");
    assert_string_equal(s, "/abs/web.crt");
    free(s);
    s = dsk_conf_resolve(NULL, "web.crt");
    assert_string_equal(s, "web.crt");
    free(s);

    char *d = NULL;
    assert_int_equal(dsk_conf_dirname("/etc/dstack-pkcs11.conf", &d), DSK_OK);
    assert_string_equal(d, "/etc");
    free(d);
    assert_int_equal(dsk_conf_dirname("a/b/c.conf", &d), DSK_OK);
    assert_string_equal(d, "a/b");
    free(d);
    assert_int_equal(dsk_conf_dirname("/c.conf", &d), DSK_OK);
    assert_string_equal(d, "/");
    free(d);
    assert_int_equal(dsk_conf_dirname("c.conf", &d), DSK_OK);
    assert_null(d);
    assert_int_equal(dsk_conf_dirname(NULL, &d), DSK_OK);
    assert_null(d);
}

static void free_entry(dsk_key_entry *e)
{
    free(e->cert_file);
    free(e->cert);
}

static void cert_pem_and_der(void **state)
{
    const char *dir = *state;
    char *pem = test_write(dir, "web.pem", test_cert_pem, strlen(test_cert_pem));
    char *der = test_write(dir, "web.der", test_cert_der, test_cert_der_len);
    dsk_key_entry e = {0};
    dsk_error err = {0};
    /* Absolute path: dir is ignored. */
    assert_int_equal(dsk_conf_load_cert("/elsewhere", pem, &e, &err), DSK_OK);
    assert_string_equal(e.cert_file, pem);
    assert_int_equal(e.cert_len, strlen(test_cert_pem));
    assert_memory_equal(e.cert, test_cert_pem, e.cert_len);
    free_entry(&e);
    memset(&e, 0, sizeof e);
    /* Relative path: resolved against dir. */
    assert_int_equal(dsk_conf_load_cert(dir, "web.der", &e, &err), DSK_OK);
    assert_string_equal(e.cert_file, der);
    assert_int_equal(e.cert_len, test_cert_der_len);
    assert_memory_equal(e.cert, test_cert_der, test_cert_der_len);
    free_entry(&e);
    free(pem);
    free(der);
}

static void cert_pem_with_text_before(void **state)
{
    /* openssl x509 -text output puts a dump before the PEM block. */
    char buf[2048];
    snprintf(buf, sizeof buf, "Certificate:\n    Data: ...\n%s", test_cert_pem);
    char *path = test_write(*state, "text.pem", buf, strlen(buf));
    dsk_key_entry e = {0};
    assert_int_equal(dsk_conf_load_cert(NULL, path, &e, NULL), DSK_OK);
    assert_int_equal(e.cert_len, strlen(buf));
    free_entry(&e);
    free(path);
}

static void cert_errors(void **state)
{
    const char *dir = *state;
    char expect[1024];
    dsk_key_entry e = {0};
    dsk_error err = {0};

    assert_int_equal(dsk_conf_load_cert(dir, "missing.pem", &e, &err), DSK_E_IO);
    snprintf(expect, sizeof expect,
             "cannot read certificate %s/missing.pem: No such file or directory", dir);
    assert_string_equal(err.msg, expect);
    assert_null(e.cert);
    assert_null(e.cert_file);

    assert_int_equal(dsk_conf_load_cert(NULL, dir, &e, &err), DSK_E_IO);
    snprintf(expect, sizeof expect, "cannot read certificate %s: Is a directory", dir);
    assert_string_equal(err.msg, expect);

    const char *key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n"
                      "-----END PRIVATE KEY-----\n";
    char *path = test_write(dir, "key.pem", key, strlen(key));
    assert_int_equal(dsk_conf_load_cert(dir, "key.pem", &e, &err), DSK_E_CONFIG);
    snprintf(expect, sizeof expect,
             "certificate %s is neither PEM (no '-----BEGIN CERTIFICATE-----' line) nor DER "
             "(does not start with byte 0x30)",
             path);
    assert_string_equal(err.msg, expect);
    assert_null(e.cert);
    free(path);

    path = test_write(dir, "empty.crt", "", 0);
    assert_int_equal(dsk_conf_load_cert(dir, "empty.crt", &e, &err), DSK_E_CONFIG);
    assert_non_null(strstr(err.msg, "is neither PEM"));
    free(path);

    size_t big = DSK_CONF_MAX_FILE + 1;
    unsigned char *data = calloc(1, big);
    assert_non_null(data);
    data[0] = 0x30;
    path = test_write(dir, "big.der", data, big);
    assert_int_equal(dsk_conf_load_cert(dir, "big.der", &e, &err), DSK_E_CONFIG);
    snprintf(expect, sizeof expect, "certificate %s is larger than %d bytes: is it a certificate?",
             path, DSK_CONF_MAX_FILE);
    assert_string_equal(err.msg, expect);
    assert_null(e.cert);
    free(data);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(read_whole_file, setup, teardown),
        cmocka_unit_test_setup_teardown(read_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(read_errors, setup, teardown),
        cmocka_unit_test(resolve_and_dirname),
        cmocka_unit_test_setup_teardown(cert_pem_and_der, setup, teardown),
        cmocka_unit_test_setup_teardown(cert_pem_with_text_before, setup, teardown),
        cmocka_unit_test_setup_teardown(cert_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
