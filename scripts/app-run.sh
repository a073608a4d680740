#!/usr/bin/env bash
# Inside scripts/container-test.sh's namespaces (root_ns: $ROOT is the app
# stage's root, loopback only): the image's entry point as a container
# runtime starts it, with a dstack simulator ($SIMULATOR, the host's) on the
# root's /var/run/dstack.sock, as a compose file's volume gives it.
#   app-run.sh ENTRYFILE     (dockerfile.py entrypoint's output: ENV lines,
#                             then 'ENTRYPOINT word...')
# nginx listens on 127.0.0.1:8443 (LISTEN, as the compose file sets 443).
# Checks: HTTPS answers through curl; the served certificate's public key
# is the one `dstack-key pub web` prints inside the root; the key file nginx
# reads is a reference (no key material); all again after nginx and the
# simulator restart.
set -euo pipefail
entry=$1
port=8443
tmp=$(mktemp -d)
env_words=()
while read -r line; do
    case $line in
    ENTRYPOINT\ *) read -r -a cmd <<<"${line#ENTRYPOINT }" ;;
    LISTEN=*) ;;
    *) env_words+=("$line") ;;
    esac
done <"$entry"
env_words+=("LISTEN=127.0.0.1:$port")

fail() { echo "FAIL: $*" >&2; for f in "$tmp"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }

sim_pid="" app_pid=""
sim_up() {
    "$SIMULATOR" --socket "$ROOT/run/dstack.sock" >>"$tmp/simulator.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 200); do [ -S "$ROOT/run/dstack.sock" ] && return 0; sleep 0.05; done
    fail "the simulator did not start on $ROOT/run/dstack.sock"
}
app_up() {
    DSK_ROOT_ENV="${env_words[*]}" root_chroot "${cmd[@]}" >>"$tmp/app.log" 2>&1 &
    app_pid=$!
    for _ in $(seq 300); do
        ss -Hltn "sport = :$port" | grep -q . && return 0
        kill -0 "$app_pid" 2>/dev/null || fail "the entry point ${cmd[*]} exited"
        sleep 0.1
    done
    fail "nothing listens on 127.0.0.1:$port"
}
# Stop the entry point as a container runtime does: a signal to the
# container's first process (nginx, exec'd by start.sh; SIGQUIT is nginx's
# graceful stop). app_pid is the shell that started it (a background job
# ignores SIGQUIT), so the signal goes to its child.
app_down() {
    local main
    # (This PID namespace's /proc is the root's: ps would read the host's.)
    main=$(cut -d' ' -f1 "$ROOT/proc/$app_pid/task/$app_pid/children" 2>/dev/null || true)
    [ -n "$main" ] || fail "the entry point is not running"
    kill -QUIT "$main"
    wait "$app_pid" || true
}
check() { # round
    local body served want
    body=$(curl -sS --max-time 10 --cacert "$ROOT/run/dstack-app/web.crt" \
        --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/" 2>"$tmp/curl.log") ||
        fail "curl https://localhost:$port/ failed"
    [ "$body" = "hello from a dstack app" ] || fail "unexpected body: $body"
    openssl s_client -connect "127.0.0.1:$port" -servername localhost </dev/null 2>/dev/null |
        openssl x509 -noout -pubkey >"$tmp/served.pem" || fail "could not read the served certificate"
    root_chroot dstack-key pub web >"$tmp/pub.out" 2>"$tmp/pub.log" || fail "dstack-key pub web failed in the root"
    served=$(openssl pkey -pubin -in "$tmp/served.pem" -outform DER | sha256sum | cut -c1-64)
    want=$(openssl pkey -pubin -in "$tmp/pub.out" -outform DER | sha256sum | cut -c1-64) ||
        fail "dstack-key pub web printed no public key: $(cat "$tmp/pub.out")"
    [ "$served" = "$want" ] || fail "round $1: nginx serves key sha256 $served, dstack-key pub web is $want"
    grep -q 'BEGIN DSTACK KEY REFERENCE' "$ROOT/run/dstack-app/web.pem" && ! grep -q PRIVATE "$ROOT/run/dstack-app/web.pem" ||
        fail "nginx's key file is not a dstack key reference"
    serial=$(openssl x509 -in "$ROOT/run/dstack-app/web.crt" -noout -serial)
    echo "round $1: curl https://localhost:$port/ -> '$body'; served key = dstack-key pub web (SPKI sha256 ${want:0:16}...), certificate $serial"
}

sim_up
app_up
check 1
serial1=$serial
app_down
kill "$sim_pid"; wait "$sim_pid" || true
! ss -Hltn "sport = :$port" | grep -q . || fail "nginx still listens after it was stopped"
sim_up
app_up
check 2
[ "$serial" != "$serial1" ] || fail "the certificate was not made again at start"
echo "after nginx and the simulator restarted: the same key, a new certificate"
app_down
rm -rf "$tmp"
