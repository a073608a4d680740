/* The libcjson wrappers (lazy_cjson.h). On a failed load each returns what
 * cJSON itself returns on failure (NULL, false, 0), so callers' existing
 * error paths report it, after lazy.c's one line naming the library. */
#define DSK_LAZY_IMPL
#include "lazy_cjson.h"

static struct dsk_lazy_lib cjson = DSK_LAZY_LIB(DSK_CJSON_SONAME, "to talk to the dstack agent");

DSK_LAZY_FN(cjson, NULL, cJSON *, cJSON_AddArrayToObject,
            (cJSON *const object, const char *const name), (object, name))
DSK_LAZY_FN(cjson, 0, cJSON_bool, cJSON_AddItemToArray, (cJSON * array, cJSON *item), (array, item))
DSK_LAZY_FN(cjson, NULL, cJSON *, cJSON_AddStringToObject,
            (cJSON *const object, const char *const name, const char *const string),
            (object, name, string))
DSK_LAZY_FN(cjson, NULL, cJSON *, cJSON_CreateObject, (void), ())
DSK_LAZY_FN(cjson, NULL, cJSON *, cJSON_CreateString, (const char *string), (string))
DSK_LAZY_VOID(cjson, cJSON_Delete, (cJSON * item), (item))
DSK_LAZY_VOID(cjson, cJSON_free, (void *object), (object))
DSK_LAZY_FN(cjson, NULL, cJSON *, cJSON_GetArrayItem, (const cJSON *array, int index),
            (array, index))
DSK_LAZY_FN(cjson, 0, int, cJSON_GetArraySize, (const cJSON *array), (array))
DSK_LAZY_FN(cjson, NULL, cJSON *, cJSON_GetObjectItemCaseSensitive,
            (const cJSON *const object, const char *const string), (object, string))
DSK_LAZY_FN(cjson, 0, cJSON_bool, cJSON_IsArray, (const cJSON *const item), (item))
DSK_LAZY_FN(cjson, 0, cJSON_bool, cJSON_IsObject, (const cJSON *const item), (item))
DSK_LAZY_FN(cjson, 0, cJSON_bool, cJSON_IsString, (const cJSON *const item), (item))
DSK_LAZY_FN(cjson, NULL, cJSON *, cJSON_Parse, (const char *value), (value))
DSK_LAZY_FN(cjson, NULL, cJSON *, cJSON_ParseWithLength, (const char *value, size_t buffer_length),
            (value, buffer_length))
DSK_LAZY_FN(cjson, NULL, cJSON *, cJSON_ParseWithLengthOpts,
            (const char *value, size_t buffer_length, const char **return_parse_end,
             cJSON_bool require_null_terminated),
            (value, buffer_length, return_parse_end, require_null_terminated))
DSK_LAZY_FN(cjson, NULL, char *, cJSON_Print, (const cJSON *item), (item))
DSK_LAZY_FN(cjson, NULL, char *, cJSON_PrintUnformatted, (const cJSON *item), (item))
