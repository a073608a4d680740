#!/bin/bash
# dstack down: `openssl pkeyutl -sign -inkey dstack:web` (and a reference
# file, and s_server) fails with a message naming the key and the socket;
# once dstack is back the same commands work. A dstack that answers HTTP 500
# fails the same way, naming the key.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"

sim_start
provconf
pubkeys
refs
cert web
sim_stop
[ ! -e "$SIM_SOCK" ] || fail "$SIM_SOCK still exists"
sim_env

head -c 200 /dev/urandom >"$TMP/msg"
openssl dgst -sha256 -binary "$TMP/msg" >"$TMP/msg.sha256"

# down_msg NAME KEYWORD: stderr of NAME names the key and the socket.
down_msg() {
    grep -q "$2" "$TMP/$1.err" && grep -qF "$SIM_SOCK" "$TMP/$1.err" ||
        fail "$1: the error names neither the key '$2' nor the socket $SIM_SOCK: $(cat "$TMP/$1.err")"
}

must_fail down-label P pkeyutl -sign -inkey dstack:web -in "$TMP/msg.sha256" -out "$TMP/x.sig"
down_msg down-label web
must_fail down-ref P pkeyutl -sign -inkey "$TMP/ref-rsa.pem" -in "$TMP/msg.sha256" -out "$TMP/x.sig"
# (What the reference-file failure says is checked by test-sim-down-ref.sh.)
must_fail down-inline P pkeyutl -sign -inkey "$(inline_uri k1)" -in "$TMP/msg.sha256" -out "$TMP/x.sig"
down_msg down-inline "${KPATH[k1]}"
must_fail down-server timeout 20 env OPENSSL_CONF="$CNF_DSTACK" openssl s_server -accept "127.0.0.1:$(free_port)" -key dstack:web -cert "$TMP/web.crt" -naccept 1
down_msg down-server web
ok "dstack down: pkeyutl (label, inline) and s_server fail naming key and socket, with a reference file it fails too; the label's error: $(grep -F "$SIM_SOCK" "$TMP/down-label.err" | head -1)"

sim_start
run up-label P pkeyutl -sign -inkey dstack:web -in "$TMP/msg.sha256" -out "$TMP/up.sig"
run up-verify D pkeyutl -verify -pubin -inkey "$TMP/web.pub" -in "$TMP/msg.sha256" -sigfile "$TMP/up.sig"
run up-ref P pkeyutl -sign -inkey "$TMP/ref-rsa.pem" -in "$TMP/msg.sha256" -pkeyopt digest:sha256 -out "$TMP/up-rsa.sig"
run up-ref-verify D pkeyutl -verify -pubin -inkey "$TMP/rsa.pub" -in "$TMP/msg.sha256" -pkeyopt digest:sha256 \
    -sigfile "$TMP/up-rsa.sig"
ok "dstack back: the same commands sign, verified by the default provider"

sim_fault http500
must_fail f500 P pkeyutl -sign -inkey dstack:p384 -in "$TMP/msg.sha256" -out "$TMP/x.sig"
grep -q 'p384' "$TMP/f500.err" && grep -q '500' "$TMP/f500.err" ||
    fail "HTTP 500 from dstack: the error names neither the key nor the status: $(cat "$TMP/f500.err")"
sim_fault none
run f500-after P pkeyutl -sign -inkey dstack:p384 -in "$TMP/msg.sha256" -out "$TMP/p384.sig"
run f500-verify D pkeyutl -verify -pubin -inkey "$TMP/p384.pub" -in "$TMP/msg.sha256" -sigfile "$TMP/p384.sig"
ok "dstack answering HTTP 500: signing fails naming the key and the status; after the fault is cleared it signs"
