/* bench-trust: what chain verification adds to one derivation (keys/
 * provenance.c does exactly this after each GetKey): the public key of M
 * (secp256k1 from the scalar, or Ed25519 from the seed) and
 * dsk_chain_verify over the simulator's published chain (two recoveries,
 * two Keccak-256). CPU time per call, median of rounds; run it under
 * callgrind with --iterations 1000 for an instruction count. See
 * docs/benchmarks.md (## trust). */
#include <openssl/evp.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hex.h"
#include "trust.h"

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void hex(const char *h, unsigned char *out, size_t len)
{
    if (dsk_hex_decode(h, strlen(h), out, len) != (long)len)
        abort();
}

int main(int argc, char **argv)
{
    long iters = 2000, rounds = 11;
    unsigned char m[32], pub[33], link0[65], link1[65], app[20], root[1][33], ed[32];
    dsk_chain_input in;
    dsk_chain_verdict v;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    double per[3][64];
    static const char *const names[] = {"secp256k1 public key of M", "Ed25519 public key of M",
                                        "dsk_chain_verify (anchored)"};

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--iterations") == 0)
            iters = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atol(argv[i + 1]);
    }
    if (iters < 1 || rounds < 1 || rounds > 64) {
        fprintf(stderr, "usage: bench-trust [--iterations N] [--rounds 1..64]\n");
        return 2;
    }
    hex("143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5", m, 32);
    hex("032eb32fe300c29e10f805c8bd345e5601b1c6d0e10d645d49f9d6aae8bb0664f7", pub, 33);
    hex("14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c33798d20477d877040fe6d7d9e"
        "a7aa39b853a7a3e56c2c0e36bba3e8e12a65b000",
        link0, 65);
    hex("9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e594d2a283f843f34e8f39e4cc49a"
        "612496ce67223a12ac923f8efe330346dfc6c500",
        link1, 65);
    hex("5bb4ff9a3837357f19dc176407a5709c62eb6c56", app, 20);
    hex("0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6", root[0], 33);
    memset(&in, 0, sizeof in);
    in.api = DSK_CHAIN_V0;
    in.algorithm = "secp256k1";
    in.purpose = (const unsigned char *)"signing";
    in.purpose_len = 7;
    in.pubkey = pub;
    in.pubkey_len = 33;
    in.link0 = link0;
    in.link0_len = 65;
    in.link1 = link1;
    in.link1_len = 65;
    in.app_id = app;
    in.roots = (const unsigned char(*)[33])root;
    in.n_roots = 1;
    if (dsk_chain_verify(&in, &v) != DSK_OK || v.outcome != DSK_CHAIN_ANCHORED) {
        fprintf(stderr, "bench-trust: the reference chain does not verify\n");
        return 1;
    }
    for (long r = 0; r < rounds; r++) {
        double t0 = cpu_now();
        for (long i = 0; i < iters; i++) {
            secp256k1_pubkey pk;
            unsigned char out[33];
            size_t len = 33;
            if (!secp256k1_ec_pubkey_create(ctx, &pk, m) ||
                !secp256k1_ec_pubkey_serialize(ctx, out, &len, &pk, SECP256K1_EC_COMPRESSED))
                abort();
        }
        double t1 = cpu_now();
        for (long i = 0; i < iters; i++) {
            EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, m, 32);
            size_t len = 32;
            if (!k || !EVP_PKEY_get_raw_public_key(k, ed, &len))
                abort();
            EVP_PKEY_free(k);
        }
        double t2 = cpu_now();
        for (long i = 0; i < iters; i++)
            if (dsk_chain_verify(&in, &v) != DSK_OK || v.outcome != DSK_CHAIN_ANCHORED)
                abort();
        double t3 = cpu_now();
        per[0][r] = (t1 - t0) / (double)iters * 1e3;
        per[1][r] = (t2 - t1) / (double)iters * 1e3;
        per[2][r] = (t3 - t2) / (double)iters * 1e3;
    }
    printf("| work per derivation | median ms (CPU) | min | max |\n|---|---|---|---|\n");
    for (int w = 0; w < 3; w++) {
        qsort(per[w], (size_t)rounds, sizeof per[w][0], cmp);
        printf("| %s | %.4f | %.4f | %.4f |\n", names[w], per[w][rounds / 2], per[w][0],
               per[w][rounds - 1]);
    }
    secp256k1_context_destroy(ctx);
    return 0;
}
