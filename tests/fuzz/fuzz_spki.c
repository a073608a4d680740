/* keys/: dsk_keystore_add_public on arbitrary bytes (a DER
 * SubjectPublicKeyInfo from a PKCS#11 session object or an imported provider
 * key), then everything a public key can be asked without its owner. */
#include <stdio.h>

#include "fuzz.h"
#include "keys.h"

static void use_key(dsk_key *k)
{
    dsk_error err = {0};
    const unsigned char *der = NULL, *pt = NULL, *n = NULL, *e = NULL;
    size_t der_len = 0, pt_len = 0, n_len = 0, e_len = 0;
    unsigned char sig[512], msg[32];
    dsk_sign_params sp = {0};
    dsk_key_type t = dsk_key_get_type(k);
    const dsk_type_info *info = dsk_type_info_get(t);
    dsk_status st;

    DSK_FUZZ_ASSERT(info != NULL);
    DSK_FUZZ_ASSERT(!dsk_key_has_private(k));
    DSK_FUZZ_ASSERT(dsk_key_spki(k, &der, &der_len, &err) == DSK_OK && der_len > 0);
    memset(sig, 0x01, sizeof sig);
    memset(msg, 0x02, sizeof msg);
    if (t == DSK_KEY_RSA_2048 || t == DSK_KEY_RSA_3072 || t == DSK_KEY_RSA_4096) {
        DSK_FUZZ_ASSERT(dsk_key_rsa_public(k, &n, &n_len, &e, &e_len, &err) == DSK_OK);
        DSK_FUZZ_ASSERT(n_len > 0 && n_len <= sizeof sig && e_len > 0);
        sp.scheme = DSK_SIG_RSA_PKCS1;
        sp.hash = DSK_HASH_SHA256;
    } else {
        DSK_FUZZ_ASSERT(dsk_key_public_point(k, &pt, &pt_len, &err) == DSK_OK && pt_len > 0);
        sp.scheme = t == DSK_KEY_ED25519 ? DSK_SIG_EDDSA : DSK_SIG_ECDSA;
    }
    /* A made-up signature never verifies, and never crashes. */
    st = dsk_key_verify(k, &sp, msg, sizeof msg, sig, info->max_sig, &err);
    DSK_FUZZ_ASSERT(st != DSK_OK);
    if (t == DSK_KEY_SECP256K1) {
        char addr[43];
        DSK_FUZZ_ASSERT(dsk_key_eth_address(k, addr, &err) == DSK_OK);
        DSK_FUZZ_ASSERT(strlen(addr) == 42 && addr[0] == '0' && addr[1] == 'x');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dsk_keystore *ks = NULL;
    dsk_key *k = NULL, *again = NULL;
    dsk_error err = {0};
    dsk_status st;

    if (dsk_keystore_new(NULL, &ks, &err) != DSK_OK)
        return 0;
    st = dsk_keystore_add_public(ks, data, size, &k, &err);
    if (st == DSK_OK) {
        DSK_FUZZ_ASSERT(k != NULL);
        use_key(k);
        /* keys.h: the same SPKI again gives the same key. */
        DSK_FUZZ_ASSERT(dsk_keystore_add_public(ks, data, size, &again, &err) == DSK_OK);
        DSK_FUZZ_ASSERT(again == k);
    } else {
        if (getenv("DSK_FUZZ_VERBOSE"))
            fprintf(stderr, "status %d: %s\n", st, err.msg);
        DSK_FUZZ_ASSERT(st == DSK_E_BAD_INPUT || st == DSK_E_UNSUPPORTED || st == DSK_E_ARGS
                        || st == DSK_E_NOMEM);
        DSK_FUZZ_ASSERT(err.code == st);
    }
    dsk_keystore_free(ks);
    return 0;
}
