#!/bin/bash
# Programs that make the libp11 engine the DEFAULT for everything (issue 11:
# every key failed with "cannot build the prime256v1 key pair" once they
# did): `openssl ... -engine pkcs11 -keyform engine` signs with pkcs11: keys
# of our module, and osslsigncode signs a PE file with -pkcs11engine /
# -pkcs11module, which `osslsigncode verify` accepts. P-256 and RSA-2048.
# The provider is configured in the same processes (engine_cnf): both
# front ends and the engine live together.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
need osslsigncode
[ -f "$ENGINE_SO" ] || fail "libp11 engine not installed ($ENGINE_SO): run scripts/deps.sh test"

progs_setup
engine_cnf "$TMP/engine.cnf"
export OPENSSL_CONF="$TMP/engine.cnf"
printf 'signed by the engine\n' >"$TMP/msg"

for l in web rsa; do
    uri="pkcs11:token=dstack;object=$l;type=private"
    run "sign-$l" openssl dgst -sha256 -engine pkcs11 -keyform engine -sign "$uri" \
        -out "$TMP/$l.sig" "$TMP/msg"
    run "verify-$l" D dgst -sha256 -verify "$TMP/$l.pub" -signature "$TMP/$l.sig" "$TMP/msg"
    grep -q "Verified OK" "$TMP/verify-$l.out" || fail "engine signature by $l does not verify"
    # a certificate request signed through the engine, checked by the default provider
    run "req-$l" openssl req -new -engine pkcs11 -keyform engine -key "$uri" -subj "/CN=$l" \
        -out "$TMP/$l.csr"
    run "reqv-$l" D req -in "$TMP/$l.csr" -verify -noout
    # and the provider's dstack: key in the same process as the default engine
    run "prov-$l" openssl dgst -sha256 -engine pkcs11 -sign "dstack:$l" -out "$TMP/$l.psig" "$TMP/msg"
    run "pverify-$l" D dgst -sha256 -verify "$TMP/$l.pub" -signature "$TMP/$l.psig" "$TMP/msg"
done
ok "openssl -engine pkcs11 signs with pkcs11: keys (P-256, RSA-2048), provider alongside"

# osslsigncode: an RSA code-signing certificate from the key itself
run cert-rsa openssl req -x509 -new -engine pkcs11 -keyform engine \
    -key "pkcs11:token=dstack;object=rsa;type=private" -subj "/CN=dstack code signing" -days 2 \
    -addext "extendedKeyUsage=codeSigning" -out "$TMP/code.crt"
# the smallest PE file osslsigncode accepts: a DOS stub with a PE header
python3 - "$TMP/app.exe" <<'PY'
import struct, sys
pe = bytearray(1024)
pe[0:2] = b"MZ"; struct.pack_into("<I", pe, 0x3c, 0x80)
pe[0x80:0x84] = b"PE\0\0"
struct.pack_into("<HHIIIHH", pe, 0x84, 0x14c, 1, 0, 0, 0, 0xe0, 0x102)
opt = 0x98
struct.pack_into("<H", pe, opt, 0x10b)                        # PE32
struct.pack_into("<I", pe, opt + 16, 0x1000)                  # entry point
struct.pack_into("<I", pe, opt + 28, 0x400000)                # image base
struct.pack_into("<II", pe, opt + 32, 0x1000, 0x200)          # alignments
struct.pack_into("<H", pe, opt + 40, 4)                       # OS major
struct.pack_into("<H", pe, opt + 48, 4)                       # subsystem major
struct.pack_into("<II", pe, opt + 56, 0x2000, 0x200)          # image, headers size
struct.pack_into("<H", pe, opt + 68, 3)                       # console
struct.pack_into("<I", pe, opt + 92, 16)                      # data directories
sec = opt + 0xe0
pe[sec:sec + 8] = b".text\0\0\0"
struct.pack_into("<IIII", pe, sec + 8, 0x200, 0x1000, 0x200, 0x200)
struct.pack_into("<I", pe, sec + 36, 0x60000020)
open(sys.argv[1], "wb").write(pe)
PY
OPENSSL_CONF="$CNF_DSTACK" run osslsigncode osslsigncode sign -pkcs11engine "$ENGINE_SO" -pkcs11module "$PKCS11_MODULE" \
    -key "pkcs11:token=dstack;object=rsa;type=private" -certs "$TMP/code.crt" -h sha256 \
    -in "$TMP/app.exe" -out "$TMP/app-signed.exe"
run osslsigncode-verify osslsigncode verify -CAfile "$TMP/code.crt" -in "$TMP/app-signed.exe"
grep -q "Signature verification: ok" "$TMP/osslsigncode-verify.out" ||
    fail "osslsigncode verify: $(cat "$TMP/osslsigncode-verify.out")"
ok "osslsigncode signs through -pkcs11engine/-pkcs11module; osslsigncode verify accepts it"
