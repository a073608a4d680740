#!/bin/bash
# dstack down: the token and its objects are still listed, a signature
# fails with a log line naming the key and the socket, and once dstack is
# back the same session (held by p11-hold, one process throughout) signs.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/p11lib.sh"

HOLD="$DSK_BUILDDIR/tests/integration/pkcs11/p11-hold"
[ -x "$HOLD" ] || fail "p11-hold not built: $HOLD"

p11conf
# The simulator's socket path, with nothing listening on it.
sim_env
[ ! -e "$SIM_SOCK" ] || fail "$SIM_SOCK exists before the test started"

S=$(slot_of dstack)
run list-down p11 -L
grep -q 'token label *: dstack$' "$TMP/list-down.out" || fail "-L with dstack down does not list token dstack"
run objects-down p11 --slot "$S" -O
for k in p256 rsa2048; do
    grep -q "label: *$k\$" "$TMP/objects-down.out" ||
        fail "-O with dstack down does not list $k: $(cat "$TMP/objects-down.out" "$TMP/objects-down.err")"
done
ok "dstack down: pkcs11-tool -L lists the token and -O lists the objects"

printf '%032d' 7 >"$TMP/hash"
if p11 --slot "$S" --sign --id "$(id_of p256)" -m ECDSA -i "$TMP/hash" -o "$TMP/sig" \
    >"$TMP/sign-down.out" 2>"$TMP/sign-down.err"; then
    fail "pkcs11-tool --sign succeeded with dstack down"
fi
grep -q 'p256' "$TMP/sign-down.err" && grep -qF "$SIM_SOCK" "$TMP/sign-down.err" ||
    fail "the failed signature's messages name neither the key p256 nor the socket $SIM_SOCK: $(cat "$TMP/sign-down.err")"
ok "dstack down: signing fails, saying: $(grep -F "$SIM_SOCK" "$TMP/sign-down.err" | head -1)"

mkdir "$TMP/sync"
cp "$TMP/hash" "$TMP/sync/hash"
"$HOLD" "$PKCS11_MODULE" dstack p256 "$TMP/sync" >"$TMP/hold.out" 2>"$TMP/hold.err" &
hold_pid=$!
on_exit "kill $hold_pid 2>/dev/null"
for ((i = 0; i < 600; i++)); do
    [ -e "$TMP/sync/failed" ] && break
    kill -0 $hold_pid 2>/dev/null || break
    sleep 0.05
done
[ -e "$TMP/sync/failed" ] || fail "p11-hold did not report a failed first signature: $(cat "$TMP/hold.out" "$TMP/hold.err")"
grep -q 'p256' "$TMP/hold.err" && grep -qF "$SIM_SOCK" "$TMP/hold.err" ||
    fail "p11-hold's failed signature logged nothing naming p256 and $SIM_SOCK: $(cat "$TMP/hold.err")"

sim_start
touch "$TMP/sync/go"
wait $hold_pid || fail "p11-hold failed: $(cat "$TMP/hold.out" "$TMP/hold.err")"
[ "$(stat -c %s "$TMP/sync/sig")" -eq 64 ] || fail "p11-hold's signature is not 64 bytes r||s"

# Verify the raw r||s with openssl against the token's public key.
r=$(head -c 32 "$TMP/sync/sig" | xxd -p | tr -d '\n')
s=$(tail -c 32 "$TMP/sync/sig" | xxd -p | tr -d '\n')
printf 'asn1 = SEQUENCE:sig\n[sig]\nr = INTEGER:0x%s\ns = INTEGER:0x%s\n' "$r" "$s" >"$TMP/sig.cnf"
run sig-der openssl asn1parse -genconf "$TMP/sig.cnf" -out "$TMP/sig.der" -noout
export_pub "$S" p256 "$TMP/p256.pem"
openssl pkeyutl -verify -pubin -inkey "$TMP/p256.pem" -in "$TMP/hash" -sigfile "$TMP/sig.der" >"$TMP/verify.out" 2>&1 ||
    fail "openssl rejects the signature made after dstack came back: $(cat "$TMP/verify.out")"
ok "dstack back: the same session signs again and openssl verifies it"
