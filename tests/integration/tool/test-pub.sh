#!/bin/bash
# dstack-key pub and ref against the simulator: PEM and DER are the public
# key the provider gives; --format ssh is the line ssh-keygen -D prints for
# the PKCS#11 module's key; eth is the SDKs' address for /eth/main-wallet;
# jwk carries the same numbers as the DER key (checked by python3, not by
# our code); ref is byte for byte the file the provider's encoder writes.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../provider/provlib.sh"
provconf # the openssl.cnf files; $CNF_DSTACK reads $DSKCONF, which toolconf rewrites
. "$here/toollib.sh"

sim_start
toolconf

# ---- pem and der, against OpenSSL reading them ----------------------------
for l in $TOOL_LABELS; do
    run "pem-$l" K pub "$l"
    run "der-$l" K pub --format der "$l"
    run "pem2der-$l" openssl pkey -pubin -in "$TMP/pem-$l.out" -outform DER -out "$TMP/pem2der-$l.der"
    cmp -s "$TMP/pem2der-$l.der" "$TMP/der-$l.out" || fail "$l: --format der differs from the PEM's DER"
done
ok "pub --format pem|der for all 7 types: OpenSSL reads the PEM, and its DER is --format der"

# ---- the same key as the provider gives -----------------------------------
for l in p256 ed k1; do
    run "prov-$l" env OPENSSL_CONF="$CNF_DSTACK" openssl pkey -in "dstack:$l" -pubout -outform DER -out "$TMP/prov-$l.der"
    cmp -s "$TMP/prov-$l.der" "$TMP/der-$l.out" || fail "$l: pub differs from the provider's public key"
done
ok "pub gives the provider's public key (ec-p256, ed25519, secp256k1)"

# ---- ref: the provider's encoder output, byte for byte ---------------------
for uri in p256 'dstack:path=/it/tool/inline;type=ec-p384'; do
    name=ref-$(echo "$uri" | tr -c 'a-z0-9\n' _)
    full=$uri
    [[ $uri == dstack:* ]] || full="dstack:$uri"
    run "$name" K ref "$uri"
    run "$name-prov" env OPENSSL_CONF="$CNF_DSTACK" openssl pkey -in "$full" -out "$TMP/$name.prov.pem"
    cmp -s "$TMP/$name.out" "$TMP/$name.prov.pem" || fail "ref $uri differs from the provider's reference file"
done
[ "$(sed -n 2p "$TMP/ref-p256.out" | base64 -d)" = dstack:p256 ] || fail "ref p256 does not hold dstack:p256"
ok "ref KEY is byte for byte what openssl pkey -in dstack:KEY -out writes (label and inline URI)"

# ---- ssh: ssh-keygen -D through the PKCS#11 module -------------------------
# OpenSSH 9.2 cannot read secp256k1 keys: give it the keys it can read.
for l in p256 p384 rsa2048; do
    printf '[key %s]\npath = /it/tool/%s\ntype = %s\n\n' "$l" "$l" "${KTYPE[$l]}"
done >"$TMP/ssh.conf"
run keygen-D env DSTACK_PKCS11_CONF="$TMP/ssh.conf" ssh-keygen -D "$PKCS11_MODULE"
for l in p256 p384 rsa2048; do
    run "ssh-$l" K pub --format ssh "$l"
    line=$(cut -d' ' -f1,2 "$TMP/ssh-$l.out")
    grep -qxF "$line" <(cut -d' ' -f1,2 "$TMP/keygen-D.out") ||
        fail "$l: '$line' is not a line of ssh-keygen -D: $(cat "$TMP/keygen-D.out")"
done
run ssh-ed K pub --format ssh ed
run ssh-ed-check ssh-keygen -l -f "$TMP/ssh-ed.out"
expect_exit 5 ssh-k1 K pub --format ssh k1
err_has ssh-k1 "no OpenSSH form"
ok "pub --format ssh equals ssh-keygen -D's line (p256, p384, rsa-2048); ed25519 read by ssh-keygen; secp256k1 refused"

# ---- eth ------------------------------------------------------------------
run eth K pub --format eth wallet
[ "$(cat "$TMP/eth.out")" = 0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0 ] ||
    fail "eth address of /eth/main-wallet: $(cat "$TMP/eth.out")"
expect_exit 5 eth-p256 K pub --format eth p256
err_has eth-p256 "only secp256k1"
ok "pub --format eth gives 0x3a9C91C6Deb255D7965B0991576b4A1C0438aEa0 for /eth/main-wallet"

# ---- jwk: decoded by python3, compared with the DER key's numbers ----------
for l in $TOOL_LABELS; do
    run "jwk-$l" K pub --format jwk "$l"
    run "jwk-check-$l" python3 - "$TMP/jwk-$l.out" "$TMP/der-$l.out" "${KTYPE[$l]}" <<'PY'
import base64, json, subprocess, sys
jwk = json.load(open(sys.argv[1]))
der = open(sys.argv[2], 'rb').read()
t = sys.argv[3]
b = lambda s: base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
assert not any('=' in v for v in jwk.values() if isinstance(v, str)), 'padding in JWK'
if t == 'ed25519':
    assert jwk == {'kty': 'OKP', 'crv': 'Ed25519', 'x': jwk['x']}, jwk
    assert b(jwk['x']) == der[-32:]
elif t.startswith('rsa'):
    assert set(jwk) == {'kty', 'n', 'e'} and jwk['kty'] == 'RSA', jwk
    mod = subprocess.run(['openssl', 'rsa', '-pubin', '-inform', 'DER', '-noout', '-modulus'],
                         input=der, capture_output=True, check=True).stdout.decode().strip()
    assert int(mod.split('=')[1], 16) == int.from_bytes(b(jwk['n']), 'big')
    assert b(jwk['n'])[0] != 0 and int.from_bytes(b(jwk['e']), 'big') == 65537
else:
    crv = {'secp256k1': 'secp256k1', 'ec-p256': 'P-256', 'ec-p384': 'P-384'}[t]
    assert jwk['kty'] == 'EC' and jwk['crv'] == crv and set(jwk) == {'kty', 'crv', 'x', 'y'}, jwk
    n = {'P-256': 32, 'secp256k1': 32, 'P-384': 48}[crv]
    x, y = b(jwk['x']), b(jwk['y'])
    assert len(x) == n and len(y) == n
    assert der[-(2 * n + 1):] == b'\x04' + x + y
PY
done
ok "pub --format jwk for all 7 types carries the DER key's numbers (RFC 7517/7518/8037 members)"
