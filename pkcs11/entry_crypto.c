/* The C_* entry points of cryptographic operations, key generation,
 * derivation and random numbers, and the 3.0 message functions (not
 * supported). Bad arguments to a running operation end it, like any error
 * other than CKR_BUFFER_TOO_SMALL. */
#include "internal.h"

static CK_RV bad_args(CK_SESSION_HANDLE h, int kind)
{
    dsk_p11_op_abort(h, kind);
    return CKR_ARGUMENTS_BAD;
}

static CK_RV not_supported(void)
{
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

/* The one-call paths (C_*Init, C_Sign, C_Encrypt, C_Decrypt) look the
 * session up once, in the operation, which answers
 * CKR_SESSION_HANDLE_INVALID itself: every lookup takes the module lock,
 * which threads signing in their own sessions share (issue 14: two
 * threads). Only bad arguments look it up first, so that an invalid handle
 * still comes before CKR_ARGUMENTS_BAD. */
static CK_RV ready_args(CK_SESSION_HANDLE h, int args_ok)
{
    return args_ok ? dsk_p11_ready() : dsk_p11_ready_session(h);
}

static CK_RV init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k, int kind)
{
    CK_RV rv = ready_args(h, m != NULL);
    if (rv != CKR_OK)
        return rv;
    if (!m)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_op_init(h, m, k, kind);
}

static CK_RV crypt_once(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR in, CK_ULONG len,
                        CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    int args_ok = out_len && (in || !len);
    CK_RV rv = ready_args(h, args_ok);
    if (rv != CKR_OK)
        return rv;
    if (!args_ok)
        return bad_args(h, kind);
    return dsk_p11_crypt(h, kind, in, len, out, out_len);
}

static CK_RV crypt_update(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR in, CK_ULONG len,
                          CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    CK_RV rv = dsk_p11_ready_session(h);
    if (rv != CKR_OK)
        return rv;
    if (!out_len || (!in && len))
        return bad_args(h, kind);
    return dsk_p11_crypt_update(h, kind, in, len, out, out_len);
}

static CK_RV crypt_final(CK_SESSION_HANDLE h, int kind, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
    CK_RV rv = dsk_p11_ready_session(h);
    if (rv != CKR_OK)
        return rv;
    if (!out_len)
        return bad_args(h, kind);
    return dsk_p11_crypt_final(h, kind, out, out_len);
}

#pragma GCC visibility push(default)

CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    return init(hSession, pMechanism, hKey, DSK_OP_ENCRYPT);
}

CK_RV C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                CK_BYTE_PTR pEncryptedData, CK_ULONG_PTR pulEncryptedDataLen)
{
    return crypt_once(hSession, DSK_OP_ENCRYPT, pData, ulDataLen, pEncryptedData,
                      pulEncryptedDataLen);
}

CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                      CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
    return crypt_update(hSession, DSK_OP_ENCRYPT, pPart, ulPartLen, pEncryptedPart,
                        pulEncryptedPartLen);
}

CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart,
                     CK_ULONG_PTR pulLastEncryptedPartLen)
{
    return crypt_final(hSession, DSK_OP_ENCRYPT, pLastEncryptedPart, pulLastEncryptedPartLen);
}

CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    return init(hSession, pMechanism, hKey, DSK_OP_DECRYPT);
}

CK_RV C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen,
                CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
    return crypt_once(hSession, DSK_OP_DECRYPT, pEncryptedData, ulEncryptedDataLen, pData,
                      pulDataLen);
}

CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                      CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
    return crypt_update(hSession, DSK_OP_DECRYPT, pEncryptedPart, ulEncryptedPartLen, pPart,
                        pulPartLen);
}

CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen)
{
    return crypt_final(hSession, DSK_OP_DECRYPT, pLastPart, pulLastPartLen);
}

/* No digest mechanism (clients hash themselves, and the mechanism list says
 * so), but the functions exist: they check the session and refuse every
 * mechanism, as a token without that mechanism does; no digest operation
 * can then be active. */
CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    return pMechanism ? CKR_MECHANISM_INVALID : CKR_ARGUMENTS_BAD;
}

static CK_RV no_digest_active(CK_SESSION_HANDLE h)
{
    CK_RV rv = dsk_p11_ready_session(h);
    return rv != CKR_OK ? rv : CKR_OPERATION_NOT_INITIALIZED;
}

CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
               CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
    (void)pData, (void)ulDataLen, (void)pDigest, (void)pulDigestLen;
    return no_digest_active(hSession);
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    (void)pPart, (void)ulPartLen;
    return no_digest_active(hSession);
}

CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
    (void)hKey;
    return no_digest_active(hSession);
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
    (void)pDigest, (void)pulDigestLen;
    return no_digest_active(hSession);
}

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    return init(hSession, pMechanism, hKey, DSK_OP_SIGN);
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
             CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    int args_ok = pulSignatureLen && (pData || !ulDataLen);
    CK_RV rv = ready_args(hSession, args_ok);
    if (rv != CKR_OK)
        return rv;
    if (!args_ok)
        return bad_args(hSession, DSK_OP_SIGN);
    return dsk_p11_sign(hSession, pData, ulDataLen, pSignature, pulSignatureLen);
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pPart && ulPartLen)
        return bad_args(hSession, DSK_OP_SIGN);
    return dsk_p11_sign_update(hSession, DSK_OP_SIGN, pPart, ulPartLen);
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pulSignatureLen)
        return bad_args(hSession, DSK_OP_SIGN);
    return dsk_p11_sign_final(hSession, pSignature, pulSignatureLen);
}

CK_RV C_SignRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hKey)
{
    (void)hSession, (void)pMechanism, (void)hKey;
    return not_supported();
}

CK_RV C_SignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                    CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    (void)hSession, (void)pData, (void)ulDataLen, (void)pSignature, (void)pulSignatureLen;
    return not_supported();
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    return init(hSession, pMechanism, hKey, DSK_OP_VERIFY);
}

CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
               CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if ((!pData && ulDataLen) || !pSignature)
        return bad_args(hSession, DSK_OP_VERIFY);
    return dsk_p11_verify(hSession, pData, ulDataLen, pSignature, ulSignatureLen);
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pPart && ulPartLen)
        return bad_args(hSession, DSK_OP_VERIFY);
    return dsk_p11_sign_update(hSession, DSK_OP_VERIFY, pPart, ulPartLen);
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pSignature)
        return bad_args(hSession, DSK_OP_VERIFY);
    return dsk_p11_verify_final(hSession, pSignature, ulSignatureLen);
}

CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                          CK_OBJECT_HANDLE hKey)
{
    (void)hSession, (void)pMechanism, (void)hKey;
    return not_supported();
}

CK_RV C_VerifyRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen,
                      CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
    (void)hSession, (void)pSignature, (void)ulSignatureLen, (void)pData, (void)pulDataLen;
    return not_supported();
}

CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                            CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
    (void)hSession, (void)pPart, (void)ulPartLen, (void)pEncryptedPart, (void)pulEncryptedPartLen;
    return not_supported();
}

CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                            CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
    (void)hSession, (void)pEncryptedPart, (void)ulEncryptedPartLen, (void)pPart, (void)pulPartLen;
    return not_supported();
}

CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                          CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
    (void)hSession, (void)pPart, (void)ulPartLen, (void)pEncryptedPart, (void)pulEncryptedPartLen;
    return not_supported();
}

CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                            CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
    (void)hSession, (void)pEncryptedPart, (void)ulEncryptedPartLen, (void)pPart, (void)pulPartLen;
    return not_supported();
}

/* No secret-key generation mechanism: like the digests, the session and
 * the arguments are checked, then every mechanism refused. */
CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                    CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pMechanism || !phKey || (!pTemplate && ulCount))
        return CKR_ARGUMENTS_BAD;
    return CKR_MECHANISM_INVALID;
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
                        CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount,
                        CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pMechanism || !phPublicKey || !phPrivateKey ||
        (!pPublicKeyTemplate && ulPublicKeyAttributeCount) ||
        (!pPrivateKeyTemplate && ulPrivateKeyAttributeCount))
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_generate_key_pair(hSession, pMechanism, pPublicKeyTemplate,
                                     ulPublicKeyAttributeCount, pPrivateKeyTemplate,
                                     ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey);
}

CK_RV C_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                CK_OBJECT_HANDLE hWrappingKey, CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey,
                CK_ULONG_PTR pulWrappedKeyLen)
{
    (void)hSession, (void)pMechanism, (void)hWrappingKey, (void)hKey, (void)pWrappedKey,
        (void)pulWrappedKeyLen;
    return not_supported();
}

CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                  CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey,
                  CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount,
                  CK_OBJECT_HANDLE_PTR phKey)
{
    (void)hSession, (void)pMechanism, (void)hUnwrappingKey, (void)pWrappedKey,
        (void)ulWrappedKeyLen, (void)pTemplate, (void)ulAttributeCount, (void)phKey;
    return not_supported();
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                  CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount,
                  CK_OBJECT_HANDLE_PTR phKey)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pMechanism || !phKey || (!pTemplate && ulAttributeCount))
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_derive_key(hSession, pMechanism, hBaseKey, pTemplate, ulAttributeCount, phKey);
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pSeed && ulSeedLen)
        return CKR_ARGUMENTS_BAD;
    /* Checks the session, then refuses: OpenSSL's DRBG needs no help. */
    rv = dsk_p11_generate_random(hSession, NULL, 0);
    return rv != CKR_OK ? rv : CKR_RANDOM_SEED_NOT_SUPPORTED;
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandomData, CK_ULONG ulRandomLen)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pRandomData && ulRandomLen)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_generate_random(hSession, pRandomData, ulRandomLen);
}

/* PKCS#11 3.0 message-based functions: no mechanism here supports them. */
CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey)
{
    (void)hSession, (void)pMechanism, (void)hKey;
    return not_supported();
}

CK_RV C_EncryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext,
                       CK_ULONG_PTR pulCiphertextLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pAssociatedData,
        (void)ulAssociatedDataLen, (void)pPlaintext, (void)ulPlaintextLen, (void)pCiphertext,
        (void)pulCiphertextLen;
    return not_supported();
}

CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pAssociatedData,
        (void)ulAssociatedDataLen;
    return not_supported();
}

CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pPlaintextPart,
        (void)ulPlaintextPartLen, (void)pCiphertextPart, (void)pulCiphertextPartLen, (void)flags;
    return not_supported();
}

CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE hSession)
{
    (void)hSession;
    return not_supported();
}

CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey)
{
    (void)hSession, (void)pMechanism, (void)hKey;
    return not_supported();
}

CK_RV C_DecryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pCiphertext, CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext,
                       CK_ULONG_PTR pulPlaintextLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pAssociatedData,
        (void)ulAssociatedDataLen, (void)pCiphertext, (void)ulCiphertextLen, (void)pPlaintext,
        (void)pulPlaintextLen;
    return not_supported();
}

CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pAssociatedData,
        (void)ulAssociatedDataLen;
    return not_supported();
}

CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pCiphertextPart,
        (void)ulCiphertextPartLen, (void)pPlaintextPart, (void)pulPlaintextPartLen, (void)flags;
    return not_supported();
}

CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE hSession)
{
    (void)hSession;
    return not_supported();
}

CK_RV C_MessageSignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hKey)
{
    (void)hSession, (void)pMechanism, (void)hKey;
    return not_supported();
}

CK_RV C_SignMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                    CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pData, (void)ulDataLen,
        (void)pSignature, (void)pulSignatureLen;
    return not_supported();
}

CK_RV C_SignMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                         CK_ULONG ulParameterLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen;
    return not_supported();
}

CK_RV C_SignMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                        CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                        CK_ULONG_PTR pulSignatureLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pData, (void)ulDataLen,
        (void)pSignature, (void)pulSignatureLen;
    return not_supported();
}

CK_RV C_MessageSignFinal(CK_SESSION_HANDLE hSession)
{
    (void)hSession;
    return not_supported();
}

CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                          CK_OBJECT_HANDLE hKey)
{
    (void)hSession, (void)pMechanism, (void)hKey;
    return not_supported();
}

CK_RV C_VerifyMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                      CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                      CK_ULONG ulSignatureLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pData, (void)ulDataLen,
        (void)pSignature, (void)ulSignatureLen;
    return not_supported();
}

CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen;
    return not_supported();
}

CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                          CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                          CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    (void)hSession, (void)pParameter, (void)ulParameterLen, (void)pData, (void)ulDataLen,
        (void)pSignature, (void)ulSignatureLen;
    return not_supported();
}

CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE hSession)
{
    (void)hSession;
    return not_supported();
}

#pragma GCC visibility pop
