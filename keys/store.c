/* The key store: keys by label, derived material shared by (path, purpose,
 * type), public-only keys, and teardown.
 *
 * Sharing: two labels configured with the same path, purpose and type are two
 * dsk_key objects (each keeps its own label and usage, so dsk_keystore_find
 * finds both) over one dsk_keymat, so the key is fetched and derived once.
 * The same label added twice returns the first key if the description is
 * identical, and DSK_E_CONFIG otherwise. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

dsk_status dsk_keystore_new(const dsk_client_opts *copts, dsk_keystore **out, dsk_error *err)
{
    dsk_keystore *ks;
    dsk_status st;

    if (out == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "keystore: NULL output");
    *out = NULL;
    ks = calloc(1, sizeof *ks);
    if (ks == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "keystore: out of memory");
    if (pthread_mutex_init(&ks->lock, NULL) != 0) {
        free(ks);
        return dsk_error_set(err, DSK_E_NOMEM, "keystore: cannot create a mutex");
    }
    atomic_init(&ks->getkey_calls, 0);
    atomic_init(&ks->stall_until, 0);
    ks->stall_ms = copts != NULL && copts->timeout_ms > 0 ? copts->timeout_ms
                                                          : DSK_DEFAULT_TIMEOUT_MS;
    ks->max_keys = DSK_KEYSTORE_MAX_KEYS;
    ks->max_public = DSK_KEYSTORE_MAX_PUBLIC;
    st = dsk_client_new(copts, &ks->client, err);
    if (st != DSK_OK) {
        pthread_mutex_destroy(&ks->lock);
        free(ks);
        return st;
    }
    dsk_keys_fork_register(ks);
    *out = ks;
    return DSK_OK;
}

static void keymat_free(dsk_keymat *m, int openssl_alive)
{
    /* EVP_PKEY_free clears the private BIGNUMs/bytes OpenSSL holds. It drops
     * a reference atomically and frees the key's own lock: no global lock.
     * After OPENSSL_cleanup the key's methods may be gone: the process is
     * exiting, so the key is left to it rather than touched. */
    dsk_keymat_drop_sign_ctx(m, openssl_alive);
    if (openssl_alive)
        EVP_PKEY_free(m->pkey);
    dsk_k1_drop_scalar(m); /* our own memory: wiped even after OPENSSL_cleanup */
    free(m->spki);
    free(m->path);
    free(m->purpose);
    pthread_mutex_destroy(&m->lock);
    OPENSSL_cleanse(m, sizeof *m);
    free(m);
}

static void key_list_free(dsk_key *k)
{
    while (k != NULL) {
        dsk_key *next = k->next;
        free(k->label);
        free(k);
        k = next;
    }
}

/* The store's lists are doubly linked so that a released key leaves in
 * constant time. Callers hold ks->lock. */
static void key_link(dsk_key **head, dsk_key *k)
{
    k->prev = NULL;
    k->next = *head;
    if (*head != NULL)
        (*head)->prev = k;
    *head = k;
}

static void key_unlink(dsk_key **head, dsk_key *k)
{
    if (k->prev != NULL)
        k->prev->next = k->next;
    else
        *head = k->next;
    if (k->next != NULL)
        k->next->prev = k->prev;
}

static void mat_link(dsk_keystore *ks, dsk_keymat *m)
{
    m->prev = NULL;
    m->next = ks->mats;
    if (ks->mats != NULL)
        ks->mats->prev = m;
    ks->mats = m;
}

/* One key fewer over m: the last one takes it out of the store and frees it
 * (a material nobody uses is never kept). Caller holds ks->lock. */
static void mat_unref(dsk_keystore *ks, dsk_keymat *m)
{
    if (m->nkeys > 0 && --m->nkeys > 0)
        return;
    if (m->has_private)
        dsk_index_remove(&ks->mat_index, &m->link);
    if (m->prev != NULL)
        m->prev->next = m->next;
    else
        ks->mats = m->next;
    if (m->next != NULL)
        m->next->prev = m->prev;
    keymat_free(m, dsk_keys_openssl_alive());
}

/* A held key's last release (caller holds ks->lock). Labelled keys always
 * have private material; public-only keys are in the other list. */
static void key_remove(dsk_keystore *ks, dsk_key *k)
{
    if (k->mat->has_private) {
        dsk_index_remove(&ks->key_index, &k->link);
        key_unlink(&ks->keys, k);
        ks->nkeys--;
    } else {
        dsk_index_remove(&ks->pub_index, &k->link);
        key_unlink(&ks->pubkeys, k);
        ks->npubkeys--;
    }
    mat_unref(ks, k->mat);
    free(k->label);
    free(k);
}

void dsk_key_hold(dsk_key *k)
{
    if (k == NULL)
        return;
    pthread_mutex_lock(&k->ks->lock);
    k->refs++;
    pthread_mutex_unlock(&k->ks->lock);
}

void dsk_key_release(dsk_key *k)
{
    if (k == NULL)
        return;
    dsk_keystore *ks = k->ks;
    pthread_mutex_lock(&ks->lock);
    if (k->refs > 0)
        k->refs--;
    if (k->refs == 0 && k->transient)
        key_remove(ks, k);
    pthread_mutex_unlock(&ks->lock);
}

static void store_free(dsk_keystore *ks, int alive)
{
    if (ks == NULL)
        return;
    dsk_keys_fork_unregister(ks);
    key_list_free(ks->keys);
    key_list_free(ks->pubkeys);
    while (ks->mats != NULL) {
        dsk_keymat *next = ks->mats->next;
        keymat_free(ks->mats, alive);
        ks->mats = next;
    }
    dsk_index_free(&ks->key_index);
    dsk_index_free(&ks->mat_index);
    dsk_index_free(&ks->pub_index);
    dsk_client_free(ks->client);
    free(ks->roots);
    pthread_mutex_destroy(&ks->lock);
    free(ks);
}

void dsk_keystore_free(dsk_keystore *ks)
{
    store_free(ks, dsk_keys_openssl_alive());
}

void dsk_keystore_free_teardown(dsk_keystore *ks)
{
    /* Our keys live in our own library context, which OPENSSL_cleanup never
     * frees, and a provider's teardown runs before OpenSSL's own cleanup
     * steps: freeing them here is safe and clears them. */
    store_free(ks, 1);
}

static dsk_keymat *keymat_new(dsk_api api, const char *path, const char *purpose,
                              dsk_key_type type)
{
    dsk_keymat *m = calloc(1, sizeof *m);

    if (m == NULL)
        return NULL;
    m->path = strdup(path);
    m->purpose = strdup(purpose);
    m->type = type;
    m->api = api;
    atomic_init(&m->ready, 0);
    if (m->path == NULL || m->purpose == NULL || pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m->path);
        free(m->purpose);
        free(m);
        return NULL;
    }
    return m;
}

static uint64_t mat_hash(const char *path, const char *purpose, dsk_key_type type)
{
    /* The NULs keep ("ab", "c") and ("a", "bc") apart. */
    uint64_t h = dsk_index_hash(path, strlen(path) + 1, 0);
    h = dsk_index_hash(purpose, strlen(purpose) + 1, h);
    return dsk_index_hash(&type, sizeof type, h);
}

static uint64_t label_hash(const char *label)
{
    return dsk_index_hash(label, strlen(label), 0);
}

/* Caller holds ks->lock. */
static dsk_keymat *keymat_find(dsk_keystore *ks, dsk_api api, const char *path, const char *purpose,
                               dsk_key_type type)
{
    uint64_t h = mat_hash(path, purpose, type);
    for (dsk_index_link *l = dsk_index_first(&ks->mat_index, h); l != NULL; l = l->next) {
        dsk_keymat *m = (dsk_keymat *)l;
        if (l->hash == h && m->has_private && m->api == api && m->type == type &&
            strcmp(m->path, path) == 0 &&
            strcmp(m->purpose, purpose) == 0)
            return m;
    }
    return NULL;
}

/* Caller holds ks->lock. */
static dsk_key *key_find_locked(dsk_keystore *ks, const char *label)
{
    uint64_t h = label_hash(label);
    for (dsk_index_link *l = dsk_index_first(&ks->key_index, h); l != NULL; l = l->next)
        if (l->hash == h && strcmp(((dsk_key *)l)->label, label) == 0)
            return (dsk_key *)l;
    return NULL;
}

static dsk_status check_desc(const dsk_key_desc *d, unsigned *usage, dsk_error *err)
{
    const dsk_type_info *ti;
    unsigned can;

    if (d->label == NULL || d->label[0] == '\0')
        return dsk_error_set(err, DSK_E_CONFIG, "a key needs a non-empty label");
    ti = dsk_type_info_get(d->type);
    if (ti == NULL)
        return dsk_error_set(err, DSK_E_CONFIG, "key '%s': unknown key type %d", d->label,
                             (int)d->type);
    can = dsk_keys_type_usages(d->type);
    *usage = d->usage == 0 ? dsk_keys_type_default_usages(d->type) : d->usage;
    if (d->api != DSK_API_V0 && d->api != DSK_API_V1)
        return dsk_error_set(err, DSK_E_CONFIG, "key '%s': unknown api %d", d->label, (int)d->api);
    if (d->api == DSK_API_V1 && (d->path != NULL || (d->purpose != NULL && *d->purpose)))
        return dsk_error_set(err, DSK_E_CONFIG,
                             "key '%s': a v1 key is named by its domain: v1 has no path and no "
                             "purpose",
                             d->label);
    if (d->api == DSK_API_V0 && d->domain != NULL)
        return dsk_error_set(err, DSK_E_CONFIG,
                             "key '%s': domain is a v1 setting; a v0 key is named by its path",
                             d->label);
    if (d->api == DSK_API_V1 && d->type == DSK_KEY_TAPPD_P256)
        return dsk_error_set(err, DSK_E_CONFIG,
                             "key '%s': type tappd-p256 is tappd's key from the v0 GetKey bytes: "
                             "it needs api = v0",
                             d->label);
    if ((*usage & ~can) != 0)
        return dsk_error_set(
            err, DSK_E_CONFIG, "key '%s': a %s key cannot be used for %s; allowed: sign%s%s",
            d->label, ti->name, (*usage & ~can & DSK_USAGE_DECRYPT) ? "decrypt" : "derive",
            (can & DSK_USAGE_DECRYPT) ? ", decrypt" : "",
            (can & DSK_USAGE_DERIVE) ? ", derive" : "");
    return DSK_OK;
}

static dsk_status add_key(dsk_keystore *ks, const dsk_key_desc *desc, int held, dsk_key **out,
                          dsk_error *err)
{
    const char *path, *purpose;
    dsk_key *k = NULL;
    dsk_keymat *m = NULL;
    unsigned usage = 0;
    dsk_status st;

    if (ks == NULL || desc == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "keystore add: NULL argument");
    if ((st = check_desc(desc, &usage, err)) != DSK_OK)
        return st;
    if (desc->api == DSK_API_V1)
        path = desc->domain != NULL ? desc->domain : desc->label;
    else
        path = desc->path != NULL ? desc->path : desc->label;
    purpose = desc->purpose != NULL ? desc->purpose : "";

    pthread_mutex_lock(&ks->lock);
    k = key_find_locked(ks, desc->label);
    if (k != NULL) {
        if (k->mat->type == desc->type && k->usage == usage && k->mat->api == desc->api &&
            strcmp(k->mat->path, path) == 0 && strcmp(k->mat->purpose, purpose) == 0) {
            /* the same key again: one more holder, or now permanent */
            if (held)
                k->refs++;
            else
                k->transient = 0;
            goto done;
        }
        st = dsk_error_set(err, DSK_E_CONFIG,
                           "label '%s' is already used for another key (%s '%s', type %s)",
                           desc->label, k->mat->api == DSK_API_V1 ? "v1 domain" : "path",
                           k->mat->path, dsk_type_info_get(k->mat->type)->name);
        k = NULL;
        goto done;
    }
    /* Every distinct inline URI stays until the store is freed (keys may
     * be in use anywhere), held keys until released: a cap, not unbounded
     * growth. */
    if (ks->nkeys >= ks->max_keys) {
        st = dsk_error_set(err, DSK_E_NOMEM,
                           "key '%s': the key store is full (%zu keys; inline dstack: URIs are "
                           "kept until the process ends, generated key pairs until destroyed): "
                           "use fewer distinct keys, or configure them",
                           desc->label, ks->nkeys);
        goto done;
    }
    m = keymat_find(ks, desc->api, path, purpose, desc->type);
    if (m == NULL) {
        m = keymat_new(desc->api, path, purpose, desc->type);
        if (m == NULL || dsk_index_add(&ks->mat_index, &m->link,
                                       mat_hash(path, purpose, desc->type)) != 0) {
            if (m != NULL)
                keymat_free(m, 1);
            st = dsk_error_set(err, DSK_E_NOMEM, "key '%s': out of memory", desc->label);
            goto done;
        }
        m->has_private = 1;
        mat_link(ks, m);
    }
    m->nkeys++;
    k = calloc(1, sizeof *k);
    if (k == NULL || (k->label = strdup(desc->label)) == NULL ||
        dsk_index_add(&ks->key_index, &k->link, label_hash(desc->label)) != 0) {
        if (k != NULL)
            free(k->label);
        free(k);
        k = NULL;
        mat_unref(ks, m);
        st = dsk_error_set(err, DSK_E_NOMEM, "key '%s': out of memory", desc->label);
        goto done;
    }
    k->usage = usage;
    k->mat = m;
    k->ks = ks;
    k->refs = held ? 1 : 0;
    k->transient = held;
    key_link(&ks->keys, k);
    ks->nkeys++;
done:
    pthread_mutex_unlock(&ks->lock);
    if (out != NULL)
        *out = st == DSK_OK ? k : NULL;
    return st;
}

dsk_status dsk_keystore_add(dsk_keystore *ks, const dsk_key_desc *desc, dsk_key **out,
                            dsk_error *err)
{
    return add_key(ks, desc, 0, out, err);
}

dsk_status dsk_keystore_add_held(dsk_keystore *ks, const dsk_key_desc *desc, dsk_key **out,
                                 dsk_error *err)
{
    if (out == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "keystore add_held: NULL output");
    return add_key(ks, desc, 1, out, err);
}

dsk_status dsk_keystore_add_conf(dsk_keystore *ks, const dsk_conf *conf, dsk_error *err)
{
    if (ks == NULL || conf == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "keystore add_conf: NULL argument");
    for (size_t i = 0; i < conf->nkeys; i++) {
        const dsk_key_entry *e = &conf->keys[i];
        dsk_key_desc d = {e->label, e->path, e->purpose, e->type, e->usage, e->api, e->domain};
        if (e->api == DSK_API_V1)
            d.path = d.purpose = NULL;
        dsk_status st = dsk_keystore_add(ks, &d, NULL, err);
        if (st != DSK_OK) {
            if (conf->file != NULL)
                dsk_error_prefix(err, "%s:%d", conf->file, e->line);
            return st;
        }
    }
    return DSK_OK;
}

dsk_key *dsk_keystore_find(dsk_keystore *ks, const char *label)
{
    dsk_key *k;

    if (ks == NULL || label == NULL)
        return NULL;
    pthread_mutex_lock(&ks->lock);
    k = key_find_locked(ks, label);
    pthread_mutex_unlock(&ks->lock);
    return k;
}

unsigned long dsk_keystore_getkey_calls(const dsk_keystore *ks)
{
    return atomic_load(&ks->getkey_calls);
}

/* Public-only keys are deduplicated by their encoding, so importing the same
 * public key again (every TLS handshake, every C_CreateObject) does not grow
 * the store. */
static dsk_status add_public(dsk_keystore *ks, const unsigned char *spki, size_t len, int held,
                             dsk_key **out, dsk_error *err)
{
    EVP_PKEY *pkey = NULL;
    dsk_keymat *m = NULL;
    dsk_key *k = NULL;
    dsk_key_type type;
    dsk_status st;

    if (ks == NULL || spki == NULL || out == NULL || len == 0 || len > 1u << 20)
        return dsk_error_set(err, DSK_E_ARGS, "public key: NULL or empty argument");
    *out = NULL;
    if (dsk_keys_libctx() == NULL)
        return dsk_error_set(err, DSK_E_CRYPTO, "no OpenSSL library context");
    pkey = dsk_keys_d2i_spki(spki, len);
    if (pkey == NULL) {
        st = dsk_error_set(err, DSK_E_BAD_INPUT,
                           "public key: not a valid DER SubjectPublicKeyInfo (%zu bytes)", len);
        goto done;
    }
    if ((st = dsk_keys_pkey_type(pkey, &type, err)) != DSK_OK)
        goto done;
    m = keymat_new(DSK_API_V0, "", "", type);
    if (m == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "public key: out of memory");
        goto done;
    }
    m->pkey = pkey;
    pkey = NULL;
    if ((st = dsk_keymat_public_forms(m, err)) != DSK_OK)
        goto done;
    atomic_store_explicit(&m->ready, 1, memory_order_release);

    uint64_t h = dsk_index_hash(m->spki, m->spki_len, 0);
    pthread_mutex_lock(&ks->lock);
    for (dsk_index_link *l = dsk_index_first(&ks->pub_index, h); l != NULL && k == NULL;
         l = l->next) {
        dsk_key *c = (dsk_key *)l;
        if (l->hash == h && c->mat->spki_len == m->spki_len &&
            memcmp(c->mat->spki, m->spki, m->spki_len) == 0)
            k = c;
    }
    if (k != NULL && held)
        k->refs++;
    else if (k != NULL)
        k->transient = 0;
    if (k == NULL && ks->npubkeys >= ks->max_public) {
        st = dsk_error_set(err, DSK_E_NOMEM,
                           "public key: the key store is full (%zu distinct public keys "
                           "imported; kept until the process ends, or until their PKCS#11 "
                           "objects are destroyed)",
                           ks->npubkeys);
    } else if (k == NULL) {
        k = calloc(1, sizeof *k);
        if (k == NULL || (k->label = strdup("(public key)")) == NULL ||
            dsk_index_add(&ks->pub_index, &k->link, h) != 0) {
            if (k != NULL)
                free(k->label);
            free(k);
            k = NULL;
            st = dsk_error_set(err, DSK_E_NOMEM, "public key: out of memory");
        } else {
            k->usage = dsk_keys_type_usages(type);
            k->mat = m;
            k->ks = ks;
            k->refs = held ? 1 : 0;
            k->transient = held;
            key_link(&ks->pubkeys, k);
            ks->npubkeys++;
            m->nkeys = 1;
            mat_link(ks, m);
            m = NULL;
        }
    }
    pthread_mutex_unlock(&ks->lock);
    *out = k;
done:
    if (m != NULL)
        keymat_free(m, 1);
    EVP_PKEY_free(pkey);
    return st;
}

dsk_status dsk_keystore_add_public(dsk_keystore *ks, const unsigned char *spki, size_t len,
                                   dsk_key **out, dsk_error *err)
{
    return add_public(ks, spki, len, 0, out, err);
}

dsk_status dsk_keystore_add_public_held(dsk_keystore *ks, const unsigned char *spki, size_t len,
                                        dsk_key **out, dsk_error *err)
{
    return add_public(ks, spki, len, 1, out, err);
}
