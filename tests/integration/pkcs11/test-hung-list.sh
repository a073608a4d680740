#!/bin/bash
# A hung agent (issue 13, item 10): pkcs11-tool -O lists every object of a
# token with eight keys not yet derived within one timeout, not one timeout
# per key (reading CKA_EC_POINT or CKA_MODULUS needs the key; after one
# request timed out, such reads fail at once until the agent answers). A
# signature still asks the agent, and once it answers everything works.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/p11lib.sh"

TIMEOUT_MS=2000
p11conf "[token]" "timeout_ms = $TIMEOUT_MS" \
    "[key p256b]" "path = it/p256b" "id = 06" "type = ec-p256" \
    "[key p256c]" "path = it/p256c" "id = 07" "type = ec-p256" \
    "[key k1b]" "path = it/k1b" "id = 08" "type = secp256k1"
sim_start
S=$(slot_of dstack)
sim_fault hang

t0=$(date +%s%N)
pkcs11-tool --module "$PKCS11_MODULE" --slot "$S" -O >"$TMP/list.out" 2>"$TMP/list.err" || true
ms=$((($(date +%s%N) - t0) / 1000000))
for k in p256 p384 k1 rsa2048 p256b p256c k1b; do
    grep -q "label: *$k\$" "$TMP/list.out" ||
        fail "-O against a hung agent does not list $k: $(cat "$TMP/list.out" "$TMP/list.err")"
done
# Seven keys in this token: one timeout each would be 14 s.
[ "$ms" -lt $((TIMEOUT_MS + 3000)) ] ||
    fail "pkcs11-tool -O took $ms ms against a hung agent (timeout $TIMEOUT_MS ms, 7 keys): more than one timeout"
ok "hung agent: pkcs11-tool -O lists all 7 keys of the token in $ms ms (timeout $TIMEOUT_MS ms)"

# A use of a key asks again (and waits), in a new process as in this one.
printf '%032d' 7 >"$TMP/hash"
t0=$(date +%s%N)
if p11 --slot "$S" --sign --id "$(id_of p256)" -m ECDSA -i "$TMP/hash" -o "$TMP/sig" \
    >"$TMP/sign.out" 2>"$TMP/sign.err"; then
    fail "pkcs11-tool --sign succeeded against a hung agent"
fi
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge $((TIMEOUT_MS - 200)) ] || fail "the signature failed after $ms ms, before the timeout: was a failure cached?"
ok "hung agent: a signature still asks and fails after $ms ms"

sim_fault none
run list-up p11 --slot "$S" -O
[ "$(grep -c 'EC_POINT' "$TMP/list-up.out")" -ge 5 ] ||
    fail "-O with the agent back does not show the EC points: $(cat "$TMP/list-up.out")"
run sign-up p11 --slot "$S" --sign --id "$(id_of p256)" -m ECDSA -i "$TMP/hash" -o "$TMP/sig"
ok "agent back: -O shows every public value and the key signs"
