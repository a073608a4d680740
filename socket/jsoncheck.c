/* A JSON syntax check that allocates nothing.
 *
 * Why: when cJSON fails half-way through a document it frees what it had
 * built without wiping it, and a GetKey reply may already have given it the
 * key's hex.  Bodies are therefore checked here first, with rules at least
 * as strict as cJSON's (numbers under 64 characters, valid surrogate pairs,
 * bounded nesting), so that cJSON only ever sees text it parses whole. */
#include "internal.h"

#include <string.h>

#define MAX_DEPTH 32  /* dstack replies nest two levels */
#define MAX_NUMBER 63 /* cJSON reads at most 63 characters of a number */

typedef struct cursor {
    const unsigned char *p, *end;
    int nul; /* a string holds \u0000 */
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int at(const cursor *c, unsigned char ch)
{
    return c->p < c->end && *c->p == ch;
}

static int literal(cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

static int hex4(cursor *c, unsigned *v)
{
    *v = 0;
    if (c->end - c->p < 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        unsigned ch = *c->p++, d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
            d = (ch | 0x20) - 'a' + 10;
        else
            return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

static int string(cursor *c)
{
    c->p++; /* the opening quote */
    while (c->p < c->end) {
        unsigned ch = *c->p++, u;
        if (ch == '"')
            return 1;
        if (ch < 0x20)
            return 0;
        if (ch != '\\')
            continue;
        if (c->p >= c->end)
            return 0;
        ch = *c->p++;
        if (ch && strchr("\"\\/bfnrt", (int)ch))
            continue;
        if (ch != 'u' || !hex4(c, &u))
            return 0;
        /* cJSON keeps a NUL in a C string, which every reader then cuts. */
        if (u == 0)
            c->nul = 1;
        /* cJSON refuses lone surrogates; so do we. */
        if (u >= 0xDC00 && u <= 0xDFFF)
            return 0;
        if (u >= 0xD800 && u <= 0xDBFF &&
            (!literal(c, "\\u") || !hex4(c, &u) || u < 0xDC00 || u > 0xDFFF))
            return 0;
    }
    return 0;
}

static int digits(cursor *c)
{
    const unsigned char *s = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > s;
}

static int number(cursor *c)
{
    const unsigned char *s = c->p;
    if (at(c, '-'))
        c->p++;
    if (at(c, '0'))
        c->p++;
    else if (!(c->p < c->end && *c->p >= '1' && *c->p <= '9') || !digits(c))
        return 0;
    if (at(c, '.')) {
        c->p++;
        if (!digits(c))
            return 0;
    }
    if (at(c, 'e') || at(c, 'E')) {
        c->p++;
        if (at(c, '+') || at(c, '-'))
            c->p++;
        if (!digits(c))
            return 0;
    }
    return c->p - s <= MAX_NUMBER;
}

static int value(cursor *c, int depth);

/* Members of an object (is_object) or elements of an array, after the
 * opening bracket. */
static int members(cursor *c, int depth, int is_object)
{
    unsigned char close = is_object ? '}' : ']';
    if (depth >= MAX_DEPTH)
        return 0;
    c->p++;
    skip_ws(c);
    if (at(c, close)) {
        c->p++;
        return 1;
    }
    for (;;) {
        if (is_object) {
            skip_ws(c);
            if (!at(c, '"') || !string(c))
                return 0;
            skip_ws(c);
            if (!at(c, ':'))
                return 0;
            c->p++;
        }
        if (!value(c, depth + 1))
            return 0;
        skip_ws(c);
        if (at(c, close)) {
            c->p++;
            return 1;
        }
        if (!at(c, ','))
            return 0;
        c->p++;
    }
}

static int value(cursor *c, int depth)
{
    skip_ws(c);
    if (c->p >= c->end)
        return 0;
    switch (*c->p) {
    case '{':
        return members(c, depth, 1);
    case '[':
        return members(c, depth, 0);
    case '"':
        return string(c);
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    default:
        return number(c);
    }
}

int dsk_json_check_nul(const char *text, size_t len, int *has_nul)
{
    *has_nul = 0;
    if (!text)
        return 0;
    cursor c = {(const unsigned char *)text, (const unsigned char *)text + len, 0};
    if (!value(&c, 0))
        return 0;
    skip_ws(&c);
    *has_nul = c.nul;
    return c.p == c.end;
}

int dsk_json_check(const char *text, size_t len)
{
    int nul;
    return dsk_json_check_nul(text, len, &nul);
}
