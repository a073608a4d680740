/* The libFuzzer entry point every fuzz_*.c defines, and small helpers the
 * targets share. A target must free all it allocates, write no file and
 * start no server: the same code runs under libFuzzer (clang, -Dfuzz=true)
 * and under replay_main.c in the normal test suite. */
#ifndef DSK_FUZZ_H
#define DSK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a NUL-terminated string (cut at its first NUL), malloc'd. NULL on
 * OOM. */
static inline char *dsk_fuzz_cstr(const uint8_t *data, size_t size)
{
    size_t n = strnlen((const char *)data, size);
    char *s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, data, n);
        s[n] = '\0';
    }
    return s;
}

/* An invariant of the code under test was broken: crash so that both
 * libFuzzer and the replay driver report the input. */
#define DSK_FUZZ_ASSERT(cond)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            dsk_fuzz_fail(__FILE__, __LINE__, #cond);                                              \
    } while (0)

void dsk_fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
