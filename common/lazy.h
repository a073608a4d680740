/* Libraries mapped at first use, not at load (issue 14 §3): a program that
 * loads dstack-pkcs11.so or dstack.so but never uses a dstack key maps only
 * libc, libcrypto and libinih. libcjson (the agent's JSON) and libsecp256k1
 * (secp256k1 keys, signature chains) are dlopen()ed by the first call that
 * needs them, through small wrappers (lazy_cjson.h, lazy_secp.h) that the
 * code reaches under the libraries' own names.
 *
 * No lock: dlopen() is idempotent and thread-safe, and racing first callers
 * store the same pointers. A fork child inherits the mappings. */
#ifndef DSK_LAZY_H
#define DSK_LAZY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

struct dsk_lazy_lib {
    const char *soname;  /* the SONAME the build linked against */
    const char *purpose; /* for the error line: what it is needed for */
    void *_Atomic handle;
    atomic_bool reported; /* one error line per process, not per call */
};

#define DSK_LAZY_LIB(soname, purpose)                                                              \
    {                                                                                              \
        (soname), (purpose), NULL, false                                                           \
    }

/* The address of name in lib, mapping lib on first use; NULL after one
 * error line naming the library and what to install. */
void *dsk_lazy_sym(struct dsk_lazy_lib *lib, const char *name);

/* A wrapper with name's exact type: resolve once, then one acquire load and
 * an indirect call. fail is returned when the library cannot be mapped.
 * memcpy converts between object and function pointers (ISO C has no cast). */
#define DSK_LAZY_RESOLVE(lib, name, f)                                                             \
    static void *_Atomic slot_##name;                                                              \
    void *p_ = atomic_load_explicit(&slot_##name, memory_order_acquire);                           \
    if (!p_ && (p_ = dsk_lazy_sym(&(lib), #name)))                                                 \
        atomic_store_explicit(&slot_##name, p_, memory_order_release);                             \
    memcpy(&(f), &p_, sizeof(f))

#define DSK_LAZY_FN(lib, fail, ret, name, params, args)                                            \
    ret dsk_lazy_##name params                                                                     \
    {                                                                                              \
        __typeof__(name) *f;                                                                       \
        DSK_LAZY_RESOLVE(lib, name, f);                                                            \
        return f ? f args : (fail);                                                                \
    }

#define DSK_LAZY_VOID(lib, name, params, args)                                                     \
    void dsk_lazy_##name params                                                                    \
    {                                                                                              \
        __typeof__(name) *f;                                                                       \
        DSK_LAZY_RESOLVE(lib, name, f);                                                            \
        if (f)                                                                                     \
            f args;                                                                                \
    }

#define DSK_LAZY_DECLARE(name) extern __typeof__(name) dsk_lazy_##name;

#endif
