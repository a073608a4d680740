/* dstack-simulator: the command line and the process lifecycle. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "log.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: dstack-simulator --socket PATH [--listen 127.0.0.1:PORT] [--keys FILE]\n"
            "                        [--fault SPEC] [--app-id HEX] [--pre-0.6]\n"
            "                        [--quiet | --verbose]\n"
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
            "  --quiet           errors only\n"
            "  --verbose         one line per request (keys are never logged)\n"
            "  --help            this text\n"
            "\n"
            "SIGTERM or SIGINT stops it cleanly and removes the socket file.\n");
}

typedef struct options {
    const char *socket_path, *listen_addr, *keys_file, *fault, *app_id;
    dsk_log_level level;
    int pre_v1;
} options;

/* 0 to run, 1 after --help, -1 on a usage error (already reported). */
static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'}, {"listen", required_argument, NULL, 'l'},
        {"keys", required_argument, NULL, 'k'},   {"fault", required_argument, NULL, 'f'},
        {"app-id", required_argument, NULL, 'a'}, {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {"pre-0.6", no_argument, NULL, 'p'},
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
        case 'h': usage(stdout); return 1;
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
    if (!o->socket_path || !*o->socket_path) {
        fprintf(stderr, "dstack-simulator: --socket PATH is required (see --help)\n");
        return -1;
    }
    return 0;
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

    dsk_sim_appkeys_default(&api.keys);
    api.pre_v1 = o.pre_v1 != 0;
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
