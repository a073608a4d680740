/* The C_* entry points of general use, slots, sessions, login and objects.
 * Each one: initialised? arguments? then one call into the implementation,
 * which checks handles and state. */
#include "internal.h"

#pragma GCC visibility push(default)

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
    return dsk_p11_initialize(pInitArgs);
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
    if (pReserved)
        return dsk_p11_ready() == CKR_OK ? CKR_ARGUMENTS_BAD : CKR_CRYPTOKI_NOT_INITIALIZED;
    return dsk_p11_finalize();
}

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
    CK_RV rv = dsk_p11_ready();
    if (rv != CKR_OK)
        return rv;
    if (!pulCount)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_get_slot_list(tokenPresent, pSlotList, pulCount);
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
    CK_RV rv = dsk_p11_ready();
    if (rv != CKR_OK)
        return rv;
    if (!pInfo)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_get_slot_info(slotID, pInfo);
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
    CK_RV rv = dsk_p11_ready();
    if (rv != CKR_OK)
        return rv;
    if (!pInfo)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_get_token_info(slotID, pInfo);
}

CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
{
    CK_RV rv = dsk_p11_ready();
    if (rv != CKR_OK)
        return rv;
    if (!pSlot || pReserved)
        return CKR_ARGUMENTS_BAD;
    /* Tokens never come or go. */
    return (flags & CKF_DONT_BLOCK) ? CKR_NO_EVENT : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
                         CK_ULONG_PTR pulCount)
{
    CK_RV rv = dsk_p11_ready();
    if (rv != CKR_OK)
        return rv;
    if (!pulCount)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_get_mechanism_list(slotID, pMechanismList, pulCount);
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo)
{
    CK_RV rv = dsk_p11_ready();
    if (rv != CKR_OK)
        return rv;
    if (!pInfo)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_get_mechanism_info(slotID, type, pInfo);
}

/* The tokens are defined by the configuration: not initialisable here. */
CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
                  CK_UTF8CHAR_PTR pLabel)
{
    (void)slotID, (void)pPin, (void)ulPinLen, (void)pLabel;
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    (void)hSession, (void)pPin, (void)ulPinLen;
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
               CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
    (void)hSession, (void)pOldPin, (void)ulOldLen, (void)pNewPin, (void)ulNewLen;
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                    CK_SESSION_HANDLE_PTR phSession)
{
    (void)pApplication, (void)Notify; /* no callbacks are ever made */
    CK_RV rv = dsk_p11_ready();
    if (rv != CKR_OK)
        return rv;
    if (!phSession)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_open_session(slotID, flags, phSession);
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : dsk_p11_close_session(hSession);
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : dsk_p11_close_all_sessions(slotID);
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pInfo)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_get_session_info(hSession, pInfo);
}

CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                          CK_ULONG_PTR pulOperationStateLen)
{
    (void)hSession, (void)pOperationState, (void)pulOperationStateLen;
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                          CK_ULONG ulOperationStateLen, CK_OBJECT_HANDLE hEncryptionKey,
                          CK_OBJECT_HANDLE hAuthenticationKey)
{
    (void)hSession, (void)pOperationState, (void)ulOperationStateLen, (void)hEncryptionKey,
        (void)hAuthenticationKey;
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
              CK_ULONG ulPinLen)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pPin && ulPinLen)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_login(hSession, userType, pPin, ulPinLen);
}

CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
                  CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if ((!pPin && ulPinLen) || (!pUsername && ulUsernameLen))
        return CKR_ARGUMENTS_BAD;
    /* The token has one user: the name carries no meaning. */
    return dsk_p11_login(hSession, userType, pPin, ulPinLen);
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : dsk_p11_logout(hSession);
}

CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : dsk_p11_session_cancel(hSession, flags);
}

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                     CK_OBJECT_HANDLE_PTR phObject)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!phObject || (!pTemplate && ulCount))
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_create_object(hSession, pTemplate, ulCount, phObject);
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                   CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!phNewObject || (!pTemplate && ulCount))
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_copy_object(hSession, hObject, pTemplate, ulCount, phNewObject);
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : dsk_p11_destroy_object(hSession, hObject);
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pulSize)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_get_object_size(hSession, hObject, pulSize);
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pTemplate && ulCount)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_get_attribute_value(hSession, hObject, pTemplate, ulCount);
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pTemplate && ulCount)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_set_attribute_value(hSession, hObject, pTemplate, ulCount);
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pTemplate && ulCount)
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_find_init(hSession, pTemplate, ulCount);
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
                    CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
    CK_RV rv = dsk_p11_ready_session(hSession);
    if (rv != CKR_OK)
        return rv;
    if (!pulObjectCount || (!phObject && ulMaxObjectCount))
        return CKR_ARGUMENTS_BAD;
    return dsk_p11_find(hSession, phObject, ulMaxObjectCount, pulObjectCount);
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : dsk_p11_find_final(hSession);
}

CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
    (void)hSession;
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_PARALLEL;
}

CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
    (void)hSession;
    CK_RV rv = dsk_p11_ready();
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_PARALLEL;
}

#pragma GCC visibility pop
