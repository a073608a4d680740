/* libcjson, mapped at first use (lazy.h). Include this instead of
 * <cjson/cJSON.h> in code that ends up in the front ends' .so files: the
 * cJSON_* names below become calls to wrappers in lazy_cjson.c, so the .so
 * has no DT_NEEDED on libcjson. A function missing from the list fails at
 * link time (-z defs), not at run time. */
#ifndef DSK_LAZY_CJSON_H
#define DSK_LAZY_CJSON_H

#include <cjson/cJSON.h>

#include "lazy.h"

#define DSK_CJSON_FUNCTIONS(X)                                                                     \
    X(cJSON_AddArrayToObject)                                                                      \
    X(cJSON_AddItemToArray)                                                                        \
    X(cJSON_AddStringToObject)                                                                     \
    X(cJSON_CreateObject)                                                                          \
    X(cJSON_CreateString)                                                                          \
    X(cJSON_Delete)                                                                                \
    X(cJSON_free)                                                                                  \
    X(cJSON_GetArrayItem)                                                                          \
    X(cJSON_GetArraySize)                                                                          \
    X(cJSON_GetObjectItemCaseSensitive)                                                            \
    X(cJSON_IsArray)                                                                               \
    X(cJSON_IsObject)                                                                              \
    X(cJSON_IsString)                                                                              \
    X(cJSON_Parse)                                                                                 \
    X(cJSON_ParseWithLength)                                                                       \
    X(cJSON_ParseWithLengthOpts)                                                                   \
    X(cJSON_Print)                                                                                 \
    X(cJSON_PrintUnformatted)

DSK_CJSON_FUNCTIONS(DSK_LAZY_DECLARE)

#ifndef DSK_LAZY_IMPL
#define cJSON_AddArrayToObject dsk_lazy_cJSON_AddArrayToObject
#define cJSON_AddItemToArray dsk_lazy_cJSON_AddItemToArray
#define cJSON_AddStringToObject dsk_lazy_cJSON_AddStringToObject
#define cJSON_CreateObject dsk_lazy_cJSON_CreateObject
#define cJSON_CreateString dsk_lazy_cJSON_CreateString
#define cJSON_Delete dsk_lazy_cJSON_Delete
#define cJSON_free dsk_lazy_cJSON_free
#define cJSON_GetArrayItem dsk_lazy_cJSON_GetArrayItem
#define cJSON_GetArraySize dsk_lazy_cJSON_GetArraySize
#define cJSON_GetObjectItemCaseSensitive dsk_lazy_cJSON_GetObjectItemCaseSensitive
#define cJSON_IsArray dsk_lazy_cJSON_IsArray
#define cJSON_IsObject dsk_lazy_cJSON_IsObject
#define cJSON_IsString dsk_lazy_cJSON_IsString
#define cJSON_Parse dsk_lazy_cJSON_Parse
#define cJSON_ParseWithLength dsk_lazy_cJSON_ParseWithLength
#define cJSON_ParseWithLengthOpts dsk_lazy_cJSON_ParseWithLengthOpts
#define cJSON_Print dsk_lazy_cJSON_Print
#define cJSON_PrintUnformatted dsk_lazy_cJSON_PrintUnformatted
#endif

#endif
