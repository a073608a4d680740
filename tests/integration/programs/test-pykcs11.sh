#!/bin/bash
# PyKCS11 (Debian python3-pykcs11) on our module: lists the keys (private,
# public and certificate objects of web and rsa), signs with ECDSA (P-256)
# and RSA PKCS#1 v1.5 (RSA-2048), decrypts RSA PKCS#1 v1.5; the default
# provider alone verifies the signatures and made the ciphertext.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
/usr/bin/python3 -c 'import PyKCS11' 2>/dev/null || fail "python3-pykcs11 is not installed: run scripts/deps.sh test"

progs_setup
printf 'signed through PyKCS11\n' >"$TMP/msg"
printf 'a secret for rsa\n' >"$TMP/plain"
run enc D pkeyutl -encrypt -pubin -inkey "$TMP/rsa.pub" -in "$TMP/plain" -out "$TMP/cipher"
run pykcs11 /usr/bin/python3 - "$PKCS11_MODULE" "$TMP" <<'PY'
import hashlib, sys
import PyKCS11
from PyKCS11 import LowLevel as LL

module, tmp = sys.argv[1], sys.argv[2]
lib = PyKCS11.PyKCS11Lib()
lib.load(module)
slot = [s for s in lib.getSlotList(tokenPresent=True)
        if lib.getTokenInfo(s).label.strip() == "dstack"][0]
s = lib.openSession(slot)

def labels(cls):
    return sorted(s.getAttributeValue(o, [LL.CKA_LABEL])[0]
                  for o in s.findObjects([(LL.CKA_CLASS, cls)]))

for cls in (LL.CKO_PRIVATE_KEY, LL.CKO_PUBLIC_KEY, LL.CKO_CERTIFICATE):
    got = labels(cls)
    assert got == ["rsa", "web"], (cls, got)
    print("class", cls, got)

def key(label):
    return s.findObjects([(LL.CKA_CLASS, LL.CKO_PRIVATE_KEY), (LL.CKA_LABEL, label)])[0]

msg = open(tmp + "/msg", "rb").read()
# ECDSA over the SHA-256 digest: raw r||s, written as DER for openssl
rs = bytes(s.sign(key("web"), hashlib.sha256(msg).digest(), PyKCS11.Mechanism(LL.CKM_ECDSA)))
def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return bytes([2, len(b)]) + b
body = der_int(rs[:32]) + der_int(rs[32:])
open(tmp + "/web.sig", "wb").write(bytes([0x30, len(body)]) + body)
sig = bytes(s.sign(key("rsa"), msg, PyKCS11.Mechanism(LL.CKM_SHA256_RSA_PKCS)))
open(tmp + "/rsa.sig", "wb").write(sig)
ct = open(tmp + "/cipher", "rb").read()
pt = bytes(s.decrypt(key("rsa"), ct, PyKCS11.Mechanism(LL.CKM_RSA_PKCS)))
open(tmp + "/decrypted", "wb").write(pt)
s.closeSession()
PY
for l in web rsa; do
    run "verify-$l" D dgst -sha256 -verify "$TMP/$l.pub" -signature "$TMP/$l.sig" "$TMP/msg"
done
cmp -s "$TMP/plain" "$TMP/decrypted" || fail "PyKCS11 decryption gave $(od -c "$TMP/decrypted" | head -3)"
ok "PyKCS11 lists, signs (P-256, RSA-2048) and decrypts (RSA-2048)"
