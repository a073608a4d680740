/* p11-sign-hold: sign with keys, then hold still to be dumped.
 *
 * Usage: p11-sign-hold MODULE SYNCDIR LABEL...
 *
 * Loads MODULE, signs 32 bytes with the private key of each LABEL (on any
 * token; the mechanism from its key type), creates SYNCDIR/signed and waits
 * for SYNCDIR/go1; then calls C_Finalize, creates SYNCDIR/finalized and
 * waits for SYNCDIR/go2 before exiting. The test takes a core dump of this
 * process at each of the two stops. Exit 0 only if every step succeeded. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST *p11;

/* The private key labelled `label` on any token: session and handle. */
static int find_key(const char *label, CK_SESSION_HANDLE *sess, CK_OBJECT_HANDLE *key)
{
    CK_SLOT_ID slots[16];
    CK_ULONG ns = 16;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, (void *)label, strlen(label)}};
    if (p11->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK)
        return -1;
    for (CK_ULONG i = 0; i < ns; i++) {
        CK_ULONG n = 0;
        if (p11->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, sess) != CKR_OK)
            return -1;
        if (p11->C_FindObjectsInit(*sess, t, 2) == CKR_OK)
            p11->C_FindObjects(*sess, key, 1, &n);
        p11->C_FindObjectsFinal(*sess);
        if (n == 1)
            return 0;
    }
    fprintf(stderr, "p11-sign-hold: no private key '%s'\n", label);
    return -1;
}

static int sign(const char *label)
{
    static const CK_MECHANISM_TYPE by_type[] = {
        [CKK_RSA] = CKM_SHA256_RSA_PKCS, [CKK_EC] = CKM_ECDSA, [CKK_EC_EDWARDS] = CKM_EDDSA};
    unsigned char data[32] = "p11-sign-hold: 32 bytes of data", sig[512];
    CK_ULONG sl = sizeof sig;
    CK_KEY_TYPE kt = 0;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE k;
    CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof kt};
    if (find_key(label, &s, &k) != 0 || p11->C_GetAttributeValue(s, k, &a, 1) != CKR_OK ||
        kt >= sizeof by_type / sizeof by_type[0] || by_type[kt] == 0)
        return -1;
    CK_MECHANISM m = {by_type[kt], NULL, 0};
    CK_RV rv = p11->C_SignInit(s, &m, k);
    if (rv == CKR_OK)
        rv = p11->C_Sign(s, data, sizeof data, sig, &sl);
    if (rv != CKR_OK) {
        fprintf(stderr, "p11-sign-hold: signing with '%s': rv=0x%lx\n", label, (unsigned long)rv);
        return -1;
    }
    return 0;
}

static int stop(const char *dir, const char *mark, const char *go)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, mark);
    FILE *f = fopen(p, "w");
    if (f == NULL || fclose(f) != 0)
        return -1;
    snprintf(p, sizeof p, "%s/%s", dir, go);
    struct timespec ts = {0, 50 * 1000 * 1000};
    for (int i = 0; i < 2400; i++) {
        if (access(p, F_OK) == 0)
            return 0;
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "p11-sign-hold: timed out waiting for %s\n", p);
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: p11-sign-hold MODULE SYNCDIR LABEL...\n");
        return 2;
    }
    void *dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList gfl = NULL;
    if (dl != NULL)
        *(void **)&gfl = dlsym(dl, "C_GetFunctionList");
    if (gfl == NULL || gfl(&p11) != CKR_OK || p11->C_Initialize(NULL) != CKR_OK) {
        fprintf(stderr, "p11-sign-hold: cannot load and initialise %s\n", argv[1]);
        return 1;
    }
    for (int i = 3; i < argc; i++)
        if (sign(argv[i]) != 0)
            return 1;
    if (stop(argv[2], "signed", "go1") != 0 || p11->C_Finalize(NULL) != CKR_OK ||
        stop(argv[2], "finalized", "go2") != 0)
        return 1;
    return 0;
}
