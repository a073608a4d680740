#!/bin/bash
# Whole-process costs (issue 14 §4), CPU time side by side (bench-process.py):
#  - one-shot `openssl dgst -sha256 -sign` with a PEM key file (A) against
#    the same with dstack:web through the provider (B), the simulator on a
#    unix socket;
#  - `openssl version -a` without (A) and with (B) the provider configured;
#  - `p11-kit list-modules` without (A) and with (B) dstack.module (run in a
#    private mount namespace so that no other process sees the module file).
# Usage: bench/process/run.sh [BUILDDIR] [REPS]   (as root, for unshare)
set -euo pipefail
BUILD=$(realpath "${1:-build}")
REPS=${2:-21}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${DSK_BENCH_NS:-}" ]; then
    DSK_BENCH_NS=1 exec unshare --mount --propagation private "$0" "$BUILD" "$REPS"
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dsk-bench-proc.XXXXXX")
SIM_PID=""
cleanup() {
    [ -z "$SIM_PID" ] || { kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null || true; }
    rm -rf "$TMP"
}
trap cleanup EXIT

"$BUILD/simulator/dstack-simulator" --socket "$TMP/dstack.sock" >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
for ((i = 0; i < 200; i++)); do [ -S "$TMP/dstack.sock" ] && break; sleep 0.05; done
sleep 0.2
export DSTACK_SIMULATOR_ENDPOINT="$TMP/dstack.sock"
printf '[key web]\npath = bench/web\ntype = ec-p256\n' >"$TMP/dstack-pkcs11.conf"
export DSTACK_PKCS11_CONF="$TMP/dstack-pkcs11.conf"
. "$HERE/../../scripts/openssl-cnf.sh"
dsk_openssl_cnf "$TMP/dstack.cnf" "module = $BUILD/provider/dstack.so" "dstack_conf = $TMP/dstack-pkcs11.conf"
dsk_openssl_cnf "$TMP/plain.cnf"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/web.pem" 2>/dev/null
head -c 1000 /dev/urandom >"$TMP/data"

# p11-kit's module folder with and without dstack.module
CONFIGS=$(pkg-config --variable=p11_module_configs p11-kit-1 2>/dev/null || echo /usr/share/p11-kit/modules)
mkdir "$TMP/mods-without" "$TMP/mods-with"
cp "$CONFIGS"/*.module "$TMP/mods-without/" 2>/dev/null || true
cp "$CONFIGS"/*.module "$TMP/mods-with/" 2>/dev/null || true
printf 'module: %s\ncritical: no\n' "$BUILD/pkcs11/dstack-pkcs11.so" >"$TMP/mods-with/dstack.module"
mkdir -p "$TMP/mods"
mount --bind "$TMP/mods" "$CONFIGS"

cat >"$TMP/p11kit.sh" <<SH
#!/bin/bash
mount --bind "\$1" "$CONFIGS" && p11-kit list-modules; umount "$CONFIGS"
SH
chmod +x "$TMP/p11kit.sh"
# Check the commands work before measuring them.
OPENSSL_CONF="$TMP/dstack.cnf" openssl dgst -sha256 -sign dstack:web -out "$TMP/sig" "$TMP/data"
"$TMP/p11kit.sh" "$TMP/mods-with" | grep -q 'token: dstack' || { echo "p11-kit does not list dstack" >&2; exit 1; }

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, $(openssl version), $REPS pairs, load average $(cut -d" " -f1-3 /proc/loadavg)"
python3 "$HERE/bench-process.py" "$REPS" \
    "openssl dgst -sha256 -sign: PEM file (A) vs dstack:web (B)" -- \
    env OPENSSL_CONF="$TMP/plain.cnf" openssl dgst -sha256 -sign "$TMP/web.pem" -out "$TMP/s1" "$TMP/data" -- \
    env OPENSSL_CONF="$TMP/dstack.cnf" openssl dgst -sha256 -sign dstack:web -out "$TMP/s2" "$TMP/data" --- \
    "openssl version -a: without (A) / with (B) the provider configured" -- \
    env OPENSSL_CONF="$TMP/plain.cnf" openssl version -a -- \
    env OPENSSL_CONF="$TMP/dstack.cnf" openssl version -a --- \
    "p11-kit list-modules: without (A) / with (B) dstack.module" -- \
    "$TMP/p11kit.sh" "$TMP/mods-without" -- \
    "$TMP/p11kit.sh" "$TMP/mods-with"
