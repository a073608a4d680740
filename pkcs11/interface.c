/* Function lists and interfaces: C_GetFunctionList gives the 2.40 list,
 * C_GetInterface/C_GetInterfaceList offer "PKCS 11" 3.0 and 2.40. The
 * interfaces do not claim CKF_INTERFACE_FORK_SAFE: a forked child calls
 * C_Initialize again. C_GetInfo reports the version of the list it came
 * through, so a 2.40 caller never sees a 3.0 module. */
#include <string.h>

#include "internal.h"

static CK_RV get_info_240(CK_INFO_PTR info);
static CK_RV get_info_300(CK_INFO_PTR info);

#define LIST_240_FUNCTIONS(get_info)                                                               \
    C_Initialize, C_Finalize, get_info, C_GetFunctionList, C_GetSlotList, C_GetSlotInfo,           \
        C_GetTokenInfo, C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN,  \
        C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo, C_GetOperationState,  \
        C_SetOperationState, C_Login, C_Logout, C_CreateObject, C_CopyObject, C_DestroyObject,     \
        C_GetObjectSize, C_GetAttributeValue, C_SetAttributeValue, C_FindObjectsInit,              \
        C_FindObjects, C_FindObjectsFinal, C_EncryptInit, C_Encrypt, C_EncryptUpdate,              \
        C_EncryptFinal, C_DecryptInit, C_Decrypt, C_DecryptUpdate, C_DecryptFinal, C_DigestInit,   \
        C_Digest, C_DigestUpdate, C_DigestKey, C_DigestFinal, C_SignInit, C_Sign, C_SignUpdate,    \
        C_SignFinal, C_SignRecoverInit, C_SignRecover, C_VerifyInit, C_Verify, C_VerifyUpdate,     \
        C_VerifyFinal, C_VerifyRecoverInit, C_VerifyRecover, C_DigestEncryptUpdate,                \
        C_DecryptDigestUpdate, C_SignEncryptUpdate, C_DecryptVerifyUpdate, C_GenerateKey,          \
        C_GenerateKeyPair, C_WrapKey, C_UnwrapKey, C_DeriveKey, C_SeedRandom, C_GenerateRandom,    \
        C_GetFunctionStatus, C_CancelFunction, C_WaitForSlotEvent

CK_FUNCTION_LIST dsk_p11_list_240 = {
    {2, 40},
    LIST_240_FUNCTIONS(get_info_240),
};

CK_FUNCTION_LIST_3_0 dsk_p11_list_300 = {
    {3, 0},
    LIST_240_FUNCTIONS(get_info_300),
    C_GetInterfaceList,
    C_GetInterface,
    C_LoginUser,
    C_SessionCancel,
    C_MessageEncryptInit,
    C_EncryptMessage,
    C_EncryptMessageBegin,
    C_EncryptMessageNext,
    C_MessageEncryptFinal,
    C_MessageDecryptInit,
    C_DecryptMessage,
    C_DecryptMessageBegin,
    C_DecryptMessageNext,
    C_MessageDecryptFinal,
    C_MessageSignInit,
    C_SignMessage,
    C_SignMessageBegin,
    C_SignMessageNext,
    C_MessageSignFinal,
    C_MessageVerifyInit,
    C_VerifyMessage,
    C_VerifyMessageBegin,
    C_VerifyMessageNext,
    C_MessageVerifyFinal,
};

static CK_CHAR iface_name[] = "PKCS 11";

/* The name's type differs between headers: CK_CHAR * in the 3.0 standard's
 * and ours (p11-kit 0.24), char * in p11-kit 0.25's; void * fits both. */
static CK_INTERFACE interfaces[] = {
    {(void *)iface_name, &dsk_p11_list_300, 0},
    {(void *)iface_name, &dsk_p11_list_240, 0},
};
#define NIFACES (sizeof interfaces / sizeof interfaces[0])

CK_RV dsk_p11_get_info(CK_INFO_PTR info, int v3)
{
    CK_RV rv = dsk_p11_ready();
    if (rv != CKR_OK)
        return rv;
    if (!info)
        return CKR_ARGUMENTS_BAD;
    memset(info, 0, sizeof *info);
    info->cryptokiVersion.major = v3 ? 3 : 2;
    info->cryptokiVersion.minor = v3 ? 0 : 40;
    dsk_p11_pad(info->manufacturerID, sizeof info->manufacturerID, DSK_P11_MANUFACTURER);
    dsk_p11_pad(info->libraryDescription, sizeof info->libraryDescription, DSK_P11_LIBRARY_DESC);
    info->libraryVersion.major = DSK_P11_VERSION_MAJOR;
    info->libraryVersion.minor = DSK_P11_VERSION_MINOR;
    return CKR_OK;
}

static CK_RV get_info_240(CK_INFO_PTR info)
{
    return dsk_p11_get_info(info, 0);
}
static CK_RV get_info_300(CK_INFO_PTR info)
{
    return dsk_p11_get_info(info, 1);
}

#pragma GCC visibility push(default)

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
    return dsk_p11_get_info(pInfo, 0);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
    if (!ppFunctionList)
        return CKR_ARGUMENTS_BAD;
    *ppFunctionList = &dsk_p11_list_240;
    return CKR_OK;
}

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
    if (!pulCount)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = CKR_OK;
    if (pInterfacesList && *pulCount < NIFACES)
        rv = CKR_BUFFER_TOO_SMALL;
    else if (pInterfacesList)
        memcpy(pInterfacesList, interfaces, sizeof interfaces);
    *pulCount = NIFACES;
    return rv;
}

CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
    if (!ppInterface)
        return CKR_ARGUMENTS_BAD;
    for (size_t i = 0; i < NIFACES; i++) {
        const CK_VERSION *v = (const CK_VERSION *)interfaces[i].pFunctionList;
        if (pInterfaceName && strcmp((const char *)pInterfaceName, (const char *)iface_name))
            continue;
        if (pVersion && (pVersion->major != v->major || pVersion->minor != v->minor))
            continue;
        if ((interfaces[i].flags & flags) != flags)
            continue;
        *ppInterface = &interfaces[i];
        return CKR_OK;
    }
    return CKR_FUNCTION_FAILED;
}

#pragma GCC visibility pop
