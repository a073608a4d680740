#!/usr/bin/env bash
# The integration tests against the installed Debian packages, in a clean
# Debian 12 root:
#   scripts/root-test.sh DEBDIR BUILDDIR
# DEBDIR holds the packages (scripts/debs.sh); BUILDDIR is a configured and
# built tree of this clone (scripts/test.sh's build-test): its meson test
# list and test helpers (p11-hold, the JS SDK's npm cache) are used, never
# its products. The root is made by mmdebstrap (scripts/roots.sh) with the
# test programs only, the packages are installed with apt-get, and
# `meson test --setup installed` runs the integration suite and the
# installed suite one test at a time (one simulator, on /var/run/dstack.sock)
# inside the root, without network (loopback only).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/roots.sh
debdir=$(realpath "$1") build=$(realpath "$2")
src=$PWD
root=$src/build-pkg/roots/bookworm

root_make bookworm "$root" $(bash scripts/deps.sh installed --print)
mkdir -p "$root/debs"
cp "$debdir"/dstack-pkcs11_*.deb "$debdir"/dstack-simulator_*.deb "$root/debs/"
echo "root bookworm: apt-get install ./dstack-pkcs11_*.deb ./dstack-simulator_*.deb"
root_run_net "$root" sh -c 'cd /debs && apt-get install -y -q ./dstack-pkcs11_*.deb ./dstack-simulator_*.deb' \
    >"$root.install.log" 2>&1 || { tail -30 "$root.install.log" >&2; exit 1; }
root_run "$root" dpkg-query -W -f='${Package} ${Version}\n' dstack-pkcs11 dstack-simulator openssl openssh-client nginx p11-kit

DSK_ROOT_BINDS="$src:$src:ro $build:$build" root_run "$root" \
    meson test -C "$build" --no-rebuild --setup installed --suite integration --suite installed \
    --num-processes 1 --print-errorlogs
