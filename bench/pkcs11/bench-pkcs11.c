/* bench-pkcs11: signatures per second, side by side, medians of
 * interleaved repetitions; then time to first signature.
 *
 * Usage: bench-pkcs11 --module dstack-pkcs11.so [--module-pin PIN]
 *        [--softhsm libsofthsm2.so] [--softhsm-pin PIN] [--seconds S] [--reps N]
 *        [--first-reps N]
 * Our module needs DSTACK_PKCS11_CONF with keys p256 (ec-p256), ed
 * (ed25519) and rsa2048 (rsa-2048) and a reachable dstack (simulator);
 * SoftHSM2 needs SOFTHSM2_CONF with an initialised token labelled "bench".
 * bench/pkcs11/run.sh sets all of this up. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif

#include "bench.h"

#define MAX_IMPLS 3
#define MAX_REPS 50
#define MAX_THREADS 2

static const char *const case_names[BENCH_CASE_COUNT] = {
    "ECDSA P-256", "Ed25519", "RSA-2048 PKCS#1", "RSA-2048 OAEP decrypt", "ECDSA secp256k1"};

const char *bench_case_name(bench_case c)
{
    return case_names[c];
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct run_state {
    bench_impl *impl;
    void *worker;
    atomic_int *go; /* 0 wait, 1 run, 2 stop */
    long ops;
    double cpu; /* CPU seconds this thread spent signing */
    int failed;
} run_state;

typedef struct rate {
    double wall; /* signatures per wall-clock second, all threads */
    double cpu;  /* signatures per CPU second of the signing threads */
} rate;

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *thread_main(void *arg)
{
    run_state *r = arg;
    while (atomic_load(r->go) == 0)
        ;
    double c0 = thread_cpu();
    while (atomic_load_explicit(r->go, memory_order_relaxed) == 1) {
        if (r->impl->sign(r->worker) != 0) {
            r->failed = 1;
            break;
        }
        r->ops++;
    }
    r->cpu = thread_cpu() - c0;
    return NULL;
}

/* Signatures per second of impl on case c with n threads for secs seconds;
 * 0 on success. */
static int measure(bench_impl *impl, bench_case c, int n, double secs, rate *out)
{
    run_state st[MAX_THREADS] = {0};
    pthread_t th[MAX_THREADS];
    atomic_int go = 0;
    double t0, t1;
    long total = 0;
    double cpu = 0;
    int started = 0, bad = 0;

    for (int i = 0; i < n; i++) {
        st[i] = (run_state){impl, impl->worker_new(impl, c), &go, 0, 0, 0};
        if (st[i].worker == NULL || impl->sign(st[i].worker) != 0) { /* warm up */
            bad = 1;
            break;
        }
    }
    for (int i = 0; !bad && i < n; i++) {
        if (pthread_create(&th[i], NULL, thread_main, &st[i]) != 0)
            bad = 1;
        else
            started++;
    }
    t0 = bench_now();
    atomic_store(&go, bad ? 2 : 1);
    while (!bad && bench_now() - t0 < secs) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&go, 2);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    t1 = bench_now();
    for (int i = 0; i < n; i++) {
        total += st[i].ops;
        cpu += st[i].cpu;
        bad |= st[i].failed;
        if (st[i].worker != NULL)
            impl->worker_free(st[i].worker);
    }
    if (bad) {
        fprintf(stderr, "bench: %s %s (%d threads) failed\n", impl->name, bench_case_name(c), n);
        return -1;
    }
    out->wall = (double)total / (t1 - t0);
    out->cpu = cpu > 0 ? (double)total / cpu : 0;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --callgrind N: under valgrind --tool=callgrind, N operations of each case
 * by raw and dstack-pkcs11, one thread, each set dumped on its own ("raw
 * ECDSA P-256", ...): instructions per operation = the dump's Ir / N. */
static int callgrind_counts(bench_impl **impls, int n)
{
#ifdef HAVE_CALLGRIND
    for (int c = 0; c < BENCH_CASE_COUNT; c++) {
        for (int m = 0; m < 2; m++) {
            void *w = impls[m]->worker_new(impls[m], c);
            char label[96];
            if (w == NULL || impls[m]->sign(w) != 0)
                return -1;
            snprintf(label, sizeof label, "%s %s x%d", m ? "dstack" : "raw", bench_case_name(c), n);
            CALLGRIND_ZERO_STATS;
            for (int i = 0; i < n; i++)
                if (impls[m]->sign(w) != 0)
                    return -1;
            CALLGRIND_DUMP_STATS_AT(label);
            impls[m]->worker_free(w);
        }
    }
    return 0;
#else
    (void)impls;
    (void)n;
    fprintf(stderr, "bench: built without valgrind/callgrind.h\n");
    return -1;
#endif
}

static void usage(void)
{
    fprintf(stderr, "usage: bench-pkcs11 --module PATH [--module-pin PIN] [--softhsm PATH]\n"
                    "                    [--softhsm-pin PIN]\n"
                    "                    [--seconds S] [--reps N] [--first-reps N]\n"
                    "                    [--callgrind N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    bench_p11_opts ours = {"dstack-pkcs11", NULL, "dstack", "dstack-ed25519", NULL, 0, 0};
    bench_p11_opts hsm = {
        "softhsm2", "/usr/lib/softhsm/libsofthsm2.so", "bench", "bench", "1234", 1, 1};
    double secs = 1.0;
    int reps = 5, first_reps = 5, cg_ops = 0;
    bench_impl *impls[MAX_IMPLS];
    static rate res[MAX_IMPLS][BENCH_CASE_COUNT][MAX_THREADS][MAX_REPS];
    int ret = 1;

    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--module") == 0)
            ours.module = argv[++i];
        else if (strcmp(argv[i], "--module-pin") == 0)
            ours.pin = argv[++i];
        else if (strcmp(argv[i], "--softhsm") == 0)
            hsm.module = argv[++i];
        else if (strcmp(argv[i], "--softhsm-pin") == 0)
            hsm.pin = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0)
            secs = atof(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--first-reps") == 0)
            first_reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--callgrind") == 0)
            cg_ops = atoi(argv[++i]);
        else
            usage();
    }
    if (ours.module == NULL || reps < 1 || reps > MAX_REPS || secs <= 0 || first_reps < 1 ||
        first_reps > MAX_REPS)
        usage();

    if (cg_ops > 0) {
        impls[0] = bench_ossl_new();
        impls[1] = impls[0] != NULL ? bench_p11_new(&ours) : NULL;
        ret = impls[1] != NULL ? callgrind_counts(impls, cg_ops) != 0 : 1;
        for (int i = 0; i < 2; i++)
            if (impls[i] != NULL)
                impls[i]->free(impls[i]);
        return ret;
    }

    /* Make SoftHSM2's token keys once, so that no timing includes key generation. */
    bench_impl *setup = bench_p11_new(&hsm);
    if (setup == NULL)
        return 1;
    setup->free(setup);
    hsm.generate = 0;

    /* Time to first signature: the module is initialised afresh each time, so
     * our module derives the key again (C_Finalize wiped it). */
    double first[2][BENCH_CASE_COUNT][MAX_REPS];
    const bench_p11_opts *fo[2] = {&ours, &hsm};
    for (int r = 0; r < first_reps; r++)
        for (int c = 0; c < BENCH_HSM_CASES; c++)
            for (int m = 0; m < 2; m++)
                if ((first[m][c][r] = bench_p11_first_sign(fo[m], c)) < 0)
                    return 1;

    impls[0] = bench_ossl_new();
    impls[1] = impls[0] != NULL ? bench_p11_new(&ours) : NULL;
    impls[2] = impls[1] != NULL ? bench_p11_new(&hsm) : NULL;
    if (impls[2] == NULL)
        goto done;

    /* Interleave: every repetition runs every implementation once per case. */
    for (int r = 0; r < reps; r++)
        for (int c = 0; c < BENCH_CASE_COUNT; c++)
            for (int t = 1; t <= MAX_THREADS; t++)
                for (int m = 0; m < (c < BENCH_HSM_CASES ? MAX_IMPLS : 2); m++)
                    if (measure(impls[m], c, t, secs, &res[m][c][t - 1][r]) != 0)
                        goto done;

    printf("C_Sign / C_Decrypt throughput: %d interleaved runs of %.1f s. op/s: median\n"
           "operations per wall-clock second. Ratios: median over runs of dstack-pkcs11 / peer\n"
           "within the same run, per wall-clock second and per CPU second of the working\n"
           "threads; [min-max] over the runs. Raw peer: OpenSSL with one context per key and\n"
           "thread, reused (libsecp256k1 for secp256k1).\n\n",
           reps, secs);
    printf("| operation | threads | raw op/s | dstack-pkcs11 op/s | SoftHSM2 op/s | "
           "dstack/raw wall | dstack/raw CPU [spread] | dstack/SoftHSM2 CPU |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int c = 0; c < BENCH_CASE_COUNT; c++) {
        for (int t = 1; t <= MAX_THREADS; t++) {
            double m[MAX_IMPLS] = {0}, q[4][MAX_REPS], lo = 1e9, hi = 0;
            int ni = c < BENCH_HSM_CASES ? MAX_IMPLS : 2;
            for (int i = 0; i < ni; i++) {
                double v[MAX_REPS];
                for (int r = 0; r < reps; r++)
                    v[r] = res[i][c][t - 1][r].wall;
                m[i] = median(v, reps);
            }
            for (int r = 0; r < reps; r++) {
                const rate *o = &res[0][c][t - 1][r], *d = &res[1][c][t - 1][r],
                           *h = &res[2][c][t - 1][r];
                q[0][r] = d->wall / o->wall;
                q[1][r] = d->cpu / o->cpu;
                q[3][r] = ni > 2 ? d->cpu / h->cpu : 0;
                lo = q[1][r] < lo ? q[1][r] : lo;
                hi = q[1][r] > hi ? q[1][r] : hi;
            }
            char hsm_rate[32] = "-", hsm_ratio[32] = "-";
            if (ni > 2) {
                snprintf(hsm_rate, sizeof hsm_rate, "%.0f", m[2]);
                snprintf(hsm_ratio, sizeof hsm_ratio, "%.2f", median(q[3], reps));
            }
            printf("| %s | %d | %.0f | %.0f | %s | %.3f | %.3f [%.3f-%.3f] | %s |\n",
                   bench_case_name(c), t, m[0], m[1], hsm_rate, median(q[0], reps),
                   median(q[1], reps), lo, hi, hsm_ratio);
        }
    }
    printf("\nTime from C_Initialize to the first signature, ms: median of %d\n\n", first_reps);
    printf("| key | dstack-pkcs11 (simulator) | SoftHSM2 |\n|---|---:|---:|\n");
    for (int c = 0; c < BENCH_HSM_CASES; c++)
        printf("| %s | %.2f | %.2f |\n", bench_case_name(c), median(first[0][c], first_reps) * 1e3,
               median(first[1][c], first_reps) * 1e3);
    ret = 0;

done:
    for (int i = 0; i < MAX_IMPLS; i++)
        if (impls[i] != NULL)
            impls[i]->free(impls[i]);
    return ret;
}
