/* Memory for private material we hold outside OpenSSL (M, the GetKey reply,
 * the RSA plaintext of a decrypt, secp256k1 scalars).
 *
 * If the application initialised OpenSSL's secure heap (CRYPTO_secure_malloc_
 * init), use it: it is locked, guarded and excluded from dumps. Otherwise the
 * blocks come from a pool of our own: one mapping made at the first use,
 * locked (best effort: RLIMIT_MEMLOCK may forbid it, and a failure to lock
 * must not stop a signature), marked MADV_DONTDUMP and kept for the life of
 * the process, cut into slots handed out by an atomic bitmap. So after the
 * first use no allocation or release makes a system call (an RSA decrypt used
 * to mmap, mlock, munlock and munmap a page each time). A request larger than
 * a slot, or one made while every slot is taken, gets whole pages of its own
 * as before. Either way the bytes are wiped before they are released. */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define SLOT_SIZE 512 /* an RSA-4096 plaintext; everything else is smaller */
#define POOL_WORDS 2  /* 64 slots a word: 128 slots, 64 KiB */
#define POOL_SLOTS (POOL_WORDS * 64)
#define POOL_BYTES ((size_t)POOL_SLOTS * SLOT_SIZE)

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static unsigned char *pool;                    /* NULL if the mapping failed */
static _Atomic uint64_t pool_used[POOL_WORDS]; /* bit set = slot taken */

static void *map_locked(size_t total)
{
    void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)mlock(p, total);
#ifdef MADV_DONTDUMP
    (void)madvise(p, total, MADV_DONTDUMP);
#endif
    return p; /* mmap gives zeroed pages */
}

static void pool_init(void)
{
    pool = map_locked(POOL_BYTES);
}

static size_t page_round(size_t len)
{
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096;

    return (len + page - 1) / page * page;
}

/* A free slot (zeroed: slots are wiped when released), or NULL. */
static void *pool_take(void)
{
    pthread_once(&pool_once, pool_init);
    if (pool == NULL)
        return NULL;
    for (size_t w = 0; w < POOL_WORDS; w++) {
        uint64_t used = atomic_load_explicit(&pool_used[w], memory_order_relaxed);
        while (~used != 0) {
            int bit = __builtin_ctzll(~used);
            uint64_t want = used | (UINT64_C(1) << bit);
            if (atomic_compare_exchange_weak_explicit(&pool_used[w], &used, want,
                                                      memory_order_acquire, memory_order_relaxed))
                return pool + (w * 64 + (size_t)bit) * SLOT_SIZE;
        }
    }
    return NULL;
}

static int in_pool(const void *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)pool;
    return pool != NULL && a >= lo && a < lo + POOL_BYTES;
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
    if (len <= SLOT_SIZE && (p = pool_take()) != NULL)
        return p;
    total = page_round(len);
    if (total < len)
        return NULL;
    return map_locked(total);
}

void dsk_secret_free(void *p, size_t len)
{
    size_t total;

    if (p == NULL)
        return;
    if (len == 0)
        len = 1;
    if (in_pool(p)) {
        size_t slot = (size_t)((unsigned char *)p - pool) / SLOT_SIZE;
        OPENSSL_cleanse(p, SLOT_SIZE);
        atomic_fetch_and_explicit(&pool_used[slot / 64], ~(UINT64_C(1) << (slot % 64)),
                                  memory_order_release);
        return;
    }
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

dsk_status dsk_keys_secure_heap(size_t size, int *locked, dsk_error *err)
{
    int r;

    *locked = 1;
    if (size == 0 || CRYPTO_secure_malloc_initialized())
        return DSK_OK; /* an application's own heap is used as it is */
    r = CRYPTO_secure_malloc_init(size, 32);
    if (r == 0)
        return dsk_error_set(err, DSK_E_NOMEM,
                             "secure_heap: OpenSSL could not set up a secure heap of %zu bytes",
                             size);
    *locked = r == 1;
    return DSK_OK;
}
