#include "internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include "hex.h"
#include "trust.h"
#include "wipe.h"

#define KMS_ISSUED "dstack-kms-issued:"

/* The official dstack simulator's appkeys.json (development key, public). */
static const uint8_t default_k256_key[32] = {
    0xd6, 0xe8, 0x89, 0x92, 0xcd, 0xee, 0xee, 0x35, 0xfe, 0x70, 0xb5, 0xdb, 0x61, 0xab, 0x66, 0xcd,
    0xb1, 0x91, 0xfb, 0x9b, 0x6e, 0xc9, 0x31, 0x37, 0x57, 0xef, 0x16, 0x2d, 0xd7, 0x21, 0x4d, 0x5d,
};
static const uint8_t default_k256_signature[65] = {
    0x9e, 0x61, 0x86, 0x03, 0xe7, 0x2d, 0x01, 0xfe, 0xdb, 0x82, 0xde, 0xff, 0x6d, 0xaf, 0x2d, 0x62,
    0xa5, 0x72, 0xbe, 0xcf, 0x00, 0x59, 0xee, 0xc3, 0xf8, 0x9c, 0x1a, 0xb4, 0x0e, 0x1f, 0x2e, 0x59,
    0x4d, 0x2a, 0x28, 0x3f, 0x84, 0x3f, 0x34, 0xe8, 0xf3, 0x9e, 0x4c, 0xc4, 0x9a, 0x61, 0x24, 0x96,
    0xce, 0x67, 0x22, 0x3a, 0x12, 0xac, 0x92, 0x3f, 0x8e, 0xfe, 0x33, 0x03, 0x46, 0xdf, 0xc6, 0xc5,
    0x00,
};
/* The app id the KMS signed in default_k256_signature. */
static const uint8_t default_app_id[DSK_SIM_APP_ID_LEN] = {
    0x5b, 0xb4, 0xff, 0x9a, 0x38, 0x37, 0x35, 0x7f, 0x19, 0xdc,
    0x17, 0x64, 0x07, 0xa5, 0x70, 0x9c, 0x62, 0xeb, 0x6c, 0x56,
};

#define APPKEYS_MAX_FILE (1024 * 1024)

void dsk_sim_appkeys_default(dsk_sim_appkeys *keys)
{
    memcpy(keys->k256_key, default_k256_key, sizeof keys->k256_key);
    memcpy(keys->k256_signature, default_k256_signature, sizeof keys->k256_signature);
    keys->k256_signature_len = sizeof default_k256_signature;
    memcpy(keys->app_id, default_app_id, sizeof keys->app_id);
}

void dsk_sim_appkeys_wipe(dsk_sim_appkeys *keys)
{
    dsk_wipe(keys, sizeof *keys);
}

dsk_status dsk_sim_appkeys_set_app_id(dsk_sim_appkeys *keys, const char *hex, dsk_error *err)
{
    uint8_t id[DSK_SIM_APP_ID_LEN];
    if (dsk_hex_decode(hex, strlen(hex), id, sizeof id) != (long)sizeof id)
        return dsk_error_set(err, DSK_E_ARGS,
                             "app id '%s' is not 20 bytes of hex (40 hex digits, optional 0x)", hex);
    memcpy(keys->app_id, id, sizeof id);
    return DSK_OK;
}

/* Read the whole file into a NUL-terminated heap buffer of *len bytes. */
static dsk_status read_file(const char *file, char **out, size_t *len, dsk_error *err)
{
    dsk_status rc = DSK_OK;
    char *buf = NULL;
    FILE *f = fopen(file, "rb");
    if (!f)
        return dsk_error_set(err, DSK_E_IO, "cannot open key file %s: %s", file, strerror(errno));
    buf = malloc(APPKEYS_MAX_FILE + 1);
    if (!buf) {
        rc = dsk_error_set(err, DSK_E_NOMEM, "out of memory reading key file %s", file);
        goto done;
    }
    size_t n = fread(buf, 1, APPKEYS_MAX_FILE + 1, f);
    if (ferror(f)) {
        rc = dsk_error_set(err, DSK_E_IO, "cannot read key file %s: %s", file, strerror(errno));
        goto done;
    }
    if (n > APPKEYS_MAX_FILE) {
        rc = dsk_error_set(err, DSK_E_IO, "key file %s is larger than %d bytes: is it an appkeys.json?",
                           file, APPKEYS_MAX_FILE);
        goto done;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
done:
    if (buf)
        dsk_wipe_free(buf, APPKEYS_MAX_FILE + 1);
    fclose(f);
    return rc;
}

/* Decode a hex string field into out; exactly want bytes, or 0 when
 * allow_empty and the string is empty. */
static dsk_status hex_field(const cJSON *root, const char *file, const char *name,
                            uint8_t *out, size_t want, bool allow_empty, size_t *got,
                            dsk_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!cJSON_IsString(item))
        return dsk_error_set(err, DSK_E_CONFIG, "key file %s: field \"%s\" is missing or not a string",
                             file, name);
    const char *text = item->valuestring;
    size_t tl = strlen(text);
    if (allow_empty && tl == 0) {
        *got = 0;
        return DSK_OK;
    }
    long n = dsk_hex_decode(text, tl, out, want);
    if (n != (long)want)
        return dsk_error_set(err, DSK_E_CONFIG, "key file %s: field \"%s\" must be %zu bytes of hex",
                             file, name, want);
    *got = want;
    return DSK_OK;
}

/* The file also holds other private keys (disk, env, provider): wipe every
 * string in the tree. */
static void wipe_json(cJSON *node)
{
    cJSON *item;
    cJSON_ArrayForEach(item, node) {
        if (cJSON_IsString(item) && item->valuestring)
            dsk_wipe(item->valuestring, strlen(item->valuestring));
        if (item->child)
            wipe_json(item);
    }
}

dsk_status dsk_sim_appkeys_load(const char *file, dsk_sim_appkeys *keys, dsk_error *err)
{
    dsk_status rc;
    char *text = NULL;
    size_t len = 0, got;
    cJSON *root = NULL;
    dsk_sim_appkeys tmp;

    dsk_sim_appkeys_default(&tmp);
    memcpy(tmp.app_id, keys->app_id, sizeof tmp.app_id);
    rc = read_file(file, &text, &len, err);
    if (rc != DSK_OK)
        goto done;
    root = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(root)) {
        rc = dsk_error_set(err, DSK_E_CONFIG, "key file %s is not a JSON object (expected the "
                           "appkeys.json format with k256_key and k256_signature)", file);
        goto done;
    }
    rc = hex_field(root, file, "k256_key", tmp.k256_key, sizeof tmp.k256_key, false, &got, err);
    if (rc != DSK_OK)
        goto done;
    rc = hex_field(root, file, "k256_signature", tmp.k256_signature, sizeof tmp.k256_signature,
                   true, &tmp.k256_signature_len, err);
    if (rc != DSK_OK)
        goto done;
    memcpy(keys, &tmp, sizeof tmp);
done:
    /* cJSON frees without wiping: wipe the key strings in the tree first. */
    if (root) {
        wipe_json(root);
        cJSON_Delete(root);
    }
    if (text)
        dsk_wipe_free(text, len + 1);
    dsk_sim_appkeys_wipe(&tmp);
    return rc;
}

dsk_status dsk_sim_appkeys_make(const uint8_t *kms_key, const uint8_t app_id[DSK_SIM_APP_ID_LEN],
                                dsk_sim_appkeys *out, uint8_t kms_root[33], dsk_error *err)
{
    uint8_t app_pub[33], msg[sizeof KMS_ISSUED - 1 + DSK_SIM_APP_ID_LEN + 33], hash[32];
    size_t len = 0;
    dsk_status st;

    memset(out, 0, sizeof *out);
    memset(kms_root, 0, 33);
    memcpy(out->app_id, app_id, DSK_SIM_APP_ID_LEN);
    /* A random scalar; dsk_sim_public_key refuses the ~2^-128 invalid ones. */
    do {
        if (RAND_bytes(out->k256_key, sizeof out->k256_key) != 1)
            return dsk_error_set(err, DSK_E_CRYPTO, "no random bytes for the app key");
        st = dsk_sim_public_key(DSK_SIM_ALG_SECP256K1, out->k256_key, app_pub, &len, NULL);
    } while (st != DSK_OK);
    if (!kms_key)
        return DSK_OK;
    st = dsk_sim_public_key(DSK_SIM_ALG_SECP256K1, kms_key, kms_root, &len, err);
    if (st != DSK_OK)
        return st;
    /* link 1, as the KMS signs it: "dstack-kms-issued:" || app id || app key */
    memcpy(msg, KMS_ISSUED, sizeof KMS_ISSUED - 1);
    memcpy(msg + sizeof KMS_ISSUED - 1, app_id, DSK_SIM_APP_ID_LEN);
    memcpy(msg + sizeof KMS_ISSUED - 1 + DSK_SIM_APP_ID_LEN, app_pub, 33);
    dsk_keccak256(msg, sizeof msg, hash);
    st = dsk_sim_sign_recoverable(kms_key, hash, out->k256_signature, err);
    if (st == DSK_OK)
        out->k256_signature_len = DSK_SIM_SIG_LEN;
    return st;
}

dsk_status dsk_sim_appkeys_write(const char *file, const dsk_sim_appkeys *keys, dsk_error *err)
{
    char key[65], sig[2 * DSK_SIM_SIG_LEN + 1] = "";
    int fd;
    FILE *f;
    int ok;

    fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return dsk_error_set(err, DSK_E_IO, "cannot create key file %s: %s (it must not exist)",
                             file, strerror(errno));
    f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return dsk_error_set(err, DSK_E_IO, "cannot write key file %s: %s", file, strerror(errno));
    }
    dsk_hex_encode(keys->k256_key, sizeof keys->k256_key, key);
    if (keys->k256_signature_len)
        dsk_hex_encode(keys->k256_signature, keys->k256_signature_len, sig);
    ok = fprintf(f, "{\n    \"k256_key\": \"%s\",\n    \"k256_signature\": \"%s\"\n}\n", key,
                 sig) > 0;
    ok = (fclose(f) == 0) && ok;
    dsk_wipe(key, sizeof key);
    if (!ok)
        return dsk_error_set(err, DSK_E_IO, "cannot write key file %s", file);
    return DSK_OK;
}
