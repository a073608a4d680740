#!/bin/bash
# gnupg-pkcs11-scd (Debian 0.10) as gpg-agent's scdaemon, on our module:
# it finds the RSA-2048 key through its self-signed certificate object
# (keys/selfcert.c, nothing configured; it ignores EC keys), its keygrip is
# the dstack key's, an OpenPGP key is made on it (Key-Grip: the private key
# stays on the card) and gpg signs with it; then, with the keygrip in the
# card's signature slot (openpgp-sign), `gpg --card-status` shows it there
# and gpg still signs.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
need gpg gpg-agent gpgconf /usr/bin/gnupg-pkcs11-scd

progs_setup
# libgcrypt's RSA keygrip: SHA-1 of the modulus as an unsigned integer with
# a 0x00 in front when its top bit is set; from the dstack public key
grip=$(D rsa -pubin -in "$TMP/rsa.pub" -noout -modulus | sed 's/^Modulus=//' |
    python3 -c 'import hashlib,sys; n=bytes.fromhex(sys.stdin.read().strip()); n=(b"\0"+n) if n[0]&0x80 else n; print(hashlib.sha1(n).hexdigest().upper())')
export GNUPGHOME="$TMP/gnupg"
mkdir -m 700 "$GNUPGHOME"
cat >"$GNUPGHOME/gnupg-pkcs11-scd.conf" <<CONF
providers dstack
provider-dstack-library $PKCS11_MODULE
CONF
cat >"$GNUPGHOME/gpg-agent.conf" <<CONF
scdaemon-program /usr/bin/gnupg-pkcs11-scd
CONF
on_exit "gpgconf --kill all"

# sign_verify NAME: gpg signs with the card key; the signature verifies
sign_verify() {
    echo "signed by dstack ($1)" >"$TMP/$1.msg"
    run "$1-sign" gpg --batch -u rsa@dstack.invalid -o "$TMP/$1.gpg" --sign "$TMP/$1.msg"
    run "$1-verify" gpg --batch --status-fd 1 --verify "$TMP/$1.gpg"
    grep -q "^\[GNUPG:\] GOODSIG " "$TMP/$1-verify.out" ||
        fail "$1: gpg does not verify the card's signature: $(cat "$TMP/$1-verify.out" "$TMP/$1-verify.err")"
}

# what the scdaemon finds: a key pair per RSA certificate object (the
# self-signed one), named by its keygrip, the dstack key's
run learn gpg-connect-agent "SCD LEARN --force" /bye
grep -q "^S KEYPAIRINFO $grip " "$TMP/learn.out" ||
    fail "gnupg-pkcs11-scd does not offer the dstack rsa key ($grip): $(cat "$TMP/learn.out" "$TMP/learn.err")"
grep -q "KEY-FRIEDNLY $grip /CN=rsa on dstack" "$TMP/learn.out" || fail "not the rsa key: $(cat "$TMP/learn.out")"
# the card; gpg-agent keeps a stub for the card key
run card gpg --batch --card-status
grep -q "Application type .: OpenPGP" "$TMP/card.out" || fail "no card: $(cat "$TMP/card.out" "$TMP/card.err")"
[ -f "$GNUPGHOME/private-keys-v1.d/$grip.key" ] || fail "gpg-agent made no stub for the card key $grip"
grep -q "shadowed-private-key" "$GNUPGHOME/private-keys-v1.d/$grip.key" ||
    fail "the agent's key $grip is not a card stub (a private key on disk?)"
# an OpenPGP key on the card key (gpg >= 2.1.19: Key-Grip)
cat >"$TMP/params" <<P
Key-Type: RSA
Key-Grip: $grip
Key-Usage: sign
Name-Real: dstack rsa
Name-Email: rsa@dstack.invalid
Expire-Date: 0
%no-protection
%commit
P
run genkey gpg --batch --generate-key "$TMP/params"
run keys gpg --batch --with-keygrip --with-colons -K rsa@dstack.invalid
grep -q "^grp:::::::::$grip:" "$TMP/keys.out" || fail "the OpenPGP key is not on the rsa key: $(cat "$TMP/keys.out")"
sign_verify first

# the keygrip in the card's signature slot (gnupg-pkcs11-scd's openpgp-sign,
# set once the agent has its stub: in that mode the scdaemon no longer
# answers READKEY by certificate id, and it gives up at the first
# certificate that is not RSA, so the P-256 key gets certificate = none);
# gpg prints the keygrip it gives as the slot's fingerprint, in groups of 4
run kill gpgconf --kill all
sed -i "/^\[key web\]/a certificate = none" "$DSKCONF"
echo "openpgp-sign $grip" >>"$GNUPGHOME/gnupg-pkcs11-scd.conf"
run slot gpg --batch --card-status
spaced=$(echo "$grip" | sed -E 's/(.{4})/\1 /g; s/^((.{5}){5})/\1 /; s/ +$//')
grep -q "^Signature key ....: $spaced\$" "$TMP/slot.out" ||
    fail "gpg --card-status does not show the rsa key ($spaced) as signature key: $(cat "$TMP/slot.out")"
sign_verify slot
ok "gnupg-pkcs11-scd offers the dstack RSA-2048 key (keygrip checked), gpg makes an OpenPGP key on it and signs (verified); gpg --card-status shows it as signature key"
