#!/bin/bash
# The installed Debian packages as a user meets them, inside a clean root
# (scripts/root-test.sh runs it with `meson test --setup installed`): no
# environment variable, the configuration in /etc/dstack-pkcs11.conf, the
# simulator on /var/run/dstack.sock.
#   - every man page the packages ship is a roff page with a whatis entry;
#   - p11-kit list-modules finds the module through dstack.module;
#   - ssh-agent loads it with its default allow-list (no -P) and holds the
#     key ssh-keygen -D shows;
#   - openssl with the shipped example openssl.cnf uses dstack keys, and
#     the provider, the module and dstack-key (when packaged) agree on them.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

[ -n "${DSK_INSTALLED:-}" ] || fail "run against the installed packages: meson test --setup installed (scripts/root-test.sh)"
[ -z "${DSTACK_SIMULATOR_ENDPOINT:-}${DSTACK_PKCS11_CONF:-}${OPENSSL_CONF:-}" ] ||
    fail "the environment sets DSTACK_SIMULATOR_ENDPOINT, DSTACK_PKCS11_CONF or OPENSSL_CONF: this test is about the defaults"
run() { # name cmd...: output kept, failure shows it
    local name=$1
    shift
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
        fail "$name: $* failed: $(cat "$TMP/$name.out" "$TMP/$name.err")"
}

# ---- man pages -------------------------------------------------------------
pages=$(dpkg -L dstack-pkcs11 dstack-simulator | grep -E '^/usr/share/man/man[1-8]/.+\.[1-8]\.gz$' || true)
for want in man5/dstack-pkcs11.conf.5.gz man1/dstack-simulator.1.gz; do
    grep -q "/$want\$" <<<"$pages" || fail "no man page $want in the packages: $pages"
done
for p in $pages; do
    zcat "$p" | grep -q '^\.TH ' || fail "$p has no .TH line: not a man page"
    zcat "$p" | sed -n '/^\.SH NAME/,/^\.SH /p' | grep -q ' \\- ' ||
        fail "$p: no 'name \\- description' whatis entry under .SH NAME"
done
ok "man pages: $(echo $pages | wc -w) ($(basename -a $pages | tr '\n' ' '))"

# ---- p11-kit ---------------------------------------------------------------
[ ! -e /etc/dstack-pkcs11.conf ] || fail "/etc/dstack-pkcs11.conf exists before the test (the packages must not ship one)"
cat >/etc/dstack-pkcs11.conf <<'CONF'
[key web]
path = /installed/web
id = 01

[key rsa]
path = /installed/rsa
type = rsa-2048
id = 02
CONF
on_exit rm -f /etc/dstack-pkcs11.conf
run list-modules p11-kit list-modules
# "dstack: dstack-pkcs11.so" (p11-kit 0.24) or "module: dstack" (0.25)
grep -Eq "^(dstack: $(basename "$PKCS11_MODULE")|module: dstack)\$" "$TMP/list-modules.out" &&
    grep -q '^ *token: dstack$' "$TMP/list-modules.out" ||
    fail "p11-kit list-modules does not show the dstack module and its token: $(cat "$TMP/list-modules.out")"
ok "p11-kit list-modules: $(grep -c 'token:' "$TMP/list-modules.out") tokens of the dstack module, found by dstack.module"

sim_start
[ -S /var/run/dstack.sock ] || fail "the simulator does not serve /var/run/dstack.sock"

# ---- ssh-agent's default allow-list ----------------------------------------
run keygen-D ssh-keygen -D "$PKCS11_MODULE"
grep ' web$' "$TMP/keygen-D.out" | cut -d' ' -f1,2 >"$TMP/web.ssh"
[ -s "$TMP/web.ssh" ] || fail "ssh-keygen -D lists no key 'web': $(cat "$TMP/keygen-D.out")"
agent_sock="$TMP/agent.sock"
ssh-agent -D -a "$agent_sock" >"$TMP/agent.out" 2>"$TMP/agent.err" &
agent_pid=$!
on_exit "kill $agent_pid 2>/dev/null"
wait_for_path "$agent_sock"
printf '#!/bin/sh\necho\n' >"$TMP/askpass"
chmod +x "$TMP/askpass"
SSH_AUTH_SOCK=$agent_sock SSH_ASKPASS=$TMP/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
    run ssh-add-s ssh-add -s "$PKCS11_MODULE" </dev/null
SSH_AUTH_SOCK=$agent_sock run ssh-add-L ssh-add -L
grep -qF "$(cat "$TMP/web.ssh")" "$TMP/ssh-add-L.out" ||
    fail "ssh-agent (no -P) does not hold the key web: $(cat "$TMP/ssh-add-L.out")"
ok "ssh-agent without -P loaded $PKCS11_MODULE and holds web ($(cut -c1-40 "$TMP/web.ssh")...)"

# ---- openssl with the shipped example configuration -------------------------
cnf=$(dpkg -L dstack-pkcs11 | grep '/examples/openssl-dstack\.cnf$') ||
    fail "dstack-pkcs11 ships no examples/openssl-dstack.cnf"
OPENSSL_CONF=$cnf run pub-prov openssl pkey -in dstack:web -pubout -out "$TMP/web-prov.pem"
run pub-ssh ssh-keygen -e -m PKCS8 -f "$TMP/web.ssh"
openssl pkey -pubin -in "$TMP/pub-ssh.out" -out "$TMP/web-ssh.pem" 2>/dev/null ||
    fail "ssh-keygen's PKCS8 export of web is not a public key"
cmp -s "$TMP/web-prov.pem" "$TMP/web-ssh.pem" ||
    fail "the provider's web key differs from the module's: $(cat "$TMP/web-prov.pem" "$TMP/web-ssh.pem")"
head -c 100 /dev/urandom >"$TMP/msg"
OPENSSL_CONF=$cnf run sign openssl dgst -sha256 -sign dstack:rsa -out "$TMP/msg.sig" "$TMP/msg"
OPENSSL_CONF=$cnf run pub-rsa openssl pkey -in dstack:rsa -pubout -out "$TMP/rsa.pem"
run verify openssl dgst -sha256 -verify "$TMP/rsa.pem" -signature "$TMP/msg.sig" "$TMP/msg"
ok "openssl with $cnf: the provider's web key is the module's, an RSA signature verifies with the default provider alone"

# ---- dstack-key ------------------------------------------------------------
if dpkg -L dstack-pkcs11 | grep -q '^/usr/bin/dstack-key$'; then
    run key-pub dstack-key pub web
    openssl pkey -pubin -in "$TMP/key-pub.out" -out "$TMP/web-tool.pem" 2>/dev/null ||
        fail "dstack-key pub web printed no PEM public key: $(cat "$TMP/key-pub.out")"
    cmp -s "$TMP/web-tool.pem" "$TMP/web-prov.pem" || fail "dstack-key pub web differs from the provider's key"
    ok "dstack-key pub web: the same key"
fi
