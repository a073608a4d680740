/* Public key forms: PEM and DER SubjectPublicKeyInfo, the OpenSSH line
 * (RFC 4253 6.6, RFC 5656 3.1, RFC 8709), the Ethereum address (EIP-55) and
 * JWK (RFC 7517/7518, RFC 8037 for Ed25519). Pure: bytes in, text out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tool.h"

static const char *const format_names[DSK_PUB_FORMAT_COUNT] = {
    [DSK_PUB_PEM] = "pem", [DSK_PUB_DER] = "der", [DSK_PUB_SSH] = "ssh",
    [DSK_PUB_ETH] = "eth", [DSK_PUB_JWK] = "jwk",
};

dsk_status dsk_pub_format_parse(const char *name, dsk_pub_format *out, dsk_error *err)
{
    for (int f = 0; f < DSK_PUB_FORMAT_COUNT; f++)
        if (strcmp(name, format_names[f]) == 0) {
            *out = (dsk_pub_format)f;
            return DSK_OK;
        }
    return dsk_error_set(err, DSK_E_ARGS, "unknown --format '%s': use pem, der, ssh, eth or jwk",
                         name);
}

/* Names of a curve in each format; one row per OpenSSL group. */
static const struct curve {
    const char *group, *ssh, *jwk;
} curves[] = {
    {"prime256v1", "nistp256", "P-256"},
    {"secp384r1", "nistp384", "P-384"},
    {"secp256k1", NULL, "secp256k1"}, /* RFC 8812; OpenSSH has no secp256k1 */
};

static const struct curve *curve_of(dsk_key_type t)
{
    const dsk_type_info *ti = dsk_type_info_get(t);

    for (size_t i = 0; ti != NULL && ti->group != NULL && i < sizeof curves / sizeof curves[0]; i++)
        if (strcmp(curves[i].group, ti->group) == 0)
            return &curves[i];
    return NULL;
}

static int is_rsa(dsk_key_type t)
{
    return strcmp(dsk_type_info_get(t)->ossl_name, "RSA") == 0;
}

/* base64 (url = 1: base64url without padding) of in, appended to f; 0 if
 * out of memory. */
static int b64(FILE *f, const unsigned char *in, size_t len, int url)
{
    char *t = malloc(4 * ((len + 2) / 3) + 1);
    int n;

    if (t == NULL)
        return 0;
    n = EVP_EncodeBlock((unsigned char *)t, in, (int)len);
    if (url) {
        while (n > 0 && t[n - 1] == '=')
            n--;
        for (int i = 0; i < n; i++)
            t[i] = t[i] == '+' ? '-' : t[i] == '/' ? '_' : t[i];
    }
    fwrite(t, 1, (size_t)n, f);
    free(t);
    return 1;
}

/* SSH wire format: uint32 length, then bytes; mpint gets a 0 byte when the
 * top bit is set. */
static void ssh_put(FILE *f, const void *p, size_t n, int mpint)
{
    int pad = mpint && n > 0 && (((const unsigned char *)p)[0] & 0x80);
    size_t len = n + (size_t)pad;
    unsigned char hdr[5] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
                            (unsigned char)(len >> 8), (unsigned char)len, 0};
    fwrite(hdr, 1, 4 + (size_t)pad, f);
    fwrite(p, 1, n, f);
}

static dsk_status ssh_line(const dsk_pub *k, FILE *out, dsk_error *err)
{
    const struct curve *c = curve_of(k->type);
    char *blob = NULL, name[32];
    size_t blen = 0;
    FILE *f;
    int ok;

    if (k->type == DSK_KEY_ED25519)
        snprintf(name, sizeof name, "ssh-ed25519");
    else if (is_rsa(k->type))
        snprintf(name, sizeof name, "ssh-rsa");
    else if (c != NULL && c->ssh != NULL)
        snprintf(name, sizeof name, "ecdsa-sha2-%s", c->ssh);
    else
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             "a %s key has no OpenSSH form (OpenSSH has no such curve): use "
                             "--format pem, der, eth or jwk",
                             dsk_key_type_name(k->type));
    if ((f = open_memstream(&blob, &blen)) == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    ssh_put(f, name, strlen(name), 0);
    if (k->type == DSK_KEY_ED25519) {
        ssh_put(f, k->point, k->point_len, 0);
    } else if (is_rsa(k->type)) {
        ssh_put(f, k->e, k->e_len, 1);
        ssh_put(f, k->n, k->n_len, 1);
    } else {
        ssh_put(f, c->ssh, strlen(c->ssh), 0);
        ssh_put(f, k->point, k->point_len, 0);
    }
    if (fclose(f) != 0) {
        free(blob);
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    }
    fprintf(out, "%s ", name);
    ok = b64(out, (unsigned char *)blob, blen, 0);
    if (k->comment != NULL && k->comment[0] != '\0')
        fprintf(out, " %s", k->comment);
    fputc('\n', out);
    free(blob);
    return ok ? DSK_OK : dsk_error_set(err, DSK_E_NOMEM, "out of memory");
}

static dsk_status jwk(const dsk_pub *k, FILE *out, dsk_error *err)
{
    const struct curve *c = curve_of(k->type);
    int ok;

    if (k->type == DSK_KEY_ED25519) {
        fputs("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"", out);
        ok = b64(out, k->point, k->point_len, 1);
    } else if (is_rsa(k->type)) {
        fputs("{\"kty\":\"RSA\",\"n\":\"", out);
        ok = b64(out, k->n, k->n_len, 1);
        fputs("\",\"e\":\"", out);
        ok &= b64(out, k->e, k->e_len, 1);
    } else if (c != NULL && k->point_len > 1 && k->point[0] == 0x04) {
        size_t half = (k->point_len - 1) / 2;
        fprintf(out, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"", c->jwk);
        ok = b64(out, k->point + 1, half, 1);
        fputs("\",\"y\":\"", out);
        ok &= b64(out, k->point + 1 + half, half, 1);
    } else {
        return dsk_error_set(err, DSK_E_UNSUPPORTED, "a %s key has no JWK form",
                             dsk_key_type_name(k->type));
    }
    fputs("\"}\n", out);
    return ok ? DSK_OK : dsk_error_set(err, DSK_E_NOMEM, "out of memory");
}

static dsk_status pem(const dsk_pub *k, FILE *out, dsk_error *err)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long n;
    dsk_status st = DSK_OK;

    if (b == NULL || PEM_write_bio(b, "PUBLIC KEY", "", k->spki, (long)k->spki_len) <= 0) {
        st = dsk_error_set(err, DSK_E_NOMEM, "cannot write PEM: out of memory");
        goto done;
    }
    n = BIO_get_mem_data(b, &data);
    fwrite(data, 1, (size_t)n, out);
done:
    BIO_free(b);
    return st;
}

dsk_status dsk_pub_format_key(const dsk_pub *k, dsk_pub_format f, unsigned char **out,
                              size_t *out_len, dsk_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m;
    dsk_status st = DSK_OK;

    *out = NULL;
    *out_len = 0;
    if (f == DSK_PUB_ETH && k->eth == NULL)
        return dsk_error_set(err, DSK_E_UNSUPPORTED,
                             "a %s key has no Ethereum address (only secp256k1 keys do)",
                             dsk_key_type_name(k->type));
    if ((m = open_memstream(&buf, &len)) == NULL)
        return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    switch (f) {
    case DSK_PUB_PEM:
        st = pem(k, m, err);
        break;
    case DSK_PUB_DER:
        fwrite(k->spki, 1, k->spki_len, m);
        break;
    case DSK_PUB_SSH:
        st = ssh_line(k, m, err);
        break;
    case DSK_PUB_ETH:
        fprintf(m, "%s\n", k->eth);
        break;
    case DSK_PUB_JWK:
        st = jwk(k, m, err);
        break;
    case DSK_PUB_FORMAT_COUNT:
        st = dsk_error_set(err, DSK_E_ARGS, "no such format");
        break;
    }
    if (fclose(m) != 0 && st == DSK_OK)
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
    if (st != DSK_OK) {
        free(buf);
        return st;
    }
    *out = (unsigned char *)buf;
    *out_len = len;
    return DSK_OK;
}

dsk_status dsk_pub_from_key(dsk_key *k, dsk_pub *pub, char eth[43], dsk_error *err)
{
    dsk_status st;

    memset(pub, 0, sizeof *pub);
    pub->type = dsk_key_get_type(k);
    if ((st = dsk_key_spki(k, &pub->spki, &pub->spki_len, err)) != DSK_OK)
        return st;
    if (is_rsa(pub->type))
        st = dsk_key_rsa_public(k, &pub->n, &pub->n_len, &pub->e, &pub->e_len, err);
    else
        st = dsk_key_public_point(k, &pub->point, &pub->point_len, err);
    if (st == DSK_OK && pub->type == DSK_KEY_SECP256K1 &&
        (st = dsk_key_eth_address(k, eth, err)) == DSK_OK)
        pub->eth = eth;
    return st;
}
