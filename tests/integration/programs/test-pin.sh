#!/bin/bash
# PINs given without a prompt (for daemons), with `pin = 1234` in [token]:
#   - a pkcs11: URI with ?pin-value= through the libp11 engine (openssl
#     -engine pkcs11), and PIN = in the engine's openssl.cnf section;
#   - GnuTLS p11tool with ?pin-value= and with GNUTLS_PIN (3.7 ignores
#     ?pin-source=file:, which this test shows too);
#   - ssh-agent: ssh-add -s with SSH_ASKPASS and SSH_ASKPASS_REQUIRE=force.
# A wrong PIN fails each time. Without `pin =`, any PIN is accepted (what
# clients that refuse an empty PIN need): the other program tests log in
# with an arbitrary one (Java's -storepass).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
need p11tool ssh-agent ssh-add
[ -f "$ENGINE_SO" ] || fail "libp11 engine not installed ($ENGINE_SO): run scripts/deps.sh test"

progs_setup
sed -i '1i [token]\npin = 1234\n' "$DSKCONF"
engine_cnf "$TMP/engine.cnf"
printf 'pin test\n' >"$TMP/msg"
uri="pkcs11:token=dstack;object=web;type=private"

OPENSSL_CONF="$TMP/engine.cnf" run sign-pin openssl dgst -sha256 -engine pkcs11 -keyform engine \
    -sign "$uri?pin-value=1234" -out "$TMP/pin.sig" "$TMP/msg"
run verify-pin D dgst -sha256 -verify "$TMP/web.pub" -signature "$TMP/pin.sig" "$TMP/msg"
OPENSSL_CONF="$TMP/engine.cnf" must_fail sign-badpin openssl dgst -sha256 -engine pkcs11 \
    -keyform engine -sign "$uri?pin-value=9999" -out "$TMP/bad.sig" "$TMP/msg" </dev/null
sed 's/^init = 0$/init = 0\nPIN = 1234/' "$TMP/engine.cnf" >"$TMP/engine-pin.cnf"
OPENSSL_CONF="$TMP/engine-pin.cnf" run sign-cnfpin openssl dgst -sha256 -engine pkcs11 \
    -keyform engine -sign "$uri" -out "$TMP/pin2.sig" "$TMP/msg" </dev/null
run verify-cnfpin D dgst -sha256 -verify "$TMP/web.pub" -signature "$TMP/pin2.sig" "$TMP/msg"
ok "libp11 engine: ?pin-value= in the URI, PIN = in openssl.cnf; a wrong PIN fails"

printf '1234' >"$TMP/pin"
run p11tool-value p11tool --provider "$PKCS11_MODULE" --test-sign "$uri?pin-value=1234" </dev/null
must_fail p11tool-bad p11tool --provider "$PKCS11_MODULE" --test-sign "$uri?pin-value=9999" </dev/null
GNUTLS_PIN=1234 run p11tool-env p11tool --provider "$PKCS11_MODULE" --login --test-sign "$uri" </dev/null
# GnuTLS 3.7 does not read ?pin-source=file: (certtool asks for GNUTLS_PIN)
GNUTLS_PIN= must_fail certtool-source certtool --generate-self-signed --template /dev/null \
    --provider "$PKCS11_MODULE" --load-privkey "$uri?pin-source=file:$TMP/pin" </dev/null
grep -q "GNUTLS_PIN" "$TMP/certtool-source.err" || fail "certtool: $(cat "$TMP/certtool-source.err")"
ok "p11tool: ?pin-value= and GNUTLS_PIN; a wrong PIN fails; certtool ignores ?pin-source="

printf '#!/bin/sh\ncat %s\n' "$TMP/pin" >"$TMP/askpass"
chmod +x "$TMP/askpass"
eval "$(ssh-agent -s -a "$TMP/agent.sock" -P "$PKCS11_MODULE")" >/dev/null
on_exit "kill $SSH_AGENT_PID"
SSH_ASKPASS="$TMP/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 run ssh-add ssh-add -s "$PKCS11_MODULE" </dev/null
run ssh-list ssh-add -L
grep -q "^ecdsa-sha2-nistp256 " "$TMP/ssh-list.out" || fail "ssh-agent holds no P-256 key: $(cat "$TMP/ssh-list.out")"
grep -q "^ssh-rsa " "$TMP/ssh-list.out" || fail "ssh-agent holds no RSA key: $(cat "$TMP/ssh-list.out")"
ok "ssh-agent: ssh-add -s with SSH_ASKPASS (no terminal)"
