#!/usr/bin/env bash
# Issue 13, item 3: a set-uid program run by another user does not obey that
# user's DSTACK_SIMULATOR_ENDPOINT (nor DSTACK_PKCS11_DEBUG, nor
# DSTACK_PKCS11_CONF). The "user" is nobody; the program is a set-uid root
# copy of pkcs11-tool; the impostor agent is a listener that records every
# connection. A plain (not set-uid) copy run the same way must reach the
# impostor, so the test can tell the two apart.
source "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || fail "this test makes a set-uid root program: run it as root"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
chmod 755 "$TMP"

IMPOSTOR="$TMP/impostor.sock"
CONTACTS="$TMP/contacts"
: >"$CONTACTS"
python3 - "$IMPOSTOR" "$CONTACTS" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.listen(8)
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("contacted\n")
    c.close()
PY
IMPOSTOR_PID=$!
on_exit "kill $IMPOSTOR_PID"
wait_for_path "$IMPOSTOR"

cp "$(command -v pkcs11-tool)" "$TMP/p11tool-plain"
cp "$(command -v pkcs11-tool)" "$TMP/p11tool-suid"
chmod 755 "$TMP/p11tool-plain"
chmod 4755 "$TMP/p11tool-suid"
printf '[key evil]\npath = from-the-callers-file\n' >"$TMP/evil.conf"
chmod 644 "$TMP/evil.conf"
# nobody must be able to read the module: a build tree in a private directory
# (a clone made with mktemp -d is 0700) is not, so it runs from a copy.
cp "$PKCS11_MODULE" "$TMP/dstack-pkcs11.so"
chmod 644 "$TMP/dstack-pkcs11.so"
PKCS11_MODULE=$TMP/dstack-pkcs11.so

# The module logs little below warning; with no configuration file it says
# so at level info, which DSTACK_PKCS11_DEBUG=debug shows.
LOW_LEVEL="dstack-pkcs11: \(info\|debug\):"
as_nobody() { # program, then pkcs11-tool arguments; $CONF_ENV may be empty
    local prog=$1; shift
    (cd "$TMP" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
        env DSTACK_SIMULATOR_ENDPOINT="$IMPOSTOR" DSTACK_PKCS11_DEBUG=debug \
        ${CONF_ENV:-DSTACK_PKCS11_CONF=$TMP/evil.conf} "$prog" --module "$PKCS11_MODULE" "$@")
}
[ ! -e /etc/dstack-pkcs11.conf ] || fail "/etc/dstack-pkcs11.conf exists: this test needs a machine without one"

# Control: the plain copy, run by nobody, follows the environment.
as_nobody "$TMP/p11tool-plain" --keypairgen --key-type EC:prime256v1 --label t \
    >"$TMP/plain.out" 2>"$TMP/plain.err" && fail "keypairgen against the impostor succeeded"
grep -q contacted "$CONTACTS" || fail "the plain program did not reach the impostor: $(cat "$TMP/plain.err")"
CONF_ENV=DSTACK_PKCS11_CONF=$TMP/none.conf as_nobody "$TMP/p11tool-plain" -L >/dev/null 2>"$TMP/plain-debug.err" || true
grep -q "$LOW_LEVEL" "$TMP/plain-debug.err" || fail "DSTACK_PKCS11_DEBUG had no effect on the plain program"
as_nobody "$TMP/p11tool-plain" -O >"$TMP/plain-list.out" 2>&1 || true
grep -q "label: *evil" "$TMP/plain-list.out" || fail "the plain program did not read DSTACK_PKCS11_CONF"
ok "a plain program run by nobody uses the caller's agent, configuration and debug level"

# The set-uid copy: the same command must not contact the impostor.
: >"$CONTACTS"
as_nobody "$TMP/p11tool-suid" --keypairgen --key-type EC:prime256v1 --label t \
    >"$TMP/suid.out" 2>"$TMP/suid.err" || true
as_nobody "$TMP/p11tool-suid" -O >"$TMP/suid-list.out" 2>&1 || true
[ ! -s "$CONTACTS" ] || fail "the set-uid program contacted the caller's agent ($(wc -l <"$CONTACTS") connections)"
grep -q "$LOW_LEVEL" "$TMP/suid.err" && fail "the set-uid program obeyed DSTACK_PKCS11_DEBUG"
grep -q "label: *evil" "$TMP/suid-list.out" && fail "the set-uid program read the caller's DSTACK_PKCS11_CONF"
grep -q "$IMPOSTOR" "$TMP/suid.err" && fail "the set-uid program names the impostor: $(cat "$TMP/suid.err")"
ok "a set-uid program run by nobody ignores the caller's agent, configuration and debug level"
