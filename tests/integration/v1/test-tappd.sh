#!/bin/bash
# The compatibility type tappd-p256: the P-256 key whose scalar is the 32
# bytes of v0 GetKey(path), as tappd's DeriveKey gave. The raw bytes are
# fetched from the simulator with curl and made into a P-256 key by openssl
# alone; the provider's and the module's tappd-p256 key for that path is
# that key (same public key, a signature of each verifies with the other's
# public key), and equals tests/vectors/tappd-p256.json.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../provider/provlib.sh"

command -v pkcs11-tool >/dev/null || fail "pkcs11-tool not installed (opensc)"
VEC="$DSK_SRCDIR/tests/vectors/tappd-p256.json"

sim_start
provconf "[key tappd]" "path = my-app/tls" "type = tappd-p256" "id = 21"
export DSTACK_PKCS11_CONF="$DSKCONF"

# M = GetKey("my-app/tls").key, straight from the agent.
run getkey curl -sS --fail --unix-socket "$SIM_SOCK" -H 'Content-Type: application/json' \
    -d '{"path":"my-app/tls","purpose":"","algorithm":"secp256k1"}' http://localhost/GetKey
M=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$TMP/getkey.out")
[ ${#M} = 64 ] || fail "GetKey key: $M"
# RFC 5915 ECPrivateKey { version 1, privateKey M, parameters prime256v1 }.
printf '30310201010420%sa00a06082a8648ce3d030107' "$M" | xxd -r -p >"$TMP/openssl-key.der"
run ossl-key D pkey -inform DER -in "$TMP/openssl-key.der" -out "$TMP/openssl-key.pem"
run ossl-pub D pkey -in "$TMP/openssl-key.pem" -pubout -out "$TMP/openssl.pub"

run prov-pub P pkey -in dstack:tappd -pubout -out "$TMP/tappd.pub"
run inline-pub P pkey -in "dstack:path=my-app/tls;type=tappd-p256" -pubout -out "$TMP/inline.pub"
cmp -s "$TMP/tappd.pub" "$TMP/openssl.pub" ||
    fail "tappd-p256 public key differs from the P-256 key openssl built from GetKey's 32 bytes"
cmp -s "$TMP/inline.pub" "$TMP/openssl.pub" || fail "inline tappd-p256 URI gives another key"
want=$(python3 -c 'import json,sys
for v in json.load(open(sys.argv[1]))["vectors"]:
    if v["path"] == "my-app/tls": print(v["public_key"])' "$VEC")
got=$(D pkey -pubin -in "$TMP/openssl.pub" -outform DER | tail -c 65 | xxd -p | tr -d '\n')
[ "$got" = "$want" ] || fail "public key $got, tappd-p256.json says $want"
ok "tappd-p256 'my-app/tls' (provider, label and inline URI) = openssl's P-256 key from the raw 32 bytes of GetKey = tappd-p256.json"

echo "signed by the tappd-era key" >"$TMP/msg"
run sign-prov P dgst -sha256 -sign dstack:tappd -out "$TMP/prov.sig" "$TMP/msg"
run verify-prov D dgst -sha256 -verify "$TMP/openssl.pub" -signature "$TMP/prov.sig" "$TMP/msg"
run sign-ossl D dgst -sha256 -sign "$TMP/openssl-key.pem" -out "$TMP/ossl.sig" "$TMP/msg"
run verify-ossl D dgst -sha256 -verify "$TMP/tappd.pub" -signature "$TMP/ossl.sig" "$TMP/msg"
openssl dgst -sha256 -binary "$TMP/msg" >"$TMP/msg.sha256"
run p11-sign pkcs11-tool --module "$PKCS11_MODULE" --sign --id 21 -m ECDSA -i "$TMP/msg.sha256" \
    -o "$TMP/p11.sig" --signature-format openssl
run p11-verify D pkeyutl -verify -pubin -inkey "$TMP/openssl.pub" -in "$TMP/msg.sha256" -sigfile "$TMP/p11.sig"
ok "signatures: provider and pkcs11-tool (tappd-p256) verify under openssl's key, openssl's under ours"

# A certificate issued for the openssl-built key keeps working with ours.
run req D req -x509 -new -key "$TMP/openssl-key.pem" -subj /CN=localhost -days 2 -out "$TMP/old.crt"
run crt-pub D x509 -in "$TMP/old.crt" -noout -pubkey
cmp -s "$TMP/crt-pub.out" "$TMP/tappd.pub" || fail "certificate key differs"
must_fail v1-tappd P pkey -in "dstack:api=v1;domain=x;type=tappd-p256" -pubout
grep -q 'tappd-p256' "$TMP/v1-tappd.err" || fail "api=v1 with tappd-p256: $(cat "$TMP/v1-tappd.err")"
ok "a certificate made for the tappd-era key carries the tappd-p256 public key; tappd-p256 under api = v1 is refused"
