/* Who serves the agent's unix socket: a cheap local check made on every
 * connection before a request is sent on it (the signature chain, checked
 * elsewhere, is the strong one).
 *
 * The peer (SO_PEERCRED, the uid of the process that called listen()) must
 * be root, our own effective uid (such a process could read our memory
 * anyway), or the uid configured as `agent_uid`. And the socket's directory
 * must not let others replace it: a world-writable directory without the
 * sticky bit is refused; with the sticky bit (/tmp) a warning is logged
 * once, since the peer check still applies there. */
#include "internal.h"

#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static dsk_status check_dir(const char *path, dsk_error *err)
{
    static atomic_int warned;
    char dir[DSK_ENDPOINT_MAX];
    struct stat st;

    snprintf(dir, sizeof dir, "%s", path);
    if (stat(dirname(dir), &st) != 0)
        return DSK_OK; /* the connect already worked; nothing to say here */
    if (!(st.st_mode & S_IWOTH))
        return DSK_OK;
    if (!(st.st_mode & S_ISVTX))
        return dsk_error_set(err, DSK_E_UNREACHABLE,
                             "the socket's directory %s is writable by every user (mode %04o) "
                             "without the sticky bit: anyone could replace the agent there; "
                             "refusing it (move the socket, or chmod o-w the directory)",
                             dir, (unsigned)(st.st_mode & 07777));
    if (!atomic_exchange(&warned, 1))
        dsk_log(DSK_LOG_WARNING,
                "the dstack socket %s is in %s, a directory every user can write (sticky): "
                "only the peer check protects it",
                path, dir);
    return DSK_OK;
}

dsk_status dsk_socket_peer_check(int fd, const char *path, long agent_uid, dsk_error *err)
{
    struct ucred cr;
    socklen_t len = sizeof cr;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof cr)
        return dsk_error_set(err, DSK_E_UNREACHABLE,
                             "cannot tell who serves the socket (SO_PEERCRED failed): refusing it");
    if (cr.uid != 0 && cr.uid != geteuid() && (agent_uid <= 0 || cr.uid != (uid_t)agent_uid)) {
        if (agent_uid > 0)
            return dsk_error_set(err, DSK_E_UNREACHABLE,
                                 "the socket is served by uid %u (pid %d), neither root nor "
                                 "agent_uid %ld: refusing it (an impostor agent?)",
                                 (unsigned)cr.uid, (int)cr.pid, agent_uid);
        return dsk_error_set(err, DSK_E_UNREACHABLE,
                             "the socket is served by uid %u (pid %d), not root: refusing it "
                             "(an impostor agent?); if that user runs your dstack agent, set "
                             "agent_uid = %u in [token] of the configuration",
                             (unsigned)cr.uid, (int)cr.pid, (unsigned)cr.uid);
    }
    return check_dir(path, err);
}
