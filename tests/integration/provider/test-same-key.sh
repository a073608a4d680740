#!/bin/bash
# One configuration file, two front ends: for each label the provider
# (`openssl pkey -in dstack:LABEL -pubout -outform DER`) and the PKCS#11
# module (`pkcs11-tool --read-object --type pubkey --label LABEL`) give the
# same public key, for ec-p256, rsa-2048, secp256k1 and ed25519 (the last in
# token dstack-ed25519). A signature made through PKCS#11 verifies with the
# provider's public key, and one made through the provider with PKCS#11's.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"

[ -f "$PKCS11_MODULE" ] || fail "PKCS#11 module not built: $PKCS11_MODULE"

sim_start
provconf
export DSTACK_PKCS11_CONF="$DSKCONF"

p11() { pkcs11-tool --module "$PKCS11_MODULE" "$@"; }

# slot_of LABEL: the slot of the token with exactly this label (pkcs11-tool's
# --token-label matches a prefix: "dstack" would also match "dstack-ed25519").
slot_of() {
    local s
    s=$(p11 -L 2>"$TMP/slot_of.err" | awk -v want="$1" '
        /^Slot [0-9]+ \(/ { id = $3; gsub(/[():]/, "", id) }
        /token label/ { l = $0; sub(/^[^:]*: /, "", l); sub(/[ \t]+$/, "", l); if (l == want) print id }')
    [ -n "$s" ] || fail "no token labelled '$1': $(p11 -L 2>&1)"
    echo "$s"
}

MAIN=$(slot_of dstack)
EDSLOT=$(slot_of dstack-ed25519)
declare -A SLOT=([web]=$MAIN [rsa]=$MAIN [k1]=$MAIN [ed]=$EDSLOT)

for l in web rsa k1 ed; do
    run "prov-$l" P pkey -in "dstack:$l" -pubout -outform DER -out "$TMP/prov-$l.der"
    run "p11-$l" p11 --slot "${SLOT[$l]}" --read-object --type pubkey --label "$l" -o "$TMP/p11-$l.raw"
    [ -s "$TMP/p11-$l.raw" ] || fail "pkcs11-tool wrote no public key for $l"
    # OpenSC 0.23 writes DER SPKI, except PEM for EdDSA keys.
    inform=DER
    head -c 10 "$TMP/p11-$l.raw" | grep -q -- '-----' && inform=PEM
    run "p11der-$l" D pkey -pubin -inform $inform -in "$TMP/p11-$l.raw" -outform DER -out "$TMP/p11-$l.der"
    cmp -s "$TMP/prov-$l.der" "$TMP/p11-$l.der" ||
        fail "dstack:$l: provider and PKCS#11 module give different public keys"
done
# And two different labels give different keys (the comparison can fail).
cmp -s "$TMP/prov-web.der" "$TMP/p11-k1.der" && fail "web and k1 have the same public key"
ok "same SPKI through the provider and the PKCS#11 module for web (ec-p256), rsa (rsa-2048), k1 (secp256k1), ed (ed25519, token dstack-ed25519)"

# Cross signatures: PKCS#11 signs, the provider's public key verifies.
head -c 300 /dev/urandom >"$TMP/msg"
openssl dgst -sha256 -binary "$TMP/msg" >"$TMP/msg.sha256"
id=$(p11 --slot "$MAIN" -O --type pubkey --label web 2>/dev/null | awk '/ID:/ {print $2; exit}')
[ -n "$id" ] || fail "no ID for the public key web"
run p11-sign p11 --slot "$MAIN" --sign --id "$id" -m ECDSA --signature-format openssl \
    -i "$TMP/msg.sha256" -o "$TMP/p11.sig"
run pub-web P pkey -in dstack:web -pubout -out "$TMP/web.pub"
run p11-sign-v D pkeyutl -verify -pubin -inkey "$TMP/web.pub" -in "$TMP/msg.sha256" -sigfile "$TMP/p11.sig"
run prov-sign P pkeyutl -sign -inkey dstack:web -in "$TMP/msg.sha256" -out "$TMP/prov.sig"
run prov-sign-v D pkeyutl -verify -pubin -inkey "$TMP/p11-web.der" -keyform DER -in "$TMP/msg.sha256" \
    -sigfile "$TMP/prov.sig"
ok "ECDSA signature by pkcs11-tool verified with the provider's public key, and the reverse"
