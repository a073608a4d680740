#include "lazy.h"

#include "log.h"

#include <dlfcn.h>

static void *map(struct dsk_lazy_lib *lib)
{
    void *h = atomic_load_explicit(&lib->handle, memory_order_acquire);
    if (h)
        return h;
    h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        if (!atomic_exchange(&lib->reported, true))
            dsk_log(DSK_LOG_ERROR,
                    "cannot load %s (needed %s): %s; install the package that provides it",
                    lib->soname, lib->purpose, dlerror());
        return NULL;
    }
    void *expected = NULL;
    /* A racing thread mapped it first: drop our extra reference. */
    if (!atomic_compare_exchange_strong(&lib->handle, &expected, h)) {
        dlclose(h);
        h = expected;
    }
    return h;
}

void *dsk_lazy_sym(struct dsk_lazy_lib *lib, const char *name)
{
    void *h = map(lib);
    if (!h)
        return NULL;
    void *p = dlsym(h, name);
    if (!p && !atomic_exchange(&lib->reported, true))
        dsk_log(DSK_LOG_ERROR, "%s has no symbol %s: install the version this build was made for",
                lib->soname, name);
    return p;
}
