#!/bin/bash
# A secp256k1 key at dstack path /eth/main-wallet: CKM_ECDSA over a 32-byte
# hash verifies with openssl, and its public key is the Ethereum address
# the official dstack SDKs give for that path on the simulator's default key.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/p11lib.sh"

WANT=0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0

p11conf '' '[key main-wallet]' 'path = /eth/main-wallet' 'type = secp256k1' 'id = 0e'
sim_start
S=$(slot_of dstack)

export_pub "$S" main-wallet "$TMP/wallet.pem"
printf 'transfer 1 ETH to 0xdead\n' | openssl dgst -sha256 -binary >"$TMP/hash"
printf 'transfer 9 ETH to 0xdead\n' | openssl dgst -sha256 -binary >"$TMP/hash-other"
[ "$(stat -c %s "$TMP/hash")" -eq 32 ] || fail "hash is not 32 bytes"

run sign p11 --slot "$S" --sign --id 0e -m ECDSA -i "$TMP/hash" -o "$TMP/sig.der" --signature-format openssl
openssl pkeyutl -verify -pubin -inkey "$TMP/wallet.pem" -in "$TMP/hash" -sigfile "$TMP/sig.der" >"$TMP/verify.out" 2>&1 ||
    fail "openssl rejects the CKM_ECDSA signature of main-wallet: $(cat "$TMP/verify.out")"
if openssl pkeyutl -verify -pubin -inkey "$TMP/wallet.pem" -in "$TMP/hash-other" -sigfile "$TMP/sig.der" >/dev/null 2>&1; then
    fail "openssl accepts the main-wallet signature for another hash"
fi
openssl pkey -pubin -in "$TMP/wallet.pem" -text -noout | grep -q 'ASN1 OID: secp256k1' ||
    fail "main-wallet public key is not on secp256k1: $(openssl pkey -pubin -in "$TMP/wallet.pem" -text -noout)"
ok "main-wallet: CKM_ECDSA signature over a 32-byte hash verified by openssl"

# The uncompressed point is the last 65 bytes of the SPKI; it must also be
# what CKA_EC_POINT says (as a DER OCTET STRING 04 41 ...).
point=$(openssl pkey -pubin -in "$TMP/wallet.pem" -outform DER | tail -c 65 | xxd -p | tr -d '\n')
case "$point" in 04*) ;; *) fail "public key is not an uncompressed point: $point" ;; esac
run list p11 --slot "$S" -O --type pubkey
awk -v want=main-wallet '/Object;/ { pt = "" } /EC_POINT:/ { pt = $2 }
    /^ *label:/ { l = $0; sub(/^ *label: */, "", l); if (l == want) print pt }' "$TMP/list.out" >"$TMP/ecpoint"
[ "$(cat "$TMP/ecpoint")" = "0441$point" ] ||
    fail "CKA_EC_POINT $(cat "$TMP/ecpoint") is not the DER OCTET STRING of the exported key 0441$point"

got=$("$here/keccak256.py" --address "$point")
[ "$got" = "$WANT" ] || fail "Ethereum address of main-wallet is $got, want $WANT"
ok "main-wallet public key gives Ethereum address $got"
