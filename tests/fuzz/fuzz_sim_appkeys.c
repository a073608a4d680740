/* simulator/: an appkeys.json (--keys) with arbitrary contents. The file is
 * an anonymous memory file read through /proc/self/fd: nothing is written
 * to disk. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dsk_sim_appkeys keys, before;
    dsk_error err = {0};
    char path[64];
    int fd = memfd_create("fuzz-appkeys", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size)
        goto done;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    dsk_sim_appkeys_default(&keys);
    memset(keys.app_id, 0x5a, sizeof keys.app_id);
    memcpy(&before, &keys, sizeof keys);
    if (dsk_sim_appkeys_load(path, &keys, &err) == DSK_OK) {
        DSK_FUZZ_ASSERT(keys.k256_signature_len == 0 || keys.k256_signature_len == 65);
        DSK_FUZZ_ASSERT(memcmp(keys.app_id, before.app_id, sizeof keys.app_id) == 0);
    } else {
        /* A failed load leaves the keys as they were. */
        DSK_FUZZ_ASSERT(memcmp(keys.k256_key, before.k256_key, sizeof keys.k256_key) == 0);
        DSK_FUZZ_ASSERT(keys.k256_signature_len == before.k256_signature_len);
        DSK_FUZZ_ASSERT(memcmp(keys.k256_signature, before.k256_signature,
                               sizeof keys.k256_signature) == 0);
        DSK_FUZZ_ASSERT(memcmp(keys.app_id, before.app_id, sizeof keys.app_id) == 0);
        DSK_FUZZ_ASSERT(err.msg[0] != '\0');
    }
    dsk_sim_appkeys_wipe(&keys);
    dsk_sim_appkeys_wipe(&before);
done:
    close(fd);
    return 0;
}
