/* keys/ref.c: dstack: URIs and the base64 body of reference files.
 * A URI that parses survives the trip through a PEM reference file. */
#include <strings.h>

#include "fuzz.h"
#include "ref.h"

static void check_pem_round_trip(const char *uri)
{
    static const char begin[] = "-----BEGIN " DSK_REF_PEM_LABEL "-----\n";
    static const char end[] = "-----END " DSK_REF_PEM_LABEL "-----\n";
    dsk_error err = {0};
    char *pem = dsk_ref_pem(uri), *back = NULL;
    size_t n;

    if (pem == NULL)
        return;
    n = strlen(pem);
    DSK_FUZZ_ASSERT(strncmp(pem, begin, sizeof begin - 1) == 0);
    DSK_FUZZ_ASSERT(n >= sizeof begin - 1 + sizeof end - 1);
    DSK_FUZZ_ASSERT(strcmp(pem + n - (sizeof end - 1), end) == 0);
    DSK_FUZZ_ASSERT(dsk_ref_from_base64(pem + sizeof begin - 1,
                                        n - (sizeof begin - 1) - (sizeof end - 1), &back, &err)
                    == DSK_OK);
    DSK_FUZZ_ASSERT(strcmp(back, uri) == 0);
    free(back);
    free(pem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = dsk_fuzz_cstr(data, size), *uri = NULL;
    dsk_ref ref;
    dsk_error err = {0};

    if (text == NULL)
        return 0;
    if (dsk_ref_parse(text, &ref, &err) == DSK_OK) {
        DSK_FUZZ_ASSERT(ref.uri != NULL && strcmp(ref.uri, text) == 0);
        DSK_FUZZ_ASSERT((ref.label != NULL) != (ref.path != NULL));
        DSK_FUZZ_ASSERT(ref.label == NULL || ref.label[0] != '\0');
        DSK_FUZZ_ASSERT(dsk_key_type_name(ref.type) != NULL);
        check_pem_round_trip(ref.uri);
        dsk_ref_clear(&ref);
    } else {
        DSK_FUZZ_ASSERT(ref.uri == NULL && ref.label == NULL && ref.path == NULL);
        DSK_FUZZ_ASSERT(err.msg[0] != '\0');
    }
    /* The same bytes as a reference file's body. */
    if (dsk_ref_from_base64((const char *)data, size, &uri, &err) == DSK_OK) {
        DSK_FUZZ_ASSERT(uri != NULL && strncasecmp(uri, DSK_URI_SCHEME, strlen(DSK_URI_SCHEME)) == 0);
        free(uri);
    } else {
        DSK_FUZZ_ASSERT(uri == NULL);
    }
    free(text);
    return 0;
}
