#!/bin/bash
# Issue 13, item 14. inline_keys = no (in the configuration file, or in
# openssl.cnf) makes the provider refuse keys named inline, in a reference
# file or as a URI, so that a service taking key files from users cannot be
# made to sign with any key of the app; configured labels keep working. And
# an RSA key decrypts only when its usage says so.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"

sim_start
provconf
refs
head -c 32 /dev/urandom >"$TMP/dgst"
INLINE_WEB=$(inline_uri web)

# Default: inline references work.
run inline-on P pkeyutl -sign -inkey "$TMP/ref-inline-web.pem" -in "$TMP/dgst" -out "$TMP/on.sig"

check_refused() { # name: the .err of a must_fail run names the setting
    grep -q "inline dstack: URIs are turned off (inline_keys = no)" "$TMP/$1.err" ||
        fail "$1: no clear refusal: $(cat "$TMP/$1.err")"
}
off_runs() { # tag
    must_fail "off-ref-$1" P pkeyutl -sign -inkey "$TMP/ref-inline-web.pem" -in "$TMP/dgst" -out "$TMP/x.sig"
    check_refused "off-ref-$1"
    must_fail "off-uri-$1" P pkey -in "$INLINE_WEB" -pubout
    check_refused "off-uri-$1"
    run "off-label-$1" P pkeyutl -sign -inkey "$TMP/ref-web.pem" -in "$TMP/dgst" -out "$TMP/label.sig"
}

# inline_keys = no in the key configuration.
printf '[token]\ninline_keys = no\n' >>"$DSKCONF"
off_runs conf
ok "inline_keys = no in the configuration: inline reference files and URIs refused, labels work"

# inline_keys = no in openssl.cnf (configuration file back to the default).
provconf
sed -i 's/^activate = 1$/activate = 1/; /^dstack_conf = /a inline_keys = no' "$CNF_DSTACK"
grep -q '^inline_keys = no' "$CNF_DSTACK" || fail "could not add inline_keys to openssl.cnf"
off_runs cnf
ok "inline_keys = no in openssl.cnf: the same"

# RSA: sign only unless usage asks for decrypt.
provconf
run rsa-pub P pkey -in dstack:rsa -pubout -out "$TMP/rsa.pub"
printf 'secret' >"$TMP/secret"
run rsa-enc D pkeyutl -encrypt -pubin -inkey "$TMP/rsa.pub" -in "$TMP/secret" -out "$TMP/ct"
must_fail rsa-dec-default P pkeyutl -decrypt -inkey "dstack:path=${KPATH[rsa]};type=rsa-2048" -in "$TMP/ct"
grep -q "does not allow decrypt" "$TMP/rsa-dec-default.err" ||
    fail "an RSA key without usage decrypted, or no clear message: $(cat "$TMP/rsa-dec-default.err")"
run rsa-dec-asked P pkeyutl -decrypt -inkey "dstack:path=${KPATH[rsa]};type=rsa-2048;usage=sign,decrypt" \
    -in "$TMP/ct" -out "$TMP/pt"
cmp -s "$TMP/pt" "$TMP/secret" || fail "decryption with usage=sign,decrypt gave other bytes"
printf '[key r2]\npath = %s\ntype = rsa-2048\n' "${KPATH[rsa]}" >>"$DSKCONF"
must_fail rsa-dec-conf P pkeyutl -decrypt -inkey dstack:r2 -in "$TMP/ct"
grep -q "does not allow decrypt" "$TMP/rsa-dec-conf.err" || fail "[key r2] without usage decrypted: $(cat "$TMP/rsa-dec-conf.err")"
run rsa-sign-default P pkeyutl -sign -inkey dstack:r2 -in "$TMP/dgst" -out "$TMP/r2.sig"
ok "RSA keys sign by default and decrypt only with usage = sign, decrypt"
