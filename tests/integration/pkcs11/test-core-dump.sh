#!/bin/bash
# Keys in core dumps (issue 13 §5): a process that signed with a secp256k1,
# an ec-p256 and an ed25519 key is dumped with gcore while it holds them,
# and again after C_Finalize; keysearch.py looks for each key's private bytes
# (M from the simulator, the scalar from the reference derivation).
#  - default settings: the secp256k1 key (ours, locked, MADV_DONTDUMP) is
#    never in a dump; the ec-p256 scalar and the ed25519 seed are, while the
#    module holds them (OpenSSL's ordinary heap; the README says so) — which
#    also shows the search finds a key that is there;
#  - secure_heap = 65536: the ec-p256 scalar moves to OpenSSL's secure heap
#    and leaves the dump; the ed25519 seed does not (a copy of it stays in
#    OpenSSL's ordinary heap; the README says so);
#  - after C_Finalize: none in either case (wiped).
# Dumps are written into the test's own directory with gdb's gcore; no
# system setting is changed.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/p11lib.sh"

command -v gcore >/dev/null || fail "gcore not found (Debian package gdb)"
HOLD="$DSK_BUILDDIR/tests/integration/pkcs11/p11-sign-hold"
[ -x "$HOLD" ] || fail "helper not built: $HOLD"
sim_start
SPECS="k1:it/k1:secp256k1 p256:it/p256:ec-p256 ed:it/ed:ed25519"

# run_case NAME [extra token settings]: sign, dump twice, search both dumps.
run_case() {
    local name=$1 sync="$TMP/$1"
    shift
    p11conf
    if [ $# -gt 0 ]; then
        # token settings go into the [token] section at the top
        sed -i "s/^label = dstack$/label = dstack\n$*/" "$P11CONF"
    fi
    mkdir -p "$sync"
    "$HOLD" "$PKCS11_MODULE" "$sync" k1 p256 ed >"$sync/hold.log" 2>&1 &
    local pid=$!
    for ((i = 0; i < 600; i++)); do [ -e "$sync/signed" ] || ! kill -0 $pid 2>/dev/null && break; sleep 0.05; done
    [ -e "$sync/signed" ] || fail "$name: the helper did not sign: $(cat "$sync/hold.log")"
    gcore -o "$sync/core-held" $pid >"$sync/gcore1.log" 2>&1 || fail "$name: gcore failed: $(cat "$sync/gcore1.log")"
    touch "$sync/go1"
    for ((i = 0; i < 600; i++)); do [ -e "$sync/finalized" ] || ! kill -0 $pid 2>/dev/null && break; sleep 0.05; done
    [ -e "$sync/finalized" ] || fail "$name: the helper did not finalize: $(cat "$sync/hold.log")"
    gcore -o "$sync/core-final" $pid >"$sync/gcore2.log" 2>&1 || fail "$name: gcore failed: $(cat "$sync/gcore2.log")"
    touch "$sync/go2"
    wait $pid || fail "$name: the helper failed: $(cat "$sync/hold.log")"
    # shellcheck disable=SC2086 # SPECS is a list on purpose
    python3 "$here/keysearch.py" "$sync/core-held.$pid" "$SIM_SOCK" $SPECS >"$sync/held.txt"
    # shellcheck disable=SC2086
    python3 "$here/keysearch.py" "$sync/core-final.$pid" "$SIM_SOCK" $SPECS >"$sync/final.txt"
    sed "s/^/$name, held: /" "$sync/held.txt"
    sed "s/^/$name, after C_Finalize: /" "$sync/final.txt"
    rm -f "$sync/core-held.$pid" "$sync/core-final.$pid"
}

expect() { # file label found|absent
    grep -q "^$2 $3" "$1" || fail "$(basename "$(dirname "$1")"): key $2 should be $3 in $(basename "$1" .txt): $(cat "$1")"
}

run_case default
for k in k1 p256 ed; do expect "$TMP/default/final.txt" $k absent; done
expect "$TMP/default/held.txt" k1 absent
expect "$TMP/default/held.txt" p256 found
expect "$TMP/default/held.txt" ed found
ok "default: the secp256k1 key is never in a dump, the ec-p256 scalar and ed25519 seed are while held (as documented); none after C_Finalize"

run_case secure "secure_heap = 65536"
for k in k1 p256 ed; do expect "$TMP/secure/final.txt" $k absent; done
expect "$TMP/secure/held.txt" k1 absent
expect "$TMP/secure/held.txt" p256 absent
expect "$TMP/secure/held.txt" ed found
ok "secure_heap = 65536: the ec-p256 scalar leaves the dump too (the ed25519 seed does not, as documented); none after C_Finalize"

# ---- the provider at normal exit ---------------------------------------------
# openssl signs with an ec-p256 and an ed25519 key through dstack.so and
# exits; gdb stops it in _exit, after every atexit handler (OPENSSL_cleanup,
# which tears the provider down) has run, and dumps it there.
PROVIDER_SO="$PROVIDER_DIR/dstack.so"
[ -f "$PROVIDER_SO" ] || fail "provider not built: $PROVIDER_SO"
cat >"$TMP/prov.conf" <<CONF
[key pweb]
path = it/pweb
type = ec-p256

[key ped]
path = it/ped
type = ed25519
CONF
. "$DSK_SRCDIR/scripts/openssl-cnf.sh"
dsk_openssl_cnf "$TMP/openssl.cnf" "module = $PROVIDER_SO" "dstack_conf = $TMP/prov.conf"
printf 'core dump test data' >"$TMP/data"
for k in pweb ped; do
    OPENSSL_CONF="$TMP/openssl.cnf" gdb -q -batch -ex 'set breakpoint pending on' -ex 'break _exit' \
        -ex run -ex "gcore $TMP/core-$k" -ex kill \
        --args openssl pkeyutl -sign -rawin -inkey "dstack:$k" -in "$TMP/data" -out "$TMP/sig-$k" \
        >"$TMP/gdb-$k.log" 2>&1 || fail "gdb on openssl ($k) failed: $(tail -5 "$TMP/gdb-$k.log")"
    [ -s "$TMP/sig-$k" ] || fail "openssl did not sign with dstack:$k: $(tail -20 "$TMP/gdb-$k.log")"
    [ -s "$TMP/core-$k" ] || fail "no dump of openssl at _exit ($k): $(tail -5 "$TMP/gdb-$k.log")"
done
python3 "$here/keysearch.py" "$TMP/core-pweb" "$SIM_SOCK" pweb:it/pweb:ec-p256 >"$TMP/prov-exit.txt"
python3 "$here/keysearch.py" "$TMP/core-ped" "$SIM_SOCK" ped:it/ped:ed25519 >>"$TMP/prov-exit.txt"
sed "s/^/provider, at _exit: /" "$TMP/prov-exit.txt"
rm -f "$TMP/core-pweb" "$TMP/core-ped"
expect "$TMP/prov-exit.txt" pweb absent
expect "$TMP/prov-exit.txt" ped absent
ok "provider: at normal exit (in _exit, after OPENSSL_cleanup) no key is left in memory"
