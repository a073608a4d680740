#!/bin/bash
# gnupg-pkcs11-scd (Debian 0.10) as gpg-agent's scdaemon, on our module:
# it finds the RSA-2048 key through its self-signed certificate object
# (keys/selfcert.c, nothing configured; it ignores EC keys), its keygrip is
# the dstack key's, and `gpg --card-status` shows the card. (Putting the
# keygrip in the card's OpenPGP slots, openpgp-sign, made the card vanish
# in a first try: not covered.)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
need gpg gpg-agent gpgconf /usr/bin/gnupg-pkcs11-scd

progs_setup
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
# what the scdaemon finds: a key pair per RSA certificate object (the
# self-signed one), named by its keygrip
run learn gpg-connect-agent "SCD LEARN --force" /bye
grip=$(sed -n 's/^S KEYPAIRINFO \([0-9A-F]\{40\}\) .*/\1/p' "$TMP/learn.out" | head -1)
[ -n "$grip" ] || fail "gnupg-pkcs11-scd found no key: $(cat "$TMP/learn.out" "$TMP/learn.err")"
grep -q "KEY-FRIEDNLY $grip /CN=rsa on dstack" "$TMP/learn.out" || fail "not the rsa key: $(cat "$TMP/learn.out")"
# libgcrypt's RSA keygrip: SHA-1 of the modulus as an unsigned integer with
# a 0x00 in front when its top bit is set; from the dstack public key
want=$(D rsa -pubin -in "$TMP/rsa.pub" -noout -modulus | sed 's/^Modulus=//' |
    python3 -c 'import hashlib,sys; n=bytes.fromhex(sys.stdin.read().strip()); n=(b"\0"+n) if n[0]&0x80 else n; print(hashlib.sha1(n).hexdigest().upper())')
[ "$grip" = "$want" ] || fail "the card key $grip is not the dstack rsa key ($want)"
run card gpg --batch --card-status
grep -q "Application type .: OpenPGP" "$TMP/card.out" || fail "no card: $(cat "$TMP/card.out" "$TMP/card.err")"
ok "gpg --card-status sees the token; gnupg-pkcs11-scd offers the dstack RSA-2048 key (keygrip checked)"
