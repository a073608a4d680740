/* A hash index over the store's lists, so that finding a label, a (path,
 * purpose, type) or a public key costs the same with ten keys or ten
 * thousand. Intrusive: an item embeds a dsk_index_link; the table only
 * holds pointers to those links and never frees items. */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>

uint64_t dsk_index_hash(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    /* FNV-1a: inputs are labels, paths and public keys, not secrets. */
    if (h == 0)
        h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static int grow(dsk_index *ix)
{
    size_t n = ix->nbucket ? ix->nbucket * 2 : 64;
    dsk_index_link **b = calloc(n, sizeof *b);

    if (b == NULL)
        return -1;
    for (size_t i = 0; i < ix->nbucket; i++) {
        dsk_index_link *l = ix->bucket[i];
        while (l != NULL) {
            dsk_index_link *next = l->next;
            l->next = b[l->hash & (n - 1)];
            b[l->hash & (n - 1)] = l;
            l = next;
        }
    }
    free(ix->bucket);
    ix->bucket = b;
    ix->nbucket = n;
    return 0;
}

int dsk_index_add(dsk_index *ix, dsk_index_link *l, uint64_t hash)
{
    if ((ix->count + 1 > ix->nbucket) && grow(ix) != 0)
        return -1;
    l->hash = hash;
    l->next = ix->bucket[hash & (ix->nbucket - 1)];
    ix->bucket[hash & (ix->nbucket - 1)] = l;
    ix->count++;
    return 0;
}

void dsk_index_remove(dsk_index *ix, dsk_index_link *l)
{
    if (ix->nbucket == 0)
        return;
    for (dsk_index_link **p = &ix->bucket[l->hash & (ix->nbucket - 1)]; *p != NULL;
         p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            ix->count--;
            return;
        }
    }
}

dsk_index_link *dsk_index_first(const dsk_index *ix, uint64_t hash)
{
    return ix->nbucket ? ix->bucket[hash & (ix->nbucket - 1)] : NULL;
}

void dsk_index_free(dsk_index *ix)
{
    free(ix->bucket);
    ix->bucket = NULL;
    ix->nbucket = ix->count = 0;
}
