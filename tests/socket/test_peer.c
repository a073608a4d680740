/* socket/peer.c: who serves the agent's socket (issue 13, item 4). A child
 * process listens as another uid (nobody), the test connects and checks;
 * the suite runs as root, which setresuid needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define OTHER_UID 65534 /* nobody */

typedef struct fix {
    char dir[48], sock[96];
    pid_t child;
} fix;

/* A listener on f->sock owned by uid (in a child process that drops to it). */
static void listen_as(fix *f, uid_t uid)
{
    int ready[2];
    char c;
    assert_int_equal(pipe(ready), 0);
    f->child = fork();
    assert_true(f->child >= 0);
    if (f->child == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->sock);
        if (uid != 0 && (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0))
            _exit(2);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0)
            _exit(3);
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        for (;;)
            pause();
    }
    close(ready[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
}

static int connect_to(const fix *f)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->sock);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dsk-peer.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(chmod(f->dir, 0777), 0); /* nobody binds here; fixed below */
    snprintf(f->sock, sizeof f->sock, "%s/dstack.sock", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix *f = *state;
    if (f->child > 0) {
        kill(f->child, SIGKILL);
        waitpid(f->child, NULL, 0);
    }
    unlink(f->sock);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_root_and_self_pass(void **state)
{
    fix *f = *state;
    dsk_error e = {0};
    int sv[2];
    assert_int_equal(getuid(), 0); /* the suite runs as root (setresuid) */
    assert_int_equal(chmod(f->dir, 0755), 0);
    listen_as(f, 0);
    int fd = connect_to(f);
    if (dsk_socket_peer_check(fd, f->sock, 0, &e) != DSK_OK)
        fail_msg("root's socket refused: %s", e.msg);
    close(fd);
    /* our own uid (a socketpair's peer is this process) */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(dsk_socket_peer_check(sv[0], f->sock, 0, &e), DSK_OK);
    close(sv[0]);
    close(sv[1]);
}

static void test_other_uid_refused_unless_configured(void **state)
{
    fix *f = *state;
    dsk_error e = {0};
    char want[256];
    listen_as(f, OTHER_UID);
    assert_int_equal(chmod(f->dir, 0755), 0);
    int fd = connect_to(f);
    assert_int_equal(dsk_socket_peer_check(fd, f->sock, 0, &e), DSK_E_UNREACHABLE);
    snprintf(want, sizeof want, "the socket is served by uid %d (pid %d), not root: refusing it",
             OTHER_UID, (int)f->child);
    if (strstr(e.msg, want) == NULL || strstr(e.msg, "set agent_uid = 65534 in [token]") == NULL)
        fail_msg("message: %s", e.msg);
    assert_int_equal(dsk_socket_peer_check(fd, f->sock, 1000, &e), DSK_E_UNREACHABLE);
    assert_non_null(strstr(e.msg, "neither root nor agent_uid 1000"));
    if (dsk_socket_peer_check(fd, f->sock, OTHER_UID, &e) != DSK_OK)
        fail_msg("agent_uid = %d refused: %s", OTHER_UID, e.msg);
    close(fd);
}

/* A directory every user can write: refused without the sticky bit (anyone
 * could replace the socket), accepted with it (the peer check remains). */
static void test_world_writable_directory(void **state)
{
    fix *f = *state;
    dsk_error e = {0};
    char want[200];
    listen_as(f, 0);
    int fd = connect_to(f);
    assert_int_equal(chmod(f->dir, 0777), 0);
    assert_int_equal(dsk_socket_peer_check(fd, f->sock, 0, &e), DSK_E_UNREACHABLE);
    snprintf(want, sizeof want, "the socket's directory %s is writable by every user (mode 0777) "
             "without the sticky bit", f->dir);
    if (strstr(e.msg, want) == NULL)
        fail_msg("message: %s", e.msg);
    assert_int_equal(chmod(f->dir, 01777), 0);
    assert_int_equal(dsk_socket_peer_check(fd, f->sock, 0, &e), DSK_OK);
    assert_int_equal(chmod(f->dir, 0775), 0);
    assert_int_equal(dsk_socket_peer_check(fd, f->sock, 0, &e), DSK_OK);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_root_and_self_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_uid_refused_unless_configured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_world_writable_directory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
