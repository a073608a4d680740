/* The one mechanism table: what C_GetMechanismList/Info advertise and what
 * the operations accept come from here, so they cannot disagree. No digest
 * mechanism is advertised (clients then hash themselves). */
#include "internal.h"

#define KT(t) (1u << (t))
#define K_EC                                                                                       \
    (KT(DSK_KEY_SECP256K1) | KT(DSK_KEY_EC_P256) | KT(DSK_KEY_EC_P384) | KT(DSK_KEY_TAPPD_P256))
#define K_ED KT(DSK_KEY_ED25519)
#define K_RSA (KT(DSK_KEY_RSA_2048) | KT(DSK_KEY_RSA_3072) | KT(DSK_KEY_RSA_4096))
#define F_EC (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)
#define F_SV (CKF_SIGN | CKF_VERIFY)

#define SIG(m, k, f, lo, hi, sch, h)                                                               \
    {                                                                                              \
        m, k, f, lo, hi, DSK_MK_SIGN, sch, DSK_ENC_RSA_OAEP, h                                     \
    }

static const dsk_p11_mech mechs[] = {
    {CKM_RSA_PKCS_KEY_PAIR_GEN, K_RSA, CKF_GENERATE_KEY_PAIR, 2048, 4096, DSK_MK_KEYGEN,
     DSK_SIG_RSA_PKCS1, DSK_ENC_RSA_OAEP, DSK_HASH_NONE},
    {CKM_RSA_PKCS, K_RSA, F_SV | CKF_ENCRYPT | CKF_DECRYPT, 2048, 4096, DSK_MK_SIGN,
     DSK_SIG_RSA_PKCS1, DSK_ENC_RSA_PKCS1, DSK_HASH_NONE},
    {CKM_RSA_PKCS_OAEP, K_RSA, CKF_ENCRYPT | CKF_DECRYPT, 2048, 4096, DSK_MK_CRYPT,
     DSK_SIG_RSA_PKCS1, DSK_ENC_RSA_OAEP, DSK_HASH_NONE},
    SIG(CKM_RSA_PKCS_PSS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PSS, DSK_HASH_NONE),
    SIG(CKM_SHA1_RSA_PKCS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PKCS1, DSK_HASH_SHA1),
    SIG(CKM_SHA224_RSA_PKCS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PKCS1, DSK_HASH_SHA224),
    SIG(CKM_SHA256_RSA_PKCS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PKCS1, DSK_HASH_SHA256),
    SIG(CKM_SHA384_RSA_PKCS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PKCS1, DSK_HASH_SHA384),
    SIG(CKM_SHA512_RSA_PKCS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PKCS1, DSK_HASH_SHA512),
    SIG(CKM_SHA1_RSA_PKCS_PSS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PSS, DSK_HASH_SHA1),
    SIG(CKM_SHA224_RSA_PKCS_PSS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PSS, DSK_HASH_SHA224),
    SIG(CKM_SHA256_RSA_PKCS_PSS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PSS, DSK_HASH_SHA256),
    SIG(CKM_SHA384_RSA_PKCS_PSS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PSS, DSK_HASH_SHA384),
    SIG(CKM_SHA512_RSA_PKCS_PSS, K_RSA, F_SV, 2048, 4096, DSK_SIG_RSA_PSS, DSK_HASH_SHA512),
    {CKM_EC_KEY_PAIR_GEN, K_EC, CKF_GENERATE_KEY_PAIR | F_EC, 256, 384, DSK_MK_KEYGEN,
     DSK_SIG_ECDSA, DSK_ENC_RSA_OAEP, DSK_HASH_NONE},
    SIG(CKM_ECDSA, K_EC, F_SV | F_EC, 256, 384, DSK_SIG_ECDSA, DSK_HASH_NONE),
    SIG(CKM_ECDSA_SHA1, K_EC, F_SV | F_EC, 256, 384, DSK_SIG_ECDSA, DSK_HASH_SHA1),
    SIG(CKM_ECDSA_SHA224, K_EC, F_SV | F_EC, 256, 384, DSK_SIG_ECDSA, DSK_HASH_SHA224),
    SIG(CKM_ECDSA_SHA256, K_EC, F_SV | F_EC, 256, 384, DSK_SIG_ECDSA, DSK_HASH_SHA256),
    SIG(CKM_ECDSA_SHA384, K_EC, F_SV | F_EC, 256, 384, DSK_SIG_ECDSA, DSK_HASH_SHA384),
    SIG(CKM_ECDSA_SHA512, K_EC, F_SV | F_EC, 256, 384, DSK_SIG_ECDSA, DSK_HASH_SHA512),
    {CKM_ECDH1_DERIVE, K_EC, CKF_DERIVE | F_EC, 256, 384, DSK_MK_DERIVE, DSK_SIG_ECDSA,
     DSK_ENC_RSA_OAEP, DSK_HASH_NONE},
    {CKM_EC_EDWARDS_KEY_PAIR_GEN, K_ED, CKF_GENERATE_KEY_PAIR, 255, 255, DSK_MK_KEYGEN,
     DSK_SIG_EDDSA, DSK_ENC_RSA_OAEP, DSK_HASH_NONE},
    SIG(CKM_EDDSA, K_ED, F_SV, 255, 255, DSK_SIG_EDDSA, DSK_HASH_NONE),
};

#define NMECHS (sizeof mechs / sizeof mechs[0])

const dsk_p11_mech *dsk_p11_mech_find(CK_MECHANISM_TYPE type)
{
    for (size_t i = 0; i < NMECHS; i++)
        if (mechs[i].type == type)
            return &mechs[i];
    return NULL;
}

size_t dsk_p11_mech_count(void)
{
    return NMECHS;
}

const dsk_p11_mech *dsk_p11_mech_at(size_t i)
{
    return i < NMECHS ? &mechs[i] : NULL;
}

size_t dsk_p11_mech_allowed(dsk_key_type t, const dsk_p11_object *o, CK_MECHANISM_TYPE *out,
                            size_t max)
{
    CK_FLAGS want = 0;
    if (o->sign || o->verify)
        want |= CKF_SIGN | CKF_VERIFY;
    if (o->decrypt || o->encrypt)
        want |= CKF_DECRYPT | CKF_ENCRYPT;
    if (o->derive)
        want |= CKF_DERIVE;
    size_t n = 0;
    for (size_t i = 0; i < NMECHS; i++) {
        if (!(mechs[i].key_types & KT(t)) || !(mechs[i].flags & want))
            continue;
        if (n < max)
            out[n] = mechs[i].type;
        n++;
    }
    return n;
}

dsk_hash dsk_p11_hash_of_mech(CK_MECHANISM_TYPE m)
{
    switch (m) {
    case CKM_SHA_1:
        return DSK_HASH_SHA1;
    case CKM_SHA224:
        return DSK_HASH_SHA224;
    case CKM_SHA256:
        return DSK_HASH_SHA256;
    case CKM_SHA384:
        return DSK_HASH_SHA384;
    case CKM_SHA512:
        return DSK_HASH_SHA512;
    default:
        return DSK_HASH_NONE;
    }
}

dsk_hash dsk_p11_hash_of_mgf(CK_RSA_PKCS_MGF_TYPE g)
{
    switch (g) {
    case CKG_MGF1_SHA1:
        return DSK_HASH_SHA1;
    case CKG_MGF1_SHA224:
        return DSK_HASH_SHA224;
    case CKG_MGF1_SHA256:
        return DSK_HASH_SHA256;
    case CKG_MGF1_SHA384:
        return DSK_HASH_SHA384;
    case CKG_MGF1_SHA512:
        return DSK_HASH_SHA512;
    default:
        return DSK_HASH_NONE;
    }
}

CK_KEY_TYPE dsk_p11_ck_key_type(dsk_key_type t)
{
    if (t == DSK_KEY_ED25519)
        return CKK_EC_EDWARDS;
    if (KT(t) & K_RSA)
        return CKK_RSA;
    return CKK_EC;
}
