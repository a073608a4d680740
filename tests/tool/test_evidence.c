/* tool/evidence.c: which kind a file is, reading files, and a statement
 * that does not parse failing as evidence (exit 1), not as a crash. */
#include "tooltest.h"

#include <stdio.h>
#include <unistd.h>

static void test_detect(void **state)
{
    static const char stmt[] = "  \n{\"format\":\"x\"}";
    static const char pem[] = "depth=0 CN = x\n-----BEGIN CERTIFICATE-----\nMII...\n";
    static const unsigned char der[] = {0x30, 0x82, 0x01, 0x0a, 0x30};
    const dsk_evidence_kind *k;

    k = dsk_evidence_detect((const unsigned char *)stmt, sizeof stmt - 1);
    assert_non_null(k);
    assert_string_equal(k->name, "key statement");
    assert_non_null(k->verify);
    k = dsk_evidence_detect((const unsigned char *)pem, sizeof pem - 1);
    assert_non_null(k);
    assert_string_equal(k->name, "X.509 certificate");
    assert_ptr_equal(k->verify, dsk_tool_verify_certificate);
    k = dsk_evidence_detect(der, sizeof der);
    assert_non_null(k);
    assert_string_equal(k->name, "X.509 certificate");
    assert_null(dsk_evidence_detect((const unsigned char *)"hello\n", 6));
    assert_null(dsk_evidence_detect((const unsigned char *)"", 0));
    assert_null(dsk_evidence_detect((const unsigned char *)"   ", 3));
}

static void test_read_file(void **state)
{
    char file[] = "/tmp/dsk-tool-evidence-XXXXXX";
    int fd = mkstemp(file);
    unsigned char *data = NULL;
    size_t len = 0;
    dsk_error e = {0};

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    assert_int_equal(dsk_tool_read_file(file, &data, &len, &e), DSK_OK);
    assert_int_equal(len, 3);
    assert_string_equal((char *)data, "abc");
    free(data);
    /* too large */
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    assert_int_equal(fseek(f, DSK_TOOL_MAX_INPUT, SEEK_SET), 0);
    fputc('x', f);
    fclose(f);
    assert_int_equal(dsk_tool_read_file(file, &data, &len, &e), DSK_E_IO);
    assert_msg_has(&e, "larger than");
    assert_null(data);
    unlink(file);
    assert_int_equal(dsk_tool_read_file(file, &data, &len, &e), DSK_E_IO);
    assert_msg_has(&e, "cannot open");
    assert_msg_has(&e, file);
}

static void test_bad_statement_fails(void **state)
{
    static const char bad[] = "{\"format\":\"not-a-statement\"}";
    unsigned char roots[1][DSK_SECP256K1_PUB_LEN] = {{0x02}};
    dsk_verify_opts o = {.roots = (const unsigned char(*)[DSK_SECP256K1_PUB_LEN])roots,
                         .n_roots = 1};
    const dsk_evidence_kind *k = dsk_evidence_detect((const unsigned char *)bad, sizeof bad - 1);
    assert_non_null(k);
    assert_int_equal(k->verify("bad.json", (const unsigned char *)bad, sizeof bad - 1, &o),
                     DSK_EXIT_FAILED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_bad_statement_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
