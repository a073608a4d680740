/* trust/statement.c and verify.c: any bytes given to the statement parser
 * are refused with a message or parsed; a parsed statement formats again,
 * re-parses to the same fields, and verifies (to any verdict) without
 * crashing. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dsk_statement *s = NULL, *again = NULL;
    dsk_statement_report r;
    dsk_error e = {0};
    char *json = NULL;
    static const unsigned char app[20], roots[1][33] = {{0x02}};

    if (dsk_statement_parse((const char *)data, size, &s, &e) != DSK_OK) {
        if (s != NULL || e.msg[0] == '\0')
            abort();
        return 0;
    }
    if (dsk_statement_verify(s, s->app_id, roots, 1, &r) != DSK_OK || r.n_checks != 6)
        abort();
    if (r.all_ok) /* no root here could have signed anything */
        abort();
    dsk_statement_verify(s, app, NULL, 0, &r);
    if (dsk_statement_format(s, &json, &e) == DSK_OK) {
        if (dsk_statement_parse(json, strlen(json), &again, &e) != DSK_OK)
            abort();
        if (again->spki_len != s->spki_len || memcmp(again->spki, s->spki, s->spki_len) != 0 ||
            again->purpose_len != s->purpose_len ||
            memcmp(again->purpose, s->purpose, s->purpose_len) != 0 ||
            memcmp(again->link0, s->link0, 65) != 0 || again->link1_len != s->link1_len)
            abort();
        dsk_statement_free(again);
        free(json);
    }
    dsk_statement_free(s);
    return 0;
}
