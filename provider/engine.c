/* Whether the application made an ENGINE the default for a key type the
 * provider serves. The key management's first name is the type name EVP and
 * applications see: a name with a legacy NID ("EC") makes
 * EVP_PKEY_CTX_new_from_pkey ask the ENGINE tables, so with a default ENGINE
 * our keys are named by OID first (see prov.c); without one they keep the
 * usual names, which OpenSSL 3.5's `pkeyutl -derive` compares with the peer
 * key's type name. */
#define OPENSSL_SUPPRESS_DEPRECATED /* ENGINE_get_pkey_meth_engine: the table the shield avoids */
#include <stddef.h>
#include <openssl/evp.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

#include "internal.h"

int dsk_prov_engine_default(void)
{
#ifndef OPENSSL_NO_ENGINE
    static const int types[] = {EVP_PKEY_EC, EVP_PKEY_RSA, EVP_PKEY_ED25519};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        ENGINE *e = ENGINE_get_pkey_meth_engine(types[i]);
        if (e) {
            ENGINE_finish(e);
            return 1;
        }
    }
#endif
    return 0;
}
