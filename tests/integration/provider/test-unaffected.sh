#!/bin/bash
# With dstack.so loaded (and active), ordinary OpenSSL work is unaffected:
# key generation, reading plain and encrypted PEM keys (also files that mix
# certificates and keys), verifying a certificate chain, signing with plain
# keys, TLS with a plain PEM key. No dstack key is used, so dstack is not
# even running: loading the provider must need no dstack.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"

provconf
export DSTACK_SIMULATOR_ENDPOINT="$TMP/no-dstack-here.sock"

run providers P list -providers
grep -q '^  dstack$' "$TMP/providers.out" && grep -A3 '^  dstack$' "$TMP/providers.out" | grep -q 'status: active' ||
    fail "the dstack provider is not loaded and active: $(cat "$TMP/providers.out")"
ok "openssl list -providers: dstack active beside default, with dstack down"

# ---- key generation --------------------------------------------------------
for alg in "EC -pkeyopt ec_paramgen_curve:P-256" "EC -pkeyopt ec_paramgen_curve:secp384r1" \
    "RSA -pkeyopt rsa_keygen_bits:2048" "ED25519" "X25519"; do
    name=$(echo "$alg" | tr -c 'A-Za-z0-9\n' _ | cut -c1-40)
    # shellcheck disable=SC2086 # alg holds several words on purpose
    run "gen-$name" P genpkey -algorithm $alg -out "$TMP/gen-$name.pem"
    grep -q 'BEGIN PRIVATE KEY' "$TMP/gen-$name.pem" || fail "genpkey $alg wrote no PKCS#8 key"
    run "genchk-$name" D pkey -in "$TMP/gen-$name.pem" -check -noout
done
ok "genpkey EC P-256, P-384, RSA-2048, Ed25519, X25519 with the provider loaded: keys the default provider checks"

# ---- reading plain keys ----------------------------------------------------
D genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/plain.pem" 2>/dev/null
D pkey -in "$TMP/plain.pem" -aes256 -passout pass:pw -out "$TMP/plain-enc.pem"
D pkey -in "$TMP/plain.pem" -outform DER -out "$TMP/plain.der"
D ec -in "$TMP/plain.pem" -out "$TMP/plain-trad.pem" 2>/dev/null
run read-d D pkey -in "$TMP/plain.pem"
for v in plain plain-trad; do
    run "read-$v" P pkey -in "$TMP/$v.pem"
    cmp -s "$TMP/read-$v.out" "$TMP/read-d.out" || fail "pkey -in $v.pem reads another key with the provider loaded"
done
run read-enc P pkey -in "$TMP/plain-enc.pem" -passin pass:pw
cmp -s "$TMP/read-enc.out" "$TMP/read-d.out" || fail "encrypted PEM read differently"
must_fail read-enc-bad P pkey -in "$TMP/plain-enc.pem" -passin pass:wrong
run read-der P pkey -inform DER -in "$TMP/plain.der"
cmp -s "$TMP/read-der.out" "$TMP/read-d.out" || fail "DER key read differently"
ok "pkey reads PKCS#8, traditional EC, encrypted (wrong password refused) and DER keys as the default provider does"

# ---- a certificate chain ---------------------------------------------------
D genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/ca.key" 2>/dev/null
D genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/int.key" 2>/dev/null
run ca D req -x509 -new -key "$TMP/ca.key" -subj "/CN=it root" -days 2 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -out "$TMP/ca.crt"
run int-csr D req -new -key "$TMP/int.key" -subj "/CN=it intermediate" -out "$TMP/int.csr"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >"$TMP/ca.ext"
run int D x509 -req -in "$TMP/int.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
    -extfile "$TMP/ca.ext" -out "$TMP/int.crt"
run leaf-csr D req -new -key "$TMP/plain.pem" -subj "/CN=localhost" -out "$TMP/leaf.csr"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$TMP/leaf.ext"
run leaf D x509 -req -in "$TMP/leaf.csr" -CA "$TMP/int.crt" -CAkey "$TMP/int.key" -CAcreateserial -days 2 \
    -extfile "$TMP/leaf.ext" -out "$TMP/leaf.crt"
run verify P verify -x509_strict -CAfile "$TMP/ca.crt" -untrusted "$TMP/int.crt" "$TMP/leaf.crt"
grep -q ': OK$' "$TMP/verify.out" || fail "chain not verified: $(cat "$TMP/verify.out")"
must_fail verify-nochain P verify -CAfile "$TMP/ca.crt" "$TMP/leaf.crt"
must_fail verify-wrongca P verify -CAfile "$TMP/int.crt" -partial_chain -untrusted "$TMP/ca.crt" "$TMP/ca.crt"
ok "openssl verify: root (P-256) -> intermediate (RSA) -> leaf chain verified with the provider loaded; missing intermediate and wrong anchor refused"

# ---- signing with plain keys -------------------------------------------------
head -c 500 /dev/urandom >"$TMP/msg"
cp "$TMP/plain.pem" "$TMP/plain.key"
run dgst-plain P dgst -sha256 -sign "$TMP/plain.key" -out "$TMP/plain.sig" "$TMP/msg"
run dgst-plain-v D dgst -sha256 -prverify "$TMP/plain.key" -signature "$TMP/plain.sig" "$TMP/msg"
run cms-plain P cms -sign -binary -in "$TMP/msg" -signer "$TMP/leaf.crt" -inkey "$TMP/plain.pem" \
    -certfile "$TMP/int.crt" -outform DER -out "$TMP/msg.p7s"
run cms-plain-v D cms -verify -binary -inform DER -in "$TMP/msg.p7s" -content "$TMP/msg" -CAfile "$TMP/ca.crt" \
    -purpose any -out /dev/null
ok "dgst -sign and cms -sign with plain PEM keys while the provider is loaded, verified by the default provider"

# ---- TLS with a plain PEM key; key + chain in one PEM file -------------------
cat "$TMP/leaf.crt" "$TMP/int.crt" "$TMP/plain.pem" >"$TMP/bundle.pem"
SRV_PID=""
on_exit '[ -z "$SRV_PID" ] || kill "$SRV_PID" 2>/dev/null'
for _ in 1 2 3 4 5; do
    PORT=$(free_port)
    OPENSSL_CONF="$CNF_DSTACK" openssl s_server -accept "127.0.0.1:$PORT" -key "$TMP/bundle.pem" -cert "$TMP/leaf.crt" -cert_chain "$TMP/int.crt" \
        -www >"$TMP/srv.out" 2>"$TMP/srv.err" &
    SRV_PID=$!
    wait_listen "$PORT" "$SRV_PID" && break
    kill "$SRV_PID" 2>/dev/null || true
    SRV_PID=""
done
[ -n "$SRV_PID" ] || fail "s_server with a plain key did not start: $(cat "$TMP/srv.err")"
for side in P D; do
    for v in -tls1_3 -tls1_2; do
        printf 'GET / HTTP/1.0\r\n\r\n' |
            run "cli-$side$v" $side s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$TMP/ca.crt" \
                -verify_return_error -verify_hostname localhost -brief -ign_eof $v
        grep -q '^HTTP/1.0 200 ok' "$TMP/cli-$side$v.out" || fail "no page over $v"
        grep -q '^Verification: OK' "$TMP/cli-$side$v.err" || fail "chain not verified over $v"
    done
done
run curl-plain curl -sS --fail --cacert "$TMP/ca.crt" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/"
grep -q 's_server' "$TMP/curl-plain.out" || fail "curl: unexpected page"
kill "$SRV_PID"
wait "$SRV_PID" 2>/dev/null || true
SRV_PID=""
wait_closed "$PORT" || fail "s_server still listens on port $PORT after it was stopped"
ok "TLS 1.3 and 1.2 with a plain PEM key (read from a file that mixes certificates and the key) by s_server with the provider; s_client with and without the provider and curl verify the chain"
