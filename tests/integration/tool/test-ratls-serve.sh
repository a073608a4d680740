#!/bin/bash
# An attested HTTPS server that keeps its key (README recipe): at each start
# the RA-TLS certificate for a dstack key is issued again (dstack-key cert
# --ra-tls --statement: a new attestation, the same key and statement) and
# nginx serves it with the key's reference file. A client takes the
# certificate from `openssl s_client -showcerts` and `dstack-key verify`
# accepts it. The same certificate file given to the PKCS#11 module by
# `certificate =` is what pkcs11-tool reads back (same DER).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../provider/provlib.sh"
provconf # openssl.cnf loading the provider; its dstack_conf is $DSKCONF, which toolconf rewrites
. "$here/toollib.sh"
P11TOOL=$(command -v pkcs11-tool) || fail "pkcs11-tool not installed (opensc)"

sim_start
toolconf
run ref K ref p256
cp "$TMP/ref.out" "$TMP/web.ref"

# The start step of the recipe: issue the certificate, then start nginx.
ng_servers() {
    cat <<CONF
    server {
        listen 127.0.0.1:$PORT ssl;
        server_name localhost;
        ssl_certificate $TMP/web.crt;
        ssl_certificate_key $TMP/web.ref;
        location / { return 200 "attested\\n"; }
    }
CONF
}
start() {
    K cert p256 --subject /CN=localhost --san DNS:localhost --san IP:127.0.0.1 --ra-tls --statement \
        >"$TMP/web.crt.new" 2>"$TMP/issue.err" || fail "issuing the certificate: $(cat "$TMP/issue.err")"
    mv "$TMP/web.crt.new" "$TMP/web.crt"
    ng_start PORT
}

for n in 1 2; do
    start
    run "curl-$n" curl -sS --fail --cacert "$TMP/web.crt" --resolve "localhost:$PORT:127.0.0.1" \
        "https://localhost:$PORT/"
    grep -qx attested "$TMP/curl-$n.out" || fail "start $n: nginx answered: $(cat "$TMP/curl-$n.out")"
    # what a client sees: the chain as s_client prints it, verified offline
    openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -showcerts </dev/null \
        >"$TMP/chain-$n.txt" 2>"$TMP/sclient-$n.err" || true
    grep -q -- '-----BEGIN CERTIFICATE-----' "$TMP/chain-$n.txt" ||
        fail "start $n: s_client printed no certificate: $(cat "$TMP/sclient-$n.err")"
    run "verify-$n" K verify "$TMP/chain-$n.txt" --app-id "$DEV_APP_ID" --kms-root "$DEV_ROOT"
    for c in signature "ra-tls binding" "app id" statement "statement key"; do
        grep -q "^ok   $c:" "$TMP/verify-$n.out" || { show_output "verify-$n"; fail "start $n: verify did not print ok $c"; }
    done
    # the served leaf is the certificate issued at this start
    openssl x509 -in "$TMP/chain-$n.txt" -outform DER -out "$TMP/served-$n.der"
    openssl x509 -in "$TMP/web.crt" -outform DER -out "$TMP/issued-$n.der"
    cmp -s "$TMP/served-$n.der" "$TMP/issued-$n.der" || fail "start $n: nginx served another certificate than the one issued"
    openssl x509 -in "$TMP/web.crt" -pubkey -noout >"$TMP/pub-$n.pem"
    ng_stop
done
cmp -s "$TMP/pub-1.pem" "$TMP/pub-2.pem" || fail "the key changed between starts"
cmp -s "$TMP/issued-1.der" "$TMP/issued-2.der" && fail "the second start served the same certificate"
python3 - "$TMP/issued-1.der" "$TMP/issued-2.der" <<'PY' || fail "the second start did not get a new attestation"
import sys
m = b'DSTACK-SIMULATOR-FAKE-QUOTE'
a, b = (open(f, 'rb').read() for f in sys.argv[1:3])
sys.exit(0 if a[a.index(m):][:60] != b[b.index(m):][:60] else 1)
PY
ok "nginx serves an RA-TLS certificate issued at each start (new attestation, same key); s_client -showcerts -> dstack-key verify accepts it"

# The same certificate file for PKCS#11 clients.
P11CONF="$TMP/p11.conf"
cat >"$P11CONF" <<CONF
[key web]
path = /it/tool/p256
type = ec-p256
id = 01
certificate = $TMP/web.crt
CONF
run p11-cert env DSTACK_PKCS11_CONF="$P11CONF" "$P11TOOL" --module "$PKCS11_MODULE" \
    --read-object --type cert --id 01 -o "$TMP/p11.der"
cmp -s "$TMP/p11.der" "$TMP/issued-2.der" || fail "pkcs11-tool read another certificate than the file's"
run p11-pub env DSTACK_PKCS11_CONF="$P11CONF" "$P11TOOL" --module "$PKCS11_MODULE" \
    --read-object --type pubkey --id 01 -o "$TMP/p11-pub.der"
openssl pkey -pubin -in "$TMP/pub-2.pem" -outform DER -out "$TMP/pub-2.der"
cmp -s "$TMP/p11-pub.der" "$TMP/pub-2.der" || fail "the module's key is not the certificate's"
ok "certificate = the same file: pkcs11-tool --read-object --type cert gives its DER, beside the same public key"
