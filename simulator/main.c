/* dstack-simulator: the command line and the process lifecycle. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "internal.h"
#include "log.h"
#include "wipe.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: dstack-simulator --socket PATH [--listen 127.0.0.1:PORT] [--keys FILE]\n"
            "                        [--fault SPEC] [--app-id HEX] [--pre-0.6]\n"
            "                        [--tdx-quote]\n"
            "                        [--quiet | --verbose]\n"
            "       dstack-simulator --make-appkeys FILE --kms-key HEX|none [--app-id HEX]\n"
            "\n"
            "Serves the dstack guest agent's API as dstack 0.6 does: the frozen v0 surface\n"
            "at / and /v0/ (GetKey Info Version GetQuote Attest) and the v1 surface at /v1/\n"
            "(GetKey Info Version Attest), with development keys. Not a TEE: quotes are\n"
            "fake and marked as such.\n"
            "\n"
            "  --socket PATH     unix socket to serve on (a stale socket file is replaced)\n"
            "  --listen ADDR     also serve plain HTTP on 127.0.0.1:PORT (loopback only)\n"
            "  --keys FILE       app keys in the official simulator's appkeys.json format\n"
            "                    (default: that file's development key, compiled in)\n"
            "  --fault SPEC      start with a fault: none, delay:MS, close, garbage,\n"
            "                    oversized, http400, http500, short-key, hang\n"
            "                    (change it later: POST /_simulator/fault {\"fault\":\"SPEC\"})\n"
            "  --app-id HEX      app id reported by /Info (20 bytes of hex)\n"
            "  --pre-0.6         be an agent older than dstack 0.6: no /v0/ and no /v1/\n"
            "                    mount (they answer a plain HTML 404), version 0.5.8\n"
            "  --tdx-quote       /GetQuote answers a TDX v4 quote (fake, marked) as a TDX\n"
            "                    agent does, not the short marked blob\n"
            "  --quiet           errors only\n"
            "  --verbose         one line per request (keys are never logged)\n"
            "  --make-appkeys FILE  write a new appkeys.json with a random app key whose\n"
            "                    link 1 is signed by --kms-key (a KMS private key, 64 hex\n"
            "                    digits: a spoofed or test KMS) for --app-id (default: the\n"
            "                    development app id), or has no link 1 (--kms-key none: a\n"
            "                    key provider without KMS); prints the KMS root public key\n"
            "  --help            this text\n"
            "\n"
            "SIGTERM or SIGINT stops it cleanly and removes the socket file.\n");
}

typedef struct options {
    const char *socket_path, *listen_addr, *keys_file, *fault, *app_id, *make_appkeys, *kms_key;
    dsk_log_level level;
    int pre_v1, tdx_quote;
} options;

/* 0 to run, 1 after --help, -1 on a usage error (already reported). */
static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'}, {"listen", required_argument, NULL, 'l'},
        {"keys", required_argument, NULL, 'k'},   {"fault", required_argument, NULL, 'f'},
        {"app-id", required_argument, NULL, 'a'}, {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {"pre-0.6", no_argument, NULL, 'p'},      {"tdx-quote", no_argument, NULL, 'T'},
        {"make-appkeys", required_argument, NULL, 'm'}, {"kms-key", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 's': o->socket_path = optarg; break;
        case 'l': o->listen_addr = optarg; break;
        case 'k': o->keys_file = optarg; break;
        case 'f': o->fault = optarg; break;
        case 'a': o->app_id = optarg; break;
        case 'q': o->level = DSK_LOG_ERROR; break;
        case 'v': o->level = DSK_LOG_DEBUG; break;
        case 'p': o->pre_v1 = 1; break;
        case 'T': o->tdx_quote = 1; break;
        case 'h': usage(stdout); return 1;
        case 'm': o->make_appkeys = optarg; break;
        case 'K': o->kms_key = optarg; break;
        case ':':
            fprintf(stderr, "dstack-simulator: %s needs a value (see --help)\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "dstack-simulator: unknown option %s (see --help)\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "dstack-simulator: unexpected argument '%s' (see --help)\n", argv[optind]);
        return -1;
    }
    if (o->make_appkeys) {
        if (!o->kms_key) {
            fprintf(stderr, "dstack-simulator: --make-appkeys needs --kms-key HEX or --kms-key none\n");
            return -1;
        }
        return 0;
    }
    if (!o->socket_path || !*o->socket_path) {
        fprintf(stderr, "dstack-simulator: --socket PATH is required (see --help)\n");
        return -1;
    }
    return 0;
}

/* --make-appkeys: write the file, print the KMS root. Exit status. */
static int make_appkeys(const options *o)
{
    dsk_sim_appkeys keys, dev;
    uint8_t kms[32], root[33];
    char hex[67];
    dsk_error err = {0};
    int have_kms = strcmp(o->kms_key, "none") != 0;

    dsk_sim_appkeys_default(&dev);
    if (o->app_id && dsk_sim_appkeys_set_app_id(&dev, o->app_id, &err) != DSK_OK)
        goto usage;
    if (have_kms && dsk_hex_decode(o->kms_key, strlen(o->kms_key), kms, sizeof kms) != 32) {
        dsk_error_set(&err, DSK_E_ARGS, "--kms-key must be 64 hex digits (a KMS private key) or none");
        goto usage;
    }
    if (dsk_sim_appkeys_make(have_kms ? kms : NULL, dev.app_id, &keys, root, &err) != DSK_OK ||
        dsk_sim_appkeys_write(o->make_appkeys, &keys, &err) != DSK_OK) {
        fprintf(stderr, "dstack-simulator: %s\n", err.msg);
        dsk_sim_appkeys_wipe(&keys);
        dsk_sim_appkeys_wipe(&dev);
        dsk_wipe(kms, sizeof kms);
        return EXIT_FAILURE;
    }
    dsk_hex_encode(root, sizeof root, hex);
    printf("%s\n", have_kms ? hex : "none");
    dsk_sim_appkeys_wipe(&keys);
    dsk_sim_appkeys_wipe(&dev);
    dsk_wipe(kms, sizeof kms);
    return EXIT_SUCCESS;
usage:
    fprintf(stderr, "dstack-simulator: %s\n", err.msg);
    dsk_sim_appkeys_wipe(&dev);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    options o = {.level = DSK_LOG_INFO};
    dsk_sim_api api;
    dsk_sim_fault fault = {.kind = DSK_SIM_FAULT_NONE};
    dsk_sim_fault_state faults;
    dsk_sim_server *srv = NULL;
    dsk_error err = {0};
    sigset_t stop_signals;
    int sig = 0, ret = EXIT_FAILURE;

    int pa = parse_args(argc, argv, &o);
    if (pa != 0)
        return pa > 0 ? EXIT_SUCCESS : EXIT_USAGE;
    dsk_log_init("dstack-simulator", o.level);
    if (o.make_appkeys)
        return make_appkeys(&o);

    dsk_sim_appkeys_default(&api.keys);
    api.pre_v1 = o.pre_v1 != 0;
    api.tdx_quote = o.tdx_quote != 0;
    if ((o.fault && dsk_sim_fault_parse(o.fault, &fault, &err) != DSK_OK) ||
        (o.app_id && dsk_sim_appkeys_set_app_id(&api.keys, o.app_id, &err) != DSK_OK)) {
        fprintf(stderr, "dstack-simulator: %s\n", err.msg);
        dsk_sim_appkeys_wipe(&api.keys);
        return EXIT_USAGE;
    }
    if (o.keys_file && dsk_sim_appkeys_load(o.keys_file, &api.keys, &err) != DSK_OK) {
        fprintf(stderr, "dstack-simulator: %s\n", err.msg);
        dsk_sim_appkeys_wipe(&api.keys);
        return EXIT_FAILURE;
    }

    /* Signals are taken by sigwait in this thread only: block them before
     * any server thread exists, so every thread inherits the mask. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (dsk_sim_fault_state_init(&faults, &fault) != 0) {
        fprintf(stderr, "dstack-simulator: cannot initialise threading primitives\n");
        dsk_sim_appkeys_wipe(&api.keys);
        return EXIT_FAILURE;
    }
    dsk_sim_server_config cfg = {
        .socket_path = o.socket_path, .listen_addr = o.listen_addr, .api = &api, .faults = &faults};
    if (dsk_sim_server_start(&cfg, &srv, &err) != DSK_OK) {
        fprintf(stderr, "dstack-simulator: %s\n", err.msg);
        ret = err.code == DSK_E_ARGS ? EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    char ftext[64];
    dsk_sim_fault_format(&fault, ftext, sizeof ftext);
    if (o.listen_addr)
        dsk_log(DSK_LOG_INFO, "serving on %s and http://%.*s:%u (fault: %s)", o.socket_path,
                (int)(strrchr(o.listen_addr, ':') - o.listen_addr), o.listen_addr,
                dsk_sim_server_port(srv), ftext);
    else
        dsk_log(DSK_LOG_INFO, "serving on %s (fault: %s)", o.socket_path, ftext);

    while (sigwait(&stop_signals, &sig) != 0)
        ;
    dsk_log(DSK_LOG_INFO, "signal %d: shutting down", sig);
    dsk_sim_server_stop(srv);
    ret = EXIT_SUCCESS;
done:
    dsk_sim_chain_cleanup();
    dsk_sim_fault_state_destroy(&faults);
    dsk_sim_appkeys_wipe(&api.keys);
    return ret;
}
