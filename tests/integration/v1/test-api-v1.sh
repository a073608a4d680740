#!/bin/bash
# Keys with api = v1 (dstack 0.6's /v1 GetKey) through the real programs:
# pkcs11-tool signs, openssl signs through the provider (label and inline
# dstack:api=v1;domain=...), nginx serves TLS with one; every public key is
# the one of tests/vectors/derivation-api-v1.json (the independent Python
# reference) and differs from the v0 key of the same name. All of it with
# kms_root = the development KMS root (verify = require): provenance
# verification anchors the v1 keys to that root (the v1 claim over the
# domain), which the module's log, the provider's log and dstack-key list
# --check say; a spoofed agent's v1 keys are refused naming both roots.
# Then an agent before 0.6 (simulator --pre-0.6): v1 keys fail with the
# message that says so, v0 keys keep working.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../provider/provlib.sh"

command -v pkcs11-tool >/dev/null || fail "pkcs11-tool not installed (opensc)"
[ -x "$NGINX" ] || fail "nginx not installed: $NGINX"
VEC="$DSK_SRCDIR/tests/vectors/derivation-api-v1.json"
DEV_ROOT=0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6
if [ -n "${DSK_INSTALLED:-}" ]; then
    DSTACK_KEY=$(installed_file dstack-pkcs11 '^/usr/bin/dstack-key$')
else
    DSTACK_KEY="$DSK_BUILDDIR/tool/dstack-key"
fi

sim_start
# provconf's v0 set plus v1 keys; [key web1] and [key web0] share a name.
provconf "[key web1]" "api = v1" "domain = my-app/tls" "type = ec-p256" "id = 11" "" \
    "[key k1v1]" "api = v1" "domain = my-app/tls" "type = secp256k1" "id = 12" "" \
    "[key edv1]" "api = v1" "domain = my-app/tls" "type = ed25519" "" \
    "[key rsav1]" "api = v1" "domain = my-app/tls" "type = rsa-2048" "id = 14" "" \
    "[key web0]" "path = my-app/tls" "type = ec-p256" "id = 10" "" \
    "[token]" "kms_root = $DEV_ROOT"
export DSTACK_PKCS11_CONF="$DSKCONF"

# vec_pub TYPE DOMAIN: the vector file's public key (hex) or RSA modulus.
vec_pub() {
    python3 - "$VEC" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
for v in d["vectors"]:
    if v["type"] == sys.argv[2] and v["domain"] == sys.argv[3]:
        print(v.get("public_key") or v["n"])
        break
else:
    sys.exit("no vector for %s %r" % (sys.argv[2], sys.argv[3]))
PY
}
# spki_hex PEMFILE: the raw public key (EC point / Ed25519 bytes) or RSA n.
spki_hex() {
    python3 - "$1" <<'PY'
import base64, sys
der = base64.b64decode("".join(l.strip() for l in open(sys.argv[1]) if not l.startswith("-----")))
def tlv(b, i):
    """(tag, content start, content end) of the DER element at i."""
    n, h = b[i + 1], 2
    if n & 0x80:
        k = n & 0x7f
        n, h = int.from_bytes(b[i + 2:i + 2 + k], "big"), 2 + k
    return b[i], i + h, i + h + n
_, s, _ = tlv(der, 0)            # SubjectPublicKeyInfo
_, _, e = tlv(der, s)            # AlgorithmIdentifier
tag, bs, be = tlv(der, e)        # BIT STRING
bits = der[bs + 1:be]
if bits[0] == 0x30:              # RSAPublicKey: the modulus
    _, rs, _ = tlv(bits, 0)
    _, ns, ne = tlv(bits, rs)
    print("%x" % int.from_bytes(bits[ns:ne], "big"))
else:
    print(bits.hex())
PY
}

for l in web1 k1v1 edv1 rsav1 web0; do
    run "pub-$l" P pkey -in "dstack:$l" -pubout -out "$TMP/$l.pub"
done
declare -A VT=([web1]=ec-p256 [k1v1]=secp256k1 [edv1]=ed25519 [rsav1]=rsa-2048)
for l in web1 k1v1 edv1 rsav1; do
    want=$(vec_pub "${VT[$l]}" my-app/tls)
    got=$(spki_hex "$TMP/$l.pub")
    [ "$got" = "$want" ] || fail "$l: public key $got, the vector file says $want"
done
cmp -s "$TMP/web1.pub" "$TMP/web0.pub" && fail "the v1 and v0 keys named my-app/tls are equal"
ok "api = v1 keys (ec-p256, secp256k1, ed25519, rsa-2048, domain my-app/tls) have the public keys of derivation-api-v1.json; the v0 key of that path differs"

# ---- provenance: anchored to the development root ------------------------
export DSTACK_PKCS11_DEBUG=info
for l in web1 k1v1 edv1 rsav1; do
    run "anchor-$l" P pkey -in "dstack:$l" -pubout
    grep -q "key '$l' .*anchored to the pinned KMS root $DEV_ROOT" "$TMP/anchor-$l.err" ||
        fail "provider, $l: not logged anchored to $DEV_ROOT: $(cat "$TMP/anchor-$l.err")"
done
unset DSTACK_PKCS11_DEBUG
run list-check "$DSTACK_KEY" list --check
for l in web1 k1v1 edv1 rsav1; do
    grep -Eq "^$l +[a-z0-9-]+ +v1:my-app/tls .*anchored to KMS root $DEV_ROOT\$" "$TMP/list-check.out" ||
        fail "dstack-key list --check: $l not anchored: $(cat "$TMP/list-check.out")"
done
ok "kms_root = development root, verify = require: the api = v1 keys' chains (v1 claim over the domain) are anchored to $DEV_ROOT (provider log, dstack-key list --check)"

# ---- openssl through the provider ---------------------------------------
echo "message signed with a v1 key" >"$TMP/msg"
run inline-pub P pkey -in "dstack:api=v1;domain=my-app/tls;type=ec-p256" -pubout -out "$TMP/inline.pub"
cmp -s "$TMP/inline.pub" "$TMP/web1.pub" || fail "dstack:api=v1;domain=my-app/tls;type=ec-p256 is not [key web1]"
for l in web1 k1v1 rsav1; do
    run "sign-$l" P dgst -sha256 -sign "dstack:$l" -out "$TMP/$l.sig" "$TMP/msg"
    run "verify-$l" D dgst -sha256 -verify "$TMP/$l.pub" -signature "$TMP/$l.sig" "$TMP/msg"
done
run sign-edv1 P pkeyutl -sign -inkey dstack:edv1 -rawin -in "$TMP/msg" -out "$TMP/edv1.sig"
run verify-edv1 D pkeyutl -verify -pubin -inkey "$TMP/edv1.pub" -rawin -in "$TMP/msg" -sigfile "$TMP/edv1.sig"
run sign-inline P dgst -sha256 -sign "dstack:api=v1;domain=my-app/tls;type=ec-p256" -out "$TMP/in.sig" "$TMP/msg"
run verify-inline D dgst -sha256 -verify "$TMP/web1.pub" -signature "$TMP/in.sig" "$TMP/msg"
run ref-inline P pkey -in "dstack:api=v1;domain=my-app/tls;type=ec-p256" -out "$TMP/ref-inline.pem"
base64 -d <(grep -v -- ----- "$TMP/ref-inline.pem") | grep -q '^dstack:api=v1;domain=my-app/tls;type=ec-p256$' ||
    fail "the reference file does not hold the v1 URI"
must_fail bad-uri P pkey -in "dstack:api=v1;path=my-app/tls;type=ec-p256" -pubout
grep -q 'a v1 key is named by domain=' "$TMP/bad-uri.err" || fail "api=v1 with path: $(cat "$TMP/bad-uri.err")"
ok "openssl (provider): dstack:web1 and dstack:api=v1;domain=my-app/tls;type=ec-p256 sign (P-256, secp256k1, RSA, Ed25519), the default provider verifies; api=v1 with path= refused"

# ---- pkcs11-tool ----------------------------------------------------------
M="$PKCS11_MODULE"
run list pkcs11-tool --module "$M" -O
grep -q 'label: *web1' "$TMP/list.out" || fail "pkcs11-tool -O does not list web1"
openssl dgst -sha256 -binary "$TMP/msg" >"$TMP/msg.sha256"
run p11-sign pkcs11-tool --module "$M" --sign --id 11 -m ECDSA -i "$TMP/msg.sha256" -o "$TMP/p11.sig" \
    --signature-format openssl
run p11-verify D pkeyutl -verify -pubin -inkey "$TMP/web1.pub" -in "$TMP/msg.sha256" -sigfile "$TMP/p11.sig"
run p11-sign-rsa pkcs11-tool --module "$M" --sign --id 14 -m SHA256-RSA-PKCS -i "$TMP/msg" -o "$TMP/p11r.sig"
run p11-verify-rsa D dgst -sha256 -verify "$TMP/rsav1.pub" -signature "$TMP/p11r.sig" "$TMP/msg"
run p11-sign-k1 pkcs11-tool --module "$M" --sign --id 12 -m ECDSA -i "$TMP/msg.sha256" -o "$TMP/p11k.sig" \
    --signature-format openssl
run p11-verify-k1 D pkeyutl -verify -pubin -inkey "$TMP/k1v1.pub" -in "$TMP/msg.sha256" -sigfile "$TMP/p11k.sig"
DSTACK_PKCS11_DEBUG=info pkcs11-tool --module "$M" --sign --id 11 -m ECDSA -i "$TMP/msg.sha256" \
    -o "$TMP/p11a.sig" >"$TMP/p11-anchor.out" 2>"$TMP/p11-anchor.err" ||
    fail "pkcs11-tool, web1 under require: $(cat "$TMP/p11-anchor.err")"
grep -q "key 'web1' .*anchored to the pinned KMS root $DEV_ROOT" "$TMP/p11-anchor.err" ||
    fail "module, web1: not logged anchored to $DEV_ROOT: $(cat "$TMP/p11-anchor.err")"
ok "pkcs11-tool signs with api = v1 keys (ECDSA P-256, ECDSA secp256k1, RSA PKCS#1) under verify = require, the module logs web1 anchored; openssl verifies with the provider's public keys"

# ---- nginx ----------------------------------------------------------------
run ref-web1 P pkey -in dstack:web1 -out "$TMP/ref-web1.pem"
cert web1
ng_servers() {
    cat <<CONF
    server {
        listen 127.0.0.1:$PORT ssl;
        server_name localhost;
        ssl_certificate $TMP/web1.crt;
        ssl_certificate_key $TMP/ref-web1.pem;
        location / { return 200 "v1 key over \$ssl_protocol\n"; }
    }
CONF
}
ng_start PORT
run curl curl -sS --fail --cacert "$TMP/web1.crt" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/"
grep -q '^v1 key over TLSv1\.[23]$' "$TMP/curl.out" || fail "nginx page: $(cat "$TMP/curl.out")"
run sclient D s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$TMP/web1.crt" \
    -verify_return_error -brief </dev/null
ng_stop
ok "nginx serves HTTPS with ssl_certificate_key = reference to an api = v1 key under verify = require; curl and s_client verify"

# ---- a spoofed agent (app key signed by another KMS): v1 keys refused -----
sim_stop
run make-spoof "$SIMULATOR" --make-appkeys "$TMP/spoof.json" --kms-key 0303030303030303030303030303030303030303030303030303030303030303
SPOOF_ROOT=$(cat "$TMP/make-spoof.out")
sim_start --keys "$TMP/spoof.json"
for l in web1 edv1; do
    must_fail "spoof-$l" P pkey -in "dstack:$l" -pubout
    grep -q "$SPOOF_ROOT" "$TMP/spoof-$l.err" && grep -q "$DEV_ROOT" "$TMP/spoof-$l.err" ||
        fail "spoofed agent, $l: the message does not name both roots: $(cat "$TMP/spoof-$l.err")"
done
must_fail spoof-p11 pkcs11-tool --module "$M" --sign --id 11 -m ECDSA -i "$TMP/msg.sha256" -o "$TMP/sp.sig"
grep -q CKR_DEVICE_ERROR "$TMP/spoof-p11.err" || fail "pkcs11-tool, spoofed agent: $(cat "$TMP/spoof-p11.err")"
ok "spoofed agent, verify = require: api = v1 keys refused by the provider (naming $SPOOF_ROOT and $DEV_ROOT) and pkcs11-tool (CKR_DEVICE_ERROR)"

# ---- an agent before dstack 0.6 -------------------------------------------
sim_stop
sim_start --pre-0.6
must_fail old-v1 P pkey -in dstack:web1 -pubout
grep -q "predates dstack 0.6; use \`api = v0\`" "$TMP/old-v1.err" || fail "provider, v1 key on a pre-0.6 agent: $(cat "$TMP/old-v1.err")"
grep -q "key 'web1' (api v1, domain 'my-app/tls')" "$TMP/old-v1.err" || fail "the message does not name the key: $(cat "$TMP/old-v1.err")"
if pkcs11-tool --module "$M" --sign --id 11 -m ECDSA -i "$TMP/msg.sha256" -o "$TMP/old.sig" \
    >"$TMP/old-p11.out" 2>"$TMP/old-p11.err"; then
    fail "pkcs11-tool signed with a v1 key on a pre-0.6 agent"
fi
DSTACK_PKCS11_DEBUG=error pkcs11-tool --module "$M" --sign --id 11 -m ECDSA -i "$TMP/msg.sha256" \
    -o "$TMP/old.sig" >/dev/null 2>"$TMP/old-p11d.err" || true
grep -q "predates dstack 0.6; use \`api = v0\`" "$TMP/old-p11d.err" || fail "module log: $(cat "$TMP/old-p11d.err")"
run old-v0 P dgst -sha256 -sign dstack:web0 -out "$TMP/old0.sig" "$TMP/msg"
run old-v0-verify D dgst -sha256 -verify "$TMP/web0.pub" -signature "$TMP/old0.sig" "$TMP/msg"
run old-p11-v0 pkcs11-tool --module "$M" --sign --id 10 -m ECDSA -i "$TMP/msg.sha256" -o "$TMP/old0p.sig" \
    --signature-format openssl
run old-p11-v0-verify D pkeyutl -verify -pubin -inkey "$TMP/web0.pub" -in "$TMP/msg.sha256" -sigfile "$TMP/old0p.sig"
ok "pre-0.6 agent: v1 keys fail with 'the agent predates dstack 0.6; use api = v0' (provider and module), v0 keys keep signing"
