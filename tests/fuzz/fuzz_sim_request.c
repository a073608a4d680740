/* simulator/: a request body through dsk_sim_request_from_json and, when it
 * decodes, through every method, as the HTTP front does for a POST. */
#include <cjson/cJSON.h>

#include "fuzz.h"
#include "internal.h"

static const dsk_sim_method methods[] = {DSK_SIM_GET_KEY, DSK_SIM_INFO, DSK_SIM_VERSION,
                                         DSK_SIM_GET_QUOTE, DSK_SIM_ATTEST};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dsk_sim_api api;
    static int ready;
    dsk_sim_request req;
    cJSON *json = NULL;
    const char *bad;

    if (!ready) {
        dsk_sim_appkeys_default(&api.keys);
        ready = 1;
    }
    bad = dsk_sim_request_from_json((const char *)data, size, &req, &json);
    if (bad != NULL) {
        DSK_FUZZ_ASSERT(json == NULL);
        return 0;
    }
    DSK_FUZZ_ASSERT(size == 0 || json != NULL);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        dsk_sim_reply reply = {0};
        dsk_status st = dsk_sim_api_call(&api, methods[i], &req, i == 0 && size % 2, &reply);
        DSK_FUZZ_ASSERT(st == DSK_OK || st == DSK_E_NOMEM);
        if (st == DSK_OK) {
            cJSON *out;
            DSK_FUZZ_ASSERT(reply.status == 200 || reply.status == 400);
            DSK_FUZZ_ASSERT(reply.body != NULL && strlen(reply.body) == reply.body_len);
            /* What the simulator sends must be JSON our own client accepts. */
            out = cJSON_ParseWithLength(reply.body, reply.body_len);
            DSK_FUZZ_ASSERT(cJSON_IsObject(out));
            cJSON_Delete(out);
        }
        dsk_sim_reply_clear(&reply);
    }
    cJSON_Delete(json);
    return 0;
}
