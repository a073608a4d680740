/* Static facts about key types and digests: tables, no I/O, no allocation. */
#include "internal.h"

#include <string.h>
#include <strings.h>

/* CKA_EC_PARAMS / AlgorithmIdentifier parameters as DER. Ed25519 uses the
 * RFC 8410 OID 1.3.101.112 rather than PKCS#11 3.0's printable string
 * "edwards25519": OpenSC and pkcs11-provider accept the OID, and it is what
 * an X.509 SubjectPublicKeyInfo carries. */
static const unsigned char der_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char der_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const unsigned char der_k256[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
static const unsigned char der_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

#define PARAMS(a) a, sizeof(a)

/* security_bits are what OpenSSL's EVP_PKEY_get_security_bits reports, so
 * that both front ends agree with the default provider (a unit test checks). */
static const dsk_type_info type_table[DSK_KEY_TYPE_COUNT] = {
    [DSK_KEY_SECP256K1] = {DSK_KEY_SECP256K1, "secp256k1", "EC", "secp256k1", "secp256k1", 256, 128,
                           64, 72, PARAMS(der_k256)},
    /* Ed25519 bits: 256 as OpenSSL's EVP_PKEY_get_bits says (the curve is 255 bits). */
    [DSK_KEY_ED25519] = {DSK_KEY_ED25519, "ed25519", "ED25519", NULL, "ed25519", 256, 128, 64, 64,
                         PARAMS(der_ed25519)},
    [DSK_KEY_EC_P256] = {DSK_KEY_EC_P256, "ec-p256", "EC", "prime256v1", "secp256k1", 256, 128, 64,
                         72, PARAMS(der_p256)},
    [DSK_KEY_EC_P384] = {DSK_KEY_EC_P384, "ec-p384", "EC", "secp384r1", "secp256k1", 384, 192, 96,
                         104, PARAMS(der_p384)},
    [DSK_KEY_RSA_2048] = {DSK_KEY_RSA_2048, "rsa-2048", "RSA", NULL, "secp256k1", 2048, 112, 256,
                          256, NULL, 0},
    [DSK_KEY_RSA_3072] = {DSK_KEY_RSA_3072, "rsa-3072", "RSA", NULL, "secp256k1", 3072, 128, 384,
                          384, NULL, 0},
    [DSK_KEY_RSA_4096] = {DSK_KEY_RSA_4096, "rsa-4096", "RSA", NULL, "secp256k1", 4096, 152, 512,
                          512, NULL, 0},
    [DSK_KEY_TAPPD_P256] = {DSK_KEY_TAPPD_P256, "tappd-p256", "EC", "prime256v1", "secp256k1", 256,
                            128, 64, 72, PARAMS(der_p256)},
};

const dsk_type_info *dsk_type_info_get(dsk_key_type t)
{
    if ((unsigned)t >= DSK_KEY_TYPE_COUNT)
        return NULL;
    return &type_table[t];
}

unsigned dsk_keys_type_default_usages(dsk_key_type t)
{
    return dsk_keys_type_usages(t) & ~DSK_USAGE_DECRYPT;
}

unsigned dsk_keys_type_usages(dsk_key_type t)
{
    switch (t) {
    case DSK_KEY_SECP256K1:
    case DSK_KEY_EC_P256:
    case DSK_KEY_EC_P384:
    case DSK_KEY_TAPPD_P256:
        return DSK_USAGE_SIGN | DSK_USAGE_DERIVE;
    case DSK_KEY_ED25519:
        return DSK_USAGE_SIGN;
    case DSK_KEY_RSA_2048:
    case DSK_KEY_RSA_3072:
    case DSK_KEY_RSA_4096:
        return DSK_USAGE_SIGN | DSK_USAGE_DECRYPT;
    case DSK_KEY_TYPE_COUNT:
        break;
    }
    return 0;
}

static const struct {
    dsk_hash h;
    const char *name;
    size_t size;
} hash_table[] = {
    {DSK_HASH_SHA1, "SHA1", 20},     {DSK_HASH_SHA224, "SHA224", 28},
    {DSK_HASH_SHA256, "SHA256", 32}, {DSK_HASH_SHA384, "SHA384", 48},
    {DSK_HASH_SHA512, "SHA512", 64},
};
#define NHASH (sizeof hash_table / sizeof hash_table[0])

size_t dsk_hash_size(dsk_hash h)
{
    for (size_t i = 0; i < NHASH; i++)
        if (hash_table[i].h == h)
            return hash_table[i].size;
    return 0;
}

const char *dsk_hash_name(dsk_hash h)
{
    for (size_t i = 0; i < NHASH; i++)
        if (hash_table[i].h == h)
            return hash_table[i].name;
    return NULL;
}

dsk_hash dsk_hash_from_name(const char *name)
{
    static const struct {
        const char *alias;
        dsk_hash h;
    } aliases[] = {
        {"SHA-1", DSK_HASH_SHA1},      {"SHA-224", DSK_HASH_SHA224},  {"SHA-256", DSK_HASH_SHA256},
        {"SHA-384", DSK_HASH_SHA384},  {"SHA-512", DSK_HASH_SHA512},  {"SHA2-224", DSK_HASH_SHA224},
        {"SHA2-256", DSK_HASH_SHA256}, {"SHA2-384", DSK_HASH_SHA384}, {"SHA2-512", DSK_HASH_SHA512},
    };

    if (name == NULL)
        return DSK_HASH_NONE;
    for (size_t i = 0; i < NHASH; i++)
        if (strcasecmp(name, hash_table[i].name) == 0)
            return hash_table[i].h;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].alias) == 0)
            return aliases[i].h;
    return DSK_HASH_NONE;
}
