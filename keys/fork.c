/* Fork safety of our own locks.
 *
 * A multi-threaded program may fork while one of its threads holds a key's
 * derivation lock (a GetKey request can take seconds) or a store's list lock.
 * The child has only the forking thread, so such a lock would never be
 * released and the child would hang at the key's first use. The handlers
 * below take every store's list lock around fork (held only for list edits,
 * never for I/O, so fork waits microseconds) and, in the child, re-create
 * every key's derivation lock: a derivation that was in flight in the parent
 * did not publish its key, so the child derives it again itself. glibc drops
 * these handlers when a module that registered them is unloaded. */
#include "internal.h"

#include <pthread.h>

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static dsk_keystore *reg_head;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void before_fork(void)
{
    pthread_mutex_lock(&reg_lock);
    for (dsk_keystore *ks = reg_head; ks != NULL; ks = ks->reg_next)
        pthread_mutex_lock(&ks->lock);
}

static void after_fork_parent(void)
{
    for (dsk_keystore *ks = reg_head; ks != NULL; ks = ks->reg_next)
        pthread_mutex_unlock(&ks->lock);
    pthread_mutex_unlock(&reg_lock);
}

static void after_fork_child(void)
{
    for (dsk_keystore *ks = reg_head; ks != NULL; ks = ks->reg_next) {
        /* the owner may be a thread that does not exist here */
        for (dsk_keymat *m = ks->mats; m != NULL; m = m->next)
            pthread_mutex_init(&m->lock, NULL);
        pthread_mutex_unlock(&ks->lock);
    }
    pthread_mutex_unlock(&reg_lock);
}

static void install(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

void dsk_keys_fork_register(dsk_keystore *ks)
{
    pthread_once(&atfork_once, install);
    pthread_mutex_lock(&reg_lock);
    ks->reg_next = reg_head;
    reg_head = ks;
    pthread_mutex_unlock(&reg_lock);
}

void dsk_keys_fork_unregister(dsk_keystore *ks)
{
    pthread_mutex_lock(&reg_lock);
    for (dsk_keystore **p = &reg_head; *p != NULL; p = &(*p)->reg_next) {
        if (*p == ks) {
            *p = ks->reg_next;
            break;
        }
    }
    pthread_mutex_unlock(&reg_lock);
}
