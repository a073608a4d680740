#!/usr/bin/env bash
# The demo: dstack keys used by unmodified software, against the bundled
# simulator. Builds the project, then:
#   1. starts dstack-simulator on a private unix socket;
#   2. lists the PKCS#11 token, signs with a token key, verifies with openssl;
#   3. through the OpenSSL provider: prints the same public key, makes a
#      certificate with `openssl req -x509 -key dstack:web`, writes a PEM
#      reference file and serves HTTPS from nginx with it; curl fetches a page;
#   4. restarts everything and shows the same public key, the certificate
#      still matching the key, and HTTPS still working.
# Everything lives in a temp directory and runs on 127.0.0.1 / unix sockets.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

bash scripts/deps.sh demo
if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build >/dev/null

B=$src/build
. "$src/scripts/openssl-cnf.sh"
tmp=$(mktemp -d /tmp/dstack-demo.XXXXXX)
chmod 755 "$tmp" # nginx workers (not root) read the page below it
sim_pid="" nginx_pid=""
cleanup() {
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

export DSTACK_SIMULATOR_ENDPOINT=$tmp/dstack.sock
export DSTACK_PKCS11_CONF=$tmp/dstack-pkcs11.conf
cat >"$DSTACK_PKCS11_CONF" <<CONF
[token]
label = dstack

[key web]
path = demo/web-tls
type = ec-p256
id = 01

[key wallet]
path = /eth/main-wallet
type = secp256k1
id = 02
CONF

dsk_openssl_cnf "$tmp/openssl.cnf" "module = $B/provider/dstack.so" "dstack_conf = $DSTACK_PKCS11_CONF"

start_sim() {
    rm -f "$DSTACK_SIMULATOR_ENDPOINT"
    "$B/simulator/dstack-simulator" --socket "$DSTACK_SIMULATOR_ENDPOINT" --quiet &
    sim_pid=$!
    for _ in $(seq 100); do [ -S "$DSTACK_SIMULATOR_ENDPOINT" ] && return; sleep 0.05; done
    echo "simulator did not start" >&2; exit 1
}
stop_sim() { kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_nginx() {
    mkdir -p "$tmp/nginx/logs" "$tmp/nginx/html"
    echo "hello from a dstack key" >"$tmp/nginx/html/index.html"
    cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 2;
error_log $tmp/nginx/logs/error.log;
pid $tmp/nginx/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $tmp/web.crt;
        ssl_certificate_key $tmp/web-ref.pem;
        root $tmp/nginx/html;
    }
}
CONF
    OPENSSL_CONF=$tmp/openssl.cnf /usr/sbin/nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' &
    nginx_pid=$!
    for _ in $(seq 100); do
        curl -s --cacert "$tmp/web.crt" --resolve "demo.local:$port:127.0.0.1" "https://demo.local:$port/" >/dev/null && return
        sleep 0.1
    done
    cat "$tmp/nginx/logs/error.log" >&2; echo "nginx did not start" >&2; exit 1
}
stop_nginx() { kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""; }

P11="pkcs11-tool --module $B/pkcs11/dstack-pkcs11.so"

step "1. the dstack simulator on a private socket: $DSTACK_SIMULATOR_ENDPOINT"
start_sim
echo "configuration ($DSTACK_PKCS11_CONF):"; sed 's/^/    /' "$DSTACK_PKCS11_CONF"

step "2. the PKCS#11 token"
run $P11 -L
run $P11 -O
printf 'message signed in a TEE' >"$tmp/msg"
run $P11 --sign --mechanism ECDSA-SHA256 --id 01 --signature-format openssl -i "$tmp/msg" -o "$tmp/msg.sig"
run $P11 --read-object --type pubkey --id 01 -o "$tmp/web.pub.der"
openssl pkey -pubin -inform DER -in "$tmp/web.pub.der" -out "$tmp/web.pub.pem"
run openssl dgst -sha256 -verify "$tmp/web.pub.pem" -signature "$tmp/msg.sig" "$tmp/msg"

step "3. the OpenSSL provider: same key, a certificate, nginx serving HTTPS with it"
export OPENSSL_CONF=$tmp/openssl.cnf
run openssl pkey -in dstack:web -pubout -out "$tmp/web.pub2.pem"
cmp -s "$tmp/web.pub.pem" "$tmp/web.pub2.pem" && echo "PKCS#11 module and provider give the same public key"
run openssl req -x509 -key dstack:web -subj "/CN=demo.local" -addext "subjectAltName=DNS:demo.local" -days 30 -out "$tmp/web.crt"
run openssl pkey -in dstack:web -out "$tmp/web-ref.pem"
echo "the key file nginx reads holds only a reference:"; sed 's/^/    /' "$tmp/web-ref.pem"
start_nginx
run curl -fsS --cacert "$tmp/web.crt" --resolve "demo.local:$port:127.0.0.1" "https://demo.local:$port/"
before=$(openssl pkey -pubin -in "$tmp/web.pub.pem" -outform DER | sha256sum | cut -c1-16)
echo "public key fingerprint: $before"

step "4. restart the simulator and nginx: the same key comes back"
stop_nginx; stop_sim
unset OPENSSL_CONF
start_sim
run $P11 --read-object --type pubkey --id 01 -o "$tmp/web.pub.again.der"
after=$(openssl pkey -pubin -inform DER -in "$tmp/web.pub.again.der" -outform DER | sha256sum | cut -c1-16)
echo "public key fingerprint after restart: $after"
[ "$before" = "$after" ] || { echo "DIFFERENT KEY after restart" >&2; exit 1; }
export OPENSSL_CONF=$tmp/openssl.cnf
cert_key=$(openssl x509 -in "$tmp/web.crt" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -c1-16)
echo "certificate's public key fingerprint: $cert_key"
[ "$cert_key" = "$after" ] || { echo "certificate no longer matches the key" >&2; exit 1; }
start_nginx
run curl -fsS --cacert "$tmp/web.crt" --resolve "demo.local:$port:127.0.0.1" "https://demo.local:$port/"
step "done: same key after restart, certificate still matches, no key file anywhere"
