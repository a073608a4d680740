#!/bin/bash
# Java 17 (Debian openjdk-17-jdk-headless) through SunPKCS11 with nothing
# but the module's path in its configuration: `keytool -list` shows every
# key (each has its self-signed certificate object, keys/selfcert.c), and
# jarsigner signs a jar with the RSA-2048 key that `jarsigner -verify`
# accepts; the signer certificate's key is the dstack key's. Three JVM
# starts in all (they dominate this test's time).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
need keytool jarsigner

progs_setup
# SunPKCS11's configuration: the module and its first slot (the token
# "dstack"). The token has no PIN: any -storepass is accepted by C_Login.
cat >"$TMP/sunpkcs11.cfg" <<CFG
name = dstack
library = $PKCS11_MODULE
slotListIndex = 0
CFG
J=(-keystore NONE -storetype PKCS11 -providerClass sun.security.pkcs11.SunPKCS11
   -providerArg "$TMP/sunpkcs11.cfg" -storepass dstack)

run keytool keytool -list -v "${J[@]}"
for l in web rsa; do
    grep -q "^Alias name: $l\$" "$TMP/keytool.out" || fail "keytool -list lacks $l: $(cat "$TMP/keytool.out")"
    grep -q "Owner: CN=$l\$" "$TMP/keytool.out" || fail "keytool -list: no certificate CN=$l"
done
grep -c "Entry type: PrivateKeyEntry" "$TMP/keytool.out" | grep -qx 2 ||
    fail "keytool -list: want 2 private key entries: $(cat "$TMP/keytool.out")"
ok "keytool -list (SunPKCS11) shows every key with its certificate"

python3 - "$TMP/app.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: dstack-pkcs11 test\r\n\r\n")
    z.writestr("hello.txt", "hello from a jar signed by a dstack key\n")
PY
run jarsigner jarsigner "${J[@]}" -sigalg SHA256withRSA "$TMP/app.jar" rsa
run jarsigner-verify jarsigner -verify -verbose -certs "$TMP/app.jar"
grep -q "jar verified" "$TMP/jarsigner-verify.out" || fail "jarsigner -verify: $(cat "$TMP/jarsigner-verify.out")"
# the signature block's certificate is the dstack key's
unzip -p "$TMP/app.jar" META-INF/RSA.RSA >"$TMP/sig.p7" 2>/dev/null ||
    unzip -p "$TMP/app.jar" 'META-INF/*.RSA' >"$TMP/sig.p7"
run p7 D pkcs7 -inform DER -in "$TMP/sig.p7" -print_certs -out "$TMP/jar-signer.crt"
same_pub jar "$TMP/jar-signer.crt" rsa
ok "jarsigner signs with the dstack RSA key; jarsigner -verify accepts the jar"
