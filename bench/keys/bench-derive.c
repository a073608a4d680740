/* Derivation cost: contract v1 alone, and first use through the simulator. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>

#include "bench.h"
#include "derive.h"
#include "internal.h"
#include "simproc.h"

#define MAX_SAMPLES 1000

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Wall-clock median, and CPU-time median, min and max: on a shared machine
 * the CPU time is the cost; the wall clock adds other processes' load. */
static void row(const char *name, double *wall, double *cpu, int n)
{
    double mw = bench_median(wall, n), mc = bench_median(cpu, n); /* sorts */
    printf("| %-9s | %3d | %8.2f | %8.2f | %8.2f | %8.2f |\n", name, n, mw, mc, cpu[0], cpu[n - 1]);
}

#define TABLE_HEAD                                                                                 \
    "| type | paths | median (wall) | median (CPU) | min (CPU) | max (CPU) |\n"                    \
    "|---|---|---|---|---|---|\n"

void bench_derive(const bench_opts *o)
{
    static double ms[MAX_SAMPLES], cpu[MAX_SAMPLES];

    printf("## Derivation (dsk_derive_v1 from M, no socket), ms\n\n");
    printf(TABLE_HEAD);
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
        for (int i = 0; i < o->paths; i++) {
            unsigned char m[32];
            char path[32];
            EVP_PKEY *pk = NULL;
            int n = snprintf(path, sizeof path, "bench/%d", i);
            EVP_Digest(path, (size_t)n, m, NULL, EVP_sha256(), NULL);
            double t0 = bench_now(), c0 = thread_cpu();
            if (dsk_derive_v1(dsk_keys_libctx(), (dsk_key_type)t, m, &pk, NULL) != DSK_OK) {
                printf("derivation failed for %s\n", dsk_type_info_get((dsk_key_type)t)->name);
                exit(1);
            }
            ms[i] = (bench_now() - t0) * 1e3;
            cpu[i] = (thread_cpu() - c0) * 1e3;
            EVP_PKEY_free(pk);
        }
        row(dsk_type_info_get((dsk_key_type)t)->name, ms, cpu, o->paths);
    }
    printf("\n");
}

void bench_first_use(const bench_opts *o)
{
    static double ms[MAX_SAMPLES], cpu[MAX_SAMPLES];
    dsk_test_sim sim;

    if (o->simulator == NULL) {
        printf("## First use through the simulator: skipped (set DSK_SIMULATOR or "
               "--simulator)\n\n");
        return;
    }
    setenv("DSK_SIMULATOR", o->simulator, 1);
    if (dsk_test_sim_start(&sim, NULL) != 0) {
        printf("## First use: cannot start %s\n\n", o->simulator);
        return;
    }
    printf("## First use (new store, dsk_key_derive: GetKey over the unix socket + "
           "derivation), ms\n\n");
    printf(TABLE_HEAD);
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
        for (int i = 0; i < o->paths; i++) {
            dsk_client_opts co = {.endpoint = sim.sock};
            dsk_keystore *ks = NULL;
            dsk_key *k = NULL;
            char path[32];
            dsk_error e = {0};
            snprintf(path, sizeof path, "bench/%d", i);
            dsk_key_desc d = {.label = "k", .path = path, .type = (dsk_key_type)t};
            if (dsk_keystore_new(&co, &ks, &e) != DSK_OK ||
                dsk_keystore_add(ks, &d, &k, &e) != DSK_OK) {
                printf("%s\n", e.msg);
                exit(1);
            }
            double t0 = bench_now(), c0 = thread_cpu();
            if (dsk_key_derive(k, &e) != DSK_OK) {
                printf("%s\n", e.msg);
                exit(1);
            }
            ms[i] = (bench_now() - t0) * 1e3;
            cpu[i] = (thread_cpu() - c0) * 1e3; /* ours only: not the simulator's */
            dsk_keystore_free(ks);
        }
        row(dsk_type_info_get((dsk_key_type)t)->name, ms, cpu, o->paths);
    }
    printf("\n");
    dsk_test_sim_stop(&sim);
}
