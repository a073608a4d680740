/* The command line and lifecycle of the real binary: usage errors, key
 * files, --listen, stale and live sockets, SIGTERM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rawhttp.h"
#include "simproc.h"

#define TIMEOUT_MS 5000

static char dir[256], sock[300], out_file[300], err_file[300];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/dsk-simmain-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    snprintf(sock, sizeof sock, "%s/s.sock", dir);
    snprintf(out_file, sizeof out_file, "%s/out", dir);
    snprintf(err_file, sizeof err_file, "%s/err", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Start the binary with args (NULL-ended), stdout/stderr to files. */
static pid_t spawn(const char *const *args)
{
    const char *bin = getenv("DSK_SIMULATOR");
    assert_non_null(bin);
    const char *argv[32] = {bin};
    int n = 1;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(o, 1);
        dup2(e, 2);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Exit status within 10 s, or -1. */
static int wait_exit(pid_t pid)
{
    for (int i = 0; i < 1000; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static bool wait_socket(const char *path, pid_t pid)
{
    for (int i = 0; i < 400; i++) {
        struct stat st;
        if (stat(path, &st) == 0)
            return true;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return false;
        usleep(25000);
    }
    return false;
}

static char *slurp(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void expect_usage_error(const char *const *args, const char *needle)
{
    pid_t pid = spawn(args);
    assert_int_equal(wait_exit(pid), 2);
    const char *err = slurp(err_file);
    if (!strstr(err, needle))
        fail_msg("stderr '%s' does not mention '%s'", err, needle);
}

static void test_help(void **state)
{
    (void)state;
    const char *const args[] = {"--help", NULL};
    assert_int_equal(wait_exit(spawn(args)), 0);
    const char *out = slurp(out_file);
    assert_non_null(strstr(out, "Usage: dstack-simulator --socket PATH"));
    assert_non_null(strstr(out, "short-key"));
}

static void test_usage_errors(void **state)
{
    (void)state;
    const char *const none[] = {NULL};
    expect_usage_error(none, "--socket PATH is required");
    const char *const unknown[] = {"--socket", sock, "--bogus", NULL};
    expect_usage_error(unknown, "--bogus");
    const char *const noval[] = {"--socket", NULL};
    expect_usage_error(noval, "needs a value");
    const char *const extra[] = {"--socket", sock, "stray", NULL};
    expect_usage_error(extra, "stray");
    const char *const fault[] = {"--socket", sock, "--fault", "explode", NULL};
    expect_usage_error(fault, "explode");
    const char *const appid[] = {"--socket", sock, "--app-id", "12", NULL};
    expect_usage_error(appid, "app id");
    const char *const remote[] = {"--socket", sock, "--listen", "0.0.0.0:8090", NULL};
    expect_usage_error(remote, "loopback");
    const char *const badlisten[] = {"--socket", sock, "--listen", "localhost", NULL};
    expect_usage_error(badlisten, "127.0.0.1:PORT");
    struct stat st;
    assert_int_not_equal(stat(sock, &st), 0);
}

static void test_bad_key_file(void **state)
{
    (void)state;
    const char *const args[] = {"--socket", sock, "--keys", "/nonexistent/appkeys.json", NULL};
    pid_t pid = spawn(args);
    assert_int_equal(wait_exit(pid), 1);
    assert_non_null(strstr(slurp(err_file), "/nonexistent/appkeys.json"));
}

static void get_field(const char *target, const char *field, char *out, size_t len)
{
    raw_reply r;
    assert_int_equal(raw_request(sock, "GET", target, NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_int_equal(r.status, 200);
    raw_json_string(&r, field, out, len);
    raw_reply_free(&r);
}

static void stop(pid_t pid)
{
    kill(pid, SIGTERM);
    assert_int_equal(wait_exit(pid), 0);
    struct stat st;
    assert_int_not_equal(stat(sock, &st), 0); /* the socket file is gone */
}

static void test_keys_and_app_id(void **state)
{
    (void)state;
    char keys[400], v[200];
    snprintf(keys, sizeof keys, "%s/appkeys.json", dir);
    FILE *f = fopen(keys, "w");
    fputs("{\"k256_key\":\"0101010101010101010101010101010101010101010101010101010101010101\","
          "\"k256_signature\":\"\",\"ca_cert\":\"x\"}", f);
    fclose(f);
    const char *const args[] = {"--socket", sock, "--keys", keys, "--app-id",
                                "00112233445566778899aabbccddeeff00112233", "--quiet", NULL};
    pid_t pid = spawn(args);
    assert_true(wait_socket(sock, pid));
    get_field("/GetKey?path=test/wallet", "key", v, sizeof v);
    assert_string_not_equal(v, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    assert_int_equal(strlen(v), 64);
    get_field("/Info", "app_id", v, sizeof v);
    assert_string_equal(v, "00112233445566778899aabbccddeeff00112233");
    raw_reply r;
    assert_int_equal(raw_request(sock, "GET", "/GetKey?path=x", NULL, &r, TIMEOUT_MS), RAW_OK);
    assert_non_null(strstr(r.body, "\",\"\"]}")); /* no KMS signature in this file */
    raw_reply_free(&r);
    stop(pid);
    assert_string_equal(slurp(err_file), ""); /* --quiet */

    /* The official file gives the default keys. */
    const char *official = getenv("DSK_APPKEYS");
    assert_non_null(official);
    const char *const args2[] = {"--socket", sock, "--keys", official, "--verbose", NULL};
    pid = spawn(args2);
    assert_true(wait_socket(sock, pid));
    get_field("/GetKey?path=test/wallet", "key", v, sizeof v);
    assert_string_equal(v, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    stop(pid);
    /* --verbose logs the request, never the key. */
    const char *log = slurp(err_file);
    assert_non_null(strstr(log, "GET /GetKey -> 200"));
    assert_null(strstr(log, "143a1b5a"));
    assert_null(strstr(log, "d6e88992"));
}

static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void test_listen_tcp(void **state)
{
    (void)state;
    char addr[64];
    unsigned port = free_port();
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    const char *const args[] = {"--socket", sock, "--listen", addr, NULL};
    pid_t pid = spawn(args);
    assert_true(wait_socket(sock, pid));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    static const char req[] = "GET /GetKey?path=test%2Fwallet HTTP/1.1\r\nHost: x\r\n\r\n";
    raw_reply r;
    char key[80];
    assert_int_equal(raw_send(fd, req, sizeof req - 1), 0);
    assert_int_equal(raw_read_reply(fd, &r, TIMEOUT_MS), RAW_OK);
    raw_json_string(&r, "key", key, sizeof key);
    assert_string_equal(key, "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5");
    raw_reply_free(&r);
    close(fd);
    stop(pid);
    assert_non_null(strstr(slurp(err_file), addr));
}

/* A socket file without a server is replaced; a live one is refused. */
static void test_stale_and_live_socket(void **state)
{
    (void)state;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(sock) < sizeof sa.sun_path);
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd); /* the file stays, nobody listens */
    const char *const args[] = {"--socket", sock, NULL};
    pid_t pid = spawn(args);
    char v[200];
    usleep(300000);
    get_field("/Version", "version", v, sizeof v);
    assert_true(strlen(v) > 0);

    pid_t second = spawn(args);
    assert_int_equal(wait_exit(second), 1);
    assert_non_null(strstr(slurp(err_file), "in use"));
    get_field("/Version", "version", v, sizeof v); /* the first still serves */
    stop(pid);

    FILE *f = fopen(sock, "w");
    fclose(f);
    pid = spawn(args);
    assert_int_equal(wait_exit(pid), 1);
    assert_non_null(strstr(slurp(err_file), "not a socket"));
    unlink(sock);
}

static void test_sigint(void **state)
{
    (void)state;
    const char *const args[] = {"--socket", sock, NULL};
    pid_t pid = spawn(args);
    assert_true(wait_socket(sock, pid));
    kill(pid, SIGINT);
    assert_int_equal(wait_exit(pid), 0);
    struct stat st;
    assert_int_not_equal(stat(sock, &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_bad_key_file),
        cmocka_unit_test(test_keys_and_app_id),
        cmocka_unit_test(test_listen_tcp),
        cmocka_unit_test(test_stale_and_live_socket),
        cmocka_unit_test(test_sigint),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
