/* p11-hold: one PKCS#11 session held across a dstack outage.
 *
 * Usage: p11-hold MODULE TOKEN KEY SYNCDIR
 *
 * Loads MODULE, opens a session on the token labelled TOKEN, finds the
 * private key labelled KEY and signs the 32 bytes of SYNCDIR/hash with CKM_ECDSA:
 * the test has the simulator stopped, so this first attempt must fail.
 * It then creates SYNCDIR/failed and waits (up to 60 s) for SYNCDIR/go,
 * which the test creates after restarting the simulator, and signs again in
 * the same session; that must succeed. The raw r||s signature is written to
 * SYNCDIR/sig for the test to verify with openssl. Exit 0 only if the first
 * attempt failed and the second succeeded. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST *p11;

static int find_slot(const char *label, CK_SLOT_ID *out)
{
    CK_SLOT_ID slots[32];
    CK_ULONG n = 32;
    CK_RV rv = p11->C_GetSlotList(CK_TRUE, slots, &n);
    if (rv != CKR_OK) {
        fprintf(stderr, "p11-hold: C_GetSlotList: rv=0x%lx\n", (unsigned long)rv);
        return -1;
    }
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        char lab[33];
        if (p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
            continue;
        memcpy(lab, ti.label, 32);
        lab[32] = '\0';
        for (int j = 31; j >= 0 && lab[j] == ' '; j--)
            lab[j] = '\0';
        if (strcmp(lab, label) == 0) {
            *out = slots[i];
            return 0;
        }
    }
    fprintf(stderr, "p11-hold: no token labelled '%s'\n", label);
    return -1;
}

static int find_key(CK_SESSION_HANDLE s, const char *label, CK_OBJECT_HANDLE *out)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_LABEL, (void *)label, strlen(label)},
    };
    CK_ULONG n = 0;
    CK_RV rv = p11->C_FindObjectsInit(s, tmpl, 2);
    if (rv == CKR_OK)
        rv = p11->C_FindObjects(s, out, 1, &n);
    p11->C_FindObjectsFinal(s);
    if (rv != CKR_OK || n != 1) {
        fprintf(stderr, "p11-hold: private key '%s' not found (rv=0x%lx, n=%lu)\n", label,
                (unsigned long)rv, (unsigned long)n);
        return -1;
    }
    return 0;
}

static unsigned char hash[32];

static CK_RV sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, unsigned char *sig, CK_ULONG *len)
{
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    CK_RV rv = p11->C_SignInit(s, &mech, key);
    if (rv != CKR_OK)
        return rv;
    return p11->C_Sign(s, hash, sizeof hash, sig, len);
}

static int wait_for(const char *path)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    for (int i = 0; i < 1200; i++) {
        if (access(path, F_OK) == 0)
            return 0;
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "p11-hold: timed out waiting for %s\n", path);
    return -1;
}

static int touch(const char *path, const unsigned char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: p11-hold MODULE TOKEN KEY SYNCDIR\n");
        return 2;
    }
    char path[4096];
    unsigned char sig[512];
    CK_ULONG siglen = sizeof sig;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;
    CK_C_GetFunctionList getfl;
    CK_RV rv;

    snprintf(path, sizeof path, "%s/hash", argv[4]);
    FILE *hf = fopen(path, "rb");
    size_t got = hf != NULL ? fread(hash, 1, sizeof hash, hf) : 0;
    if (hf != NULL)
        fclose(hf);
    if (got != sizeof hash) {
        fprintf(stderr, "p11-hold: cannot read 32 bytes from %s\n", path);
        return 1;
    }

    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "p11-hold: %s\n", dlerror());
        return 1;
    }
    *(void **)&getfl = dlsym(h, "C_GetFunctionList");
    if (getfl == NULL || getfl(&p11) != CKR_OK) {
        fprintf(stderr, "p11-hold: no C_GetFunctionList in %s\n", argv[1]);
        return 1;
    }
    if ((rv = p11->C_Initialize(NULL)) != CKR_OK) {
        fprintf(stderr, "p11-hold: C_Initialize: rv=0x%lx\n", (unsigned long)rv);
        return 1;
    }
    if (find_slot(argv[2], &slot) != 0)
        return 1;
    if ((rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s)) != CKR_OK) {
        fprintf(stderr, "p11-hold: C_OpenSession: rv=0x%lx\n", (unsigned long)rv);
        return 1;
    }
    if (find_key(s, argv[3], &key) != 0)
        return 1;

    rv = sign(s, key, sig, &siglen);
    printf("first sign rv=0x%lx\n", (unsigned long)rv);
    fflush(stdout);
    if (rv == CKR_OK) {
        fprintf(stderr, "p11-hold: signing succeeded with dstack down\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/failed", argv[4]);
    if (touch(path, (const unsigned char *)"", 0) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/go", argv[4]);
    if (wait_for(path) != 0)
        return 1;

    siglen = sizeof sig;
    rv = sign(s, key, sig, &siglen);
    printf("second sign rv=0x%lx len=%lu\n", (unsigned long)rv, (unsigned long)siglen);
    if (rv != CKR_OK) {
        fprintf(stderr, "p11-hold: the same session could not sign after dstack came back\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/sig", argv[4]);
    if (touch(path, sig, siglen) != 0)
        return 1;
    p11->C_CloseSession(s);
    p11->C_Finalize(NULL);
    return 0;
}
