/* Regression driver for the fuzz targets when libFuzzer is not used (gcc,
 * the normal test suite, ASan/UBSan, valgrind).
 *
 *   fuzz_X CORPUS_DIR [MUTATIONS]
 *
 * Runs LLVMFuzzerTestOneInput on every regular file of CORPUS_DIR, then on
 * MUTATIONS (default 2000; $DSK_FUZZ_MUTATIONS overrides) inputs made from
 * the seeds by a fixed-seed PRNG, so every run feeds the same bytes and a
 * failure can be replayed. Under valgrind the count is divided by 20 to keep
 * a run to a few seconds. A target reports a bug by crashing or aborting;
 * a clean pass prints "N passed, 0 failed". */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef DSK_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include "fuzz.h"

#define DEFAULT_MUTATIONS 2000
#define MAX_SEEDS 256
#define REPLAY_MAX_INPUT (64 * 1024)

typedef struct seed {
    uint8_t *data;
    size_t len;
    char *name;
} seed;

static uint64_t rng_state = 0x6473746b66757a7aULL; /* fixed: runs are repeatable */

/* splitmix64 */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t below(size_t n)
{
    return n == 0 ? 0 : (size_t)(rnd() % n);
}

static int load_file(const char *path, seed *s)
{
    FILE *f = fopen(path, "rb");
    long n;
    int ok = 0;

    if (f == NULL)
        return 0;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > REPLAY_MAX_INPUT
        || fseek(f, 0, SEEK_SET) != 0)
        goto done;
    /* One spare byte so that an empty file still gets a distinct pointer. */
    if ((s->data = malloc((size_t)n + 1)) == NULL)
        goto done;
    if (n > 0 && fread(s->data, 1, (size_t)n, f) != (size_t)n) {
        free(s->data);
        s->data = NULL;
        goto done;
    }
    s->len = (size_t)n;
    ok = 1;
done:
    fclose(f);
    return ok;
}

static int cmp_seed(const void *a, const void *b)
{
    return strcmp(((const seed *)a)->name, ((const seed *)b)->name);
}

/* Interesting bytes for text formats: structure characters and edges. */
static const uint8_t special[] = {'\0', '\n', '\r', ' ', '"', '\\', '{', '}', '[', ']', ':',
                                  ',', '=', ';', '%', '[', '#', '-', '0', 'f', 0x7f, 0x80,
                                  0xc3, 0xff, 'u', 'e', '.', '/', 0x30, 0x82, 0x02, 0x81};

/* One mutated input from seeds into buf (REPLAY_MAX_INPUT bytes); returns length. */
static size_t mutate(const seed *seeds, size_t nseeds, uint8_t *buf)
{
    const seed *s = &seeds[below(nseeds)];
    size_t len = s->len, rounds = 1 + below(4);

    memcpy(buf, s->data, len);
    for (size_t r = 0; r < rounds; r++) {
        size_t pos = below(len + 1), n;
        switch (below(8)) {
        case 0: /* flip a bit */
            if (len > 0)
                buf[below(len)] ^= (uint8_t)(1u << below(8));
            break;
        case 1: /* a special byte */
            if (len > 0)
                buf[below(len)] = special[below(sizeof special)];
            break;
        case 2: /* insert a special byte */
            if (len < REPLAY_MAX_INPUT) {
                memmove(buf + pos + 1, buf + pos, len - pos);
                buf[pos] = special[below(sizeof special)];
                len++;
            }
            break;
        case 3: /* delete a run */
            if (pos < len) {
                n = below(len - pos + 1);
                memmove(buf + pos, buf + pos + n, len - pos - n);
                len -= n;
            }
            break;
        case 4: /* truncate */
            len = pos;
            break;
        case 5: /* repeat a run right after itself */
            if (len > 0) {
                size_t from = below(len);
                n = 1 + below(len - from);
                if (len + n <= REPLAY_MAX_INPUT) {
                    memmove(buf + from + 2 * n, buf + from + n, len - from - n);
                    memcpy(buf + from + n, buf + from, n);
                    len += n;
                }
            }
            break;
        case 6: { /* splice the tail of another seed */
            const seed *o = &seeds[below(nseeds)];
            size_t from = below(o->len + 1);
            n = o->len - from;
            if (pos + n > REPLAY_MAX_INPUT)
                n = REPLAY_MAX_INPUT - pos;
            memcpy(buf + pos, o->data + from, n);
            len = pos + n;
            break;
        }
        default: /* a random byte */
            if (len > 0)
                buf[below(len)] = (uint8_t)rnd();
            break;
        }
    }
    return len;
}

int main(int argc, char **argv)
{
    seed seeds[MAX_SEEDS];
    size_t nseeds = 0;
    long mutations = DEFAULT_MUTATIONS;
    const char *env = getenv("DSK_FUZZ_MUTATIONS");
    uint8_t *buf = NULL;
    DIR *d;
    struct dirent *e;
    int rc = 1;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS]\n", argv[0]);
        return 2;
    }
    if (argc == 3)
        mutations = strtol(argv[2], NULL, 10);
    if (env != NULL && *env != '\0')
        mutations = strtol(env, NULL, 10);
#ifdef DSK_HAVE_VALGRIND_H
    if (RUNNING_ON_VALGRIND && (env == NULL || *env == '\0'))
        mutations /= 20;
#endif
    if ((d = opendir(argv[1])) == NULL) {
        fprintf(stderr, "%s: cannot open corpus %s: %s\n", argv[0], argv[1], strerror(errno));
        return 2;
    }
    while ((e = readdir(d)) != NULL && nseeds < MAX_SEEDS) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (!load_file(path, &seeds[nseeds])) {
            fprintf(stderr, "%s: cannot read %s\n", argv[0], path);
            goto done;
        }
        if ((seeds[nseeds].name = strdup(e->d_name)) == NULL) {
            free(seeds[nseeds].data);
            goto done;
        }
        nseeds++;
    }
    if (nseeds == 0) {
        fprintf(stderr, "%s: no seed in %s\n", argv[0], argv[1]);
        goto done;
    }
    /* readdir order varies between file systems; the PRNG stream must not. */
    qsort(seeds, nseeds, sizeof seeds[0], cmp_seed);
    if ((buf = malloc(REPLAY_MAX_INPUT)) == NULL)
        goto done;

    for (size_t i = 0; i < nseeds; i++) {
        /* An exact-size copy, so ASan and valgrind see any read past the end. */
        uint8_t *copy = malloc(seeds[i].len + 1);
        if (copy == NULL)
            goto done;
        memcpy(copy, seeds[i].data, seeds[i].len);
        LLVMFuzzerTestOneInput(copy, seeds[i].len);
        free(copy);
    }
    for (long m = 0; m < mutations; m++) {
        size_t len = mutate(seeds, nseeds, buf);
        uint8_t *copy = malloc(len + 1);
        if (copy == NULL)
            goto done;
        memcpy(copy, buf, len);
        LLVMFuzzerTestOneInput(copy, len);
        free(copy);
    }
    printf("%zu seeds and %ld mutations of %s\n", nseeds, mutations, argv[1]);
    printf("%ld passed, 0 failed\n", (long)nseeds + (mutations > 0 ? mutations : 0));
    rc = 0;
done:
    free(buf);
    for (size_t i = 0; i < nseeds; i++) {
        free(seeds[i].data);
        free(seeds[i].name);
    }
    closedir(d);
    return rc;
}
