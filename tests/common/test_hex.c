#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "hex.h"

static void test_roundtrip_every_byte(void **state)
{
    (void)state;
    unsigned char in[256], back[256];
    char text[513];
    for (int i = 0; i < 256; i++)
        in[i] = (unsigned char)i;
    dsk_hex_encode(in, sizeof in, text);
    assert_int_equal(strlen(text), 512);
    assert_memory_equal(text, "000102", 6);
    assert_memory_equal(text + 506, "fdfeff", 6);
    assert_int_equal(dsk_hex_decode(text, 512, back, sizeof back), 256);
    assert_memory_equal(in, back, sizeof in);
}

static void test_decode_forms(void **state)
{
    (void)state;
    unsigned char out[4];
    assert_int_equal(dsk_hex_decode("0xDEADbeef", 10, out, sizeof out), 4);
    assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
    assert_int_equal(dsk_hex_decode("", 0, out, sizeof out), 0);
}

static void test_decode_rejects(void **state)
{
    (void)state;
    unsigned char out[4];
    assert_int_equal(dsk_hex_decode("abc", 3, out, sizeof out), -1);        /* odd */
    assert_int_equal(dsk_hex_decode("zz", 2, out, sizeof out), -1);         /* not hex */
    assert_int_equal(dsk_hex_decode("g0", 2, out, sizeof out), -1);
    assert_int_equal(dsk_hex_decode("0:", 2, out, sizeof out), -1);         /* ':' follows '9' */
    assert_int_equal(dsk_hex_decode("0/", 2, out, sizeof out), -1);         /* '/' precedes '0' */
    assert_int_equal(dsk_hex_decode("0011223344", 10, out, sizeof out), -1); /* too long */
    assert_int_equal(dsk_hex_decode(NULL, 0, out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_byte),
        cmocka_unit_test(test_decode_forms),
        cmocka_unit_test(test_decode_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
