/* Memory for private material we hold outside OpenSSL (M, the GetKey reply).
 *
 * If the application initialised OpenSSL's secure heap (CRYPTO_secure_malloc_
 * init), use it: it is locked, guarded and excluded from dumps. Otherwise map
 * whole pages of our own, lock them (best effort: RLIMIT_MEMLOCK may forbid
 * it, and a failure to lock must not stop a signature) and mark them
 * MADV_DONTDUMP. Either way the bytes are wiped before they are released. */
#include "internal.h"

#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

static size_t page_round(size_t len)
{
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096;

    return (len + page - 1) / page * page;
}

void *dsk_secret_alloc(size_t len)
{
    size_t total;
    void *p;

    if (len == 0)
        len = 1;
    if (CRYPTO_secure_malloc_initialized()) {
        p = OPENSSL_secure_zalloc(len);
        if (p != NULL)
            return p;
    }
    total = page_round(len);
    if (total < len)
        return NULL;
    p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)mlock(p, total);
#ifdef MADV_DONTDUMP
    (void)madvise(p, total, MADV_DONTDUMP);
#endif
    return p; /* mmap gives zeroed pages */
}

void dsk_secret_free(void *p, size_t len)
{
    size_t total;

    if (p == NULL)
        return;
    if (len == 0)
        len = 1;
    /* The secure heap may have been set up after p was mapped: ask where p is. */
    if (CRYPTO_secure_malloc_initialized() && CRYPTO_secure_allocated(p)) {
        OPENSSL_secure_clear_free(p, len);
        return;
    }
    total = page_round(len);
    OPENSSL_cleanse(p, total);
    (void)munlock(p, total);
    (void)munmap(p, total);
}
