#include "p11test.h"
#include "trust.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

p11t T;

const char *const P11T_DEFAULT_KEYS =
    "[key web]\npath = /my-app/tls\ntype = ec-p256\ncertificate = %CERT%\n"
    "[key wallet]\npath = /eth/main-wallet\ntype = secp256k1\n"
    "[key p384]\ntype = ec-p384\n"
    "[key rsa]\ntype = rsa-2048\nusage = sign, decrypt\n"
    "[key ssh]\ntype = ed25519\n";

/* A self-signed certificate for [key web] (its key does not matter here). */
static int write_cert(const char *path)
{
    int ok = 0;
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FILE *f = NULL;
    if (!k || !x)
        goto done;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"web", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    if (!X509_sign(x, k, EVP_sha256()) || !(f = fopen(path, "w")))
        goto done;
    ok = PEM_write_X509(f, x) == 1;
done:
    if (f)
        fclose(f);
    X509_free(x);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

static int link_endpoint(void)
{
    unlink(T.endpoint);
    return symlink(T.sim.sock, T.endpoint);
}

void p11t_sim_stop(void)
{
    if (T.sim_up)
        dsk_test_sim_stop(&T.sim);
    T.sim_up = 0;
}

void p11t_sim_start(void)
{
    if (T.sim_up)
        return;
    if (dsk_test_sim_start(&T.sim, NULL) != 0 || link_endpoint() != 0)
        fail_msg("cannot start the simulator");
    T.sim_up = 1;
}

static char *replace(const char *text, const char *what, const char *with)
{
    const char *at = strstr(text, what);
    size_t n = strlen(text) + (at ? strlen(with) : 0) + 1;
    char *out = malloc(n);
    if (!at) {
        memcpy(out, text, strlen(text) + 1);
        return out;
    }
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, with, at + strlen(what));
    return out;
}

int p11t_setup(const char *token_extra, const char *keys)
{
    memset(&T, 0, sizeof T);
    snprintf(T.dir, sizeof T.dir, "%s/dsk-p11-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(T.dir))
        return -1;
    snprintf(T.conf, sizeof T.conf, "%s/dstack-pkcs11.conf", T.dir);
    snprintf(T.endpoint, sizeof T.endpoint, "%s/agent.sock", T.dir);
    snprintf(T.cert, sizeof T.cert, "%s/web.pem", T.dir);
    if (write_cert(T.cert) != 0)
        return -1;
    if (dsk_test_sim_start(&T.sim, NULL) != 0 || link_endpoint() != 0)
        return -1;
    T.sim_up = 1;
    char *k = replace(keys ? keys : P11T_DEFAULT_KEYS, "%CERT%", T.cert);
    FILE *f = fopen(T.conf, "w");
    if (!f) {
        free(k);
        return -1;
    }
    const char *extra = token_extra ? token_extra : "";
    fprintf(f, "[token]\nendpoint = %s\ntimeout_ms = 3000\nconnect_timeout_ms = 500\n%s%s\n%s",
            T.endpoint, strstr(extra, "log_level") ? "" : "log_level = none\n", extra, k);
    fclose(f);
    free(k);
    setenv("DSTACK_PKCS11_CONF", T.conf, 1);
    unsetenv("DSTACK_PKCS11_DEBUG");
    const char *mod = getenv("DSK_PKCS11_MODULE");
    if (!mod || !(T.dl = dlopen(mod, RTLD_NOW | RTLD_LOCAL))) {
        fprintf(stderr, "cannot load the module ($DSK_PKCS11_MODULE): %s\n", dlerror());
        return -1;
    }
    /* POSIX: a function pointer is read from dlsym through its storage. */
    CK_C_GetInterface gi = NULL;
    CK_C_GetFunctionList gfl = NULL;
    *(void **)&gi = dlsym(T.dl, "C_GetInterface");
    *(void **)&gfl = dlsym(T.dl, "C_GetFunctionList");
    CK_INTERFACE *iface = NULL;
    CK_VERSION v3 = {3, 0};
    if (!gi || !gfl || gi((CK_UTF8CHAR_PTR) "PKCS 11", &v3, &iface, 0) != CKR_OK ||
        gfl(&T.f2) != CKR_OK)
        return -1;
    T.f = iface->pFunctionList;
    return 0;
}

void p11t_teardown(void)
{
    if (T.dl)
        dlclose(T.dl);
    p11t_sim_stop();
    unlink(T.conf);
    unlink(T.endpoint);
    unlink(T.cert);
    rmdir(T.dir);
    memset(&T, 0, sizeof T);
}

int p11t_group_setup(void **state)
{
    (void)state;
    if (p11t_setup(NULL, NULL) != 0)
        return -1;
    return T.f->C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

int p11t_group_teardown(void **state)
{
    (void)state;
    CK_RV rv = T.f->C_Finalize(NULL);
    p11t_teardown();
    return rv == CKR_OK ? 0 : -1;
}

void p11t_restart(const char *token_extra, const char *keys)
{
    CK(T.f->C_Finalize(NULL));
    p11t_teardown();
    assert_int_equal(p11t_setup(token_extra, keys), 0);
    CK(T.f->C_Initialize(NULL));
}

CK_SLOT_ID p11t_slot(const char *label)
{
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    CK(T.f->C_GetSlotList(CK_TRUE, slots, &n));
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        CK(T.f->C_GetTokenInfo(slots[i], &ti));
        size_t l = strlen(label);
        if (l <= 32 && !memcmp(ti.label, label, l) && (l == 32 || ti.label[l] == ' '))
            return slots[i];
    }
    fail_msg("no token '%s'", label);
    return 0;
}

CK_SESSION_HANDLE p11t_session(CK_SLOT_ID slot, int rw)
{
    CK_SESSION_HANDLE s = 0;
    CK(T.f->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL, &s));
    return s;
}

CK_OBJECT_HANDLE p11t_find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label)
{
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_LABEL, (void *)label, strlen(label)},
    };
    CK_OBJECT_HANDLE o = 0;
    CK_ULONG n = 0;
    CK(T.f->C_FindObjectsInit(s, t, 2));
    CK(T.f->C_FindObjects(s, &o, 1, &n));
    CK(T.f->C_FindObjectsFinal(s));
    return n ? o : 0;
}

unsigned char *p11t_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
                         CK_ULONG *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    CK(T.f->C_GetAttributeValue(s, o, &a, 1));
    a.pValue = malloc(a.ulValueLen + 1);
    CK(T.f->C_GetAttributeValue(s, o, &a, 1));
    if (len)
        *len = a.ulValueLen;
    return a.pValue;
}

CK_ULONG p11t_attr_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
    CK_ULONG v = 0;
    CK_ATTRIBUTE a = {t, &v, sizeof v};
    CK(T.f->C_GetAttributeValue(s, o, &a, 1));
    assert_int_equal(a.ulValueLen, sizeof v);
    return v;
}

CK_BBOOL p11t_attr_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
    CK_BBOOL v = 2;
    CK_ATTRIBUTE a = {t, &v, sizeof v};
    CK(T.f->C_GetAttributeValue(s, o, &a, 1));
    assert_int_equal(a.ulValueLen, 1);
    return v;
}

EVP_PKEY *p11t_pkey(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
    CK_ULONG len = 0;
    unsigned char *der = p11t_attr(s, o, CKA_PUBLIC_KEY_INFO, &len);
    const unsigned char *p = der;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);
    free(der);
    assert_non_null(pk);
    return pk;
}

/* raw r||s -> DER ECDSA-Sig-Value */
static unsigned char *ecdsa_der(const unsigned char *sig, size_t siglen, size_t *der_len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)siglen / 2, NULL),
           *s = BN_bin2bn(sig + siglen / 2, (int)siglen / 2, NULL);
    ECDSA_SIG_set0(es, r, s);
    unsigned char *der = NULL;
    int n = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    *der_len = n > 0 ? (size_t)n : 0;
    return der;
}

int p11t_verify(EVP_PKEY *pk, const EVP_MD *md, int prehashed, int pss, const unsigned char *data,
                size_t len, const unsigned char *sig, size_t siglen)
{
    int ok = 0;
    unsigned char *der = NULL;
    int is_ec = EVP_PKEY_is_a(pk, "EC"), is_rsa = EVP_PKEY_is_a(pk, "RSA");
    if (is_ec) {
        size_t dl;
        der = ecdsa_der(sig, siglen, &dl);
        sig = der;
        siglen = dl;
    }
    EVP_PKEY_CTX *pctx = NULL;
    if (prehashed || (is_rsa && !md)) {
        pctx = EVP_PKEY_CTX_new(pk, NULL);
        if (EVP_PKEY_verify_init(pctx) <= 0)
            goto done;
        if (is_rsa) {
            EVP_PKEY_CTX_set_rsa_padding(pctx,
                                         pss >= 0 ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING);
            if (pss >= 0)
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss);
        }
        if (md && EVP_PKEY_CTX_set_signature_md(pctx, md) <= 0)
            goto done;
        ok = EVP_PKEY_verify(pctx, sig, siglen, data, len) == 1;
        goto done;
    }
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *vctx = NULL;
    if (EVP_DigestVerifyInit(mctx, &vctx, md, NULL, pk) == 1) {
        if (is_rsa) {
            EVP_PKEY_CTX_set_rsa_padding(vctx,
                                         pss >= 0 ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING);
            if (pss >= 0)
                EVP_PKEY_CTX_set_rsa_pss_saltlen(vctx, pss);
        }
        ok = EVP_DigestVerify(mctx, sig, siglen, data, len) == 1;
    }
    EVP_MD_CTX_free(mctx);
done:
    EVP_PKEY_CTX_free(pctx);
    OPENSSL_free(der);
    return ok;
}

/* The project's one Keccak-256 (trust/, checked by tests/trust/test_keccak.c). */
void p11t_keccak256(const unsigned char *in, size_t len, unsigned char out[32])
{
    dsk_keccak256(in, len, out);
}
