#include "trust.h"

dsk_status dsk_statement_purpose(const char *key_type, const unsigned char *spki,
                                 size_t spki_len, char out[DSK_STATEMENT_PURPOSE_MAX],
                                 dsk_error *e)
{
    (void)key_type;
    (void)spki;
    (void)spki_len;
    (void)out;
    return dsk_error_set(e, DSK_E_UNSUPPORTED, "statements: not yet");
}

dsk_status dsk_statement_verify(const dsk_statement *s, const unsigned char app_id[DSK_APP_ID_LEN],
                                const unsigned char (*roots)[DSK_SECP256K1_PUB_LEN],
                                size_t n_roots, dsk_statement_report *r)
{
    (void)s;
    (void)app_id;
    (void)roots;
    (void)n_roots;
    (void)r;
    return DSK_E_UNSUPPORTED;
}
