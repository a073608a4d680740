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
_run_cleanups() {
    local i
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" || true; done
    sim_stop
    rm -rf "$TMP"
}
trap _run_cleanups EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
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
