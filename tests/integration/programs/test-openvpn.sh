#!/bin/bash
# OpenVPN 2.6 (Debian openvpn) finds keys through certificate objects:
# `openvpn --show-pkcs11-ids MODULE` lists every key (web, P-256; rsa,
# RSA-2048) with nothing configured but the keys (self-signed certificates,
# keys/selfcert.c), each with the subject CN=<label>; and `certificate =
# none` takes a key out of that list.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
need openvpn

progs_setup
run ids openvpn --show-pkcs11-ids "$PKCS11_MODULE"
for l in web rsa; do
    grep -q "DN:.*CN=$l" "$TMP/ids.out" || fail "openvpn --show-pkcs11-ids lacks $l: $(cat "$TMP/ids.out")"
done
grep -c "Serialized id:" "$TMP/ids.out" | grep -qx 2 || fail "want 2 ids: $(cat "$TMP/ids.out")"
ok "openvpn --show-pkcs11-ids lists every key"

sed -i "/^\[key rsa\]/a certificate = none" "$DSKCONF"
run ids-none openvpn --show-pkcs11-ids "$PKCS11_MODULE"
grep -q "CN=rsa" "$TMP/ids-none.out" && fail "certificate = none still lists rsa: $(cat "$TMP/ids-none.out")"
grep -q "CN=web" "$TMP/ids-none.out" || fail "web vanished: $(cat "$TMP/ids-none.out")"
ok "certificate = none: no certificate object"
