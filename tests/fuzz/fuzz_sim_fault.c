/* simulator/: fault specs (--fault and POST /_simulator/fault) and app ids
 * (--app-id) from arbitrary text. A parsed fault formats back to a spec that
 * parses to the same fault. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = dsk_fuzz_cstr(data, size);
    dsk_sim_fault f, again;
    dsk_sim_appkeys keys;
    dsk_error err = {0};
    char text[32];

    if (spec == NULL)
        return 0;
    if (dsk_sim_fault_parse(spec, &f, &err) == DSK_OK) {
        DSK_FUZZ_ASSERT(f.kind <= DSK_SIM_FAULT_HANG);
        DSK_FUZZ_ASSERT(f.kind != DSK_SIM_FAULT_DELAY || f.ms <= DSK_SIM_FAULT_DELAY_MAX_MS);
        dsk_sim_fault_format(&f, text, sizeof text);
        DSK_FUZZ_ASSERT(dsk_sim_fault_parse(text, &again, &err) == DSK_OK);
        DSK_FUZZ_ASSERT(again.kind == f.kind && again.ms == f.ms);
    } else {
        DSK_FUZZ_ASSERT(err.code == DSK_E_ARGS && err.msg[0] != '\0');
    }
    memset(&keys, 0, sizeof keys);
    if (dsk_sim_appkeys_set_app_id(&keys, spec, &err) == DSK_OK) {
        size_t n = strlen(spec);
        DSK_FUZZ_ASSERT(n == 40 || (n == 42 && spec[0] == '0'));
    }
    free(spec);
    return 0;
}
