/* keys/: dsk_cert_parse on arbitrary bytes (the certificate file of a
 * configured key, PEM or DER), and the certificate's public key through
 * dsk_keystore_add_public as the PKCS#11 module does to match key and
 * certificate. */
#include "fuzz.h"
#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dsk_cert c, again;
    dsk_error err = {0};
    dsk_keystore *ks = NULL;
    dsk_key *k = NULL;
    dsk_status st;

    st = dsk_cert_parse(data, size, "fuzz.pem", &c, &err);
    if (st != DSK_OK) {
        DSK_FUZZ_ASSERT(st == DSK_E_CONFIG || st == DSK_E_ARGS || st == DSK_E_NOMEM);
        DSK_FUZZ_ASSERT(strncmp(err.msg, "fuzz.pem: ", 10) == 0);
        return 0;
    }
    DSK_FUZZ_ASSERT(c.der != NULL && c.subject != NULL && c.issuer != NULL);
    DSK_FUZZ_ASSERT(c.serial != NULL && c.spki != NULL);
    /* The DER it hands out is itself a certificate with the same parts. */
    DSK_FUZZ_ASSERT(dsk_cert_parse(c.der, c.der_len, "again", &again, &err) == DSK_OK);
    DSK_FUZZ_ASSERT(again.der_len == c.der_len && memcmp(again.der, c.der, c.der_len) == 0);
    DSK_FUZZ_ASSERT(again.spki_len == c.spki_len && memcmp(again.spki, c.spki, c.spki_len) == 0);
    dsk_cert_free(&again);
    if (dsk_keystore_new(NULL, &ks, &err) == DSK_OK) {
        st = dsk_keystore_add_public(ks, c.spki, c.spki_len, &k, &err);
        DSK_FUZZ_ASSERT(st == DSK_OK || st == DSK_E_BAD_INPUT || st == DSK_E_UNSUPPORTED);
        dsk_keystore_free(ks);
    }
    dsk_cert_free(&c);
    return 0;
}
