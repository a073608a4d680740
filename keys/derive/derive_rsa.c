/* Contract v1 for RSA: a deterministic prime search from an HMAC-DRBG. */
#include "derive.h"
#include "internal.h"

dsk_status dsk_derive_rsa(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                          EVP_PKEY **out, dsk_error *err)
{
    return dsk_error_set(err, DSK_E_UNSUPPORTED, "derive: RSA derivation is not written yet");
}
