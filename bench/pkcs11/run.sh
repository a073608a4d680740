#!/bin/bash
# Run bench-pkcs11 with everything it needs in a private temp dir: the
# simulator on a unix socket, a module configuration with the three benchmark
# keys, and a SoftHSM2 token "bench" (the peer) under its own SOFTHSM2_CONF.
#
# Usage: bench/pkcs11/run.sh [BUILDDIR] [bench-pkcs11 options...]
#   e.g. bench/pkcs11/run.sh build --seconds 2 --reps 7
set -euo pipefail

BUILD=${1:-build}
[ $# -gt 0 ] && shift
BUILD=$(realpath "$BUILD")
BENCH="$BUILD/bench/pkcs11/bench-pkcs11"
MODULE="$BUILD/pkcs11/dstack-pkcs11.so"
SIMULATOR="$BUILD/simulator/dstack-simulator"
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
for f in "$BENCH" "$MODULE" "$SIMULATOR" "$SOFTHSM"; do
    [ -e "$f" ] || { echo "run.sh: $f missing (build with: ninja -C $BUILD)" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dsk-bench.XXXXXX")
SIM_PID=""
cleanup() {
    [ -z "$SIM_PID" ] || { kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null || true; }
    rm -rf "$TMP"
}
trap cleanup EXIT

mkdir "$TMP/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$TMP/tokens" >"$TMP/softhsm2.conf"
export SOFTHSM2_CONF="$TMP/softhsm2.conf"
softhsm2-util --init-token --free --label bench --so-pin 12345678 --pin 1234 >/dev/null

cat >"$TMP/dstack-pkcs11.conf" <<CONF
[token]
label = dstack

[key p256]
path = bench/p256
type = ec-p256

[key ed]
path = bench/ed
type = ed25519

[key rsa2048]
path = bench/rsa2048
type = rsa-2048
usage = sign, decrypt

[key k1]
path = bench/k1
type = secp256k1
CONF
export DSTACK_PKCS11_CONF="$TMP/dstack-pkcs11.conf"

"$SIMULATOR" --socket "$TMP/dstack.sock" >"$TMP/simulator.log" 2>&1 &
SIM_PID=$!
for ((i = 0; i < 200; i++)); do [ -S "$TMP/dstack.sock" ] && break; sleep 0.05; done
[ -S "$TMP/dstack.sock" ] || { echo "run.sh: simulator did not start: $(cat "$TMP/simulator.log")" >&2; exit 1; }
export DSTACK_SIMULATOR_ENDPOINT="$TMP/dstack.sock"

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -m), $(nproc) CPUs, $(openssl version)"
${BENCH_WRAP:-} "$BENCH" --module "$MODULE" --softhsm "$SOFTHSM" --softhsm-pin 1234 "$@"
