#!/bin/bash
# HAProxy 2.6 (Debian haproxy) terminates TLS with dstack keys from
# reference files (P-256 and RSA-2048: `crt` names a PEM holding the
# certificate and the DSTACK KEY REFERENCE block); curl fetches, the
# certificate's key is the dstack key's. With the simulator stopped at
# start, HAProxy refuses to start and its log (standard error, -db) holds
# the project's message.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
HAPROXY=/usr/sbin/haproxy
need "$HAPROXY"

progs_setup
refs
cert web
cert rsa
for l in web rsa; do cat "$TMP/$l.crt" "$TMP/ref-$l.pem" >"$TMP/$l-haproxy.pem"; done
PORT1=$(free_port)
PORT2=$(free_port)
cat >"$TMP/haproxy.cfg" <<CONF
global
    log stderr format raw local0
defaults
    mode http
    log global
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:$PORT1 ssl crt $TMP/web-haproxy.pem
    http-request return status 200 content-type text/plain string "hello from haproxy"
frontend rsa
    bind 127.0.0.1:$PORT2 ssl crt $TMP/rsa-haproxy.pem
    http-request return status 200 content-type text/plain string "hello from haproxy"
CONF

PORTS="$PORT1 $PORT2" serve haproxy "$TMP/haproxy.log" "$HAPROXY" -db -f "$TMP/haproxy.cfg"
fetch_both haproxy "hello from haproxy"
unserve
ok "haproxy serves HTTPS with P-256 and RSA-2048 keys from reference files"

sim_stop
if "$HAPROXY" -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy-down.log" 2>&1; then
    fail "haproxy started with dstack down"
fi
grep -q "dstack.*'web'.*$SIM_SOCK.*check" "$TMP/haproxy-down.log" ||
    fail "haproxy's log lacks the project's message: $(cat "$TMP/haproxy-down.log")"
ok "dstack down at start: haproxy's log names the key, the socket and the fix"
