/* Digest names and DER AlgorithmIdentifiers of signature schemes (what
 * `openssl req`, `x509`, `ca` and CMS write into certificates). */
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "sigalg.h"

#include <openssl/params.h>

dsk_hash dsk_prov_hash(const char *name)
{
    static const struct {
        const char *name;
        dsk_hash h;
    } names[] = {
        {"SHA1", DSK_HASH_SHA1},
        {"SHA-1", DSK_HASH_SHA1},
        {"SHA224", DSK_HASH_SHA224},
        {"SHA2-224", DSK_HASH_SHA224},
        {"SHA-224", DSK_HASH_SHA224},
        {"SHA256", DSK_HASH_SHA256},
        {"SHA2-256", DSK_HASH_SHA256},
        {"SHA-256", DSK_HASH_SHA256},
        {"SHA384", DSK_HASH_SHA384},
        {"SHA2-384", DSK_HASH_SHA384},
        {"SHA-384", DSK_HASH_SHA384},
        {"SHA512", DSK_HASH_SHA512},
        {"SHA2-512", DSK_HASH_SHA512},
        {"SHA-512", DSK_HASH_SHA512},
        {"2.16.840.1.101.3.4.2.1", DSK_HASH_SHA256},
        {"2.16.840.1.101.3.4.2.2", DSK_HASH_SHA384},
        {"2.16.840.1.101.3.4.2.3", DSK_HASH_SHA512},
        {"2.16.840.1.101.3.4.2.4", DSK_HASH_SHA224},
        {"1.3.14.3.2.26", DSK_HASH_SHA1},
    };
    if (name == NULL)
        return DSK_HASH_NONE;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].h;
    return DSK_HASH_NONE;
}

/* The last byte of each OID arc family below, indexed by dsk_hash. */
static const unsigned char sha2_arc[] = {0, 0, 0x04, 0x01, 0x02, 0x03};
static const unsigned char ecdsa_arc[] = {0, 0, 0x01, 0x02, 0x03, 0x04};
static const unsigned char rsa_arc[] = {0, 0x05, 0x0e, 0x0b, 0x0c, 0x0d};

static size_t put(unsigned char *out, size_t off, size_t max, const unsigned char *c, size_t n)
{
    if (off + n > max)
        return 0;
    memcpy(out + off, c, n);
    return off + n;
}

size_t dsk_prov_hash_algid(dsk_hash h, unsigned char *out, size_t max)
{
    static const unsigned char sha1[] = {0x30, 0x07, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a};
    unsigned char sha2[] = {0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
                            0x01, 0x65, 0x03, 0x04, 0x02, 0x00};
    if (h == DSK_HASH_SHA1)
        return max >= sizeof sha1 ? put(out, 0, max, sha1, sizeof sha1) : 0;
    if (h < DSK_HASH_SHA224 || h > DSK_HASH_SHA512 || max < sizeof sha2)
        return 0;
    sha2[sizeof sha2 - 1] = sha2_arc[h];
    return put(out, 0, max, sha2, sizeof sha2);
}

size_t dsk_sigalg_ecdsa(dsk_hash h, unsigned char *out, size_t max)
{
    unsigned char der[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x00};
    static const unsigned char sha1[] = {0x30, 0x09, 0x06, 0x07, 0x2a, 0x86,
                                         0x48, 0xce, 0x3d, 0x04, 0x01};
    if (h == DSK_HASH_SHA1)
        return max >= sizeof sha1 ? put(out, 0, max, sha1, sizeof sha1) : 0;
    if (h < DSK_HASH_SHA224 || h > DSK_HASH_SHA512 || max < sizeof der)
        return 0;
    der[sizeof der - 1] = ecdsa_arc[h];
    return put(out, 0, max, der, sizeof der);
}

size_t dsk_sigalg_ed25519(unsigned char *out, size_t max)
{
    static const unsigned char der[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
    return max >= sizeof der ? put(out, 0, max, der, sizeof der) : 0;
}

size_t dsk_sigalg_rsa_pkcs1(dsk_hash h, unsigned char *out, size_t max)
{
    unsigned char der[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                           0xf7, 0x0d, 0x01, 0x01, 0x00, 0x05, 0x00};
    if (h < DSK_HASH_SHA1 || h > DSK_HASH_SHA512 || max < sizeof der)
        return 0;
    der[12] = rsa_arc[h];
    return put(out, 0, max, der, sizeof der);
}

/* RSASSA-PSS-params with every field that differs from its default. */
size_t dsk_sigalg_rsa_pss(dsk_hash h, dsk_hash mgf1, long salt, unsigned char *out, size_t max)
{
    static const unsigned char pss_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                            0xf7, 0x0d, 0x01, 0x01, 0x0a};
    static const unsigned char mgf1_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                             0xf7, 0x0d, 0x01, 0x01, 0x08};
    unsigned char params[96], halg[16], malg[16], mgf[48];
    size_t plen = 0, hl, ml, mgl = 0, total;

    if (mgf1 == DSK_HASH_NONE)
        mgf1 = h;
    hl = dsk_prov_hash_algid(h, halg, sizeof halg);
    ml = dsk_prov_hash_algid(mgf1, malg, sizeof malg);
    if (hl == 0 || ml == 0 || salt < 0 || salt > 0xffff)
        return 0;
    if (h != DSK_HASH_SHA1) {
        params[plen++] = 0xa0;
        params[plen++] = (unsigned char)hl;
        memcpy(params + plen, halg, hl);
        plen += hl;
    }
    if (mgf1 != DSK_HASH_SHA1) {
        mgf[mgl++] = 0x30;
        mgf[mgl++] = (unsigned char)(sizeof mgf1_oid + ml);
        memcpy(mgf + mgl, mgf1_oid, sizeof mgf1_oid);
        mgl += sizeof mgf1_oid;
        memcpy(mgf + mgl, malg, ml);
        mgl += ml;
        params[plen++] = 0xa1;
        params[plen++] = (unsigned char)mgl;
        memcpy(params + plen, mgf, mgl);
        plen += mgl;
    }
    if (salt != 20) {
        unsigned char n = salt > 0x7f ? (salt > 0x7fff ? 3 : 2) : 1;
        params[plen++] = 0xa2;
        params[plen++] = (unsigned char)(2 + n);
        params[plen++] = 0x02;
        params[plen++] = n;
        for (int i = n - 1; i >= 0; i--)
            params[plen++] = (unsigned char)(salt >> (8 * i));
    }
    /* SEQUENCE { OID, SEQUENCE params }: all lengths stay below 128. */
    total = sizeof pss_oid + 2 + plen;
    if (total + 2 > max || total >= 128)
        return 0;
    out[0] = 0x30;
    out[1] = (unsigned char)total;
    memcpy(out + 2, pss_oid, sizeof pss_oid);
    out[2 + sizeof pss_oid] = 0x30;
    out[3 + sizeof pss_oid] = (unsigned char)plen;
    memcpy(out + 4 + sizeof pss_oid, params, plen);
    return total + 2;
}

int dsk_prov_hash_param(const dsk_prov *prov, const OSSL_PARAM *p, dsk_hash *out)
{
    const char *name = NULL;
    if (!OSSL_PARAM_get_utf8_string_ptr(p, &name))
        return 0;
    if ((*out = dsk_prov_hash(name)) == DSK_HASH_NONE)
        return dsk_prov_raisef(prov, DSK_E_UNSUPPORTED, "digest %s is not supported", name);
    return 1;
}
