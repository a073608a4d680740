# shellcheck shell=bash
# Helpers shared by the program tests; sourced after ../lib.sh. Every test
# drives a real Debian program against the simulator with two keys at
# least: web (P-256) and rsa (RSA-2048), the same keys through the provider
# (dstack:web, reference files) and through the PKCS#11 module
# (pkcs11:token=dstack;object=web).
#
# progs_setup [extra INI]: the simulator, the key configuration (used by the
# module and the provider alike), openssl.cnf files (see provlib.sh), and
# $TMP/LABEL.pub, the public key of each key through the provider.
. "$(dirname "${BASH_SOURCE[0]}")/../provider/provlib.sh"

[ -f "$PKCS11_MODULE" ] || fail "PKCS#11 module not built: $PKCS11_MODULE"
ENGINE_SO=/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so

PROV_LABELS="web rsa"
declare -A KID=([web]=01 [rsa]=02)

progs_setup() {
    sim_start
    provconf "$@"
    # ids for PKCS#11 searches
    sed -i -e "/^\[key web\]/a id = ${KID[web]}" -e "/^\[key rsa\]/a id = ${KID[rsa]}" "$DSKCONF"
    export DSTACK_PKCS11_CONF="$DSKCONF"
    pubkeys
}

# need PROGRAM...: fail (never skip) when a program is missing, naming the
# Debian package list that installs it.
need() {
    local p
    for p in "$@"; do
        command -v "$p" >/dev/null || [ -x "$p" ] ||
            fail "$p is not installed: run scripts/deps.sh test (as root)"
    done
}

# engine_cnf FILE: an openssl.cnf with the provider (as provconf's) AND the
# libp11 engine on our module, loaded but not the default (programs make it
# the default themselves: -engine, SSLCryptoDevice, engine =).
engine_cnf() {
    sed -e 's/^providers = provider_sect$/providers = provider_sect\nengines = engine_sect/' \
        "$CNF_DSTACK" >"$1"
    cat >>"$1" <<CNF

[engine_sect]
pkcs11 = pkcs11_sect

[pkcs11_sect]
engine_id = pkcs11
dynamic_path = $ENGINE_SO
MODULE_PATH = $PKCS11_MODULE
init = 0
CNF
}

# same_pub NAME PEMFILE LABEL: the public key in PEMFILE (a certificate)
# is the dstack key LABEL's.
same_pub() {
    D x509 -in "$2" -pubkey -noout >"$TMP/$1.certpub" 2>"$TMP/$1.certpub.err" ||
        fail "$1: no certificate in $2: $(cat "$TMP/$1.certpub.err")"
    cmp -s "$TMP/$1.certpub" "$TMP/$3.pub" ||
        fail "$1: the certificate's key is not dstack key $3: $(cat "$TMP/$1.certpub")"
}

# fetch NAME PORT LABEL: curl GETs https://localhost:PORT/ (127.0.0.1) and
# openssl s_client keeps the server's certificate, whose key must be LABEL's.
fetch() {
    local name=$1 port=$2 label=$3
    run "$name-curl" curl -sS --max-time 20 -k --resolve "localhost:$port:127.0.0.1" \
        "https://localhost:$port/"
    run "$name-sclient" sh -c "OPENSSL_CONF=$CNF_DEFAULT openssl s_client -connect 127.0.0.1:$port \
        -servername localhost </dev/null"
    D x509 -in "$TMP/$name-sclient.out" -out "$TMP/$name.crt" ||
        fail "$name: no certificate from the server on port $port"
    same_pub "$name" "$TMP/$name.crt" "$label"
}


# fetch_both NAME TEXT: fetch web (P-256) on $PORT1 and rsa (RSA-2048) on
# $PORT2; each page must contain TEXT.
fetch_both() {
    local l port
    for l in web rsa; do
        port=$PORT1
        [ $l = web ] || port=$PORT2
        fetch "$1-$l" "$port" "$l"
        grep -q "$2" "$TMP/$1-$l-curl.out" || fail "$1 $l page: $(cat "$TMP/$1-$l-curl.out")"
    done
}

# serve NAME LOG CMD...: start a server in the background (stopped at exit
# at the latest) and wait until it listens on every port of $PORTS, failing
# with its log. unserve stops it.
SERVED_PID=""
serve() {
    local name=$1 log=$2 p
    shift 2
    "$@" >"$log" 2>&1 &
    SERVED_PID=$!
    for p in $PORTS; do
        wait_listen "$p" "$SERVED_PID" || fail "$name did not start: $(cat "$log" ${SERVED_LOGS:-})"
    done
}
unserve() {
    [ -z "$SERVED_PID" ] || { kill -TERM "$SERVED_PID" 2>/dev/null || true; wait "$SERVED_PID" 2>/dev/null || true; }
    SERVED_PID=""
}
on_exit unserve
