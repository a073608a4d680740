/* Provider entry: init (settings only, no I/O beyond reading the config
 * file), algorithm tables, errors, teardown. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "internal.h"
#include "log.h"
#include "wipe.h"

#define DSK_ENDPOINT_ENV_NAME "DSTACK_SIMULATOR_ENDPOINT"

/* ---- errors ---------------------------------------------------------- */

static const OSSL_ITEM reason_strings[] = {
    {DSK_PROV_R_BASE + DSK_E_ARGS, "invalid argument"},
    {DSK_PROV_R_BASE + DSK_E_NOMEM, "out of memory"},
    {DSK_PROV_R_BASE + DSK_E_UNREACHABLE, "dstack unreachable"},
    {DSK_PROV_R_BASE + DSK_E_TIMEOUT, "dstack timed out"},
    {DSK_PROV_R_BASE + DSK_E_MALFORMED, "malformed dstack reply"},
    {DSK_PROV_R_BASE + DSK_E_REFUSED, "dstack refused"},
    {DSK_PROV_R_BASE + DSK_E_CONFIG, "configuration error"},
    {DSK_PROV_R_BASE + DSK_E_NOT_FOUND, "key not found"},
    {DSK_PROV_R_BASE + DSK_E_UNSUPPORTED, "unsupported"},
    {DSK_PROV_R_BASE + DSK_E_BUFFER_TOO_SMALL, "buffer too small"},
    {DSK_PROV_R_BASE + DSK_E_BAD_INPUT, "bad input"},
    {DSK_PROV_R_BASE + DSK_E_VERIFY, "signature did not verify"},
    {DSK_PROV_R_BASE + DSK_E_CRYPTO, "cryptographic failure"},
    {DSK_PROV_R_BASE + DSK_E_IO, "file not readable"},
    {0, NULL},
};

static void raise_v(const dsk_prov *p, dsk_status st, const char *fmt, va_list ap)
{
    if (p == NULL || p->new_error == NULL || p->vset_error == NULL)
        return;
    p->new_error(p->handle);
    if (p->set_error_debug != NULL)
        p->set_error_debug(p->handle, "provider/dstack", 0, "dstack");
    p->vset_error(p->handle, DSK_PROV_R_BASE + (int)st, fmt, ap);
}

static void raise_fmt(const dsk_prov *p, dsk_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void raise_fmt(const dsk_prov *p, dsk_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    raise_v(p, st, fmt, ap);
    va_end(ap);
}

int dsk_prov_raise(const dsk_prov *p, const dsk_error *e)
{
    dsk_status st = e != NULL && e->code != DSK_OK ? e->code : DSK_E_CRYPTO;
    const char *msg = e != NULL && e->msg[0] != '\0' ? e->msg : dsk_status_name(st);
    /* A key the agent could not give (or derive) is also written to standard
     * error, which is a server's error log: HAProxy, Apache and lighttpd
     * report only "key does not match certificate" and never print OpenSSL's
     * error queue. keys/ names the key, its path, the socket and what to do.
     * One line per failed operation, as the pkcs11 module does (rv.c). */
    static const unsigned char to_log[] = {
        [DSK_E_UNREACHABLE] = 1, [DSK_E_TIMEOUT] = 1, [DSK_E_MALFORMED] = 1, [DSK_E_REFUSED] = 1,
        [DSK_E_IO] = 1,          [DSK_E_CONFIG] = 1,  [DSK_E_CRYPTO] = 1,
    };
    if ((size_t)st < sizeof to_log && to_log[st])
        dsk_log(DSK_LOG_ERROR, "%s", msg);
    raise_fmt(p, st, "dstack: %s", msg);
    return 0;
}

int dsk_prov_raisef(const dsk_prov *p, dsk_status st, const char *fmt, ...)
{
    char msg[DSK_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    raise_fmt(p, st, "dstack: %s", msg);
    return 0;
}

/* ---- algorithm tables (static: nothing depends on dstack) ------------- */

#define NAMES_EC "EC:id-ecPublicKey:1.2.840.10045.2.1"
#define NAMES_ED25519 "ED25519:1.3.101.112"
#define NAMES_RSA "RSA:rsaEncryption:1.2.840.113549.1.1.1"
/* With an application's default ENGINE, key management names its types by
 * OID first: the first name is the one EVP uses as a key's type name, and a
 * name with a legacy NID makes the application's EVP_PKEY_CTX_new_from_pkey
 * ask the ENGINE tables first, so an ENGINE made the default (`openssl
 * -engine pkcs11`, Apache's SSLCryptoDevice, stunnel's engine =) would take
 * our keys over and fail (keys/shield.c does the same for keys/'s own
 * context). Without one the usual names stay first: OpenSSL 3.5's `pkeyutl
 * -derive` refuses a peer whose type name ("EC") differs from the key's.
 * The choice is made when OpenSSL first asks (prov_query), so an ENGINE made
 * the default after the first key was loaded is not seen. */
#define KM_NAMES_EC "1.2.840.10045.2.1:EC:id-ecPublicKey"
#define KM_NAMES_ED25519 "1.3.101.112:ED25519"
#define KM_NAMES_RSA "1.2.840.113549.1.1.1:RSA:rsaEncryption"

static const OSSL_ALGORITHM keymgmt_algs[] = {
    {NAMES_EC, DSK_PROV_PROPS, dsk_ec_keymgmt_functions, "dstack EC keys"},
    {NAMES_ED25519, DSK_PROV_PROPS, dsk_ed25519_keymgmt_functions, "dstack Ed25519 keys"},
    {NAMES_RSA, DSK_PROV_PROPS, dsk_rsa_keymgmt_functions, "dstack RSA keys"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM keymgmt_algs_engine[] = {
    {KM_NAMES_EC, DSK_PROV_PROPS, dsk_ec_keymgmt_functions, "dstack EC keys"},
    {KM_NAMES_ED25519, DSK_PROV_PROPS, dsk_ed25519_keymgmt_functions, "dstack Ed25519 keys"},
    {KM_NAMES_RSA, DSK_PROV_PROPS, dsk_rsa_keymgmt_functions, "dstack RSA keys"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM signature_algs[] = {
    {"ECDSA", DSK_PROV_PROPS, dsk_ecdsa_signature_functions, "ECDSA with dstack keys"},
    {NAMES_ED25519, DSK_PROV_PROPS, dsk_ed25519_signature_functions, "Ed25519 with dstack keys"},
    {NAMES_RSA, DSK_PROV_PROPS, dsk_rsa_signature_functions, "RSA signatures with dstack keys"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM cipher_algs[] = {
    {NAMES_RSA, DSK_PROV_PROPS, dsk_rsa_cipher_functions, "RSA decryption with dstack keys"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM exchange_algs[] = {
    {"ECDH", DSK_PROV_PROPS, dsk_ecdh_exchange_functions, "ECDH with dstack keys"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM store_algs[] = {
    {"dstack", DSK_PROV_PROPS, dsk_store_functions, "dstack: key URIs"},
    {NULL, NULL, NULL, NULL},
};

/* Two stages (see decoder.c): PEM block -> URI text, URI text -> key. */
#define REF_DEC_PROPS DSK_PROV_PROPS ",input=der,structure=" DSK_REF_STRUCTURE
static const OSSL_ALGORITHM decoder_algs[] = {
    {"DER", DSK_PROV_PROPS ",input=pem", dsk_pem_decoder_functions, "dstack reference PEM"},
    {NAMES_EC, REF_DEC_PROPS, dsk_ref_decoder_functions, "dstack reference to EC key"},
    {NAMES_ED25519, REF_DEC_PROPS, dsk_ref_decoder_functions, "dstack reference to Ed25519 key"},
    {NAMES_RSA, REF_DEC_PROPS, dsk_ref_decoder_functions, "dstack reference to RSA key"},
    {NULL, NULL, NULL, NULL},
};

#define REF_ENC_PROPS DSK_PROV_PROPS ",output=pem,structure=PrivateKeyInfo"
static const OSSL_ALGORITHM encoder_algs[] = {
    {NAMES_EC, REF_ENC_PROPS, dsk_ref_encoder_functions, "dstack EC key as reference PEM"},
    {NAMES_ED25519, REF_ENC_PROPS, dsk_ref_encoder_functions, "dstack Ed25519 reference PEM"},
    {NAMES_RSA, REF_ENC_PROPS, dsk_ref_encoder_functions, "dstack RSA key as reference PEM"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *prov_query(void *provctx, int op, int *no_cache)
{
    *no_cache = 0;
    switch (op) {
    case OSSL_OP_KEYMGMT:
        return dsk_prov_engine_default() ? keymgmt_algs_engine : keymgmt_algs;
    case OSSL_OP_SIGNATURE:
        return signature_algs;
    case OSSL_OP_ASYM_CIPHER:
        return cipher_algs;
    case OSSL_OP_KEYEXCH:
        return exchange_algs;
    case OSSL_OP_STORE:
        return store_algs;
    case OSSL_OP_DECODER:
        return decoder_algs;
    case OSSL_OP_ENCODER:
        return encoder_algs;
    default:
        return NULL;
    }
}

/* ---- provider params ------------------------------------------------- */

static const OSSL_PARAM prov_param_types[] = {
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *prov_gettable_params(void *provctx)
{
    return prov_param_types;
}

static int prov_get_params(void *provctx, OSSL_PARAM params[])
{
    OSSL_PARAM *p;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME)) != NULL &&
        !OSSL_PARAM_set_utf8_ptr(p, "dstack key provider"))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION)) != NULL &&
        !OSSL_PARAM_set_utf8_ptr(p, DSK_VERSION))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO)) != NULL &&
        !OSSL_PARAM_set_utf8_ptr(p, "dstack-pkcs11 " DSK_VERSION))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS)) != NULL &&
        !OSSL_PARAM_set_int(p, 1))
        return 0;
    return 1;
}

static const OSSL_ITEM *prov_reasons(void *provctx)
{
    return reason_strings;
}

static void prov_free(dsk_prov *p)
{
    if (p == NULL)
        return;
    /* OpenSSL calls a provider's teardown only while its core still works,
     * also from OPENSSL_cleanup at exit: free (and so clear) the keys now. */
    dsk_keystore_free_teardown(p->ks);
    dsk_conf_free(p->conf);
    free(p->conf_file);
    free(p->endpoint);
    dsk_wipe(p, sizeof *p);
    free(p);
}

static void prov_teardown(void *provctx)
{
    prov_free(provctx);
}

static const OSSL_DISPATCH prov_functions[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))prov_teardown},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))prov_gettable_params},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))prov_get_params},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))prov_query},
    {OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))prov_reasons},
    {0, NULL},
};

/* ---- init ------------------------------------------------------------ */

static char *dup_nonempty(const char *s)
{
    return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

/* openssl.cnf: the provider's section may hold dstack_conf, endpoint and
 * inline_keys (*inline_keys: -1 when absent, else 0 or 1; a value that is
 * not a boolean counts as no, the safe side). */
static void read_cnf(const OSSL_CORE_HANDLE *handle, OSSL_FUNC_core_get_params_fn *get_params,
                     char **conf_file, char **endpoint, int *inline_keys)
{
    char *cf = NULL, *ep = NULL, *ik = NULL;
    OSSL_PARAM req[] = {
        OSSL_PARAM_utf8_ptr("dstack_conf", &cf, 0),
        OSSL_PARAM_utf8_ptr("endpoint", &ep, 0),
        OSSL_PARAM_utf8_ptr("inline_keys", &ik, 0),
        OSSL_PARAM_END,
    };
    *inline_keys = -1;
    if (get_params == NULL || !get_params(handle, req))
        return;
    *conf_file = dup_nonempty(cf);
    *endpoint = dup_nonempty(ep);
    if (ik != NULL && *ik != '\0' && dsk_conf_parse_bool(ik, inline_keys) != 0) {
        dsk_log(DSK_LOG_WARNING, "openssl.cnf: inline_keys = %s is not yes or no: taken as no", ik);
        *inline_keys = 0;
    }
}

/* openssl.cnf may also pin provenance: kms_root, app_id, verify (as in
 * [token]; they override the file's). out[] gets copies, NULL if unset. */
static void read_cnf_trust(const OSSL_CORE_HANDLE *handle,
                           OSSL_FUNC_core_get_params_fn *get_params, char *out[3])
{
    char *v[3] = {NULL, NULL, NULL};
    OSSL_PARAM req[] = {
        OSSL_PARAM_utf8_ptr("kms_root", &v[0], 0),
        OSSL_PARAM_utf8_ptr("app_id", &v[1], 0),
        OSSL_PARAM_utf8_ptr("verify", &v[2], 0),
        OSSL_PARAM_END,
    };
    if (get_params == NULL || !get_params(handle, req))
        return;
    for (int i = 0; i < 3; i++)
        out[i] = dup_nonempty(v[i]);
}

static int init_keys(dsk_prov *p, const char *cnf_endpoint, char *const cnf_trust[3],
                     dsk_error *err)
{
    dsk_client_opts copts = {0};
    dsk_status st;

    st = dsk_conf_load(p->conf_file, &p->conf, err);
    if (st != DSK_OK)
        return 0;
    if (p->conf->file == NULL && p->conf_file != NULL)
        dsk_log(DSK_LOG_WARNING, "configuration %s does not exist: only inline dstack: URIs work",
                p->conf_file);
    dsk_log_set_level((dsk_log_level)p->conf->log_level);
    int locked = 1;
    if (dsk_keys_secure_heap(p->conf->secure_heap, &locked, err) != DSK_OK)
        return 0;
    if (!locked)
        dsk_log(DSK_LOG_WARNING, "secure_heap: OpenSSL's secure heap could not be locked in "
                                 "memory (RLIMIT_MEMLOCK); it is still kept out of core dumps");
    if (dsk_conf_apply_trust(p->conf, cnf_trust[0], cnf_trust[1], cnf_trust[2], err) != DSK_OK) {
        dsk_error_prefix(err, "openssl.cnf provider section");
        return 0;
    }

    /* Workers of nginx lose their environment: copy the endpoint now
     * (openssl.cnf, config file, env) and hand it to keys/; a copy of the
     * variable is marked as such so that errors name the variable, not the
     * configuration. */
    if (cnf_endpoint != NULL) {
        p->endpoint = strdup(cnf_endpoint);
    } else if (p->conf->endpoint != NULL && *p->conf->endpoint != '\0') {
        p->endpoint = strdup(p->conf->endpoint);
    } else {
        p->endpoint = dup_nonempty(secure_getenv(DSK_ENDPOINT_ENV_NAME));
        copts.endpoint_from_env = p->endpoint != NULL;
    }
    copts.endpoint = p->endpoint;
    copts.connect_timeout_ms = p->conf->connect_timeout_ms;
    copts.timeout_ms = p->conf->timeout_ms;
    copts.agent_uid = p->conf->agent_uid;
    dsk_log(DSK_LOG_DEBUG, "provider init: configuration %s, %zu keys, endpoint %s",
            p->conf->file != NULL ? p->conf->file : "(none)", p->conf->nkeys,
            p->endpoint != NULL ? p->endpoint : "(discover)");
    if (dsk_keystore_new(&copts, &p->ks, err) != DSK_OK ||
        dsk_keystore_set_trust_conf(p->ks, p->conf, err) != DSK_OK)
        return 0;
    return dsk_keystore_add_conf(p->ks, p->conf, err) == DSK_OK;
}

OSSL_provider_init_fn OSSL_provider_init;
__attribute__((visibility("default"))) int OSSL_provider_init(const OSSL_CORE_HANDLE *handle,
                                                              const OSSL_DISPATCH *in,
                                                              const OSSL_DISPATCH **out,
                                                              void **provctx)
{
    OSSL_FUNC_core_get_params_fn *get_params = NULL;
    char *cnf_endpoint = NULL, *cnf_trust[3] = {NULL, NULL, NULL};
    int cnf_inline = -1;
    dsk_error err = {0};
    dsk_prov *p = calloc(1, sizeof *p);
    int ok = 0;

    if (p == NULL)
        return 0;
    p->handle = handle;
    for (; in != NULL && in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_GET_PARAMS:
            get_params = OSSL_FUNC_core_get_params(in);
            break;
        case OSSL_FUNC_CORE_NEW_ERROR:
            p->new_error = OSSL_FUNC_core_new_error(in);
            break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            p->set_error_debug = OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR:
            p->vset_error = OSSL_FUNC_core_vset_error(in);
            break;
        case OSSL_FUNC_BIO_READ_EX:
            p->bio_read_ex = OSSL_FUNC_BIO_read_ex(in);
            break;
        case OSSL_FUNC_BIO_WRITE_EX:
            p->bio_write_ex = OSSL_FUNC_BIO_write_ex(in);
            break;
        case OSSL_FUNC_BIO_GETS:
            p->bio_gets = OSSL_FUNC_BIO_gets(in);
            break;
        default:
            break;
        }
    }
    dsk_log_init("dstack-provider", DSK_LOG_WARNING);
    read_cnf(handle, get_params, &p->conf_file, &cnf_endpoint, &cnf_inline);
    read_cnf_trust(handle, get_params, cnf_trust);
    if (!init_keys(p, cnf_endpoint, cnf_trust, &err)) {
        dsk_log(DSK_LOG_ERROR, "provider init: %s", err.msg);
        dsk_prov_raise(p, &err);
        goto done;
    }
    /* openssl.cnf's inline_keys wins over the configuration file's; keys/
     * (dsk_ref_resolve) reads it from the configuration. */
    if (cnf_inline >= 0)
        p->conf->inline_keys = cnf_inline;
    *out = prov_functions;
    *provctx = p;
    p = NULL;
    ok = 1;
done:
    free(cnf_endpoint);
    for (int i = 0; i < 3; i++)
        free(cnf_trust[i]);
    prov_free(p);
    return ok;
}
