/* ENCODER: a dstack key written as "PEM PrivateKeyInfo" becomes a reference
 * file (`openssl pkey -in dstack:web -out web.pem`), never key material.
 * Public keys are left to the default provider's encoders (our keymgmt
 * exports public parts). */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>

#include "internal.h"

static void *enc_newctx(void *provctx)
{
    return provctx;
}

static void enc_freectx(void *vctx) {}

static int enc_does_selection(void *provctx, int selection)
{
    return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0;
}

static int enc_encode(void *vctx, OSSL_CORE_BIO *cout, const void *obj_raw,
                      const OSSL_PARAM obj_abstract[], int selection, OSSL_PASSPHRASE_CALLBACK *cb,
                      void *cbarg)
{
    dsk_prov *p = vctx;
    const dsk_pkey *k = obj_raw;
    char *pem;
    size_t written = 0, len;
    int ok;

    if (k == NULL || !k->has_private || k->uri == NULL)
        return dsk_prov_raisef(p, DSK_E_UNSUPPORTED,
                               "only dstack keys can be written as a " DSK_REF_PEM_LABEL);
    if ((pem = dsk_ref_pem(k->uri)) == NULL)
        return 0;
    len = strlen(pem);
    ok = p->bio_write_ex(cout, pem, len, &written) && written == len;
    free(pem);
    return ok;
}

const OSSL_DISPATCH dsk_ref_encoder_functions[] = {
    {OSSL_FUNC_ENCODER_NEWCTX, (void (*)(void))enc_newctx},
    {OSSL_FUNC_ENCODER_FREECTX, (void (*)(void))enc_freectx},
    {OSSL_FUNC_ENCODER_DOES_SELECTION, (void (*)(void))enc_does_selection},
    {OSSL_FUNC_ENCODER_ENCODE, (void (*)(void))enc_encode},
    {0, NULL},
};
