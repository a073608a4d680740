#!/bin/bash
# Debian's nginx 1.22 serves HTTPS with ssl_certificate_key pointing at a
# reference file, two workers; curl checks the certificate with --cacert.
# The workers get no environment (no `env` directive): the provider's
# settings are read once at init, in the master, before the fork.
# curl (libcurl4-openssl) presents a client certificate whose key is a
# reference file, to `openssl s_server -Verify 1` and to nginx with
# ssl_verify_client; both servers see the certificate.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"

sim_start
provconf "[key client]" "path = /it/prov/client" "type = ec-p256" "" \
    "[key client-rsa]" "path = /it/prov/client-rsa" "type = rsa-2048"
pubkeys
refs
for l in client client-rsa; do
    run "ref-$l" P pkey -in "dstack:$l" -out "$TMP/ref-$l.pem"
    run "pub-$l" P pkey -in "dstack:$l" -pubout -out "$TMP/$l.pub"
done
cert web
cert rsa
run req-client P req -x509 -new -key dstack:client -subj "/CN=it client" -days 2 -out "$TMP/client.crt"
run req-client-rsa P req -x509 -new -key "$TMP/ref-client-rsa.pem" -subj "/CN=it client rsa" -days 2 \
    -out "$TMP/client-rsa.crt"
cat "$TMP/client.crt" "$TMP/client-rsa.crt" >"$TMP/clients.crt"

# ---- nginx ---------------------------------------------------------------
ng_servers() {
    cat <<CONF
    ssl_session_cache off;
    ssl_session_tickets off;
    # reuseport: one listening socket per worker, so connections reach both.
    server {
        listen 127.0.0.1:$PORT1 ssl reuseport;
        server_name localhost;
        ssl_certificate $TMP/web.crt;
        ssl_certificate_key $TMP/ref-web.pem;
        location / { return 200 "hello from worker \$pid over \$ssl_protocol\n"; }
    }
    server {
        listen 127.0.0.1:$PORT2 ssl;
        server_name localhost;
        ssl_certificate $TMP/rsa.crt;
        ssl_certificate_key $TMP/ref-rsa.pem;
        ssl_verify_client on;
        ssl_client_certificate $TMP/clients.crt;
        location / { return 200 "client \$ssl_client_s_dn verify \$ssl_client_verify\n"; }
    }
CONF
}
NG_WORKERS=2
# OPENSSL_CONF (and the simulator endpoint) reach the master only.
ng_start PORT1 PORT2
run nginx-t ng_exec -t

# Exactly two workers, whose environment holds neither OPENSSL_CONF nor the
# simulator endpoint.
sleep 0.3
workers=$(pgrep -P "$NG_PID" || true)
[ "$(echo "$workers" | wc -w)" = 2 ] || fail "expected 2 nginx workers, found: $workers"
for w in $workers; do
    if tr '\0' '\n' <"/proc/$w/environ" | grep -q '^OPENSSL_CONF=\|^DSTACK_SIMULATOR_ENDPOINT='; then
        fail "nginx worker $w has OPENSSL_CONF or DSTACK_SIMULATOR_ENDPOINT: the test would not show init-time settings"
    fi
done

URL1="https://localhost:$PORT1/"
RES1=(--resolve "localhost:$PORT1:127.0.0.1")
: >"$TMP/pids"
for i in $(seq 1 24); do
    run "curl-$i" curl -sS --fail --cacert "$TMP/web.crt" "${RES1[@]}" "$URL1"
    grep -q '^hello from worker [0-9]* over TLSv1\.[23]$' "$TMP/curl-$i.out" || fail "page $i: $(cat "$TMP/curl-$i.out")"
    awk '{print $4}' "$TMP/curl-$i.out" >>"$TMP/pids"
done
served=$(sort -u "$TMP/pids" | tr '\n' ' ')
for w in $workers; do
    grep -qx "$w" "$TMP/pids" || fail "worker $w served none of 24 requests (served by: $served)"
done
ok "nginx (2 workers $served, no env in workers) serves HTTPS with ssl_certificate_key = reference file; curl --cacert verified 24 pages, both workers answered"

# Reload (SIGHUP): the master reads the configuration and the reference file
# again and forks new workers, which serve with the key.
kill -HUP "$NG_PID"
new=""
for ((i = 0; i < 100; i++)); do
    new=$(pgrep -P "$NG_PID" | sort | tr '\n' ' ')
    stale=0
    for w in $workers; do case " $new " in *" $w "*) stale=1 ;; esac; done
    [ $stale = 0 ] && [ "$(echo "$new" | wc -w)" = 2 ] && break
    sleep 0.1
done
[ $stale = 0 ] || fail "nginx did not replace its workers after SIGHUP (old: $workers, now: $new)"
for i in 1 2 3 4 5 6; do
    run "curl-hup-$i" curl -sS --fail --cacert "$TMP/web.crt" "${RES1[@]}" "$URL1"
    w=$(awk '{print $4}' "$TMP/curl-hup-$i.out")
    case " $new " in *" $w "*) ;; *) fail "after reload, page $i came from $w, not a new worker ($new)" ;; esac
done
ok "nginx reload (SIGHUP): new workers $new serve with the reference file"

run curl-12 curl -sS --fail --tlsv1.2 --tls-max 1.2 --cacert "$TMP/web.crt" "${RES1[@]}" "$URL1"
grep -q 'over TLSv1.2$' "$TMP/curl-12.out" || fail "TLS 1.2 page: $(cat "$TMP/curl-12.out")"
# The default provider alone sees the dstack key's certificate on the wire.
run sclient-ng D s_client -connect "127.0.0.1:$PORT1" -servername localhost -CAfile "$TMP/web.crt" \
    -verify_return_error -brief </dev/null
# OpenSSL 3.0 says "ECDSA", 3.5 the scheme "ecdsa_secp256r1_sha256".
grep -Eq '^Signature type: (ECDSA|ecdsa_)' "$TMP/sclient-ng.err" || fail "nginx handshake: $(cat "$TMP/sclient-ng.err")"
ok "nginx: TLS 1.2 page by curl; s_client (default provider) verifies the ECDSA handshake"

# nginx with ssl_verify_client, RSA server key from a reference file; curl's
# client key is a reference file too (curl reads it with OpenSSL's decoders).
URL2="https://localhost:$PORT2/"
RES2=(--resolve "localhost:$PORT2:127.0.0.1")
run ng-mtls curl -sS --fail --cacert "$TMP/rsa.crt" "${RES2[@]}" --cert "$TMP/client.crt" --key "$TMP/ref-client.pem" "$URL2"
grep -q '^client CN=it client verify SUCCESS$' "$TMP/ng-mtls.out" || fail "nginx mTLS: $(cat "$TMP/ng-mtls.out")"
run ng-mtls-rsa curl -sS --fail --cacert "$TMP/rsa.crt" "${RES2[@]}" --cert "$TMP/client-rsa.crt" \
    --key "$TMP/ref-client-rsa.pem" "$URL2"
grep -q '^client CN=it client rsa verify SUCCESS$' "$TMP/ng-mtls-rsa.out" || fail "nginx mTLS RSA: $(cat "$TMP/ng-mtls-rsa.out")"
# Without a client certificate nginx refuses.
if curl -sS --cacert "$TMP/rsa.crt" "${RES2[@]}" "$URL2" >"$TMP/ng-nocert.out" 2>&1; then
    grep -q '400' "$TMP/ng-nocert.out" || fail "nginx accepted a client without certificate: $(cat "$TMP/ng-nocert.out")"
fi
ok "nginx ssl_verify_client: curl --key reference file (P-256 and RSA-2048) accepted as the client certificates; no certificate refused"
ng_stop
if grep -q '\[emerg\]\|\[alert\]\|\[crit\]' "$NG/logs/error.log"; then
    fail "nginx logged errors: $(grep '\[emerg\]\|\[alert\]\|\[crit\]' "$NG/logs/error.log")"
fi

# ---- curl client certificate to openssl s_server -Verify -------------------
SRV_PID=""
on_exit '[ -z "$SRV_PID" ] || kill "$SRV_PID" 2>/dev/null'
for _ in 1 2 3 4 5; do
    PORT3=$(free_port)
    OPENSSL_CONF="$CNF_DSTACK" openssl s_server -accept "127.0.0.1:$PORT3" -key "$TMP/ref-web.pem" -cert "$TMP/web.crt" -Verify 1 \
        -CAfile "$TMP/client.crt" -www -naccept 1 >"$TMP/sv.out" 2>"$TMP/sv.err" &
    SRV_PID=$!
    wait_listen "$PORT3" "$SRV_PID" && break
    SRV_PID=""
done
[ -n "$SRV_PID" ] || fail "s_server did not start: $(cat "$TMP/sv.err")"
run curl-sv curl -sS --fail --cacert "$TMP/web.crt" --resolve "localhost:$PORT3:127.0.0.1" \
    --cert "$TMP/client.crt" --key "$TMP/ref-client.pem" "https://localhost:$PORT3/"
wait "$SRV_PID" || true
SRV_PID=""
grep -q 'Subject: *CN *= *it client$' "$TMP/curl-sv.out" || fail "s_server did not see the client certificate: $(head -50 "$TMP/curl-sv.out")"
# The certificate s_server saw holds the dstack client key.
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$TMP/curl-sv.out" >"$TMP/seen.crt"
run seen-pub D x509 -in "$TMP/seen.crt" -noout -pubkey
cmp -s "$TMP/seen-pub.out" "$TMP/client.pub" || fail "s_server saw a certificate of another key"
ok "curl --cert client.crt --key ref-client.pem: s_server -Verify 1 saw 'CN = it client' with the dstack key"
