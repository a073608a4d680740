/* Contract v1 dispatch and the HKDF shared by every derived type. */
#include "derive.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "derive_internal.h"

static const char *const type_info[DSK_KEY_TYPE_COUNT] = {
    [DSK_KEY_SECP256K1] = "secp256k1", [DSK_KEY_ED25519] = "ed25519",
    [DSK_KEY_EC_P256] = "ec-p256",     [DSK_KEY_EC_P384] = "ec-p384",
    [DSK_KEY_RSA_2048] = "rsa-2048",   [DSK_KEY_RSA_3072] = "rsa-3072",
    [DSK_KEY_RSA_4096] = "rsa-4096",   [DSK_KEY_TAPPD_P256] = "tappd-p256",
};

const char *dsk_derive_type_info(dsk_key_type t)
{
    if ((unsigned)t >= DSK_KEY_TYPE_COUNT)
        return NULL;
    return type_info[t];
}

const char *dsk_derive_getkey_algorithm(dsk_key_type t)
{
    if ((unsigned)t >= DSK_KEY_TYPE_COUNT)
        return NULL;
    return t == DSK_KEY_ED25519 ? "ed25519" : "secp256k1";
}

dsk_status dsk_derive_hkdf(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                           unsigned char *out, size_t len, dsk_error *err)
{
    dsk_status st = DSK_E_CRYPTO;
    const char *info = dsk_derive_type_info(t);
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *kctx = NULL;
    OSSL_PARAM params[5];
    size_t n = 0;

    if (info == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "derive: invalid key type %d", (int)t);
    kdf = EVP_KDF_fetch(libctx, "HKDF", NULL);
    if (kdf == NULL || (kctx = EVP_KDF_CTX_new(kdf)) == NULL) {
        dsk_error_set(err, DSK_E_CRYPTO, "derive: HKDF is not available in the library context");
        goto done;
    }
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)m, 32);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)DSK_DERIVE_V1_SALT,
                                                    strlen(DSK_DERIVE_V1_SALT));
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
    params[n] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(kctx, out, len, params) != 1) {
        dsk_error_set(err, DSK_E_CRYPTO, "derive: HKDF-SHA256 failed for type %s", info);
        goto done;
    }
    st = DSK_OK;
done:
    if (st != DSK_OK)
        OPENSSL_cleanse(out, len);
    EVP_KDF_CTX_free(kctx); /* clears its copy of the key */
    EVP_KDF_free(kdf);
    return st;
}

/* Known answers (RFC 4231 test case 1: key 20 x 0x0b, "Hi There") for the
 * two hashes the contract runs through OpenSSL: SHA-256 (HKDF, HMAC-DRBG)
 * and SHA-512 (Ed25519). OpenSSL 3.0 lets an application's default digest
 * ENGINE replace them even inside our private library context (keys/
 * libctx.c); a replaced hash would silently make other keys. */
static dsk_status check_hashes(OSSL_LIB_CTX *libctx, dsk_error *err)
{
    static const struct {
        const char *md;
        size_t len;
        const char *want;
    } kat[] = {
        {"SHA256", 32,
         "\xb0\x34\x4c\x61\xd8\xdb\x38\x53\x5c\xa8\xaf\xce\xaf\x0b\xf1\x2b\x88\x1d\xc2\x00"
         "\xc9\x83\x3d\xa7\x26\xe9\x37\x6c\x2e\x32\xcf\xf7"},
        {"SHA512", 64,
         "\x87\xaa\x7c\xde\xa5\xef\x61\x9d\x4f\xf0\xb4\x24\x1a\x1d\x6c\xb0\x23\x79\xf4\xe2"
         "\xce\x4e\xc2\x78\x7a\xd0\xb3\x05\x45\xe1\x7c\xde\xda\xa8\x33\xb7\xd6\xb8\xa7\x02"
         "\x03\x8b\x27\x4e\xae\xa3\xf4\xe4\xbe\x9d\x91\x4e\xeb\x61\xf1\x70\x2e\x69\x6c\x20"
         "\x3a\x12\x68\x54"},
    };
    unsigned char key[20], out[64];
    size_t outl = 0;

    memset(key, 0x0b, sizeof key);
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        if (EVP_Q_mac(libctx, "HMAC", NULL, kat[i].md, NULL, key, sizeof key,
                      (const unsigned char *)"Hi There", 8, out, sizeof out, &outl) == NULL ||
            outl != kat[i].len || memcmp(out, kat[i].want, kat[i].len) != 0)
            return dsk_error_set(err, DSK_E_CRYPTO,
                                 "derive: OpenSSL's %s gives wrong results in this process (an "
                                 "ENGINE set as the default for digests?); refusing to derive a "
                                 "key that would differ: run without that ENGINE",
                                 kat[i].md);
    }
    return DSK_OK;
}

dsk_status dsk_derive_v1(OSSL_LIB_CTX *libctx, dsk_key_type t, const unsigned char m[32],
                         EVP_PKEY **out, dsk_error *err)
{
    dsk_status st;

    if (out == NULL || m == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "derive: NULL argument");
    *out = NULL;
    if ((st = check_hashes(libctx, err)) != DSK_OK)
        return st;
    switch (t) {
    case DSK_KEY_SECP256K1:
        return dsk_derive_secp256k1(libctx, m, out, err);
    case DSK_KEY_ED25519:
        return dsk_derive_ed25519(libctx, m, out, err);
    case DSK_KEY_EC_P256:
    case DSK_KEY_EC_P384:
        return dsk_derive_nist(libctx, t, m, out, err);
    case DSK_KEY_RSA_2048:
    case DSK_KEY_RSA_3072:
    case DSK_KEY_RSA_4096:
        return dsk_derive_rsa(libctx, t, m, out, err);
    case DSK_KEY_TAPPD_P256:
        return dsk_derive_tappd_p256(libctx, m, out, err);
    case DSK_KEY_TYPE_COUNT:
        break;
    }
    return dsk_error_set(err, DSK_E_ARGS, "derive: invalid key type %d", (int)t);
}
