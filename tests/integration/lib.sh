# Shared by every integration test: a private temp dir, a simulator on a
# private unix socket, and helpers to fail with a clear message.
#
# Environment from meson (tests/meson.build): DSK_SRCDIR, DSK_BUILDDIR,
# DSK_APPKEYS (the official simulator's appkeys.json). Tests source this file and then call sim_start.
set -euo pipefail

: "${DSK_BUILDDIR:?run through meson test}"
: "${DSK_SRCDIR:?run through meson test}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dsk-it.XXXXXX")
if [ -n "${DSK_INSTALLED:-}" ]; then
    # Against the installed Debian packages (scripts/root-test.sh, inside a
    # clean root): the files dpkg put there, and the simulator on the
    # default socket, which clients find with no environment variable.
    installed_file() { # package, pattern of the path
        dpkg -L "$1" 2>/dev/null | grep -E "$2" | head -n 1 ||
            fail "package $1 has no file matching $2 (is it installed?)"
    }
    SIMULATOR=$(installed_file dstack-simulator '^/usr/bin/dstack-simulator$')
    PKCS11_MODULE=$(installed_file dstack-pkcs11 '/pkcs11/dstack-pkcs11\.so$')
    PROVIDER_DIR=$(dirname "$(installed_file dstack-pkcs11 '/ossl-modules/dstack\.so$')")
    SIM_SOCK=/var/run/dstack.sock
else
    SIMULATOR="$DSK_BUILDDIR/simulator/dstack-simulator"
    PKCS11_MODULE="$DSK_BUILDDIR/pkcs11/dstack-pkcs11.so"
    PROVIDER_DIR="$DSK_BUILDDIR/provider"
    SIM_SOCK="$TMP/dstack.sock"
fi
SIM_PID=""
_cleanups=()

# Run "$@" at exit (in reverse order of registration).
on_exit() { _cleanups+=("$*"); }
# A check that fails inside a cleanup (fail) fails the test but does not
# skip the cleanups after it: exit inside the EXIT trap would end the trap
# and leave the simulator or a server running.
_in_cleanup=""
_cleanup_failed=""
_run_cleanups() {
    local rc=$? i
    _in_cleanup=1
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" || true; done
    sim_stop
    rm -rf "$TMP"
    [ -z "$_cleanup_failed" ] || [ "$rc" -ne 0 ] || exit 1
}
trap _run_cleanups EXIT

fail() {
    echo "FAIL: $*" >&2
    [ -n "$_in_cleanup" ] || exit 1
    _cleanup_failed=1
    return 1
}
ok() { echo "ok - $*"; }

# Wait up to 10 s for a unix socket or a file to appear.
wait_for_path() {
    local i
    for ((i = 0; i < 200; i++)); do [ -e "$1" ] && return 0; sleep 0.05; done
    fail "timed out waiting for $1"
}

# Start the simulator on $SIM_SOCK with extra arguments (e.g. --fault delay:100).
# Exports DSTACK_SIMULATOR_ENDPOINT so every client finds it (installed: not
# needed, the socket is where clients look first).
sim_start() {
    [ -x "$SIMULATOR" ] || fail "simulator not built: $SIMULATOR"
    rm -f "$SIM_SOCK"
    "$SIMULATOR" --socket "$SIM_SOCK" "$@" >"$TMP/simulator.log" 2>&1 &
    SIM_PID=$!
    wait_for_path "$SIM_SOCK"
    # The file appears at bind(), a moment before listen(): wait until the
    # control path (never faulted) answers.
    local i
    for ((i = 0; i < 200; i++)); do
        curl -sf --max-time 1 --unix-socket "$SIM_SOCK" http://localhost/_simulator/fault \
            >/dev/null && break
        sleep 0.05
    done
    sim_env
}

# Point clients at $SIM_SOCK (whether or not the simulator runs): exports
# DSTACK_SIMULATOR_ENDPOINT, except against the installed packages, where
# $SIM_SOCK is the default path clients try first without it.
sim_env() {
    [ -n "${DSK_INSTALLED:-}" ] || export DSTACK_SIMULATOR_ENDPOINT="$SIM_SOCK"
}

sim_stop() {
    if [ -n "$SIM_PID" ]; then
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
        SIM_PID=""
    fi
    rm -f "$SIM_SOCK"
}

# Switch the running simulator's fault: sim_fault delay:2000 | none | ...
sim_fault() {
    curl -sf --unix-socket "$SIM_SOCK" -X POST -H 'Content-Type: application/json' \
        -d "{\"fault\":\"$1\"}" http://localhost/_simulator/fault >/dev/null ||
        fail "could not set simulator fault $1"
}

# A free TCP port on 127.0.0.1 (the kernel picks it; the race until the
# server binds it is accepted).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_listen PORT [PID]: until something listens on 127.0.0.1:PORT (10 s),
# failing early if PID died.
wait_listen() {
    local i
    for ((i = 0; i < 200; i++)); do
        ss -Hltn "sport = :$1" | grep -q . && return 0
        if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
            return 1
        fi
        sleep 0.05
    done
    return 1
}

# wait_closed PORT: 0 once nothing listens on 127.0.0.1:PORT (up to 2 s). A
# test checks it after stopping a server it started, so a server that
# outlived its stop (an orphan) fails the test instead of lingering.
wait_closed() {
    local i
    for ((i = 0; i < 40; i++)); do
        ss -Hltn "sport = :$1" | grep -q . || return 0
        sleep 0.05
    done
    return 1
}

# ---- nginx, the one way every test runs it ---------------------------------
# The test defines ng_servers, which prints the http-level text (server
# blocks) using the port variables it names to ng_start; the frame around it
# (pid file, logs and temp paths in $NG, `user root` when run as root,
# $NG_WORKERS workers) is written here. The master gets the test's
# environment (OPENSSL_CONF, the simulator endpoint); workers get none.
NGINX=/usr/sbin/nginx
NG="$TMP/nginx"
NG_PID=""
NG_WORKERS=1

# $NG/nginx.conf from ng_servers.
ng_write() {
    mkdir -p "$NG/logs" "$NG/tmp"
    local user_line=""
    [ "$(id -u)" != 0 ] || user_line="user root;"
    {
        cat <<CONF
$user_line
worker_processes $NG_WORKERS;
pid $NG/nginx.pid;
error_log $NG/logs/error.log info;
events { worker_connections 64; }
http {
    access_log $NG/logs/access.log;
    client_body_temp_path $NG/tmp/body;
    proxy_temp_path $NG/tmp/proxy;
    fastcgi_temp_path $NG/tmp/fastcgi;
    uwsgi_temp_path $NG/tmp/uwsgi;
    scgi_temp_path $NG/tmp/scgi;
CONF
        ng_servers
        echo "}"
    } >"$NG/nginx.conf"
}

# ng_exec ARGS...: nginx with $NG's configuration (e.g. ng_exec -t; or
# ng_exec -g 'daemon off;' to run it in the foreground).
ng_exec() {
    [ -x "$NGINX" ] || fail "nginx not installed: $NGINX"
    "$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/logs/error.log" "$@"
}

# ng_start PORTVAR...: a free port into each named variable, the
# configuration written, nginx started (in the foreground, as our child:
# $NG_PID) and waited for until every port listens; five tries with new
# ports, then a failure quoting nginx's messages.
ng_start() {
    local v ok
    [ -x "$NGINX" ] || fail "nginx not installed: $NGINX"
    for _ in 1 2 3 4 5; do
        for v in "$@"; do printf -v "$v" '%s' "$(free_port)"; done
        # distinct ports, or two servers would share one
        [ "$(for v in "$@"; do echo "${!v}"; done | sort -u | wc -l)" -eq $# ] || continue
        ng_write
        : >"$NG/logs/error.log"
        # nginx itself, not a function: $NG_PID must be nginx to signal it
        "$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/logs/error.log" -g 'daemon off;' \
            >"$TMP/nginx.out" 2>"$TMP/nginx.err" &
        NG_PID=$!
        ok=1
        for v in "$@"; do wait_listen "${!v}" "$NG_PID" || { ok=""; break; }; done
        [ -z "$ok" ] || return 0
        ng_stop
    done
    fail "nginx did not start: $(cat "$TMP/nginx.err" "$NG/logs/error.log")"
}

# Graceful stop (QUIT), waited for.
ng_stop() {
    [ -z "$NG_PID" ] || { kill -QUIT "$NG_PID" 2>/dev/null || true; wait "$NG_PID" 2>/dev/null || true; }
    NG_PID=""
}
on_exit ng_stop
