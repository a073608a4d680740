/* Wiping secrets without OpenSSL (socket/ and conf/ do not link it). */
#ifndef DSK_WIPE_H
#define DSK_WIPE_H

#include <stddef.h>

/* Overwrite len bytes with zeros in a way the compiler cannot elide. */
void dsk_wipe(void *p, size_t len);

/* Wipe then free a heap buffer of len bytes; NULL is fine. */
void dsk_wipe_free(void *p, size_t len);

#endif
