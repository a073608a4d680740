# shellcheck shell=bash
# Helpers shared by the provider integration tests; sourced after ../lib.sh.
#
# provconf writes a key configuration with one key of every type, an
# openssl.cnf that loads the default provider first and then dstack.so, and
# a second openssl.cnf with the default provider alone (the judge of every
# result). P runs openssl with our provider, D with the default provider
# alone; run keeps a command's output and fails showing it.

. "$DSK_SRCDIR/scripts/openssl-cnf.sh"
PROVIDER_SO="$PROVIDER_DIR/dstack.so"
[ -f "$PROVIDER_SO" ] || fail "provider not built: $PROVIDER_SO"

DSKCONF="$TMP/dstack-pkcs11.conf"
CNF_DSTACK="$TMP/openssl-dstack.cnf"
CNF_DEFAULT="$TMP/openssl-default.cnf"

# Labels of the standard key set and, for each, its type and path.
PROV_LABELS="web p384 k1 ed rsa"
declare -A KTYPE=([web]=ec-p256 [p384]=ec-p384 [k1]=secp256k1 [ed]=ed25519 [rsa]=rsa-2048)
declare -A KPATH=([web]=/it/prov/web [p384]=/it/prov/p384 [k1]=/it/prov/k1 [ed]=/it/prov/ed
                  [rsa]=/it/prov/rsa)

# provconf [extra INI text]: the key set, both openssl.cnf files, and
# OPENSSL_CONF pointing at the one with our provider.
provconf() {
    local l
    : >"$DSKCONF"
    for l in $PROV_LABELS; do
        printf '[key %s]\npath = %s\ntype = %s\n' "$l" "${KPATH[$l]}" "${KTYPE[$l]}" >>"$DSKCONF"
        # RSA keys sign only unless decrypt is asked for.
        [ "$l" != rsa ] || printf 'usage = sign, decrypt\n' >>"$DSKCONF"
        printf '\n' >>"$DSKCONF"
    done
    [ $# -eq 0 ] || printf '%s\n' "$@" >>"$DSKCONF"
    # Installed, OpenSSL finds dstack.so in its modules directory by name.
    local provider_module_line="module = $PROVIDER_SO"
    [ -z "${DSK_INSTALLED:-}" ] || provider_module_line="# (installed: found by name)"
    dsk_openssl_cnf "$CNF_DSTACK" "$provider_module_line" "dstack_conf = $DSKCONF"
    dsk_openssl_cnf "$CNF_DEFAULT"
    export OPENSSL_CONF="$CNF_DSTACK"
}

# The inline URI naming the same key as label $1.
inline_uri() {
    local u="dstack:path=${KPATH[$1]};type=${KTYPE[$1]}"
    [ "$1" != rsa ] || u="$u;usage=sign,decrypt" # RSA: decrypt must be asked for
    echo "$u"
}

# Not for a server put in the background: `P s_server ... &` makes $! a
# subshell, and killing it leaves openssl running. Start openssl itself.
P() { OPENSSL_CONF="$CNF_DSTACK" openssl "$@"; }
D() { OPENSSL_CONF="$CNF_DEFAULT" openssl "$@"; }

# run NAME CMD...: CMD's output in $TMP/NAME.out and .err; failure shows both.
run() {
    local name=$1
    shift
    if ! "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
        echo "--- stdout of $name:" >&2
        head -c 4000 "$TMP/$name.out" >&2
        echo "--- stderr of $name:" >&2
        head -c 4000 "$TMP/$name.err" >&2
        fail "$name: command failed: $*"
    fi
}

# must_fail NAME CMD...: CMD must exit non-zero (output kept as for run).
must_fail() {
    local name=$1
    shift
    if "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
        fail "$name: succeeded but must fail: $*"
    fi
}

# pubkeys: $TMP/LABEL.pub (PEM SPKI) for every label, through the provider,
# checked to be a public key the default provider alone reads.
pubkeys() {
    local l
    for l in $PROV_LABELS; do
        run "pub-$l" P pkey -in "dstack:$l" -pubout -out "$TMP/$l.pub"
        run "pubcheck-$l" D pkey -pubin -in "$TMP/$l.pub" -noout
    done
}

# refs: $TMP/ref-LABEL.pem (label form) and $TMP/ref-inline-LABEL.pem
# (inline form) written by the provider's encoder.
refs() {
    local l
    for l in $PROV_LABELS; do
        run "ref-$l" P pkey -in "dstack:$l" -out "$TMP/ref-$l.pem"
        run "refi-$l" P pkey -in "$(inline_uri "$l")" -out "$TMP/ref-inline-$l.pem"
        grep -q 'BEGIN DSTACK KEY REFERENCE' "$TMP/ref-$l.pem" ||
            fail "pkey -in dstack:$l -out wrote no reference: $(cat "$TMP/ref-$l.pem")"
    done
}

# cert LABEL [req options]: self-signed $TMP/LABEL.crt made with the dstack key,
# CN=localhost with subjectAltName DNS:localhost, IP:127.0.0.1.
cert() {
    local l=$1
    shift
    run "req-$l" P req -x509 -new -key "dstack:$l" -subj "/CN=localhost" -days 2 \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" "$@" -out "$TMP/$l.crt"
}
