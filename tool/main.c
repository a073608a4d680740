/* dstack-key: the command line for dstack keys. A table of subcommands, as
 * git's command table: each one is a file with its own option table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"

#include "tool.h"

static const dsk_tool_cmd *const commands[] = {
    &dsk_cmd_list, &dsk_cmd_pub,       &dsk_cmd_ref,    &dsk_cmd_csr,
    &dsk_cmd_cert, &dsk_cmd_statement, &dsk_cmd_verify, &dsk_cmd_info,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: " DSK_TOOL_NAME " [--conf FILE] COMMAND [OPTIONS] [ARGS]\n"
               "       " DSK_TOOL_NAME " COMMAND --help\n\n"
               "KEY is a label of the configuration or a dstack: URI\n"
               "(dstack:path=/my-app/tls;type=ec-p256).\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nSee dstack-key(1).\n");
}

static int run(const dsk_tool_cmd *cmd, const char *conf_file, int argc, char *const argv[])
{
    dsk_tool_ctx ctx = {.conf_file = conf_file, .reports_chain = cmd->reports_chain};
    dsk_tool_args a;
    dsk_error err = {0};
    int code;

    if (dsk_tool_parse(cmd, argc, argv, &a, &err) != DSK_OK)
        return dsk_tool_fail(&err);
    if (dsk_tool_opt_count(&a, "help") > 0) {
        char *help = dsk_tool_help(cmd);
        if (help == NULL)
            return dsk_tool_failf(DSK_EXIT_INTERNAL, "out of memory");
        code = dsk_tool_out(help, strlen(help));
        free(help);
        return code;
    }
    if (dsk_tool_opt_value(&a, "conf") != NULL)
        ctx.conf_file = dsk_tool_opt_value(&a, "conf");
    if (!cmd->offline && dsk_tool_open(&ctx, &err) != DSK_OK)
        code = dsk_tool_fail(&err);
    else
        code = cmd->run(&ctx, &a);
    dsk_tool_close(&ctx);
    return code;
}

int main(int argc, char *argv[])
{
    const char *conf_file = NULL;
    int i = 1;

    /* Our own OpenSSL work is public data only; a system openssl.cnf that
     * loads the dstack provider must not load a second key store here. */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    dsk_log_init(DSK_TOOL_NAME, DSK_LOG_WARNING);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return DSK_EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf(DSK_TOOL_NAME " %s\n", DSK_VERSION);
            return DSK_EXIT_OK;
        } else if (strcmp(argv[i], "--conf") == 0 && i + 1 < argc) {
            conf_file = argv[++i];
        } else if (strncmp(argv[i], "--conf=", 7) == 0) {
            conf_file = argv[i] + 7;
        } else {
            return dsk_tool_failf(DSK_EXIT_USAGE,
                                  "unknown option '%s': see '" DSK_TOOL_NAME " --help'", argv[i]);
        }
    }
    if (i == argc)
        return dsk_tool_failf(DSK_EXIT_USAGE, "no command given: see '" DSK_TOOL_NAME " --help'");
    if (strcmp(argv[i], "help") == 0 && i + 1 == argc) {
        usage(stdout);
        return DSK_EXIT_OK;
    }
    for (size_t c = 0; c < NCOMMANDS; c++) {
        if (strcmp(commands[c]->name, argv[i]) == 0)
            return run(commands[c], conf_file, argc - i - 1, argv + i + 1);
        /* "dstack-key help pub" works like "dstack-key pub --help" */
        if (strcmp(argv[i], "help") == 0 && i + 2 == argc &&
            strcmp(commands[c]->name, argv[i + 1]) == 0) {
            static char help_opt[] = "--help";
            char *args[] = {help_opt};
            return run(commands[c], conf_file, 1, args);
        }
    }
    return dsk_tool_failf(DSK_EXIT_USAGE, "unknown command '%s': see '" DSK_TOOL_NAME " --help'",
                          argv[i]);
}
