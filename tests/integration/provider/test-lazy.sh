#!/bin/bash
# Loading costs nothing until a key is used (issue 14 §3), for the provider:
# `openssl version -a` and `openssl list -providers` with dstack.so
# configured and active map no library beyond libc, libcrypto and libinih
# (no libcjson, no libsecp256k1, no HTTP library) and never create a socket
# or connect to the agent. The positive control: signing with a secp256k1
# key maps both libraries and connects, seen by the same two probes
# (the dynamic loader's own LD_DEBUG=files log, and strace).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"
command -v strace >/dev/null || fail "strace not installed: run scripts/deps.sh test"

sim_start
provconf

# probe NAME CMD...: run CMD under strace (socket calls) with the loader's
# log; leaves $TMP/NAME.libs (basenames of every object mapped) and
# $TMP/NAME.trace.
probe() {
    local name=$1
    shift
    rm -f "$TMP/$name.ld".*
    strace -f -qq -e trace=socket,connect -o "$TMP/$name.trace" \
        env LD_DEBUG=files LD_DEBUG_OUTPUT="$TMP/$name.ld" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
        fail "$name failed: $(head -c 2000 "$TMP/$name.err")"
    sed -n 's/.*file=\([^ ]*\) \[0\];  \(needed\|dynamically loaded\) by.*/\1/p' "$TMP/$name.ld".* |
        sed 's|.*/||' | sort -u >"$TMP/$name.libs"
}

for c in "version -a" "list -providers"; do
    name=$(echo "$c" | tr -c 'a-z\n' _)
    # shellcheck disable=SC2086 # c holds several words on purpose
    probe "$name" openssl $c
    grep -qx 'dstack.so' "$TMP/$name.libs" || fail "openssl $c did not load dstack.so: $(tr '\n' ' ' <"$TMP/$name.libs")"
    # What dstack.so itself needs: what it was linked against, nothing more.
    extra=$(grep -v -x -e dstack.so -e 'libc.so.6' -e 'libcrypto.so.3' -e 'libssl.so.3' -e 'libinih.so.1' \
        -e 'libz.so.1' -e 'libzstd.so.1' -e 'libbrotlienc.so.1' -e 'libbrotlidec.so.1' \
        -e 'libbrotlicommon.so.1' -e 'libdl.so.2' -e 'libpthread.so.0' -e 'default.so' "$TMP/$name.libs" || true)
    [ -z "$extra" ] || fail "openssl $c with the provider mapped: $extra"
    ! grep -q 'AF_UNIX\|AF_INET' "$TMP/$name.trace" || fail "openssl $c opened a socket: $(cat "$TMP/$name.trace")"
done
ok "openssl version -a and list -providers with dstack.so active: only libc, libcrypto, libinih mapped; no socket"

# Positive control: a secp256k1 signature maps both libraries and connects.
head -c 64 /dev/urandom >"$TMP/msg"
probe k1sign openssl dgst -sha256 -sign dstack:k1 -out "$TMP/k1.sig" "$TMP/msg"
for lib in libcjson.so libsecp256k1.so; do
    grep -q "^$lib" "$TMP/k1sign.libs" || fail "signing with dstack:k1 did not map $lib (is the probe blind?)"
done
grep -q "connect(.*$(basename "$SIM_SOCK")" "$TMP/k1sign.trace" ||
    fail "signing with dstack:k1 made no connection seen by strace: $(cat "$TMP/k1sign.trace")"
ok "the first dstack key use maps libcjson and libsecp256k1 and connects to the agent (the probes see them)"
