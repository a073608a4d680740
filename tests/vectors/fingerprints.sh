#!/usr/bin/env bash
# fingerprints.sh BUILDDIR: the OpenSSL version, then for every key type
# the SHA-256 of the public key (DER SPKI) the build's provider derives for
# a fixed path against the build's simulator. scripts/container-test.sh
# compares the output on Debian 12 (OpenSSL 3.0) and Debian 13 (3.5): the
# derivation contract gives the same keys on both.
set -euo pipefail
b=$(realpath "$1")
tmp=$(mktemp -d)
trap 'kill $sim 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
"$b/simulator/dstack-simulator" --socket "$tmp/s" --quiet &
sim=$!
for _ in $(seq 200); do [ -S "$tmp/s" ] && break; sleep 0.05; done
. "$(dirname "$0")/../../scripts/openssl-cnf.sh"
dsk_openssl_cnf "$tmp/openssl.cnf" "module = $b/provider/dstack.so"
export OPENSSL_CONF=$tmp/openssl.cnf DSTACK_SIMULATOR_ENDPOINT=$tmp/s DSTACK_PKCS11_CONF=$tmp/none.conf
openssl version | cut -d' ' -f1,2
for t in ec-p256 ec-p384 secp256k1 ed25519 rsa-2048 rsa-3072 rsa-4096; do
    openssl pkey -in "dstack:path=/fingerprints/$t;type=$t" -pubout -outform DER -out "$tmp/$t.der"
    [ -s "$tmp/$t.der" ] || { echo "fingerprints.sh: no public key for $t" >&2; exit 1; }
    printf '%-10s %s\n' "$t" "$(sha256sum <"$tmp/$t.der" | cut -c1-64)"
done
