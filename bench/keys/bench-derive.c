/* Derivation cost: contract v1 alone, and first use through the simulator. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "bench.h"
#include "derive.h"
#include "internal.h"
#include "simproc.h"

#define MAX_SAMPLES 1000

static void row(const char *name, double *ms, int n)
{
    double mn = ms[0], mx = ms[0];
    for (int i = 1; i < n; i++) {
        mn = ms[i] < mn ? ms[i] : mn;
        mx = ms[i] > mx ? ms[i] : mx;
    }
    printf("| %-9s | %3d | %8.2f | %8.2f | %8.2f |\n", name, n, bench_median(ms, n), mn, mx);
}

void bench_derive(const bench_opts *o)
{
    static double ms[MAX_SAMPLES];

    printf("## Derivation (dsk_derive_v1 from M, no socket), ms\n\n");
    printf("| type      | paths | median | min | max |\n|---|---|---|---|---|\n");
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
        for (int i = 0; i < o->paths; i++) {
            unsigned char m[32];
            char path[32];
            EVP_PKEY *pk = NULL;
            int n = snprintf(path, sizeof path, "bench/%d", i);
            EVP_Digest(path, (size_t)n, m, NULL, EVP_sha256(), NULL);
            double t0 = bench_now();
            if (dsk_derive_v1(dsk_keys_libctx(), (dsk_key_type)t, m, &pk, NULL) != DSK_OK) {
                printf("derivation failed for %s\n", dsk_type_info_get((dsk_key_type)t)->name);
                exit(1);
            }
            ms[i] = (bench_now() - t0) * 1e3;
            EVP_PKEY_free(pk);
        }
        row(dsk_type_info_get((dsk_key_type)t)->name, ms, o->paths);
    }
    printf("\n");
}

void bench_first_use(const bench_opts *o)
{
    static double ms[MAX_SAMPLES];
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
    printf("| type      | paths | median | min | max |\n|---|---|---|---|---|\n");
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
            double t0 = bench_now();
            if (dsk_key_derive(k, &e) != DSK_OK) {
                printf("%s\n", e.msg);
                exit(1);
            }
            ms[i] = (bench_now() - t0) * 1e3;
            dsk_keystore_free(ks);
        }
        row(dsk_type_info_get((dsk_key_type)t)->name, ms, o->paths);
    }
    printf("\n");
    dsk_test_sim_stop(&sim);
}
