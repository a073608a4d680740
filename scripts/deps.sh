#!/usr/bin/env bash
# Install the Debian packages a job needs, only those missing.
#   scripts/deps.sh build|demo|test|pkg|test-root|installed [--print]
# --print only prints the list (the clean roots of scripts/roots.sh use it).
# As root: apt-get installs them. Otherwise: prints the exact command and fails.
set -euo pipefail

build=(gcc pkg-config meson ninja-build libssl-dev libp11-kit-dev libcjson-dev
       libcmocka-dev libmicrohttpd-dev libsecp256k1-dev libinih-dev
       openssl curl python3)
demo=("${build[@]}" opensc p11-kit p11-kit-modules nginx)
test=("${demo[@]}" gnutls-bin openssh-client openssh-server softhsm2 valgrind binutils gdb strace)
# tests/integration/programs/ (issue 11): one test per program, on the host
# only (suite 'programs'; the clean roots of scripts/roots.sh do not run them).
programs=(apache2 libengine-pkcs11-openssl haproxy openvpn openjdk-17-jdk-headless osslsigncode
          unzip stunnel4 lighttpd lighttpd-mod-openssl python3-pykcs11 gnupg-pkcs11-scd gnupg
          strongswan-pki libstrongswan-extra-plugins)
# Packaging (scripts/debs.sh) and the clean roots (scripts/roots.sh).
pkg=(dpkg-dev debhelper go-md2man lintian mmdebstrap)
# What a bare Debian root lacks beside the above to run the tests (ss, node
# for the JS SDK test: its npm packages are copied from the host's run).
root_extra=(iproute2 procps mount xxd nodejs)
# A root that runs the integration tests against the installed packages
# (meson runs them; nothing is compiled there).
installed=(meson openssl curl python3 opensc p11-kit p11-kit-modules nginx gnutls-bin
           openssh-client openssh-server softhsm2 valgrind binutils gdb strace "${root_extra[@]}")

case "${1:-}" in
    build) want=("${build[@]}") ;;
    demo) want=("${demo[@]}") ;;
    test) want=("${test[@]}" "${programs[@]}" "${pkg[@]}") ;;
    pkg) want=("${build[@]}" "${pkg[@]}") ;;
    test-root) want=("${test[@]}" "${root_extra[@]}") ;;
    installed) want=("${installed[@]}") ;;
    *) echo "usage: $0 build|demo|test|pkg|test-root|installed" >&2; exit 2 ;;
esac

if [ "${2:-}" = --print ]; then
    echo "${want[@]}"
    exit 0
fi

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The JS SDK test needs node and npm; Debian's nodejs/npm only if none is there.
if [ "$1" = test ] && ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them as root, then run this again:" >&2
    echo "  sudo apt-get update && sudo ${cmd[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps package scripts from starting nginx or sshd as services:
# tests start their own on 127.0.0.1 and unix sockets only.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
fi
"${cmd[@]}" -qq
