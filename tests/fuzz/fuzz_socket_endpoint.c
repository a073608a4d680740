/* socket/: endpoint discovery on arbitrary configured, environment and
 * default values (the input split at NUL bytes), and the messages built from
 * the result. No connection is made: dsk_endpoint_resolve only stat()s. */
#include <sys/un.h>

#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *parts[3] = {NULL, NULL, NULL};
    const char *defaults[3] = {"/nonexistent-dsk-fuzz/dstack.sock", NULL, NULL};
    size_t off = 0;
    dsk_endpoint ep;
    dsk_error err = {0};
    char where[DSK_WHERE_MAX], small[24];
    dsk_status st;

    for (int i = 0; i < 3; i++) {
        if ((parts[i] = dsk_fuzz_cstr(data + off, size - off)) == NULL)
            goto done;
        off += strlen(parts[i]);
        if (off < size)
            off++; /* the NUL */
    }
    defaults[1] = parts[2][0] != '\0' ? parts[2] : NULL;
    memset(&ep, 0xa5, sizeof ep);
    st = dsk_endpoint_resolve(parts[0], parts[1], defaults, &ep, &err);
    if (st != DSK_OK) {
        DSK_FUZZ_ASSERT(st == DSK_E_CONFIG || st == DSK_E_UNREACHABLE);
        DSK_FUZZ_ASSERT(err.code == st && err.msg[0] != '\0');
        goto done;
    }
    DSK_FUZZ_ASSERT(ep.kind == DSK_ENDPOINT_UNIX || ep.kind == DSK_ENDPOINT_URL);
    DSK_FUZZ_ASSERT(memchr(ep.where, '\0', sizeof ep.where) != NULL);
    if (ep.kind == DSK_ENDPOINT_UNIX)
        DSK_FUZZ_ASSERT(strlen(ep.where) < sizeof(((struct sockaddr_un *)0)->sun_path));
    else
        DSK_FUZZ_ASSERT(strlen(ep.where) == 0 || ep.where[strlen(ep.where) - 1] != '/');
    dsk_endpoint_where(&ep, "GetKey", where, sizeof where);
    DSK_FUZZ_ASSERT(strncmp(where, "/GetKey on ", 11) == 0);
    dsk_endpoint_describe(&ep, small, sizeof small);
    DSK_FUZZ_ASSERT(strlen(small) < sizeof small);
done:
    for (int i = 0; i < 3; i++)
        free(parts[i]);
    return 0;
}
