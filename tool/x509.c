/* Certificate requests and self-signed certificates for a dstack key.
 *
 * Everything here is public: the subject, the names, the extensions and the
 * key's SubjectPublicKeyInfo. The signature is made by keys/
 * (dsk_key_sign_x509*), which holds the private key. Extra extensions
 * (dsk_x509_spec.exts) are how evidence such as RA-TLS attestations or key
 * statements is added without changing this file. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "tool.h"

/* "/CN=a/O=b": one field per '/', "\/" for a slash inside a value. */
dsk_status dsk_x509_parse_subject(const char *text, X509_NAME **out, dsk_error *err)
{
    X509_NAME *name = X509_NAME_new();
    size_t n = strlen(text);
    char *buf = malloc(n + 1);
    const char *p = text;
    dsk_status st = DSK_OK;

    *out = NULL;
    if (name == NULL || buf == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    if (text[0] != '/' || text[1] == '\0') {
        st = dsk_error_set(err, DSK_E_ARGS,
                           "--subject '%s': write it as /CN=name[/O=org...] (as openssl -subj)",
                           text);
        goto done;
    }
    while (*p == '/') {
        char *o = buf, *eq;
        int nid;

        for (p++; *p != '\0' && *p != '/'; p++) {
            if (*p == '\\' && p[1] != '\0')
                p++;
            *o++ = *p;
        }
        *o = '\0';
        if ((eq = strchr(buf, '=')) == NULL || eq == buf || eq[1] == '\0') {
            st = dsk_error_set(err, DSK_E_ARGS,
                               "--subject '%s': '%s' is not FIELD=value (e.g. CN=example.com)",
                               text, buf);
            goto done;
        }
        *eq = '\0';
        if ((nid = OBJ_txt2nid(buf)) == NID_undef) {
            st = dsk_error_set(err, DSK_E_ARGS,
                               "--subject '%s': unknown field '%s': use CN, O, OU, C, ST, L, "
                               "emailAddress or a dotted OID",
                               text, buf);
            goto done;
        }
        if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (unsigned char *)eq + 1, -1, -1,
                                       0) != 1) {
            st = dsk_error_set(err, DSK_E_ARGS,
                               "--subject '%s': value of %s is not allowed there (C is two "
                               "letters, values are UTF-8 of limited length)",
                               text, buf);
            goto done;
        }
    }
    *out = name;
    name = NULL;
done:
    X509_NAME_free(name);
    free(buf);
    return st;
}

dsk_status dsk_x509_parse_san(const char *text, GENERAL_NAME **out, dsk_error *err)
{
    static const struct {
        const char *prefix;
        int type;
    } kinds[] = {{"DNS:", GEN_DNS}, {"IP:", GEN_IPADD}, {"email:", GEN_EMAIL}, {"URI:", GEN_URI}};
    const char *value = text;
    int type = -1;
    GENERAL_NAME *g = NULL;
    ASN1_OCTET_STRING *ip = NULL;
    ASN1_IA5STRING *s = NULL;

    *out = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(text, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
            type = kinds[i].type;
            value = text + strlen(kinds[i].prefix);
        }
    if (type < 0) /* bare: an address if it reads as one, else a host name */
        type = (ip = a2i_IPADDRESS(text)) != NULL ? GEN_IPADD : GEN_DNS;
    if (value[0] == '\0')
        return dsk_error_set(err, DSK_E_ARGS, "--san '%s': empty name", text);
    if (type == GEN_IPADD && ip == NULL && (ip = a2i_IPADDRESS(value)) == NULL)
        return dsk_error_set(err, DSK_E_ARGS, "--san '%s': '%s' is not an IPv4 or IPv6 address",
                             text, value);
    if ((g = GENERAL_NAME_new()) == NULL)
        goto nomem;
    if (type == GEN_IPADD) {
        GENERAL_NAME_set0_value(g, type, ip);
    } else {
        for (const char *c = value; *c != '\0'; c++)
            if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) {
                GENERAL_NAME_free(g);
                return dsk_error_set(err, DSK_E_ARGS,
                                     "--san '%s': only printable ASCII without spaces (use "
                                     "punycode for other host names)",
                                     text);
            }
        if ((s = ASN1_IA5STRING_new()) == NULL || ASN1_STRING_set(s, value, -1) != 1)
            goto nomem;
        GENERAL_NAME_set0_value(g, type, s);
    }
    *out = g;
    return DSK_OK;
nomem:
    ASN1_OCTET_STRING_free(ip);
    ASN1_IA5STRING_free(s);
    GENERAL_NAME_free(g);
    return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
}

/* Extensions both forms carry: the names and the caller's extras. */
static dsk_status common_exts(const dsk_x509_spec *s, STACK_OF(X509_EXTENSION) * exts,
                              dsk_error *err)
{
    GENERAL_NAMES *names = NULL;
    X509_EXTENSION *e = NULL;
    dsk_status st = DSK_OK;

    if (s->nsans > 0) {
        if ((names = sk_GENERAL_NAME_new_null()) == NULL)
            return dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        for (size_t i = 0; i < s->nsans; i++) {
            GENERAL_NAME *g;
            if ((st = dsk_x509_parse_san(s->sans[i], &g, err)) != DSK_OK)
                goto done;
            if (!sk_GENERAL_NAME_push(names, g)) {
                GENERAL_NAME_free(g);
                goto nomem;
            }
        }
        if ((e = X509V3_EXT_i2d(NID_subject_alt_name, 0, names)) == NULL ||
            !sk_X509_EXTENSION_push(exts, e))
            goto nomem;
        e = NULL;
    }
    for (size_t i = 0; i < s->nexts; i++) {
        ASN1_OBJECT *oid = OBJ_txt2obj(s->exts[i].oid, 1);
        ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
        if (oid == NULL || v == NULL ||
            ASN1_OCTET_STRING_set(v, s->exts[i].der, (int)s->exts[i].der_len) != 1 ||
            (e = X509_EXTENSION_create_by_OBJ(NULL, oid, s->exts[i].critical, v)) == NULL) {
            ASN1_OBJECT_free(oid);
            ASN1_OCTET_STRING_free(v);
            st = dsk_error_set(err, DSK_E_ARGS, "extension %s: bad OID or value", s->exts[i].oid);
            goto done;
        }
        ASN1_OBJECT_free(oid);
        ASN1_OCTET_STRING_free(v);
        if (!sk_X509_EXTENSION_push(exts, e))
            goto nomem;
        e = NULL;
    }
    goto done;
nomem:
    st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
done:
    X509_EXTENSION_free(e);
    GENERAL_NAMES_free(names);
    return st;
}

/* The key's public part as OpenSSL's object (default library context:
 * public data only). */
static dsk_status public_pkey(dsk_key *k, EVP_PKEY **out, dsk_error *err)
{
    const unsigned char *spki, *p;
    size_t len;
    dsk_status st;

    if ((st = dsk_key_spki(k, &spki, &len, err)) != DSK_OK)
        return st;
    p = spki;
    if ((*out = d2i_PUBKEY(NULL, &p, (long)len)) == NULL)
        return dsk_error_set(err, DSK_E_CRYPTO, "key '%s': OpenSSL cannot read its public key",
                             dsk_key_label(k));
    return DSK_OK;
}

typedef int (*pem_fn)(BIO *b, void *obj);

static dsk_status to_pem(void *obj, pem_fn write, char **pem, dsk_error *err)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long n;
    dsk_status st = DSK_OK;

    /* BIO memory is not NUL-terminated: copy by length (strndup may read
     * past it, and ASan's strict_string_checks says so). */
    if (b == NULL || !write(b, obj) || (n = BIO_get_mem_data(b, &data)) <= 0 ||
        (*pem = malloc((size_t)n + 1)) == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "cannot write PEM: out of memory");
    } else {
        memcpy(*pem, data, (size_t)n);
        (*pem)[n] = '\0';
    }
    BIO_free(b);
    return st;
}

static int write_req(BIO *b, void *obj)
{
    return PEM_write_bio_X509_REQ(b, obj);
}

static int write_cert(BIO *b, void *obj)
{
    return PEM_write_bio_X509(b, obj);
}

dsk_status dsk_x509_make_req(dsk_key *k, const dsk_x509_spec *s, char **pem, dsk_error *err)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = NULL;
    EVP_PKEY *pub = NULL;
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    dsk_status st;

    *pem = NULL;
    if (req == NULL || exts == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    if ((st = dsk_x509_parse_subject(s->subject, &name, err)) != DSK_OK ||
        (st = common_exts(s, exts, err)) != DSK_OK || (st = public_pkey(k, &pub, err)) != DSK_OK)
        goto done;
    if (X509_REQ_set_version(req, 0) != 1 || X509_REQ_set_subject_name(req, name) != 1 ||
        X509_REQ_set_pubkey(req, pub) != 1 ||
        (sk_X509_EXTENSION_num(exts) > 0 && X509_REQ_add_extensions(req, exts) != 1)) {
        st = dsk_error_set(err, DSK_E_NOMEM, "cannot build the request: out of memory");
        goto done;
    }
    if ((st = dsk_key_sign_x509_req(k, req, err)) == DSK_OK)
        st = to_pem(req, write_req, pem, err);
done:
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    EVP_PKEY_free(pub);
    X509_NAME_free(name);
    X509_REQ_free(req);
    return st;
}

/* A positive 127-bit random serial (RFC 5280: at most 20 octets, unique). */
static int set_serial(X509 *x)
{
    unsigned char b[16];
    BIGNUM *bn = NULL;
    int ok;

    if (RAND_bytes(b, sizeof b) != 1)
        return 0;
    b[0] &= 0x7f;
    b[0] |= 0x40; /* never a short or zero serial */
    ok = (bn = BN_bin2bn(b, sizeof b, NULL)) != NULL &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

/* An extension from its OpenSSL config text, in the certificate's context. */
static int add_conf_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *e;
    int ok;

    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    if ((e = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
        return 0;
    ok = X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok;
}

dsk_status dsk_x509_make_cert(dsk_key *k, const dsk_x509_spec *s, char **pem, dsk_error *err)
{
    X509 *x = X509_new();
    X509_NAME *name = NULL;
    EVP_PKEY *pub = NULL;
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    int rsa = strcmp(dsk_type_info_get(dsk_key_get_type(k))->ossl_name, "RSA") == 0;
    dsk_status st;

    *pem = NULL;
    if (x == NULL || exts == NULL) {
        st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
        goto done;
    }
    if (s->days <= 0 || s->days > 365L * 100) {
        st = dsk_error_set(err, DSK_E_ARGS, "--days %ld: give a number of days from 1 to 36500",
                           s->days);
        goto done;
    }
    if ((st = dsk_x509_parse_subject(s->subject, &name, err)) != DSK_OK ||
        (st = common_exts(s, exts, err)) != DSK_OK || (st = public_pkey(k, &pub, err)) != DSK_OK)
        goto done;
    /* A self-signed end-entity certificate: issuer = subject, not a CA. */
    if (X509_set_version(x, 2) != 1 || !set_serial(x) || X509_set_subject_name(x, name) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, pub) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), (int)s->days, 0, NULL) == NULL ||
        !add_conf_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_conf_ext(x, NID_key_usage,
                      rsa ? "critical,digitalSignature,keyEncipherment"
                          : "critical,digitalSignature") ||
        !add_conf_ext(x, NID_subject_key_identifier, "hash") ||
        !add_conf_ext(x, NID_authority_key_identifier, "keyid:always")) {
        st = dsk_error_set(err, DSK_E_CRYPTO, "cannot build the certificate");
        goto done;
    }
    for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++)
        if (X509_add_ext(x, sk_X509_EXTENSION_value(exts, i), -1) != 1) {
            st = dsk_error_set(err, DSK_E_NOMEM, "out of memory");
            goto done;
        }
    if ((st = dsk_key_sign_x509(k, x, err)) == DSK_OK)
        st = to_pem(x, write_cert, pem, err);
done:
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    EVP_PKEY_free(pub);
    X509_NAME_free(name);
    X509_free(x);
    return st;
}
