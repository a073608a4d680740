/* provider/prov.c: init reads settings only (openssl.cnf section, then the
 * environment, once), never fails because dstack is down, fails with
 * file:line on a bad configuration; ordinary default-provider work is
 * unaffected; the module exports OSSL_provider_init and nothing else. */
#include "provtest.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/store.h>
#include <openssl/x509v3.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

static X509 *make_cert(OSSL_LIB_CTX *ctx, EVP_PKEY *subject_key, const char *cn, EVP_PKEY *ca_key,
                       X509 *ca)
{
    X509 *x = X509_new_ex(ctx, NULL);
    X509_NAME *n = X509_NAME_new();
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), ca == NULL ? 1 : 2);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, ca == NULL ? n : X509_get_subject_name(ca));
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, subject_key);
    X509V3_set_ctx(&v3, ca == NULL ? x : ca, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                              ca == NULL ? "critical,CA:TRUE" : "CA:FALSE");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
    X509_NAME_free(n);
    return x;
}

/* dstack down: the provider loads, default-provider work goes on, and a
 * dstack key fails only when used, naming the socket. */
static void test_dstack_down(void **state)
{
    pt_env e;
    pt_setup(&e, 0);
    EVP_PKEY *ca_key = pt_gen(e.libctx, "EC", "P-256"), *leaf_key = pt_gen(e.libctx, "RSA", NULL);
    X509 *ca = make_cert(e.libctx, ca_key, "ca", ca_key, NULL);
    X509 *leaf = make_cert(e.libctx, leaf_key, "leaf", ca_key, ca);
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *vc = X509_STORE_CTX_new_ex(e.libctx, NULL);

    assert_string_equal(pt_provider_of(ca_key), "default");
    assert_int_equal(X509_STORE_add_cert(st, ca), 1);
    assert_int_equal(X509_STORE_CTX_init(vc, st, leaf, NULL), 1);
    assert_int_equal(X509_verify_cert(vc), 1);

    assert_null(pt_load(&e, "dstack:web"));
    assert_non_null(strstr(pt_errors(), "/nonexistent/dsk-prov-test.sock"));

    X509_STORE_CTX_free(vc);
    X509_STORE_free(st);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(ca_key);
    pt_teardown(&e);
}

/* The reason also reaches standard error (a server's error log) at the
 * default log level, once per failed use: servers print no OpenSSL queue. */
static void test_unusable_key_logged(void **state)
{
    pt_env e;
    char path[600], text[4096];
    int saved, fd;
    FILE *f;
    size_t n;
    const char *p;
    int count = 0;

    pt_setup(&e, 0);
    unsetenv("DSTACK_PKCS11_DEBUG");
    snprintf(path, sizeof path, "%s", pt_write(&e, "stderr.txt", ""));
    fflush(stderr);
    saved = dup(2);
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    dup2(fd, 2);
    close(fd);
    assert_null(pt_load(&e, "dstack:web"));
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fopen(path, "r");
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    for (p = text; (p = strstr(p, "/nonexistent/dsk-prov-test.sock")) != NULL; p++)
        count++;
    if (count != 1)
        fail_msg("want the reason once on stderr, got %d times:\n%s", count, text);
    assert_non_null(strstr(text, "error: "));
    assert_non_null(strstr(text, "'web'"));
    assert_non_null(strstr(text, "check "));
    pt_teardown(&e);
}

/* An unreachable socket is reported with where its path came from: the
 * environment (read once at init, so also after the variable is gone, as in
 * nginx workers), or the openssl.cnf section. */
static void test_unreachable_names_source(void **state)
{
    pt_env e;
    char cnf[2048], path[512], msg[2048];
    OSSL_LIB_CTX *ctx;
    OSSL_STORE_CTX *sc;

    pt_setup(&e, 0);
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    assert_null(pt_load(&e, "dstack:web"));
    snprintf(msg, sizeof msg, "%s", pt_errors());
    assert_non_null(strstr(msg, "/nonexistent/dsk-prov-test.sock (from DSTACK_SIMULATOR_ENDPOINT)"));
    assert_non_null(strstr(msg, "check DSTACK_SIMULATOR_ENDPOINT and that the simulator"));
    assert_null(strstr(msg, "from configured"));
    assert_null(strstr(msg, "`endpoint`"));

    snprintf(cnf, sizeof cnf,
             "openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = d\ndstack = ds\n"
             "[d]\nactivate = 1\n[ds]\nmodule = %s/dstack.so\ndstack_conf = %s\n"
             "endpoint = /nonexistent/dsk-prov-cnf.sock\nactivate = 1\n",
             getenv("DSK_PROVIDER_DIR"), e.conf);
    snprintf(path, sizeof path, "%s", pt_write(&e, "openssl.cnf", cnf));
    setenv("DSTACK_SIMULATOR_ENDPOINT", "/nonexistent/dsk-prov-env.sock", 1);
    assert_non_null(ctx = OSSL_LIB_CTX_new());
    if (!OSSL_LIB_CTX_load_config(ctx, path))
        fail_msg("load_config: %s", pt_errors());
    sc = OSSL_STORE_open_ex("dstack:web", ctx, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_non_null(sc);
    assert_null(OSSL_STORE_load(sc));
    snprintf(msg, sizeof msg, "%s", pt_errors());
    assert_non_null(strstr(msg, "/nonexistent/dsk-prov-cnf.sock (from configured)"));
    assert_non_null(strstr(msg, "check `endpoint` in the configuration"));
    OSSL_STORE_close(sc);
    OSSL_LIB_CTX_free(ctx);
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    pt_teardown(&e);
}

/* nginx workers lose their environment: what init read must last. */
static void test_env_read_once(void **state)
{
    pt_env e;
    pt_setup(&e, 1);
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    unsetenv("DSTACK_PKCS11_CONF");
    EVP_PKEY *k = pt_load(&e, "dstack:web");
    if (k == NULL)
        fail_msg("%s", pt_errors());
    EVP_PKEY_free(k);
    pt_teardown(&e);
}

/* openssl.cnf: dstack_conf and endpoint in the provider's section. */
static void test_openssl_cnf_section(void **state)
{
    pt_env e;
    char cnf[2048], path[512];
    OSSL_LIB_CTX *ctx;
    EVP_PKEY *k;
    OSSL_STORE_CTX *sc;
    OSSL_STORE_INFO *info;

    pt_setup(&e, 1);
    snprintf(cnf, sizeof cnf,
             "openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = d\ndstack = ds\n"
             "[d]\nactivate = 1\n[ds]\nmodule = %s/dstack.so\ndstack_conf = %s\nendpoint = %s\n"
             "activate = 1\n",
             getenv("DSK_PROVIDER_DIR"), e.conf, e.sim.sock);
    snprintf(path, sizeof path, "%s", pt_write(&e, "openssl.cnf", cnf));
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    unsetenv("DSTACK_PKCS11_CONF");
    assert_non_null(ctx = OSSL_LIB_CTX_new());
    if (!OSSL_LIB_CTX_load_config(ctx, path))
        fail_msg("load_config: %s", pt_errors());
    assert_true(OSSL_PROVIDER_available(ctx, "dstack"));
    sc = OSSL_STORE_open_ex("dstack:rsa", ctx, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_non_null(sc);
    info = OSSL_STORE_load(sc);
    if (info == NULL)
        fail_msg("%s", pt_errors());
    k = OSSL_STORE_INFO_get1_PKEY(info);
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_get_bits(k), 2048);
    EVP_PKEY_free(k);
    OSSL_STORE_INFO_free(info);
    OSSL_STORE_close(sc);
    OSSL_LIB_CTX_free(ctx);
    pt_teardown(&e);
}

static void test_bad_config_fails_with_file_line(void **state)
{
    pt_env e;
    OSSL_LIB_CTX *ctx;
    const char *bad, *errs;

    pt_setup(&e, 0);
    bad = pt_write(&e, "bad.conf", "[key web]\ntype = ec-p999\n");
    setenv("DSTACK_PKCS11_CONF", bad, 1);
    assert_non_null(ctx = OSSL_LIB_CTX_new());
    assert_int_equal(OSSL_PROVIDER_set_default_search_path(ctx, getenv("DSK_PROVIDER_DIR")), 1);
    assert_null(OSSL_PROVIDER_load(ctx, "dstack"));
    errs = pt_errors();
    assert_non_null(strstr(errs, "bad.conf:"));
    assert_non_null(strstr(errs, "ec-p999"));
    OSSL_LIB_CTX_free(ctx);
    pt_teardown(&e);
}

static void test_provider_params(void **state)
{
    pt_env e;
    const char *name = NULL;
    int status = 0;
    OSSL_PARAM p[] = {
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, &name, 0),
        OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, &status),
        OSSL_PARAM_END,
    };
    pt_setup(&e, 0);
    assert_int_equal(OSSL_PROVIDER_get_params(e.dstack, p), 1);
    assert_non_null(strstr(name, "dstack"));
    assert_int_equal(status, 1);
    pt_teardown(&e);
}

/* The dynamic symbol table of dstack.so holds one defined symbol. */
static void test_exports_only_init(void **state)
{
    char path[512];
    struct stat sb;
    int fd, defined = 0, init = 0;
    unsigned char *m;
    snprintf(path, sizeof path, "%s/dstack.so", getenv("DSK_PROVIDER_DIR"));
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0 && fstat(fd, &sb) == 0);
    m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    assert_true(m != MAP_FAILED);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
    assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
    assert_int_equal(eh->e_ident[EI_CLASS], ELFCLASS64);
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM)
            continue;
        const Elf64_Sym *sym = (const Elf64_Sym *)(m + sh[i].sh_offset);
        const char *str = (const char *)(m + sh[sh[i].sh_link].sh_offset);
        for (size_t j = 0; j < sh[i].sh_size / sizeof *sym; j++) {
            int bind = ELF64_ST_BIND(sym[j].st_info);
            if (sym[j].st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK))
                continue;
            defined++;
            if (strcmp(str + sym[j].st_name, "OSSL_provider_init") == 0)
                init = 1;
            else
                fail_msg("dstack.so exports %s", str + sym[j].st_name);
        }
    }
    assert_int_equal(init, 1);
    assert_int_equal(defined, 1);
    munmap(m, (size_t)sb.st_size);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dstack_down),
        cmocka_unit_test(test_env_read_once),
        cmocka_unit_test(test_unreachable_names_source),
        cmocka_unit_test(test_unusable_key_logged),
        cmocka_unit_test(test_openssl_cnf_section),
        cmocka_unit_test(test_bad_config_fails_with_file_line),
        cmocka_unit_test(test_provider_params),
        cmocka_unit_test(test_exports_only_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
