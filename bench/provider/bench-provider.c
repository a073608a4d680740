/* bench-provider: signatures per second through the dstack provider versus
 * the default provider with an equivalent key (same algorithm and size),
 * in one library context whose configuration loads both providers, as an
 * application's would. Repetitions are interleaved (dstack, default,
 * default, dstack, ...) and medians compared.
 *
 * Usage: bench-provider --config openssl.cnf [--seconds S] [--reps N]
 *        [--dstack-props QUERY] [--case p256|p384|k1|ed|rsa2048|rsapss]...
 * The openssl.cnf must activate the default provider and dstack.so, whose
 * key configuration names keys p256, p384, k1, ed and rsa2048. Nothing here
 * is secret: the default-provider keys are throw-away keys generated at
 * start, and the dstack keys never leave the provider. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/store.h>

typedef struct bcase {
    const char *name;   /* --case name */
    const char *label;  /* dstack key label */
    const char *keygen; /* EVP_PKEY_Q_keygen type */
    const char *param;  /* curve name, or NULL (RSA bits: 2048) */
    const char *md;     /* digest, NULL for Ed25519 */
    int pss;            /* RSA-PSS with salt = digest length */
} bcase;

static const bcase cases[] = {
    {"p256", "p256", "EC", "P-256", "SHA256", 0},
    {"p384", "p384", "EC", "P-384", "SHA384", 0},
    {"k1", "k1", "EC", "secp256k1", "SHA256", 0},
    {"ed", "ed", "ED25519", NULL, NULL, 0},
    {"rsa2048", "rsa2048", "RSA", NULL, "SHA256", 0},
    {"rsapss", "rsa2048", "RSA", NULL, "SHA256", 1},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* The machine may be shared: a signature costs CPU time, so rates are
 * counted per second of this thread's CPU time; wall time is also kept. */
/* Property query for signing with dstack keys (--dstack-props); NULL as an
 * application that does not know the provider would pass. */
static const char *dstack_props;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die_ossl(const char *what)
{
    fprintf(stderr, "bench-provider: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static EVP_PKEY *load_dstack(OSSL_LIB_CTX *lctx, const char *label)
{
    char uri[128];
    EVP_PKEY *pk = NULL;
    OSSL_STORE_CTX *st;

    snprintf(uri, sizeof uri, "dstack:%s", label);
    st = OSSL_STORE_open_ex(uri, lctx, NULL, NULL, NULL, NULL, NULL, NULL);
    if (st == NULL)
        die_ossl(uri);
    while (pk == NULL && !OSSL_STORE_eof(st)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(st);
        if (info != NULL && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
            pk = OSSL_STORE_INFO_get1_PKEY(info);
        OSSL_STORE_INFO_free(info);
        if (info == NULL)
            break;
    }
    OSSL_STORE_close(st);
    if (pk == NULL)
        die_ossl(uri);
    return pk;
}

static EVP_PKEY *gen_default(OSSL_LIB_CTX *lctx, const bcase *c)
{
    EVP_PKEY *pk;
    /* provider=default: never let key generation land anywhere else. */
    if (c->param != NULL)
        pk = EVP_PKEY_Q_keygen(lctx, "provider=default", c->keygen, c->param);
    else if (strcmp(c->keygen, "RSA") == 0)
        pk = EVP_PKEY_Q_keygen(lctx, "provider=default", c->keygen, (size_t)2048);
    else
        pk = EVP_PKEY_Q_keygen(lctx, "provider=default", c->keygen);
    if (pk == NULL)
        die_ossl("key generation");
    return pk;
}

/* One signature over msg: a fresh EVP_MD_CTX each time, as TLS does per
 * handshake. Returns the signature length, 0 on error. */
static size_t sign_once(OSSL_LIB_CTX *lctx, EVP_PKEY *pk, const bcase *c, const unsigned char *msg,
                        size_t msglen, unsigned char *sig, size_t sigmax)
{
    const char *props = EVP_PKEY_get0_provider(pk) != NULL
                                && strcmp(OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(pk)), "dstack") == 0
                            ? dstack_props
                            : NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t siglen = sigmax, ret = 0;

    if (md == NULL || EVP_DigestSignInit_ex(md, &pctx, c->md, lctx, props, pk, NULL) != 1)
        goto done;
    if (c->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
                   || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        goto done;
    if (EVP_DigestSign(md, sig, &siglen, msg, msglen) != 1)
        goto done;
    ret = siglen;
done:
    EVP_MD_CTX_free(md);
    return ret;
}

/* Check one signature of pk with a public copy of it that lives in the
 * default provider (so a provider that returned garbage is noticed). */
static void check(OSSL_LIB_CTX *lctx, EVP_PKEY *pk, const bcase *c)
{
    unsigned char msg[32] = "bench-provider check message....";
    unsigned char sig[1024];
    unsigned char *der = NULL;
    const unsigned char *p;
    EVP_PKEY *pub;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t siglen = sign_once(lctx, pk, c, msg, sizeof msg, sig, sizeof sig);
    int derlen = i2d_PUBKEY(pk, &der);

    if (siglen == 0 || derlen <= 0)
        die_ossl("check signature");
    p = der;
    pub = d2i_PUBKEY_ex(NULL, &p, derlen, lctx, "provider=default");
    if (pub == NULL || md == NULL
        || EVP_DigestVerifyInit_ex(md, &pctx, c->md, lctx, "provider=default", pub, NULL) != 1
        || (c->pss && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1)
        || EVP_DigestVerify(md, sig, siglen, msg, sizeof msg) != 1)
        die_ossl("verification by the default provider");
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);
    OPENSSL_free(der);
}

/* Signatures per CPU second (and per wall second in *wall) during about
 * `seconds` of CPU time. */
static double rate(OSSL_LIB_CTX *lctx, EVP_PKEY *pk, const bcase *c, double seconds, double *wall)
{
    unsigned char msg[32] = {0};
    unsigned char sig[1024];
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC), t;
    long n = 0;

    do {
        msg[n % 32]++;
        if (sign_once(lctx, pk, c, msg, sizeof msg, sig, sizeof sig) == 0)
            die_ossl("sign");
        n++;
        t = clock_s(CLOCK_THREAD_CPUTIME_ID);
    } while (t - c0 < seconds);
    if (wall != NULL)
        *wall = (double)n / (clock_s(CLOCK_MONOTONIC) - w0);
    return (double)n / (t - c0);
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

static void run_case(OSSL_LIB_CTX *lctx, const bcase *c, double seconds, int reps)
{
    EVP_PKEY *dk = load_dstack(lctx, c->label);
    EVP_PKEY *ok = gen_default(lctx, c);
    double *rd = calloc((size_t)reps * 6, sizeof *rd);
    double *ro = rd + reps, *wd = rd + 2 * reps, *wo = rd + 3 * reps;
    double *pc = rd + 4 * reps, *pw = rd + 5 * reps;
    int i;

    if (rd == NULL) {
        fprintf(stderr, "bench-provider: out of memory\n");
        exit(1);
    }
    check(lctx, dk, c);
    check(lctx, ok, c);
    rate(lctx, dk, c, seconds / 4, NULL); /* warm-up: derivation done, caches hot */
    rate(lctx, ok, c, seconds / 4, NULL);
    for (i = 0; i < reps; i++) {
        if (i % 2 == 0) {
            rd[i] = rate(lctx, dk, c, seconds, &wd[i]);
            ro[i] = rate(lctx, ok, c, seconds, &wo[i]);
        } else {
            ro[i] = rate(lctx, ok, c, seconds, &wo[i]);
            rd[i] = rate(lctx, dk, c, seconds, &wd[i]);
        }
    }
    /* Ratios of neighbouring runs first (they share the machine's state),
     * then their median; rates are medians per side. */
    for (i = 0; i < reps; i++) {
        pc[i] = rd[i] / ro[i];
        pw[i] = wd[i] / wo[i];
    }
    printf("%-8s %12.0f %12.0f %8.3f   %12.0f %12.0f %8.3f\n", c->name, median(rd, reps),
           median(ro, reps), median(pc, reps), median(wd, reps), median(wo, reps), median(pw, reps));
    fflush(stdout);
    free(rd);
    EVP_PKEY_free(dk);
    EVP_PKEY_free(ok);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench-provider --config openssl.cnf [--seconds S] [--reps N] "
                    "[--dstack-props QUERY] [--case p256|p384|k1|ed|rsa2048|rsapss]...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    const char *want[NCASES];
    size_t nwant = 0, i, j;
    double seconds = 2;
    int reps = 5;
    OSSL_LIB_CTX *lctx;

    for (i = 1; i < (size_t)argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < (size_t)argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < (size_t)argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < (size_t)argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--dstack-props") == 0 && i + 1 < (size_t)argc)
            dstack_props = argv[++i];
        else if (strcmp(argv[i], "--case") == 0 && i + 1 < (size_t)argc && nwant < NCASES)
            want[nwant++] = argv[++i];
        else
            usage();
    }
    if (config == NULL || seconds <= 0 || reps < 1)
        usage();
    lctx = OSSL_LIB_CTX_new();
    if (lctx == NULL || !OSSL_LIB_CTX_load_config(lctx, config))
        die_ossl(config);
    if (!OSSL_PROVIDER_available(lctx, "dstack") || !OSSL_PROVIDER_available(lctx, "default")) {
        fprintf(stderr, "bench-provider: %s must activate the default and dstack providers\n", config);
        return 1;
    }
    printf("# signatures/s, median of %d interleaved runs of %.1f CPU s each, 1 thread; ratio = "
           "median of per-pair ratios; "
           "dstack signing property query: %s\n",
           reps, seconds, dstack_props ? dstack_props : "none");
    printf("%-8s %12s %12s %8s   %12s %12s %8s\n", "case", "dstack/cpu-s", "default/cpu-s", "ratio",
           "dstack/wall-s", "default/wall-s", "ratio");
    for (i = 0; i < NCASES; i++) {
        int chosen = nwant == 0;
        for (j = 0; j < nwant; j++)
            chosen |= strcmp(want[j], cases[i].name) == 0;
        if (chosen)
            run_case(lctx, &cases[i], seconds, reps);
    }
    OSSL_LIB_CTX_free(lctx);
    return 0;
}
