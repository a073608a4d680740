/* Derivation time per type over 20 paths (not a test: figures for
 * docs/derivation.md). Material as the simulator gives it for "bench/<i>".
 * Thread CPU time is reported beside wall time: on a shared, busy host the
 * CPU time is the figure that does not depend on the neighbours.
 * usage: derive_timing [paths]   (default 20) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "derive.h"
#include "hex.h"

static const char *const names[DSK_KEY_TYPE_COUNT] = {
    "secp256k1", "ed25519", "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096",
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int material(OSSL_LIB_CTX *libctx, const unsigned char app[32], const char *path,
                    unsigned char m[32])
{
    EVP_KDF *kdf = EVP_KDF_fetch(libctx, "HKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string("key", (void *)app, 32),
        OSSL_PARAM_construct_octet_string("salt", (void *)"RATLS", 5),
        OSSL_PARAM_construct_octet_string("info", (void *)path, strlen(path)),
        OSSL_PARAM_construct_end(),
    };
    int ok = EVP_KDF_derive(ctx, m, 32, p) == 1;

    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok;
}

int main(int argc, char **argv)
{
    int npaths = argc > 1 ? atoi(argv[1]) : 20;
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();
    unsigned char app[32];
    double *ms = calloc((size_t)(npaths > 0 ? npaths : 1), sizeof *ms);
    double *cpu = calloc((size_t)(npaths > 0 ? npaths : 1), sizeof *cpu);

    if (npaths <= 0 || ms == NULL || cpu == NULL || OSSL_PROVIDER_load(libctx, "default") == NULL)
        return 2;
    dsk_hex_decode("d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d", 64, app, 32);
    printf("%-10s %6s | cpu %8s %8s %8s %8s | wall %8s %8s  (ms, %d paths)\n", "type", "n",
           "median", "min", "p90", "max", "median", "max", npaths);
    for (int t = 0; t < DSK_KEY_TYPE_COUNT; t++) {
        for (int i = 0; i < npaths; i++) {
            char path[32];
            unsigned char m[32];
            EVP_PKEY *key = NULL;
            struct timespec a, b, ca, cb;
            dsk_error err = {0};

            snprintf(path, sizeof path, "bench/%d", i);
            if (!material(libctx, app, path, m))
                return 1;
            clock_gettime(CLOCK_MONOTONIC, &a);
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
            if (dsk_derive_v1(libctx, (dsk_key_type)t, m, &key, &err) != DSK_OK) {
                fprintf(stderr, "%s %s: %s\n", names[t], path, err.msg);
                return 1;
            }
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
            clock_gettime(CLOCK_MONOTONIC, &b);
            ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
            cpu[i] =
                (double)(cb.tv_sec - ca.tv_sec) * 1e3 + (double)(cb.tv_nsec - ca.tv_nsec) / 1e6;
            EVP_PKEY_free(key);
        }
        qsort(ms, (size_t)npaths, sizeof *ms, cmp_double);
        qsort(cpu, (size_t)npaths, sizeof *cpu, cmp_double);
        printf("%-10s %6d | cpu %8.3f %8.3f %8.3f %8.3f | wall %8.3f %8.3f\n", names[t], npaths,
               cpu[npaths / 2], cpu[0], cpu[(npaths * 9) / 10], cpu[npaths - 1], ms[npaths / 2],
               ms[npaths - 1]);
    }
    free(ms);
    free(cpu);
    OSSL_LIB_CTX_free(libctx);
    return 0;
}
