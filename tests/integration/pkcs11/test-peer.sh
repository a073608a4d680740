#!/bin/bash
# Issue 13, item 4: the module checks who serves the agent's socket. A
# simulator run as another user (nobody) is refused with a message that
# names its uid and the setting; `agent_uid` in [token] allows it; the
# simulator run as root (every other test) passes. Needs root.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/p11lib.sh"

[ "$(id -u)" = 0 ] || fail "this test starts a simulator as nobody: run it as root"
chmod 755 "$TMP"
mkdir "$TMP/agent"
chown nobody "$TMP/agent"
SOCK="$TMP/agent/dstack.sock"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$SIMULATOR" --socket "$SOCK" \
    >"$TMP/sim-nobody.log" 2>&1 &
NOBODY_SIM=$!
on_exit "kill $NOBODY_SIM"
wait_for_path "$SOCK"
for ((i = 0; i < 100; i++)); do
    curl -sf --max-time 1 --unix-socket "$SOCK" http://localhost/_simulator/fault >/dev/null && break
    sleep 0.05
done
export DSTACK_SIMULATOR_ENDPOINT="$SOCK"
printf '%032d' 7 >"$TMP/hash"

p11conf
S=$(slot_of dstack)
if p11 --slot "$S" --sign --id "$(id_of p256)" -m ECDSA -i "$TMP/hash" -o "$TMP/sig" \
    >"$TMP/refused.out" 2>"$TMP/refused.err"; then
    fail "the module signed with keys from a socket served by nobody"
fi
grep -qF "$SOCK" "$TMP/refused.err" && grep -q "served by uid 65534 (pid [0-9]*), not root: refusing it" "$TMP/refused.err" &&
    grep -q "set agent_uid = 65534 in \[token\]" "$TMP/refused.err" ||
    fail "no clear refusal of the socket served by nobody: $(cat "$TMP/refused.err")"
ok "a socket served by nobody is refused: $(grep -F "$SOCK" "$TMP/refused.err" | head -1)"

p11conf '[token]' 'agent_uid = 65534'
run allowed p11 --slot "$S" --sign --id "$(id_of p256)" -m ECDSA -i "$TMP/hash" -o "$TMP/sig"
[ -s "$TMP/sig" ] || fail "no signature with agent_uid = 65534"
ok "agent_uid = 65534 allows it"
