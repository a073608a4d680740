/* Shared by the conf/ unit tests. */
#ifndef DSK_TEST_CONF_HELPERS_H
#define DSK_TEST_CONF_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern const char test_cert_pem[];
extern const unsigned char test_cert_der[];
extern const size_t test_cert_der_len;

/* A fresh directory under /tmp; free it with test_rmtree. */
char *test_tmpdir(void);
/* Write dir/name; returns the malloc'd path. */
char *test_write(const char *dir, const char *name, const void *data, size_t len);
/* Remove the directory and everything in it, and free the string. */
void test_rmtree(char *dir);

#endif
