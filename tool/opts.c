/* Options: each command has a table of its own; the parser and --help read
 * the table, so the help text and the accepted options cannot drift apart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const dsk_tool_opt dsk_tool_common_opts[] = {
    {"conf", 0, "FILE", 0,
     "configuration file (default: $DSTACK_PKCS11_CONF, else " DSK_CONF_DEFAULT_FILE ")"},
    {"help", 'h', NULL, 0, "show this help and exit"},
    {0},
};

static dsk_status collect(const dsk_tool_cmd *cmd, dsk_tool_args *a, dsk_error *err)
{
    const dsk_tool_opt *tables[] = {cmd->opts, dsk_tool_common_opts};

    for (size_t t = 0; t < 2; t++)
        for (const dsk_tool_opt *o = tables[t]; o != NULL && o->name != NULL; o++) {
            if (a->nopts == DSK_TOOL_MAX_OPTS)
                return dsk_error_set(err, DSK_E_ARGS, "%s: too many options in its table",
                                     cmd->name);
            a->opts[a->nopts++] = o;
        }
    return DSK_OK;
}

static int find_long(const dsk_tool_args *a, const char *name, size_t len)
{
    for (size_t i = 0; i < a->nopts; i++)
        if (strlen(a->opts[i]->name) == len && strncmp(a->opts[i]->name, name, len) == 0)
            return (int)i;
    return -1;
}

static int find_short(const dsk_tool_args *a, char c)
{
    for (size_t i = 0; i < a->nopts; i++)
        if (a->opts[i]->short_name != 0 && a->opts[i]->short_name == c)
            return (int)i;
    return -1;
}

#define SEE_HELP "see '" DSK_TOOL_NAME " %s --help'"

dsk_status dsk_tool_parse(const dsk_tool_cmd *cmd, int argc, char *const argv[], dsk_tool_args *a,
                          dsk_error *err)
{
    int only_args = 0;
    dsk_status st;

    memset(a, 0, sizeof *a);
    if ((st = collect(cmd, a, err)) != DSK_OK)
        return st;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i], *value = NULL, *eq = NULL;
        int idx;

        if (only_args || s[0] != '-' || strcmp(s, "-") == 0) {
            if (a->npos == DSK_TOOL_MAX_ARGS || a->npos == cmd->max_args)
                return dsk_error_set(err, DSK_E_ARGS,
                                     "%s: unexpected argument '%s' (takes at most %zu): " SEE_HELP,
                                     cmd->name, s, cmd->max_args, cmd->name);
            a->pos[a->npos++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (s[1] == '-') {
            eq = strchr(s + 2, '=');
            idx = find_long(a, s + 2, eq != NULL ? (size_t)(eq - s - 2) : strlen(s + 2));
        } else {
            idx = s[2] == '\0' ? find_short(a, s[1]) : -1;
        }
        if (idx < 0)
            return dsk_error_set(err, DSK_E_ARGS, "%s: unknown option '%.*s': " SEE_HELP, cmd->name,
                                 eq != NULL ? (int)(eq - s) : (int)strlen(s), s, cmd->name);
        const dsk_tool_opt *o = a->opts[idx];
        if (o->arg == NULL && eq != NULL)
            return dsk_error_set(err, DSK_E_ARGS, "%s: option --%s takes no value: " SEE_HELP,
                                 cmd->name, o->name, cmd->name);
        if (o->arg != NULL) {
            if (eq != NULL)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return dsk_error_set(err, DSK_E_ARGS, "%s: option --%s needs a value %s: " SEE_HELP,
                                     cmd->name, o->name, o->arg, cmd->name);
        }
        if (a->nvalues[idx] > 0 && !o->repeat && o->arg != NULL)
            return dsk_error_set(err, DSK_E_ARGS, "%s: option --%s given twice: " SEE_HELP,
                                 cmd->name, o->name, cmd->name);
        if (a->nvalues[idx] == DSK_TOOL_MAX_VALUES)
            return dsk_error_set(err, DSK_E_ARGS, "%s: option --%s given more than %d times",
                                 cmd->name, o->name, DSK_TOOL_MAX_VALUES);
        a->values[idx][a->nvalues[idx]++] = value;
    }
    /* --help wins over a missing argument: "dstack-key pub --help" works. */
    if (dsk_tool_opt_count(a, "help") == 0 && a->npos < cmd->min_args)
        return dsk_error_set(err, DSK_E_ARGS, "%s: missing argument (usage: " DSK_TOOL_NAME " %s)",
                             cmd->name, cmd->synopsis);
    return DSK_OK;
}

static int index_of(const dsk_tool_args *a, const char *name)
{
    return find_long(a, name, strlen(name));
}

const char *dsk_tool_opt_value(const dsk_tool_args *a, const char *name)
{
    int i = index_of(a, name);
    return i >= 0 && a->nvalues[i] > 0 ? a->values[i][a->nvalues[i] - 1] : NULL;
}

size_t dsk_tool_opt_count(const dsk_tool_args *a, const char *name)
{
    int i = index_of(a, name);
    return i >= 0 ? a->nvalues[i] : 0;
}

const char *const *dsk_tool_opt_values(const dsk_tool_args *a, const char *name, size_t *n)
{
    int i = index_of(a, name);
    *n = i >= 0 ? a->nvalues[i] : 0;
    return i >= 0 ? a->values[i] : NULL;
}

/* One "  -x, --name ARG  help" line per option, aligned on the widest. */
static void help_opts(FILE *f, const dsk_tool_opt *const *opts, size_t n)
{
    int width = 0;

    for (size_t i = 0; i < n; i++) {
        int w = (int)strlen(opts[i]->name) + (opts[i]->arg ? 1 + (int)strlen(opts[i]->arg) : 0);
        width = w > width ? w : width;
    }
    for (size_t i = 0; i < n; i++) {
        char left[96];
        snprintf(left, sizeof left, "%s%s%s", opts[i]->name, opts[i]->arg ? " " : "",
                 opts[i]->arg ? opts[i]->arg : "");
        if (opts[i]->short_name != 0)
            fprintf(f, "  -%c, --%-*s  %s\n", opts[i]->short_name, width, left, opts[i]->help);
        else
            fprintf(f, "      --%-*s  %s\n", width, left, opts[i]->help);
    }
}

char *dsk_tool_help(const dsk_tool_cmd *cmd)
{
    dsk_tool_args a;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (f == NULL)
        return NULL;
    memset(&a, 0, sizeof a);
    if (collect(cmd, &a, NULL) != DSK_OK) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fprintf(f, "usage: " DSK_TOOL_NAME " %s\n\n%s\n\noptions:\n", cmd->synopsis, cmd->description);
    help_opts(f, a.opts, a.nopts);
    fprintf(f, "\nExit status: 0 success, 1 a check failed, 2 usage, 3 configuration or key name,\n"
               "4 dstack agent, 5 the key cannot do this, 6 input file, 7 internal.\n"
               "See dstack-key(1).\n");
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
