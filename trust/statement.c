#include "trust.h"

dsk_status dsk_statement_format(const dsk_statement *s, char **json, dsk_error *e)
{
    (void)s;
    (void)json;
    return dsk_error_set(e, DSK_E_UNSUPPORTED, "statements: not yet");
}
dsk_status dsk_statement_parse(const char *json, size_t len, dsk_statement **out, dsk_error *e)
{
    (void)json;
    (void)len;
    (void)out;
    return dsk_error_set(e, DSK_E_UNSUPPORTED, "statements: not yet");
}
void dsk_statement_free(dsk_statement *s)
{
    (void)s;
}
