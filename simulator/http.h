/* The libmicrohttpd glue shared by server.c (lifecycle) and http.c
 * (requests). Private to simulator/. */
#ifndef DSK_SIM_HTTP_H
#define DSK_SIM_HTTP_H

#include <microhttpd.h>

#include "internal.h"

/* The closure every daemon passes to the handlers; borrowed pointers. */
typedef struct dsk_sim_server_ctx {
    const dsk_sim_api *api;
    dsk_sim_fault_state *faults;
} dsk_sim_server_ctx;

/* MHD_AccessHandlerCallback; cls is a dsk_sim_server_ctx. */
enum MHD_Result dsk_sim_http_handle(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *verb, const char *version, const char *upload,
                                    size_t *upload_size, void **req_cls);
/* MHD_RequestCompletedCallback: frees what dsk_sim_http_handle kept. */
void dsk_sim_http_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                            enum MHD_RequestTerminationCode toe);

#endif
