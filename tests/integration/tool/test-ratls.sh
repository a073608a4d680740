#!/bin/bash
# dstack-key cert --ra-tls and verify CERT for P-256, P-384, RSA-2048 and
# Ed25519 against the simulator: the extensions are under dstack's OIDs,
# the report data inside the attestation (and the quote) equals
# SHA-512("ratls-cert:" || SPKI) computed here with openssl alone, verify
# accepts the certificate (also as an s_client -showcerts style chain), and
# tampering with the attestation's report data, the quote's REPORT_DATA, the
# SPKI, or a wrong app id fail naming the check. Two runs and a simulator
# restart keep the key and give a new attestation.
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

for l in p256 p384 rsa2048 ed; do
    run "cert-$l" K cert "$l" --subject "/CN=$l.example" --ra-tls
    cp "$TMP/cert-$l.out" "$TMP/$l.pem"
    run "text-$l" openssl x509 -in "$TMP/$l.pem" -noout -text
    grep -q "1.3.6.1.4.1.62397.1.8:" "$TMP/text-$l.out" || fail "$l: no attestation extension"
    grep -q "1.3.6.1.4.1.62397.1.3:" "$TMP/text-$l.out" || fail "$l: no app id extension"
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
    for c in signature validity attestation "ra-tls binding" "app id"; do
        grep -q "^ok   $c:" "$TMP/verify-$l.out" || { show_output "verify-$l"; fail "$l: verify did not print ok $c"; }
    done
    grep -q "^not checked: the TDX quote's signature" "$TMP/verify-$l.out" || fail "$l: verify does not say what it leaves out"
    run "verify-der-$l" V "$TMP/$l.der"
    { echo "CONNECTED(00000003)"; echo "---"; echo "Certificate chain"; cat "$TMP/$l.pem"; cat "$TMP/$l.pem"; echo "---"; } >"$TMP/$l.chain"
    run "verify-chain-$l" V "$TMP/$l.chain"

    # the quote's REPORT_DATA (first occurrence) and the attestation's (last)
    flip "$rd" first "$TMP/$l.der" "$TMP/$l-q.der"
    expect_exit 1 "tq-$l" V "$TMP/$l-q.der"
    grep -q "^FAIL ra-tls binding: .*quote's REPORT_DATA" "$TMP/tq-$l.out" || { show_output "tq-$l"; fail "$l: quote tamper not named"; }
    flip "$rd" last "$TMP/$l.der" "$TMP/$l-a.der"
    expect_exit 1 "ta-$l" V "$TMP/$l-a.der"
    grep -q "^FAIL ra-tls binding: .*attestation's report data" "$TMP/ta-$l.out" || { show_output "ta-$l"; fail "$l: attestation tamper not named"; }
    expect_exit 1 "app-$l" K verify "$TMP/$l.pem" --app-id 0000000000000000000000000000000000000001 --kms-root "$DEV_ROOT"
    grep -q "^FAIL app id" "$TMP/app-$l.out" || fail "$l: wrong app id not named"
    grep -q "NOT VALID (failed: app id)" "$TMP/app-$l.out" || fail "$l: verdict does not name app id"

    # a second run: same key, a new attestation
    run "cert2-$l" K cert "$l" --subject "/CN=$l.example" --ra-tls
    openssl x509 -in "$TMP/cert2-$l.out" -pubkey -noout | openssl pkey -pubin -outform DER >"$TMP/$l.spki2"
    cmp -s "$TMP/$l.spki" "$TMP/$l.spki2" || fail "$l: second run changed the key"
    # the attestation's quote ends with the fake marker and 32 fresh random bytes
    openssl x509 -in "$TMP/cert2-$l.out" -outform DER -out "$TMP/$l-2.der"
    python3 - "$TMP/$l.der" "$TMP/$l-2.der" <<'PY' || fail "$l: second run gave the same attestation"
import sys
m = b'DSTACK-SIMULATOR-FAKE-QUOTE'
a, b = (open(f, 'rb').read() for f in sys.argv[1:3])
sa, sb = (x[x.index(m) + len(m):][:32] for x in (a, b))
sys.exit(0 if len(sa) == 32 and sa != sb else 1)
PY
done
ok "cert --ra-tls -> verify for p256, p384, rsa2048, ed25519; report data = openssl's SHA-512(\"ratls-cert:\"||SPKI); tampering and wrong app id named"

# a byte of the RSA modulus: the SPKI no longer matches the attestation
mod=$(openssl x509 -in "$TMP/rsa2048.pem" -noout -modulus | cut -d= -f2 | cut -c 201-232)
flip "$mod" first "$TMP/rsa2048.der" "$TMP/rsa-spki.der"
expect_exit 1 spki V "$TMP/rsa-spki.der"
grep -q "^FAIL ra-tls binding: .*attestation's report data" "$TMP/spki.out" || { show_output spki; fail "SPKI tamper not named"; }
ok "a changed SPKI fails the binding"

# after a simulator restart: the same key
sim_stop
sim_start
run cert3 K cert p256 --subject /CN=p256.example --ra-tls
openssl x509 -in "$TMP/cert3.out" -pubkey -noout | openssl pkey -pubin -outform DER >"$TMP/p256.spki3"
cmp -s "$TMP/p256.spki" "$TMP/p256.spki3" || fail "restart changed the key"
run verify3 V "$TMP/cert3.out"
ok "after a simulator restart the key is the same and verify accepts the new certificate"

expect_exit 2 stmt-alone K cert p256 --subject /CN=x --statement
err_has stmt-alone "--statement goes with --ra-tls"
ok "--statement without --ra-tls: exit 2"
