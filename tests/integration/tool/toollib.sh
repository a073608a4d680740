# shellcheck shell=bash
# Helpers shared by the dstack-key integration tests; sourced after ../lib.sh.
#
# toolconf writes a configuration with one key of every type (label = the
# type's short name) and exports DSTACK_PKCS11_CONF. K runs the tool.
# expect_exit CODE NAME CMD... runs CMD, keeps its output in $TMP/NAME.out
# and .err, and fails unless it exits with CODE; a failing CMD must print
# exactly one line on standard error.

if [ -n "${DSK_INSTALLED:-}" ]; then
    DSTACK_KEY=$(installed_file dstack-pkcs11 '^/usr/bin/dstack-key$')
else
    DSTACK_KEY="$DSK_BUILDDIR/tool/dstack-key"
fi
[ -x "$DSTACK_KEY" ] || fail "dstack-key not built: $DSTACK_KEY"
K() { "$DSTACK_KEY" "$@"; }

TOOLCONF="$TMP/dstack-pkcs11.conf"
TOOL_LABELS="k1 ed p256 p384 rsa2048 rsa3072 rsa4096"
declare -A KTYPE=([k1]=secp256k1 [ed]=ed25519 [p256]=ec-p256 [p384]=ec-p384 [rsa2048]=rsa-2048
                  [rsa3072]=rsa-3072 [rsa4096]=rsa-4096)
# The development KMS root that signed the official simulator's app key,
# and that app's id (../../../shared/docs/dstack-protocol.md).
DEV_ROOT=0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6
DEV_APP_ID=5bb4ff9a3837357f19dc176407a5709c62eb6c56

# toolconf [extra INI lines for [token]]
toolconf() {
    : >"$TOOLCONF"
    if [ $# -gt 0 ]; then
        printf '[token]\n' >>"$TOOLCONF"
        printf '%s\n' "$@" >>"$TOOLCONF"
        printf '\n' >>"$TOOLCONF"
    fi
    for l in $TOOL_LABELS; do
        printf '[key %s]\npath = /it/tool/%s\ntype = %s\n\n' "$l" "$l" "${KTYPE[$l]}" >>"$TOOLCONF"
    done
    printf '[key wallet]\npath = /eth/main-wallet\ntype = secp256k1\n\n' >>"$TOOLCONF"
    export DSTACK_PKCS11_CONF="$TOOLCONF"
}

show_output() {
    echo "--- stdout of $1:" >&2
    head -c 4000 "$TMP/$1.out" >&2
    echo "--- stderr of $1:" >&2
    head -c 4000 "$TMP/$1.err" >&2
}

# verdict NAME REGEX: NAME's output is a failed verify of a statement whose
# FAIL line names REGEX (test-statement.sh, test-statement-v1.sh).
verdict() {
    grep -q '^verdict: NOT VALID (failed: ' "$TMP/$1.out" || { show_output "$1"; fail "$1: no verdict"; }
    grep -Eiq "^FAIL .*($2)" "$TMP/$1.out" || { show_output "$1"; fail "$1: the failed check does not name $2"; }
}

expect_exit() {
    local want=$1 name=$2 rc=0
    shift 2
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
    if [ "$rc" -ne "$want" ]; then
        show_output "$name"
        fail "$name: exit $rc, want $want: $*"
    fi
    if [ "$want" -ne 0 ] && [ "$(wc -l <"$TMP/$name.err")" -ne 1 ]; then
        show_output "$name"
        fail "$name: a failure must print exactly one line on standard error"
    fi
}

run() { expect_exit 0 "$@"; }

# err_has NAME TEXT: the one-line message of NAME contains TEXT.
err_has() {
    grep -qF -- "$2" "$TMP/$1.err" || { show_output "$1"; fail "$1: message lacks '$2'"; }
}
