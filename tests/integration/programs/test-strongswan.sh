#!/bin/bash
# strongSwan's pki (Debian strongswan-pki, pkcs11 plugin from
# libstrongswan-extra-plugins) reads our keys by CKA_ID with a PIN:
# `pki --print --type priv --keyid 01|02` shows the P-256 and the RSA-2048
# key. strongSwan refuses an empty PIN: with `pin = 1234` the PIN comes on
# standard input (no terminal needed); a wrong one fails. Without `pin =`
# any PIN is accepted.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
need pki
[ -f /usr/lib/ipsec/plugins/libstrongswan-pkcs11.so ] ||
    fail "strongSwan's pkcs11 plugin is not installed (libstrongswan-extra-plugins): run scripts/deps.sh test"

progs_setup
cat >"$TMP/strongswan.conf" <<CONF
pki {
  load = pkcs11 sha1 sha2 pem pkcs1 pkcs8 x509 pubkey gmp
}
libstrongswan {
  plugins {
    pkcs11 {
      modules {
        dstack {
          path = $PKCS11_MODULE
        }
      }
    }
  }
}
CONF
export STRONGSWAN_CONF="$TMP/strongswan.conf"

# no `pin =`: strongSwan wants a PIN anyway; any is accepted
echo anything | run nopin pki --print --type priv --keyid "${KID[web]}"
grep -q "privkey: *ECDSA 256 bits" "$TMP/nopin.out" || fail "pki: $(cat "$TMP/nopin.out" "$TMP/nopin.err")"

sed -i '1i [token]\npin = 1234\n' "$DSKCONF"
echo 1234 | run pin-web pki --print --type priv --keyid "${KID[web]}"
grep -q "privkey: *ECDSA 256 bits" "$TMP/pin-web.out" || fail "pki web: $(cat "$TMP/pin-web.out" "$TMP/pin-web.err")"
echo 1234 | run pin-rsa pki --print --type priv --keyid "${KID[rsa]}"
grep -q "privkey: *RSA 2048 bits" "$TMP/pin-rsa.out" || fail "pki rsa: $(cat "$TMP/pin-rsa.out" "$TMP/pin-rsa.err")"
echo 9999 | must_fail pin-bad pki --print --type priv --keyid "${KID[rsa]}"
ok "strongSwan pki --print --keyid: P-256 and RSA-2048 with the PIN on stdin; a wrong PIN fails"
