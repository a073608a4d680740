/* Module life: C_Initialize, C_Finalize, fork, locks and the configuration.
 *
 * C_Initialize reads the configuration file and nothing else: no socket is
 * touched, so it succeeds with dstack down (p11-kit loads every module into
 * every program). A configuration file that exists but is invalid is the one
 * case where it fails: the error (file:line, what is wrong) is logged and
 * CKR_GENERAL_ERROR returned, so that p11-kit marks this module as failed and
 * carries on with the others, and a program that asked for this module sees
 * a clear refusal instead of an empty token that hides the mistake. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "forkgen.h"
#include "internal.h"
#include "log.h"

dsk_p11_mod dsk_p11;

#define DSK_P11_ENDPOINT_ENV "DSTACK_SIMULATOR_ENDPOINT"

/* Serialises C_Initialize and C_Finalize; never held across fork by us. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int initialised;
/* The fork generation (common/forkgen.h) of the process that initialised:
 * a forked child sees another value without a system call. */
static atomic_uint cur_gen;

/* Application mutex callbacks (used when given without CKF_OS_LOCKING_OK). */
static CK_CREATEMUTEX app_create;
static CK_DESTROYMUTEX app_destroy;
static CK_LOCKMUTEX app_lock;
static CK_UNLOCKMUTEX app_unlock;

CK_RV dsk_p11_mutex_new(void **out)
{
    if (app_create)
        return app_create(out);
    pthread_mutex_t *m = malloc(sizeof *m);
    if (!m)
        return CKR_HOST_MEMORY;
    pthread_mutex_init(m, NULL);
    *out = m;
    return CKR_OK;
}

void dsk_p11_mutex_free(void *m)
{
    if (!m)
        return;
    if (app_destroy) {
        app_destroy(m);
        return;
    }
    pthread_mutex_destroy(m);
    free(m);
}

void dsk_p11_mutex_abandon(void *m)
{
    /* A forked child's copy of a parent lock may be held by a thread that
     * does not exist here: destroying it is undefined, freeing the memory
     * is not. An application's mutex is the application's to destroy. */
    if (!m)
        return;
    if (app_destroy)
        app_destroy(m);
    else
        free(m);
}

void dsk_p11_mutex_lock(void *m)
{
    if (app_lock)
        app_lock(m);
    else
        pthread_mutex_lock(m);
}

void dsk_p11_mutex_unlock(void *m)
{
    if (app_unlock)
        app_unlock(m);
    else
        pthread_mutex_unlock(m);
}

void dsk_p11_lock(void)
{
    dsk_p11_mutex_lock(dsk_p11.lock);
}
void dsk_p11_unlock(void)
{
    dsk_p11_mutex_unlock(dsk_p11.lock);
}

CK_RV dsk_p11_ready(void)
{
    /* A forked child is not initialised until it calls C_Initialize: the
     * parent's sessions are not its own. */
    if (!atomic_load_explicit(&initialised, memory_order_acquire) ||
        atomic_load_explicit(&cur_gen, memory_order_relaxed) != dsk_fork_gen())
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    return CKR_OK;
}

int dsk_p11_has_pin(void)
{
    return dsk_p11.conf && dsk_p11.conf->user_pin;
}

static CK_RV check_args(const CK_C_INITIALIZE_ARGS *a)
{
    if (!a)
        return CKR_OK;
    if (a->pReserved)
        return CKR_ARGUMENTS_BAD;
    int n = !!a->CreateMutex + !!a->DestroyMutex + !!a->LockMutex + !!a->UnlockMutex;
    if (n != 0 && n != 4)
        return CKR_ARGUMENTS_BAD;
    return CKR_OK;
}

static void set_mutex_funcs(const CK_C_INITIALIZE_ARGS *a)
{
    /* CKF_LIBRARY_CANT_CREATE_OS_THREADS needs nothing: no thread is ever
     * created here. With OS locking allowed we prefer pthreads. */
    int use_app = a && a->CreateMutex && !(a->flags & CKF_OS_LOCKING_OK);
    app_create = use_app ? a->CreateMutex : NULL;
    app_destroy = use_app ? a->DestroyMutex : NULL;
    app_lock = use_app ? a->LockMutex : NULL;
    app_unlock = use_app ? a->UnlockMutex : NULL;
}

static void log_setup(const dsk_conf *conf)
{
    /* dsk_conf_load already applied DSTACK_PKCS11_DEBUG; without a usable
     * configuration the variable is read here with the same meaning. */
    dsk_log_level level = conf ? (dsk_log_level)conf->log_level : DSK_LOG_WARNING;
    const char *env = secure_getenv(DSK_CONF_DEBUG_ENV);
    if (!conf && env && *env) {
        if (!strcmp(env, "1") || !strcasecmp(env, "yes") || !strcasecmp(env, "true") ||
            !strcasecmp(env, "on") || dsk_log_level_parse(env, &level) != 0)
            level = DSK_LOG_DEBUG;
    }
    dsk_log_init("dstack-pkcs11", level);
}

/* Everything but the configuration and the key store (so derived keys
 * survive a fork). Frees memory only. */
static void state_free(void)
{
    dsk_p11_sessions_free();
    dsk_p11_objects_free();
    dsk_p11_tokens_free();
    dsk_p11.next_session = 0;
    dsk_p11.next_object = 0;
}

static CK_RV state_build(void)
{
    dsk_error err;
    dsk_error_clear(&err);
    CK_RV rv = dsk_p11_tokens_build(&err);
    if (rv == CKR_OK)
        rv = dsk_p11_objects_build(&err);
    if (rv != CKR_OK) {
        dsk_log(DSK_LOG_ERROR, "%s", err.msg[0] ? err.msg : "initialisation failed");
        state_free();
    }
    return rv;
}

static CK_RV load(void)
{
    dsk_error err;
    dsk_error_clear(&err);
    dsk_conf *conf = NULL;
    dsk_status st = dsk_conf_load(NULL, &conf, &err);
    if (st != DSK_OK) {
        log_setup(NULL);
        dsk_log(DSK_LOG_ERROR, "%s", err.msg);
        return st == DSK_E_NOMEM ? CKR_HOST_MEMORY : CKR_GENERAL_ERROR;
    }
    log_setup(conf);
    if (conf->missing_file)
        dsk_log(DSK_LOG_INFO, "no configuration file %s: the token has no configured keys",
                conf->missing_file);
    int locked = 1;
    if (dsk_keys_secure_heap(conf->secure_heap, &locked, &err) != DSK_OK) {
        dsk_log(DSK_LOG_ERROR, "%s", err.msg);
        dsk_conf_free(conf);
        return CKR_HOST_MEMORY;
    }
    if (!locked)
        dsk_log(DSK_LOG_WARNING, "secure_heap: OpenSSL's secure heap could not be locked in "
                                 "memory (RLIMIT_MEMLOCK); it is still kept out of core dumps");
    dsk_client_opts copts = {
        .endpoint = conf->endpoint,
        .connect_timeout_ms = conf->connect_timeout_ms,
        .timeout_ms = conf->timeout_ms,
        .agent_uid = conf->agent_uid,
    };
    /* The agent named by the environment is read once, here, and not at
     * all in a set-uid or set-gid program (secure_getenv), as the provider
     * does: the caller of such a program must not choose its keys. */
    if (copts.endpoint == NULL || copts.endpoint[0] == '\0') {
        copts.endpoint = secure_getenv(DSK_P11_ENDPOINT_ENV);
        copts.endpoint_from_env = copts.endpoint != NULL && copts.endpoint[0] != '\0';
    }
    dsk_keystore *ks = NULL;
    st = dsk_keystore_new(&copts, &ks, &err);
    if (st == DSK_OK && (st = dsk_keystore_set_trust_conf(ks, conf, &err)) != DSK_OK) {
        dsk_keystore_free(ks);
        ks = NULL;
    }
    if (st != DSK_OK) {
        dsk_log(DSK_LOG_ERROR, "%s", err.msg);
        dsk_conf_free(conf);
        return dsk_p11_rv(st, NULL, DSK_CTX_GENERAL);
    }
    dsk_p11.conf = conf;
    dsk_p11.ks = ks;
    return CKR_OK;
}

static void unload(void)
{
    dsk_keystore_free(dsk_p11.ks);
    dsk_conf_free(dsk_p11.conf);
    dsk_p11.ks = NULL;
    dsk_p11.conf = NULL;
}

CK_RV dsk_p11_initialize(CK_VOID_PTR pargs)
{
    const CK_C_INITIALIZE_ARGS *a = pargs;
    CK_RV rv = check_args(a);
    if (rv != CKR_OK)
        return rv;
    dsk_fork_gen_watch();
    pthread_mutex_lock(&init_lock);
    unsigned gen = dsk_fork_gen();
    if (atomic_load(&initialised) && atomic_load(&cur_gen) == gen) {
        rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
        goto done;
    }
    if (atomic_load(&initialised)) {
        /* A forked child: the parent's sessions and locks are not ours (a
         * lock may have been held by a thread that does not exist here), so
         * drop them without locking; keep the configuration and the keys. */
        atomic_store(&initialised, 0);
        state_free();
        dsk_p11_mutex_abandon(dsk_p11.lock);
        dsk_p11.lock = NULL;
        log_setup(dsk_p11.conf);
        dsk_log(DSK_LOG_DEBUG, "re-initialised after fork (pid %d)", (int)getpid());
    }
    set_mutex_funcs(a);
    rv = dsk_p11_mutex_new(&dsk_p11.lock);
    if (rv != CKR_OK)
        goto done;
    if (!dsk_p11.conf && (rv = load()) != CKR_OK)
        goto fail;
    if ((rv = state_build()) != CKR_OK) {
        unload();
        goto fail;
    }
    dsk_p11.gen = gen;
    atomic_store(&cur_gen, gen);
    atomic_store(&initialised, 1);
    rv = CKR_OK;
    goto done;
fail:
    dsk_p11_mutex_free(dsk_p11.lock);
    dsk_p11.lock = NULL;
done:
    pthread_mutex_unlock(&init_lock);
    return rv;
}

CK_RV dsk_p11_finalize(void)
{
    pthread_mutex_lock(&init_lock);
    CK_RV rv = CKR_CRYPTOKI_NOT_INITIALIZED;
    /* Accepted in a forked child too: it frees the inherited copy. */
    if (atomic_load(&initialised)) {
        atomic_store(&initialised, 0);
        int child = atomic_load(&cur_gen) != dsk_fork_gen();
        state_free();
        unload();
        if (child)
            dsk_p11_mutex_abandon(dsk_p11.lock);
        else
            dsk_p11_mutex_free(dsk_p11.lock);
        dsk_p11.lock = NULL;
        rv = CKR_OK;
    }
    pthread_mutex_unlock(&init_lock);
    return rv;
}
