/* Shared by the tool/ unit tests. */
#ifndef DSK_TEST_TOOLTEST_H
#define DSK_TEST_TOOLTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define assert_msg_has(err, text)                                                                  \
    do {                                                                                           \
        if (strstr((err)->msg, (text)) == NULL)                                                    \
            fail_msg("message '%s' lacks '%s'", (err)->msg, (text));                               \
    } while (0)

#endif
