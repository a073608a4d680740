#!/bin/bash
# stunnel4 (Debian stunnel4 5.68) terminates TLS with dstack keys:
#   - service "web": P-256, key = a reference file (through the provider);
#   - service "rsa": RSA-2048, `engine = pkcs11` (libp11 on our module) and
#     key = a pkcs11: URI, in the same process as the provider.
# Both forward to a plain HTTP server (python3 -m http.server); curl fetches and
# the certificate's key is the dstack key's.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
STUNNEL=/usr/bin/stunnel4
need "$STUNNEL"
[ -f "$ENGINE_SO" ] || fail "libp11 engine not installed ($ENGINE_SO): run scripts/deps.sh test"

progs_setup
refs
cert web
cert rsa
engine_cnf "$TMP/engine.cnf"
export OPENSSL_CONF="$TMP/engine.cnf"
PORT1=$(free_port)
PORT2=$(free_port)
# the plain HTTP server behind stunnel (127.0.0.1 only)
PORTB=$(free_port)
mkdir -p "$TMP/www"
echo "hello from stunnel" >"$TMP/www/index.html"
python3 -m http.server --bind 127.0.0.1 --directory "$TMP/www" "$PORTB" >"$TMP/http.log" 2>&1 &
HTTP_PID=$!
on_exit "kill $HTTP_PID"
wait_listen "$PORTB" "$HTTP_PID" || fail "python3 -m http.server did not start: $(cat "$TMP/http.log")"
cat >"$TMP/stunnel.conf" <<CONF
foreground = yes
pid =
debug = warning
engine = pkcs11
[web]
accept = 127.0.0.1:$PORT1
connect = 127.0.0.1:$PORTB
cert = $TMP/web.crt
key = $TMP/ref-web.pem
[rsa]
accept = 127.0.0.1:$PORT2
connect = 127.0.0.1:$PORTB
engineId = pkcs11
cert = $TMP/rsa.crt
key = pkcs11:token=dstack;object=rsa;type=private
CONF
PORTS="$PORT1 $PORT2" serve stunnel "$TMP/stunnel.log" "$STUNNEL" "$TMP/stunnel.conf"
fetch_both stunnel "hello from stunnel"
ok "stunnel: reference file (P-256) and engine = pkcs11 with a pkcs11: key (RSA-2048)"
