#!/bin/bash
# p11-kit and GnuTLS: a user module file makes p11-kit list-modules and
# p11tool see the token; p11tool exports the public key (the same key
# pkcs11-tool reads) and test-signs; p11-kit server serves the token on a
# unix socket and another process signs through p11-kit-client.so.
# p11-kit ignores the user's ~/.config/pkcs11 in programs running as root.
# As root the test therefore runs in a private mount namespace where p11-kit's
# package module folder is replaced by a copy with dstack.module added: no
# other process on the machine sees our module file. Otherwise the module
# file goes into $HOME/.config/pkcs11/modules, as a user would install it.
if [ "$(id -u)" -eq 0 ] && [ -z "${DSK_P11KIT_NS:-}" ]; then
    if ! unshare --mount --propagation private true 2>/dev/null; then
        echo "FAIL: running as root, p11-kit ignores ~/.config/pkcs11, and unshare --mount is not" \
            "permitted here (no CAP_SYS_ADMIN): run this test as a normal user" >&2
        exit 1
    fi
    DSK_P11KIT_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/p11lib.sh"

CLIENT=$(pkg-config --variable=p11_module_path p11-kit-1 2>/dev/null || true)/p11-kit-client.so
[ -f "$CLIENT" ] || CLIENT=/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so
[ -f "$CLIENT" ] || fail "p11-kit-client.so not found (package p11-kit-modules)"

p11conf
sim_start
S=$(slot_of dstack)

export HOME="$TMP/home"
if [ -n "${DSK_P11KIT_NS:-}" ]; then
    CONFIGS=$(pkg-config --variable=p11_module_configs p11-kit-1 2>/dev/null || true)
    [ -d "$CONFIGS" ] || CONFIGS=/usr/share/p11-kit/modules
    mkdir "$TMP/modules"
    cp "$CONFIGS"/*.module "$TMP/modules/" 2>/dev/null || true
    printf 'module: %s\n' "$PKCS11_MODULE" >"$TMP/modules/dstack.module"
    mount --bind "$TMP/modules" "$CONFIGS" ||
        fail "cannot bind-mount $TMP/modules on $CONFIGS (root without CAP_SYS_ADMIN? run as a normal user)"
    on_exit "umount '$CONFIGS'"
else
    mkdir -p "$HOME/.config/pkcs11/modules"
    printf 'module: %s\n' "$PKCS11_MODULE" >"$HOME/.config/pkcs11/modules/dstack.module"
fi

run list-modules p11-kit list-modules
# A module's block starts "dstack: dstack-pkcs11.so" in p11-kit 0.24
# (Debian 12), "module: dstack" in 0.25 (Debian 13).
awk '/^[^ \t]/ { m = ($1 == "module:") ? $2 : substr($1, 1, length($1) - 1) }
    m == "dstack" && /token: dstack$/ { t = 1 } m == "dstack" && /token: dstack-ed25519$/ { e = 1 }
    END { exit !(t && e) }' "$TMP/list-modules.out" ||
    fail "p11-kit list-modules does not show module dstack with tokens dstack and dstack-ed25519: $(cat "$TMP/list-modules.out")"
ok "p11-kit list-modules shows module dstack with its two tokens"

run list-all p11tool --batch --list-all 'pkcs11:token=dstack'
for k in p256 p384 k1 rsa2048; do
    for ty in private public; do
        grep -q "URL: pkcs11:.*token=dstack;.*object=$k;type=$ty" "$TMP/list-all.out" ||
            fail "p11tool --list-all has no $ty object $k: $(cat "$TMP/list-all.out")"
    done
done
ok "p11tool --list-all lists the private and public keys"

for k in p256 p384 rsa2048; do
    export_pub "$S" "$k" "$TMP/$k-pkcs11tool.pem"
    run "export-$k" p11tool --batch --export "pkcs11:token=dstack;object=$k;type=public"
    openssl pkey -pubin -in "$TMP/export-$k.out" -out "$TMP/$k-p11tool.pem" 2>"$TMP/export-$k.ossl" ||
        fail "p11tool --export of $k is not a public key openssl reads: $(cat "$TMP/export-$k.out" "$TMP/export-$k.ossl")"
    cmp -s "$TMP/$k-p11tool.pem" "$TMP/$k-pkcs11tool.pem" ||
        fail "p11tool and pkcs11-tool export different public keys for $k"

    run "test-sign-$k" p11tool --batch --test-sign "pkcs11:token=dstack;object=$k;type=private"
    grep -q 'Verifying against public key in the token... ok' "$TMP/test-sign-$k.out" "$TMP/test-sign-$k.err" ||
        fail "p11tool --test-sign $k did not verify: $(cat "$TMP/test-sign-$k.out" "$TMP/test-sign-$k.err")"
done
ok "p11tool --export gives pkcs11-tool's public keys and --test-sign passes (p256, p384, rsa2048)"

# ---- p11-kit server ------------------------------------------------------
SOCK="$TMP/p11-kit.sock"
p11-kit server -f --provider "$PKCS11_MODULE" --name "$SOCK" 'pkcs11:token=dstack' \
    >"$TMP/server.out" 2>"$TMP/server.err" &
server_pid=$!
on_exit "kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null"
wait_for_path "$SOCK"
export P11_KIT_SERVER_ADDRESS="unix:path=$SOCK"

# The client process: pkcs11-tool on p11-kit-client.so, not on our module.
remote() { pkcs11-tool --module "$CLIENT" "$@"; }
run remote-list remote -L
grep -q 'token label *: dstack$' "$TMP/remote-list.out" ||
    fail "p11-kit-client.so does not show token dstack: $(cat "$TMP/remote-list.out" "$TMP/remote-list.err" "$TMP/server.err")"
RS=$(awk '/^Slot [0-9]+ \(/ { id = $3; gsub(/[():]/, "", id) } /token label *: dstack$/ { print id; exit }' "$TMP/remote-list.out")

printf 'signed through p11-kit server\n' >"$TMP/msg"
printf 'signed through p11-kit server?\n' >"$TMP/bad"
openssl dgst -sha256 -binary "$TMP/msg" >"$TMP/msg.sha256"
openssl dgst -sha256 -binary "$TMP/bad" >"$TMP/bad.sha256"
# p11-kit 0.24's RPC only forwards the mechanisms it knows (no ECDSA-SHA256,
# no EDDSA): ECDSA is CKM_ECDSA over a digest made here.
run remote-sign-p256 remote --slot "$RS" --sign --id "$(id_of p256)" -m ECDSA -i "$TMP/msg.sha256" -o "$TMP/p256.sig" \
    --signature-format openssl
openssl pkeyutl -verify -pubin -inkey "$TMP/p256-pkcs11tool.pem" -in "$TMP/msg.sha256" -sigfile "$TMP/p256.sig" >"$TMP/v.out" 2>&1 ||
    fail "p256: openssl rejects the signature made through p11-kit server: $(cat "$TMP/v.out")"
if openssl pkeyutl -verify -pubin -inkey "$TMP/p256-pkcs11tool.pem" -in "$TMP/bad.sha256" -sigfile "$TMP/p256.sig" >/dev/null 2>&1; then
    fail "p256: openssl accepts the remote signature for another message"
fi
run remote-sign-rsa2048 remote --slot "$RS" --sign --id "$(id_of rsa2048)" -m SHA256-RSA-PKCS -i "$TMP/msg" -o "$TMP/rsa2048.sig"
openssl dgst -sha256 -verify "$TMP/rsa2048-pkcs11tool.pem" -signature "$TMP/rsa2048.sig" "$TMP/msg" >"$TMP/v.out" 2>&1 ||
    fail "rsa2048: openssl rejects the signature made through p11-kit server: $(cat "$TMP/v.out")"
if openssl dgst -sha256 -verify "$TMP/rsa2048-pkcs11tool.pem" -signature "$TMP/rsa2048.sig" "$TMP/bad" >/dev/null 2>&1; then
    fail "rsa2048: openssl accepts the remote signature for another message"
fi
kill -0 $server_pid 2>/dev/null || fail "p11-kit server died: $(cat "$TMP/server.err")"
ok "p11-kit server: a second process signs through p11-kit-client.so (p256, rsa2048), openssl verifies"
