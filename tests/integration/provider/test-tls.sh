#!/bin/bash
# openssl s_server with a dstack key (label URI, inline URI, reference file)
# and a certificate made by `req -x509 -key dstack:...`; s_client with the
# default provider alone connects over TLS 1.2 and 1.3, verifies the
# certificate and reads the page. -brief shows which signature the server's
# key made: ECDSA (P-256, P-384), Ed25519, RSA-PSS and RSA PKCS#1; the RSA
# key-exchange suite AES128-SHA256 makes the server decrypt the premaster
# secret with the TLS padding.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"

sim_start
provconf
pubkeys
refs
for l in web p384 rsa ed; do cert $l; done

SRV_PID=""
SRV_PORT=""
srv_stop() {
    [ -z "$SRV_PID" ] || { kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; }
    SRV_PID=""
    [ -z "$SRV_PORT" ] || wait_closed "$SRV_PORT" || fail "s_server still listens on port $SRV_PORT after it was stopped"
}
on_exit srv_stop

# srv_start NAME KEY CERT: s_server -www on a free port (tries 5 ports).
srv_start() {
    local name=$1 key=$2 crt=$3
    srv_stop
    for _ in 1 2 3 4 5; do
        SRV_PORT=$(free_port)
        OPENSSL_CONF="$CNF_DSTACK" openssl s_server -accept "127.0.0.1:$SRV_PORT" -key "$key" -cert "$crt" -www \
            >"$TMP/$name-srv.out" 2>"$TMP/$name-srv.err" &
        SRV_PID=$!
        wait_listen "$SRV_PORT" "$SRV_PID" && return 0
        srv_stop
    done
    fail "$name: s_server -key $key did not start: $(cat "$TMP/$name-srv.out" "$TMP/$name-srv.err")"
}

# client NAME CAFILE EXPECT... -- S_CLIENT-OPTIONS: one connection with the
# default provider alone; each EXPECT is a line the -brief output must hold.
client() {
    local name=$1 ca=$2 e
    shift 2
    local expect=()
    while [ "$1" != -- ]; do expect+=("$1"); shift; done
    shift
    printf 'GET / HTTP/1.0\r\n\r\n' |
        run "$name" D s_client -connect "127.0.0.1:$SRV_PORT" -servername localhost -CAfile "$ca" \
            -verify_return_error -verify_hostname localhost -brief -ign_eof "$@"
    grep -q '^HTTP/1.0 200 ok' "$TMP/$name.out" || fail "$name: no page: $(cat "$TMP/$name.out" "$TMP/$name.err")"
    grep -q '^Verification: OK' "$TMP/$name.err" || fail "$name: certificate not verified: $(cat "$TMP/$name.err")"
    # OpenSSL 3.0's s_client names the signature type (ECDSA, RSA-PSS, RSA),
    # 3.5's the TLS scheme (ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256,
    # rsa_pkcs1_sha256): compare by type.
    sed -E 's/^Signature type: ecdsa_.*/Signature type: ECDSA/; s/^Signature type: rsa_pss_.*/Signature type: RSA-PSS/;
        s/^Signature type: rsa_pkcs1_.*/Signature type: RSA/' "$TMP/$name.err" >"$TMP/$name.brief"
    for e in "${expect[@]}"; do
        grep -qx "$e" "$TMP/$name.brief" || fail "$name: expected '$e' in: $(cat "$TMP/$name.err")"
    done
}

for src in dstack:web "$(inline_uri web)" "$TMP/ref-web.pem"; do
    srv_start p256 "$src" "$TMP/web.crt"
    client p256-13 "$TMP/web.crt" 'Protocol version: TLSv1.3' 'Signature type: ECDSA' 'Hash used: SHA256' -- -tls1_3
    client p256-12 "$TMP/web.crt" 'Protocol version: TLSv1.2' 'Signature type: ECDSA' -- -tls1_2
done
ok "P-256 (label, inline, ref): TLS 1.3 and TLS 1.2 with ECDSA, certificate verified by s_client"

for src in dstack:p384 "$TMP/ref-p384.pem"; do
    srv_start p384 "$src" "$TMP/p384.crt"
    client p384-13 "$TMP/p384.crt" 'Protocol version: TLSv1.3' 'Signature type: ECDSA' 'Hash used: SHA384' -- -tls1_3
    client p384-12 "$TMP/p384.crt" 'Protocol version: TLSv1.2' 'Signature type: ECDSA' -- -tls1_2
done
ok "P-384 (label, ref): TLS 1.3 (ecdsa_secp384r1_sha384) and TLS 1.2"

for src in dstack:rsa "$(inline_uri rsa)" "$TMP/ref-rsa.pem"; do
    srv_start rsa "$src" "$TMP/rsa.crt"
    client rsa-13 "$TMP/rsa.crt" 'Protocol version: TLSv1.3' 'Signature type: RSA-PSS' -- -tls1_3
    client rsa-12-pss "$TMP/rsa.crt" 'Protocol version: TLSv1.2' 'Signature type: RSA-PSS' -- -tls1_2
    client rsa-12-pkcs1 "$TMP/rsa.crt" 'Protocol version: TLSv1.2' 'Signature type: RSA' 'Hash used: SHA256' -- \
        -tls1_2 -sigalgs RSA+SHA256
    client rsa-12-kx "$TMP/rsa.crt" 'Protocol version: TLSv1.2' 'Ciphersuite: AES128-SHA256' -- \
        -tls1_2 -cipher AES128-SHA256
    # Two more RSA key exchanges: each premaster secret is decrypted anew.
    client rsa-12-kx2 "$TMP/rsa.crt" 'Ciphersuite: AES256-SHA256' -- -tls1_2 -cipher AES256-SHA256
    client rsa-12-kx3 "$TMP/rsa.crt" 'Ciphersuite: AES128-GCM-SHA256' -- -tls1_2 -cipher AES128-GCM-SHA256
done
ok "RSA-2048 (label, inline, ref): TLS 1.3 RSA-PSS, TLS 1.2 RSA-PSS, TLS 1.2 PKCS#1 (-sigalgs RSA+SHA256), TLS 1.2 RSA key exchange (AES128-SHA256, AES256-SHA256, AES128-GCM-SHA256)"

for src in dstack:ed "$TMP/ref-ed.pem"; do
    srv_start ed "$src" "$TMP/ed.crt"
    client ed-13 "$TMP/ed.crt" 'Protocol version: TLSv1.3' 'Signature type: ed25519' -- -tls1_3
    client ed-12 "$TMP/ed.crt" 'Protocol version: TLSv1.2' 'Signature type: ed25519' -- -tls1_2
done
ok "Ed25519 (label, ref): TLS 1.3 and TLS 1.2"

# A client that does not trust the certificate is refused: the checks above
# would notice a server that handed out another certificate.
srv_start neg dstack:web "$TMP/web.crt"
printf 'GET / HTTP/1.0\r\n\r\n' >"$TMP/get"
must_fail untrusted D s_client -connect "127.0.0.1:$SRV_PORT" -CAfile "$TMP/rsa.crt" -verify_return_error -brief <"$TMP/get"
# A certificate that does not belong to the key is refused by s_server.
srv_stop
must_fail mismatch P s_server -accept "127.0.0.1:$(free_port)" -key dstack:web -cert "$TMP/p384.crt" -www -naccept 1
grep -qi 'private key does not match\|key values mismatch' "$TMP/mismatch.err" ||
    fail "s_server with a certificate of another key: $(cat "$TMP/mismatch.err")"
ok "negative: untrusted certificate refused by s_client; s_server refuses a certificate of another key"
