/* A key: accessors and derivation, exactly once per process.
 *
 * The fast path is one acquire load of mat->ready; only a key not yet derived
 * takes its own mutex, and the thread that wins it does the GetKey request
 * while the others wait, then find it ready. A failure leaves ready at 0, so
 * the next use tries again. Material survives fork (the child inherits a
 * derived key; the client opens a new connection per request anyway).
 *
 * A failed attempt is shared with the callers that were waiting on the mutex
 * while it ran (they asked at the same time, so its answer is theirs):
 * against a hung agent, eight threads at first use return after one timeout,
 * not one after another. A caller that asks after the failure was reported
 * starts a new attempt: no failure is kept for later uses. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "derive.h"

const char *dsk_key_label(const dsk_key *k)
{
    return k != NULL ? k->label : NULL;
}

const char *dsk_key_path(const dsk_key *k)
{
    return k != NULL ? k->mat->path : NULL;
}

dsk_api dsk_key_api(const dsk_key *k)
{
    return k != NULL ? k->mat->api : DSK_API_V0;
}

const char *dsk_key_domain(const dsk_key *k)
{
    return k != NULL && k->mat->api == DSK_API_V1 ? k->mat->path : NULL;
}

const char *dsk_key_purpose(const dsk_key *k)
{
    return k != NULL ? k->mat->purpose : NULL;
}

void dsk_key_name_prefix(const dsk_key *k, dsk_error *err)
{
    if (k->mat->api == DSK_API_V1)
        dsk_error_prefix(err, "key '%s' (api v1, domain '%s')", k->label, k->mat->path);
    else
        dsk_error_prefix(err, "key '%s' (path '%s')", k->label, k->mat->path);
}

dsk_key_type dsk_key_get_type(const dsk_key *k)
{
    return k != NULL ? k->mat->type : DSK_KEY_TYPE_COUNT;
}

unsigned dsk_key_usage(const dsk_key *k)
{
    return k != NULL ? k->usage : 0;
}

int dsk_key_has_private(const dsk_key *k)
{
    return k != NULL && k->mat->has_private;
}

int dsk_key_is_derived(const dsk_key *k)
{
    return k != NULL && atomic_load_explicit(&k->mat->ready, memory_order_acquire);
}

void dsk_key_describe(const dsk_key *k, char *buf, size_t len)
{
    snprintf(buf, len, "key '%s' (%s)", k->label, dsk_type_info_get(k->mat->type)->name);
}

/* Caller holds mat->lock and mat is not ready. */
static dsk_status install_locked(dsk_key *k, const unsigned char m[32], dsk_error *err)
{
    dsk_keymat *mat = k->mat;
    OSSL_LIB_CTX *ctx = dsk_keys_libctx();
    dsk_status st;

    if (ctx == NULL)
        return dsk_error_set(err, DSK_E_CRYPTO, "no OpenSSL library context (out of memory?)");
    /* A parent's derivation cut short by fork can leave a half-filled
     * material in the child (see fork.c): start clean. */
    dsk_keymat_drop_sign_ctx(mat, 1);
    EVP_PKEY_free(mat->pkey);
    mat->pkey = NULL;
    free(mat->spki);
    mat->spki = NULL;
    dsk_k1_drop_scalar(mat);
    st = dsk_derive_v1(ctx, mat->type, m, &mat->pkey, err);
    if (st == DSK_OK)
        st = dsk_keymat_public_forms(mat, err);
    if (st == DSK_OK && mat->type == DSK_KEY_SECP256K1)
        st = dsk_k1_take_scalar(mat, err);
    if (st != DSK_OK) {
        dsk_k1_drop_scalar(mat);
        EVP_PKEY_free(mat->pkey);
        mat->pkey = NULL;
        free(mat->spki);
        mat->spki = NULL;
        mat->spki_len = mat->point_len = mat->rsa_n_len = mat->rsa_e_len = 0;
        return st;
    }
    atomic_store_explicit(&mat->ready, 1, memory_order_release);
    return DSK_OK;
}

dsk_status dsk_key_derive_from_material(dsk_key *k, const unsigned char m[32], dsk_error *err)
{
    dsk_status st = DSK_OK;

    if (k == NULL || m == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "derive: NULL argument");
    if (atomic_load_explicit(&k->mat->ready, memory_order_acquire))
        return DSK_OK;
    pthread_mutex_lock(&k->mat->lock);
    if (!atomic_load_explicit(&k->mat->ready, memory_order_relaxed))
        st = install_locked(k, m, err);
    pthread_mutex_unlock(&k->mat->lock);
    if (st != DSK_OK)
        dsk_key_name_prefix(k, err);
    return st;
}

static dsk_status fetch_and_install(dsk_key *k, dsk_error *err)
{
    dsk_keymat *mat = k->mat;
    dsk_key_reply *reply;
    dsk_status st;

    /* The reply carries M: keep it in locked, non-dumpable memory. */
    reply = dsk_secret_alloc(sizeof *reply);
    if (reply == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory for the key reply");
    atomic_fetch_add(&k->ks->getkey_calls, 1);
    const char *alg = dsk_derive_getkey_algorithm(mat->type);
    if (mat->api == DSK_API_V1) {
        st = dsk_client_v1_get_key(k->ks->client, mat->path, alg, reply, err);
        /* v1 says which public key its chain signs: it must be M's. */
        if (st == DSK_OK)
            st = dsk_keys_check_getkey_public(alg, reply->key, reply->public_key,
                                              reply->public_key_len, err);
    } else {
        st = dsk_client_get_key(k->ks->client, mat->path, mat->purpose, alg, reply, err);
    }
    if (st == DSK_OK)
        st = dsk_keys_check_chain(k, reply, err);
    if (st == DSK_OK)
        st = install_locked(k, reply->key, err);
    dsk_key_reply_clear(reply);
    dsk_secret_free(reply, sizeof *reply);
    return st;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A timeout opens the store's window of fast failures for reads (a hung
 * agent); any answer, even a refusal, closes it. */
static void note_agent(dsk_keystore *ks, dsk_status st)
{
    if (st == DSK_E_TIMEOUT) {
        long long until = now_ms() + ks->stall_ms;
        atomic_store(&ks->stall_until, until ? until : 1);
    } else if (st == DSK_OK || st == DSK_E_REFUSED || st == DSK_E_MALFORMED) {
        atomic_store(&ks->stall_until, 0);
    }
}

dsk_status dsk_key_derive_lazy(dsk_key *k, dsk_error *err)
{
    if (k == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "derive: NULL key");
    if (atomic_load_explicit(&k->mat->ready, memory_order_acquire))
        return DSK_OK;
    long long until = atomic_load(&k->ks->stall_until), now = now_ms();
    if (until != 0 && now < until) {
        dsk_error_set(err, DSK_E_TIMEOUT,
                      "not derived yet, and the agent did not answer this process's last "
                      "request in time: public values of keys not yet derived are not read "
                      "for %lld ms more (a use of the key asks the agent again)",
                      until - now);
        dsk_key_name_prefix(k, err);
        return DSK_E_TIMEOUT;
    }
    return dsk_key_derive(k, err);
}

dsk_status dsk_key_derive(dsk_key *k, dsk_error *err)
{
    dsk_keymat *mat;
    dsk_status st = DSK_OK;
    unsigned long seen;

    if (k == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "derive: NULL key");
    mat = k->mat;
    if (atomic_load_explicit(&mat->ready, memory_order_acquire))
        return DSK_OK;
    /* Read before waiting: a change seen under the lock is a failure that
     * happened while this caller waited. */
    seen = atomic_load(&mat->failures);
    pthread_mutex_lock(&mat->lock);
    if (atomic_load_explicit(&mat->ready, memory_order_relaxed)) {
        st = DSK_OK;
    } else if (atomic_load(&mat->failures) != seen) {
        st = mat->last_error.code;
        if (err != NULL)
            *err = mat->last_error;
    } else {
        dsk_error mine;
        dsk_error_clear(&mine);
        st = fetch_and_install(k, &mine);
        note_agent(k->ks, st);
        if (st != DSK_OK) {
            dsk_key_name_prefix(k, &mine);
            mat->last_error = mine;
            atomic_fetch_add(&mat->failures, 1);
            if (err != NULL)
                *err = mine;
        }
    }
    pthread_mutex_unlock(&mat->lock);
    return st;
}

dsk_status dsk_key_ready_for(dsk_key *k, unsigned usage, int need_private, const char *what,
                             dsk_error *err)
{
    char who[160];

    if (k == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "%s: NULL key", what);
    if ((k->usage & usage) != usage) {
        dsk_key_describe(k, who, sizeof who);
        return dsk_error_set(err, DSK_E_UNSUPPORTED, "%s does not allow %s", who, what);
    }
    if (need_private && !k->mat->has_private) {
        dsk_key_describe(k, who, sizeof who);
        return dsk_error_set(err, DSK_E_UNSUPPORTED, "%s is a public key only: no %s", who, what);
    }
    return dsk_key_derive(k, err);
}
