/* bench-keys: shared between its two files. */
#ifndef DSK_BENCH_KEYS_H
#define DSK_BENCH_KEYS_H

#include <stddef.h>

typedef struct bench_opts {
    double slice_s;        /* length of one timed run */
    int rounds;            /* runs per side (A,B,A,B,...) */
    int paths;             /* derivation samples per type (RSA: at least 20) */
    const char *simulator; /* dstack-simulator binary, NULL to skip end-to-end */
} bench_opts;

double bench_now(void);
double bench_median(double *v, int n); /* sorts v */

/* Sections; each prints a Markdown table. */
void bench_derive(const bench_opts *o);
void bench_first_use(const bench_opts *o);
void bench_ops(const bench_opts *o);

#endif
