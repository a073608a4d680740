#!/bin/bash
# dstack-key cert --ra-tls --statement and verify CERT for P-256, P-384,
# RSA-2048 and Ed25519 against the simulator: the extensions are under
# dstack's OIDs and the project's statement OID, the report data inside the
# attestation (and the quote) equals SHA-512("ratls-cert:" || SPKI) computed
# here with openssl alone, verify accepts the certificate (also as an
# s_client -showcerts style chain), and a changed byte of the attestation
# (its report data, the quote's REPORT_DATA, elsewhere), of the statement or
# of the SPKI, a wrong app id or a wrong KMS root fail naming every check
# that broke. Two runs and a simulator restart keep the key and the
# statement and give a new attestation.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/toollib.sh"

sim_start
toolconf

# flip HEXNEEDLE WHICH IN OUT: flip the last bit of the first byte of the
# first (WHICH=first) or last (WHICH=last) occurrence of HEXNEEDLE in IN.
flip() {
    python3 - "$@" <<'PY'
import sys
needle, which, src, dst = bytes.fromhex(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
b = bytearray(open(src, 'rb').read())
i = b.find(needle) if which == 'first' else b.rfind(needle)
assert i >= 0, 'needle not found'
b[i] ^= 1
open(dst, 'wb').write(bytes(b))
PY
}

V() { K verify "$@" --app-id "$DEV_APP_ID" --kms-root "$DEV_ROOT"; }
# secp256k1's generator: a valid root that signed nothing here
OTHER_ROOT=0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798

# failed NAME CHECK...: NAME exited 1 and its verdict (and its one stderr
# line) name each CHECK as failed.
failed() {
    local n=$1 c
    shift
    for c in "$@"; do
        grep -q "^FAIL $c:" "$TMP/$n.out" &&
            grep -q "^verdict: NOT VALID (failed: .*$c" "$TMP/$n.out" &&
            grep -q "NOT VALID, failed: .*$c" "$TMP/$n.err" ||
            { show_output "$n"; fail "$n: '$c' is not named as failed"; }
    done
}

# has_bytes FILE TEXTFILE: TEXTFILE's bytes occur in FILE exactly once.
has_bytes() {
    python3 -c "import sys; sys.exit(open(sys.argv[1],'rb').read().count(open(sys.argv[2],'rb').read()) != 1)" "$1" "$2"
}

# Change one hex digit of the statement inside certificate IN (the 21st
# digit of its first 130-digit chain link, to another hex digit).
tamper_statement() {
    python3 - "$@" <<'PY'
import re, sys
src, stmt, dst = sys.argv[1:4]
der, st = bytearray(open(src, 'rb').read()), open(stmt, 'rb').read()
base = der.find(st)
assert base >= 0 and der.count(st) == 1, 'statement not found once in the certificate'
m = re.search(rb'[0-9a-f]{130}', st)
i = base + m.start() + 20
der[i] = ord('1') if der[i] != ord('1') else ord('2')
open(dst, 'wb').write(bytes(der))
PY
}

for l in p256 p384 rsa2048 ed; do
    run "stmt-$l" K statement "$l"
    run "cert-$l" K cert "$l" --subject "/CN=$l.example" --ra-tls --statement
    cp "$TMP/cert-$l.out" "$TMP/$l.pem"
    run "text-$l" openssl x509 -in "$TMP/$l.pem" -noout -text
    grep -q "1.3.6.1.4.1.62397.1.8:" "$TMP/text-$l.out" || fail "$l: no attestation extension"
    grep -q "1.3.6.1.4.1.62397.1.3:" "$TMP/text-$l.out" || fail "$l: no app id extension"
    grep -q "2.25.276161785164273387520420499670444557132:" "$TMP/text-$l.out" || fail "$l: no statement extension"
    # the default simulator's /GetQuote is no TDX quote: no legacy extensions
    ! grep -q "1.3.6.1.4.1.62397.1.[12]:" "$TMP/text-$l.out" || fail "$l: legacy extensions without a TDX /GetQuote"
    # the report data, by openssl alone
    openssl x509 -in "$TMP/$l.pem" -pubkey -noout | openssl pkey -pubin -outform DER >"$TMP/$l.spki"
    rd=$({ printf 'ratls-cert:'; cat "$TMP/$l.spki"; } | openssl dgst -sha512 -r | cut -d' ' -f1)
    [ ${#rd} -eq 128 ] || fail "$l: no SHA-512"
    openssl x509 -in "$TMP/$l.pem" -outform DER -out "$TMP/$l.der"
    n=$(python3 -c "import sys; print(open(sys.argv[1],'rb').read().count(bytes.fromhex(sys.argv[2])))" "$TMP/$l.der" "$rd")
    [ "$n" -eq 2 ] || fail "$l: report data found $n times in the certificate, want 2 (quote, attestation)"
    # the app id extension: OCTET STRING (04 14) of the 20-byte app id inside extnValue
    python3 -c "import sys; sys.exit(bytes.fromhex('0416'+'0414'+sys.argv[2]) not in open(sys.argv[1],'rb').read())" \
        "$TMP/$l.der" "$DEV_APP_ID" || fail "$l: the app id extension is not OCTET STRING(OCTET STRING($DEV_APP_ID))"

    run "verify-$l" V "$TMP/$l.pem"
    has_bytes "$TMP/$l.der" "$TMP/stmt-$l.out" || fail "$l: the certificate does not hold what 'dstack-key statement $l' prints"
    for c in signature validity attestation "ra-tls binding" "app id" statement "statement key"; do
        grep -q "^ok   $c:" "$TMP/verify-$l.out" || { show_output "verify-$l"; fail "$l: verify did not print ok $c"; }
    done
    grep -q "^not checked: the TDX quote's signature" "$TMP/verify-$l.out" || fail "$l: verify does not say what it leaves out"
    run "verify-der-$l" V "$TMP/$l.der"
    { echo "CONNECTED(00000003)"; echo "---"; echo "Certificate chain"; cat "$TMP/$l.pem"; cat "$TMP/$l.pem"; echo "---"; } >"$TMP/$l.chain"
    run "verify-chain-$l" V "$TMP/$l.chain"

    # the quote's REPORT_DATA (first occurrence) and the attestation's (last)
    flip "$rd" first "$TMP/$l.der" "$TMP/$l-q.der"
    expect_exit 1 "tq-$l" V "$TMP/$l-q.der"
    failed "tq-$l" signature "ra-tls binding"
    grep -q "^FAIL ra-tls binding: .*quote's REPORT_DATA" "$TMP/tq-$l.out" || { show_output "tq-$l"; fail "$l: quote tamper not named"; }
    flip "$rd" last "$TMP/$l.der" "$TMP/$l-a.der"
    expect_exit 1 "ta-$l" V "$TMP/$l-a.der"
    failed "ta-$l" signature "ra-tls binding"
    grep -q "^FAIL ra-tls binding: .*attestation's report data" "$TMP/ta-$l.out" || { show_output "ta-$l"; fail "$l: attestation tamper not named"; }
    # a byte of the attestation outside the report data (the quote's fake
    # signature marker): only the certificate's signature covers it here
    flip "$(printf 'DSTACK-SIMULATOR-FAKE-QUOTE' | od -An -tx1 | tr -d ' \n')" first "$TMP/$l.der" "$TMP/$l-m.der"
    expect_exit 1 "tm-$l" V "$TMP/$l-m.der"
    failed "tm-$l" signature
    grep -q "^ok   ra-tls binding:" "$TMP/tm-$l.out" || { show_output "tm-$l"; fail "$l: binding should hold"; }
    # a hex digit of the statement's chain link
    tamper_statement "$TMP/$l.der" "$TMP/stmt-$l.out" "$TMP/$l-s.der"
    expect_exit 1 "ts-$l" V "$TMP/$l-s.der"
    failed "ts-$l" signature statement
    grep -q "^FAIL statement: link [01]:" "$TMP/ts-$l.out" || { show_output "ts-$l"; fail "$l: statement tamper does not name the chain link"; }
    expect_exit 1 "app-$l" K verify "$TMP/$l.pem" --app-id 0000000000000000000000000000000000000001 --kms-root "$DEV_ROOT"
    failed "app-$l" "app id" statement
    grep -q "NOT VALID (failed: app id, statement)" "$TMP/app-$l.out" || fail "$l: verdict does not name app id and statement"
    expect_exit 1 "root-$l" K verify "$TMP/$l.pem" --app-id "$DEV_APP_ID" --kms-root "$OTHER_ROOT"
    failed "root-$l" statement
    grep -q "NOT VALID (failed: statement)" "$TMP/root-$l.out" || { show_output "root-$l"; fail "$l: a wrong root must fail the statement alone"; }
    grep -q "^FAIL statement: link 1:.*$OTHER_ROOT" "$TMP/root-$l.out" || { show_output "root-$l"; fail "$l: wrong root not named"; }

    # a second run: same key, a new attestation
    run "cert2-$l" K cert "$l" --subject "/CN=$l.example" --ra-tls --statement
    openssl x509 -in "$TMP/cert2-$l.out" -pubkey -noout | openssl pkey -pubin -outform DER >"$TMP/$l.spki2"
    cmp -s "$TMP/$l.spki" "$TMP/$l.spki2" || fail "$l: second run changed the key"
    # the attestation's quote ends with the fake marker and 32 fresh random bytes
    openssl x509 -in "$TMP/cert2-$l.out" -outform DER -out "$TMP/$l-2.der"
    has_bytes "$TMP/$l-2.der" "$TMP/stmt-$l.out" || fail "$l: second run changed the statement"
    python3 - "$TMP/$l.der" "$TMP/$l-2.der" <<'PY' || fail "$l: second run gave the same attestation"
import sys
m = b'DSTACK-SIMULATOR-FAKE-QUOTE'
a, b = (open(f, 'rb').read() for f in sys.argv[1:3])
sa, sb = (x[x.index(m) + len(m):][:32] for x in (a, b))
sys.exit(0 if len(sa) == 32 and sa != sb else 1)
PY
done
ok "cert --ra-tls --statement -> verify for p256, p384, rsa2048, ed25519; report data = openssl's SHA-512(\"ratls-cert:\"||SPKI); a changed byte of attestation or statement, a wrong app id or root: every failed check named"

# a byte of the RSA modulus: the SPKI no longer matches the attestation
mod=$(openssl x509 -in "$TMP/rsa2048.pem" -noout -modulus | cut -d= -f2 | cut -c 201-232)
flip "$mod" first "$TMP/rsa2048.der" "$TMP/rsa-spki.der"
expect_exit 1 spki V "$TMP/rsa-spki.der"
failed spki signature "ra-tls binding" "statement key"
grep -q "^FAIL ra-tls binding: .*attestation's report data" "$TMP/spki.out" || { show_output spki; fail "SPKI tamper not named"; }
# the last byte of an EC point, an Ed25519 key: the key may no longer parse,
# verify still checks the binding over the bytes
for l in p256 p384 ed; do
    python3 - "$TMP/$l.der" "$TMP/$l.spki" "$TMP/$l-spki.der" <<'PY'
import sys
der, spki = bytearray(open(sys.argv[1], 'rb').read()), open(sys.argv[2], 'rb').read()
i = der.find(spki)
assert i >= 0
der[i + len(spki) - 1] ^= 1
open(sys.argv[3], 'wb').write(bytes(der))
PY
    expect_exit 1 "spki-$l" V "$TMP/$l-spki.der"
    failed "spki-$l" signature "ra-tls binding" "statement key"
done
ok "a changed byte of the SPKI (RSA modulus, EC point, Ed25519 key) fails signature, binding and statement key"

# after a simulator restart: the same key
sim_stop
sim_start
for l in p256 p384 rsa2048 ed; do
    run "cert3-$l" K cert "$l" --subject "/CN=$l.example" --ra-tls --statement
    openssl x509 -in "$TMP/cert3-$l.out" -pubkey -noout | openssl pkey -pubin -outform DER >"$TMP/$l.spki3"
    cmp -s "$TMP/$l.spki" "$TMP/$l.spki3" || fail "$l: restart changed the key"
    openssl x509 -in "$TMP/cert3-$l.out" -outform DER -out "$TMP/$l-3.der"
    has_bytes "$TMP/$l-3.der" "$TMP/stmt-$l.out" || fail "$l: restart changed the statement"
    run "verify3-$l" V "$TMP/cert3-$l.out"
done
ok "after a simulator restart key and statement are the same and verify accepts the new certificates"

# csr --ra-tls --statement: the same extensions in the request's
# extensionRequest, bound to the request's key; openssl checks its signature.
for l in p256 ed; do
    run "csr-$l" K csr "$l" --subject "/CN=$l.example" --ra-tls --statement
    run "csrv-$l" openssl req -in "$TMP/csr-$l.out" -verify -noout -text
    grep -q "verify OK" "$TMP/csrv-$l.err" "$TMP/csrv-$l.out" || fail "$l: openssl req -verify did not say OK"
    for oid in 1.3.6.1.4.1.62397.1.8 1.3.6.1.4.1.62397.1.3 2.25.276161785164273387520420499670444557132; do
        grep -q "$oid:" "$TMP/csrv-$l.out" || { show_output "csrv-$l"; fail "$l: the request does not ask for $oid"; }
    done
    grep -q "Requested Extensions:" "$TMP/csrv-$l.out" || fail "$l: no extensionRequest"
    openssl req -in "$TMP/csr-$l.out" -pubkey -noout | openssl pkey -pubin -outform DER >"$TMP/$l.csr-spki"
    cmp -s "$TMP/$l.spki" "$TMP/$l.csr-spki" || fail "$l: the request's key is not the certificate's"
    openssl req -in "$TMP/csr-$l.out" -outform DER -out "$TMP/$l.csr.der"
    rd=$({ printf 'ratls-cert:'; cat "$TMP/$l.csr-spki"; } | openssl dgst -sha512 -r | cut -d' ' -f1)
    n=$(python3 -c "import sys; print(open(sys.argv[1],'rb').read().count(bytes.fromhex(sys.argv[2])))" "$TMP/$l.csr.der" "$rd")
    [ "$n" -eq 2 ] || fail "$l: report data found $n times in the request, want 2 (quote, attestation)"
    has_bytes "$TMP/$l.csr.der" "$TMP/stmt-$l.out" || fail "$l: the request does not hold the key statement"
done
ok "csr --ra-tls --statement (p256, ed25519): openssl req -verify passes; the extensionRequest holds attestation, app id and statement bound to the request's key"

# ---- an agent whose /GetQuote answers a TDX quote: legacy .1.1 and .1.2 ----
sim_stop
sim_start --tdx-quote
run legacy K cert p256 --subject /CN=p256.example --ra-tls
run legacy-text openssl x509 -in "$TMP/legacy.out" -noout -text
for oid in 1.1 1.2 1.3 1.8; do
    grep -q "1.3.6.1.4.1.62397.$oid:" "$TMP/legacy-text.out" || fail "legacy: no extension 1.3.6.1.4.1.62397.$oid"
done
openssl x509 -in "$TMP/legacy.out" -outform DER -out "$TMP/legacy.der"
rd=$({ printf 'ratls-cert:'; cat "$TMP/p256.spki"; } | openssl dgst -sha512 -r | cut -d' ' -f1)
n=$(python3 -c "import sys; print(open(sys.argv[1],'rb').read().count(bytes.fromhex(sys.argv[2])))" "$TMP/legacy.der" "$rd")
[ "$n" -eq 3 ] || fail "legacy: report data found $n times, want 3 (legacy quote, attestation's quote and report data)"
# the event log extension holds the agent's event_log text as it is
curl -sS --unix-socket "$SIM_SOCK" -H 'Content-Type: application/json' -d '{"report_data":"00"}' \
    http://localhost/GetQuote | python3 -c "import json,sys; sys.stdout.write(json.load(sys.stdin)['event_log'])" >"$TMP/event_log.json"
has_bytes "$TMP/legacy.der" "$TMP/event_log.json" || fail "legacy: the event log extension is not /GetQuote's event_log"
run legacy-verify V "$TMP/legacy.out"
grep -q "^ok   legacy quote:" "$TMP/legacy-verify.out" && grep -q "^ok   legacy event log:" "$TMP/legacy-verify.out" ||
    { show_output legacy-verify; fail "legacy: verify did not check the legacy extensions"; }
flip "$rd" last "$TMP/legacy.der" "$TMP/legacy-q.der"
expect_exit 1 legacy-tq V "$TMP/legacy-q.der"
failed legacy-tq signature "legacy quote"
grep -q "^ok   ra-tls binding:" "$TMP/legacy-tq.out" || { show_output legacy-tq; fail "legacy: only the legacy quote was changed"; }
ok "an agent whose /GetQuote gives a TDX quote: legacy quote and event log extensions as ra-tls wrote them; verify checks the quote's binding, a changed byte is named"

for c in cert csr; do
    expect_exit 2 "stmt-alone-$c" K "$c" p256 --subject /CN=x --statement
    err_has "stmt-alone-$c" "--statement goes with --ra-tls"
done
ok "--statement without --ra-tls: exit 2 (cert and csr)"
