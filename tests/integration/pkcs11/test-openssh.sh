#!/bin/bash
# OpenSSH with dstack-pkcs11.so: ssh-keygen -D lists the keys; a real login
# to an sshd on 127.0.0.1 with an ECDSA P-256 key and with an RSA-2048 key,
# first with ssh -o PKCS11Provider, then through ssh-agent -P + ssh-add -s;
# ssh-keygen -Y sign through the agent, checked by ssh-keygen -Y verify.
# sshd's log must name the exact key (fingerprint) that was accepted.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/p11lib.sh"

SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || fail "$SSHD not installed (package openssh-server)"
MODULE=$(realpath "$PKCS11_MODULE")
ME=$(id -un)

# No secp256k1 key here: OpenSSH 9.2's ssh-pkcs11-helper passes a secp256k1
# public key to ssh-agent, which cannot decode it and fails the whole
# `ssh-add -s` ("communication with agent failed"); seen with SoftHSM2 too.
# Ed25519 stays: it is in its own token and OpenSSH skips it.
p11conf
sed -i '/^\[key k1\]/,/^$/d' "$P11CONF"
grep -q secp256k1 "$P11CONF" && fail "could not drop the secp256k1 key from $P11CONF"
sim_start
S=$(slot_of dstack)

# ---- ssh-keygen -D ---------------------------------------------------------
run keygen-D ssh-keygen -D "$MODULE"
# pub_of LABEL TYPE: the OpenSSH public key line of a token key, from the
# public key pkcs11-tool reads, and checked to be in ssh-keygen -D's list.
pub_of() {
    export_pub "$S" "$1" "$TMP/$1.pem"
    run "ssh-pub-$1" ssh-keygen -i -m PKCS8 -f "$TMP/$1.pem"
    read -r t blob _ <"$TMP/ssh-pub-$1.out"
    [ "$t" = "$2" ] || fail "$1 converts to an OpenSSH key of type $t, want $2"
    grep -q "^$t $blob" "$TMP/keygen-D.out" ||
        fail "ssh-keygen -D does not list $1 ($t $blob): $(cat "$TMP/keygen-D.out" "$TMP/keygen-D.err")"
    echo "$t $blob" >"$TMP/$1.pub"
}
pub_of p256 ecdsa-sha2-nistp256
pub_of p384 ecdsa-sha2-nistp384
pub_of rsa2048 ssh-rsa
ok "ssh-keygen -D lists p256, p384 and rsa2048 with the keys pkcs11-tool reads"

fingerprint() { ssh-keygen -l -E sha256 -f "$1" | awk '{ print $2 }'; }

# ---- sshd ------------------------------------------------------------------
# Root's sshd needs its privilege separation directory (systemd makes it).
if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then mkdir -m 0755 /run/sshd; fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run hostkey ssh-keygen -q -t ed25519 -N '' -f "$TMP/hostkey"
cat >"$TMP/sshd_config" <<CFG
ListenAddress 127.0.0.1:$PORT
HostKey $TMP/hostkey
PidFile $TMP/sshd.pid
AuthorizedKeysFile $TMP/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
LogLevel VERBOSE
CFG
: >"$TMP/authorized_keys"
"$SSHD" -f "$TMP/sshd_config" -D -e -E "$TMP/sshd.log" &
sshd_pid=$!
on_exit "kill $sshd_pid 2>/dev/null; wait $sshd_pid 2>/dev/null"
for ((i = 0; i < 200; i++)); do
    grep -q "Server listening on 127.0.0.1 port $PORT" "$TMP/sshd.log" 2>/dev/null && break
    kill -0 $sshd_pid 2>/dev/null || fail "sshd exited: $(cat "$TMP/sshd.log")"
    sleep 0.05
done
grep -q "Server listening" "$TMP/sshd.log" || fail "sshd does not listen on port $PORT: $(cat "$TMP/sshd.log")"

SSH_OPTS=(-F /dev/null -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=no
    -o UserKnownHostsFile="$TMP/known_hosts" -o PasswordAuthentication=no
    -o KbdInteractiveAuthentication=no)

# login NAME KEY [ssh options]: only KEY is authorized; the remote command's
# output must come back and sshd must have accepted exactly that key.
login() {
    local name=$1 key=$2 fp
    shift 2
    cp "$TMP/$key.pub" "$TMP/authorized_keys"
    fp=$(fingerprint "$TMP/$key.pub")
    local before
    before=$(wc -l <"$TMP/sshd.log")
    run "ssh-$name" ssh "${SSH_OPTS[@]}" "$@" "$ME@127.0.0.1" echo hello from sshd
    [ "$(cat "$TMP/ssh-$name.out")" = "hello from sshd" ] ||
        fail "ssh $name: remote command printed '$(cat "$TMP/ssh-$name.out")'"
    tail -n +$((before + 1)) "$TMP/sshd.log" | grep -q "Accepted publickey for $ME from 127.0.0.1 .* $fp" ||
        fail "ssh $name: sshd did not accept key $key ($fp): $(tail -n +$((before + 1)) "$TMP/sshd.log")"
    ok "ssh $name: logged in with $key ($fp), remote echo came back"
}

login pkcs11-p256 p256 -o IdentityAgent=none -o PKCS11Provider="$MODULE"
login pkcs11-rsa rsa2048 -o IdentityAgent=none -o PKCS11Provider="$MODULE"

# ---- ssh-agent -------------------------------------------------------------
# The agent only loads providers matching -P; pass the module's real folder.
AGENT_SOCK="$TMP/agent.sock"
ssh-agent -D -a "$AGENT_SOCK" -P "$(dirname "$MODULE")/*" >"$TMP/agent.out" 2>"$TMP/agent.err" &
agent_pid=$!
on_exit "kill $agent_pid 2>/dev/null; wait $agent_pid 2>/dev/null"
wait_for_path "$AGENT_SOCK"
export SSH_AUTH_SOCK="$AGENT_SOCK"

# ssh-add -s asks for the token PIN through SSH_ASKPASS; the token has none.
printf '#!/bin/sh\necho\n' >"$TMP/askpass"
chmod +x "$TMP/askpass"
SSH_ASKPASS="$TMP/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 run ssh-add ssh-add -s "$MODULE" </dev/null
run ssh-add-l ssh-add -l -E sha256
for k in p256 p384 rsa2048; do
    grep -q "$(fingerprint "$TMP/$k.pub")" "$TMP/ssh-add-l.out" ||
        fail "ssh-agent does not hold $k after ssh-add -s: $(cat "$TMP/ssh-add-l.out")"
done
ok "ssh-agent -P + ssh-add -s loaded p256, p384 and rsa2048 from the module"

login agent-p256 p256 -o IdentityAgent="$AGENT_SOCK"
login agent-rsa rsa2048 -o IdentityAgent="$AGENT_SOCK"

# ---- ssh-keygen -Y sign through the agent ------------------------------------
printf 'a file signed with a dstack key\n' >"$TMP/file"
printf 'a file signed with a dstack key?\n' >"$TMP/file-bad"
for k in p256 rsa2048; do
    rm -f "$TMP/file.sig"
    run "Y-sign-$k" ssh-keygen -Y sign -f "$TMP/$k.pub" -n file "$TMP/file"
    [ -s "$TMP/file.sig" ] || fail "ssh-keygen -Y sign with $k wrote no signature"
    echo "signer@dstack $(cat "$TMP/$k.pub")" >"$TMP/allowed_signers"
    ssh-keygen -Y verify -f "$TMP/allowed_signers" -I signer@dstack -n file -s "$TMP/file.sig" \
        <"$TMP/file" >"$TMP/Y-verify.out" 2>&1 ||
        fail "ssh-keygen -Y verify rejects the $k signature: $(cat "$TMP/Y-verify.out")"
    grep -q 'Good "file" signature for signer@dstack' "$TMP/Y-verify.out" ||
        fail "ssh-keygen -Y verify: unexpected output $(cat "$TMP/Y-verify.out")"
    if ssh-keygen -Y verify -f "$TMP/allowed_signers" -I signer@dstack -n file -s "$TMP/file.sig" \
        <"$TMP/file-bad" >/dev/null 2>&1; then
        fail "ssh-keygen -Y verify accepts the $k signature for another file"
    fi
    mv "$TMP/file.sig" "$TMP/file-$k.sig"
done
ok "ssh-keygen -Y sign through the agent (p256, rsa2048) verified by ssh-keygen -Y verify"

# ---- Ed25519 (token dstack-ed25519) ------------------------------------------
# OpenSSH 9.2 (Debian 12) and 10.0 (Debian 13) have no Ed25519 PKCS#11 keys:
# ssh-keygen -D says "skipping unsupported key type" for that object and
# goes on. An OpenSSH that reads CKK_EC_EDWARDS keys lists it: then a login
# with it must work. (A key it reads but rejects, e.g. for its
# CKA_EC_PARAMS, gives other messages and fails here.)
if grep -q '^ssh-ed25519 ' "$TMP/keygen-D.out"; then
    grep '^ssh-ed25519 ' "$TMP/keygen-D.out" | cut -d' ' -f1,2 >"$TMP/ed.pub"
    login pkcs11-ed25519 ed -o IdentityAgent=none -o PKCS11Provider="$MODULE"
else
    grep -q 'skipping unsupported key type' "$TMP/keygen-D.err" ||
        fail "ssh-keygen -D neither lists the Ed25519 key nor says OpenSSH skips its type: $(cat "$TMP/keygen-D.err")"
    ok "$(ssh -V 2>&1 | cut -d' ' -f1 | tr -d ,) skips the Ed25519 token key (unsupported key type); the other keys work"
fi
