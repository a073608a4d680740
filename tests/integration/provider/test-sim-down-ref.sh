#!/bin/bash
# dstack down, key named by a PEM reference file (the way nginx and curl use
# dstack keys): the failure must say which key and which socket, as it does
# for a dstack: URI, not only "unsupported"; after a restart it works.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"

sim_start
provconf
pubkeys
refs
cert web
sim_stop
sim_env
head -c 32 /dev/urandom >"$TMP/dgst"

for l in web rsa; do
    must_fail "down-ref-$l" P pkeyutl -sign -inkey "$TMP/ref-$l.pem" -in "$TMP/dgst" -out "$TMP/x.sig"
    grep -q "'$l'" "$TMP/down-ref-$l.err" && grep -qF "$SIM_SOCK" "$TMP/down-ref-$l.err" ||
        fail "pkeyutl -inkey ref-$l.pem with dstack down: the error names neither the key '$l' nor the socket $SIM_SOCK: $(cat "$TMP/down-ref-$l.err")"
done
must_fail down-ref-server timeout 20 env OPENSSL_CONF="$CNF_DSTACK" openssl s_server -accept "127.0.0.1:$(free_port)" -key "$TMP/ref-web.pem" -cert "$TMP/web.crt" -naccept 1
grep -q "'web'" "$TMP/down-ref-server.err" && grep -qF "$SIM_SOCK" "$TMP/down-ref-server.err" ||
    fail "s_server -key ref-web.pem with dstack down: the error names neither the key nor the socket: $(cat "$TMP/down-ref-server.err")"
ok "dstack down: pkeyutl and s_server with reference files fail naming the key and the socket"

sim_start
run up P pkeyutl -sign -inkey "$TMP/ref-web.pem" -in "$TMP/dgst" -out "$TMP/up.sig"
run up-verify D pkeyutl -verify -pubin -inkey "$TMP/web.pub" -in "$TMP/dgst" -sigfile "$TMP/up.sig"
ok "dstack back: the reference file signs"
