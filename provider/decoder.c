/* DECODERS for PEM reference files, in two stages so that both ways
 * OpenSSL 3.0 reads a key file find them:
 *
 *  1. "DER" from PEM: reads one PEM block; if its label is DSTACK KEY
 *     REFERENCE it passes on the URI text as data of type EC/ED25519/RSA with
 *     structure "dstack-ref"; any other block is passed over (return 1, no
 *     object) so the default provider's PEM decoder takes it. Being named
 *     "DER" puts it in every chain that starts from PEM: PEM_read_bio_
 *     PrivateKey's (nginx, curl) and the file: store's (the openssl tool).
 *  2. EC/ED25519/RSA from DER with structure "dstack-ref": turns the URI into
 *     our key by reference, so the key object comes from our keymgmt. In the
 *     file: store the stage-1 object goes through the store's key decoding,
 *     which runs stage 2. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/params.h>

#include "internal.h"
#include "log.h"

#define LINE_MAX_LEN 1024
#define BODY_MAX (DSK_URI_MAX * 2)

static void *dec_newctx(void *provctx)
{
    return provctx; /* stateless: the provider context is enough */
}

static void dec_freectx(void *vctx) {}

static int dec_does_selection(void *provctx, int selection)
{
    return selection == 0 || (selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

/* Reads up to our END line; *uri gets the body's URI. 0 = not our block. */
static int read_block(dsk_prov *p, OSSL_CORE_BIO *cin, char **uri, dsk_error *err)
{
    static const char begin[] = "-----BEGIN " DSK_REF_PEM_LABEL "-----";
    static const char end[] = "-----END " DSK_REF_PEM_LABEL "-----";
    char line[LINE_MAX_LEN];
    char *body = NULL;
    size_t blen = 0;
    int found = 0;

    *uri = NULL;
    /* Skip text before the first BEGIN line, as PEM readers do. */
    for (;;) {
        if (p->bio_gets(cin, line, sizeof line) <= 0)
            return 0;
        if (strncmp(line, "-----BEGIN ", 11) == 0)
            break;
    }
    chomp(line);
    if (strcmp(line, begin) != 0)
        return 0;
    if ((body = malloc(BODY_MAX)) == NULL) {
        dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        return -1;
    }
    while (p->bio_gets(cin, line, sizeof line) > 0) {
        size_t n;
        chomp(line);
        if (strcmp(line, end) == 0) {
            found = 1;
            break;
        }
        n = strlen(line);
        if (blen + n >= BODY_MAX) {
            dsk_error_set(err, DSK_E_BAD_INPUT, DSK_REF_PEM_LABEL " block is too long");
            goto fail;
        }
        memcpy(body + blen, line, n);
        blen += n;
    }
    if (!found) {
        dsk_error_set(err, DSK_E_BAD_INPUT, DSK_REF_PEM_LABEL " block has no END line");
        goto fail;
    }
    if (dsk_ref_from_base64(body, blen, uri, err) != DSK_OK)
        goto fail;
    free(body);
    return 1;
fail:
    free(body);
    return -1;
}

static int pem_decode(void *vctx, OSSL_CORE_BIO *cin, int selection, OSSL_CALLBACK *data_cb,
                      void *data_cbarg, OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    dsk_prov *p = vctx;
    dsk_error err = {0};
    dsk_ref ref = {0};
    dsk_key *key = NULL;
    char *uri = NULL;
    int ok = 0, r;

    r = read_block(p, cin, &uri, &err);
    dsk_log(DSK_LOG_DEBUG, "PEM decoder: %s",
            r == 0  ? "not a reference block, passed over"
            : r < 0 ? "bad reference block"
                    : uri);
    if (r == 0)
        return 1; /* not ours: let another decoder have it */
    if (r < 0 || dsk_ref_parse(uri, &ref, &err) != DSK_OK ||
        dsk_ref_resolve(p->ks, p->conf, DSK_PROV_CONF_HINT, &ref, &key, &err) != DSK_OK) {
        dsk_prov_raise(p, &err);
        goto done;
    }
    {
        int objtype = OSSL_OBJECT_PKEY;
        char *dtype = (char *)dsk_type_info_get(dsk_key_get_type(key))->ossl_name;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &objtype),
            OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, dtype, 0),
            OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_STRUCTURE, DSK_REF_STRUCTURE,
                                             0),
            OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_DATA, uri, strlen(uri)),
            OSSL_PARAM_construct_end(),
        };
        ok = data_cb(params, data_cbarg);
    }
done:
    dsk_ref_clear(&ref);
    free(uri);
    return ok;
}

static int ref_decode(void *vctx, OSSL_CORE_BIO *cin, int selection, OSSL_CALLBACK *data_cb,
                      void *data_cbarg, OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    dsk_prov *p = vctx;
    dsk_error err = {0};
    dsk_ref ref = {0};
    dsk_key *key = NULL;
    char buf[DSK_URI_MAX + 2];
    size_t n = 0, got = 0;
    int ok = 0;

    /* Only our own URI text: any real DER that reaches us is passed over. */
    /* One byte past the limit tells a URI of exactly DSK_URI_MAX bytes from
     * a longer one. */
    while (n <= DSK_URI_MAX && p->bio_read_ex(cin, buf + n, DSK_URI_MAX + 1 - n, &got) && got > 0)
        n += got;
    buf[n] = '\0';
    dsk_log(DSK_LOG_DEBUG, "reference decoder: %zu bytes%s", n,
            strncasecmp(buf, DSK_URI_SCHEME, strlen(DSK_URI_SCHEME)) == 0 ? ", a dstack: URI" : "");
    if (n < strlen(DSK_URI_SCHEME) || n > DSK_URI_MAX || memchr(buf, '\0', n) != NULL ||
        strncasecmp(buf, DSK_URI_SCHEME, strlen(DSK_URI_SCHEME)) != 0)
        return 1;
    /* No derivation here: in the file: store an error raised now would be
     * dropped by libcrypto; the first use derives and reports clearly. */
    if (dsk_ref_parse(buf, &ref, &err) != DSK_OK ||
        dsk_ref_resolve(p->ks, p->conf, DSK_PROV_CONF_HINT, &ref, &key, &err) != DSK_OK) {
        dsk_prov_raise(p, &err);
        goto done;
    }
    ok = dsk_objref_pass(p, key, ref.uri, data_cb, data_cbarg);
done:
    dsk_ref_clear(&ref);
    return ok;
}

const OSSL_DISPATCH dsk_pem_decoder_functions[] = {
    {OSSL_FUNC_DECODER_NEWCTX, (void (*)(void))dec_newctx},
    {OSSL_FUNC_DECODER_FREECTX, (void (*)(void))dec_freectx},
    {OSSL_FUNC_DECODER_DOES_SELECTION, (void (*)(void))dec_does_selection},
    {OSSL_FUNC_DECODER_DECODE, (void (*)(void))pem_decode},
    {0, NULL},
};

const OSSL_DISPATCH dsk_ref_decoder_functions[] = {
    {OSSL_FUNC_DECODER_NEWCTX, (void (*)(void))dec_newctx},
    {OSSL_FUNC_DECODER_FREECTX, (void (*)(void))dec_freectx},
    {OSSL_FUNC_DECODER_DOES_SELECTION, (void (*)(void))dec_does_selection},
    {OSSL_FUNC_DECODER_DECODE, (void (*)(void))ref_decode},
    {0, NULL},
};
