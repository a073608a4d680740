#!/bin/bash
# dstack-key when things go wrong: dstack down, an unknown label, a bad
# option, a bad configuration, a bad file to verify: one line on standard
# error naming the thing and the fix, and the documented exit code. Also:
# every subcommand's --help starts with the synopsis the man page gives.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/toollib.sh"

MAN="$DSK_SRCDIR/docs/dstack-key.1.md"

# ---- --help and the man page ------------------------------------------------
run help K --help
n=0
for cmd in $(awk '/^commands:/ { on = 1; next } on && !NF { exit } on { print $1 }' "$TMP/help.out"); do
    run "help-$cmd" K "$cmd" --help
    syn=$(head -1 "$TMP/help-$cmd.out" | sed 's/^usage: //')
    case "$syn" in "dstack-key $cmd"*) ;; *) fail "$cmd --help: first line '$syn'" ;; esac
    grep -qF -- "\`$syn\`" "$MAN" || fail "$cmd: synopsis '$syn' is not in the man page's SYNOPSIS"
    grep -qF -- "## $cmd" "$MAN" || fail "$cmd: no section '## $cmd' in the man page"
    n=$((n + 1))
done
[ "$n" -ge 8 ] || fail "only $n commands listed by --help"
ok "--help of all $n subcommands starts with the man page's synopsis"

# ---- usage errors: exit 2 ----------------------------------------------------
sim_start
toolconf
expect_exit 2 no-command K
expect_exit 2 bad-command K frobnicate
err_has bad-command "unknown command 'frobnicate'"
expect_exit 2 bad-option K pub --fromat pem p256
err_has bad-option "unknown option '--fromat'"
err_has bad-option "dstack-key pub --help"
expect_exit 2 bad-format K pub --format xml p256
err_has bad-format "use pem, der, ssh, eth or jwk"
expect_exit 2 missing-arg K pub
err_has missing-arg "missing argument"
expect_exit 2 extra-arg K pub p256 p384
err_has extra-arg "unexpected argument 'p384'"
expect_exit 2 no-value K pub p256 --format
err_has no-value "--format needs a value"
ok "bad command, option, format or arguments: one line, exit 2"

# ---- configuration and key names: exit 3 ------------------------------------
expect_exit 3 unknown-label K pub nope
err_has unknown-label "no key labelled 'nope' in $TOOLCONF: add a [key nope] section"
expect_exit 3 bad-uri K pub 'dstack:path=/x;colour=red'
err_has bad-uri "unknown field 'colour'"
expect_exit 3 missing-conf K --conf "$TMP/none.conf" list
err_has missing-conf "$TMP/none.conf does not exist"
printf '[key web]\npaht = /x\n' >"$TMP/bad.conf"
expect_exit 3 bad-conf K pub web --conf "$TMP/bad.conf"
err_has bad-conf "$TMP/bad.conf:2: unknown setting 'paht'"
ok "unknown label, bad URI, missing or bad configuration: one line, exit 3"

# ---- the agent: exit 4 -------------------------------------------------------
sim_stop
for c in "pub p256" "cert p256 --subject /CN=x" "csr p256 --subject /CN=x"; do
    name=down-${c%% *}
    # shellcheck disable=SC2086
    expect_exit 4 "$name" K $c
    err_has "$name" "$SIM_SOCK"
done
err_has down-pub "key 'p256' (path '/it/tool/p256')"
ok "dstack down: pub, cert and csr say which key and which socket, exit 4"
# Needs no agent: ref and verify.
run down-ref K ref p256
run down-list K list
grep -q '^p256 ' "$TMP/down-list.out" || fail "list without the agent lacks p256"

# ---- verify inputs: exit 6, options exit 2 ------------------------------------
echo "hello" >"$TMP/hello.txt"
expect_exit 6 verify-text K verify "$TMP/hello.txt" --app-id "$DEV_APP_ID" --kms-root "$DEV_ROOT"
err_has verify-text "neither a key statement"
expect_exit 6 verify-missing K verify "$TMP/none.json" --app-id "$DEV_APP_ID" --kms-root "$DEV_ROOT"
err_has verify-missing "cannot open $TMP/none.json"
expect_exit 2 verify-no-root K verify "$TMP/hello.txt" --app-id "$DEV_APP_ID"
err_has verify-no-root "at least one --kms-root"
expect_exit 2 verify-bad-root K verify "$TMP/hello.txt" --app-id "$DEV_APP_ID" --kms-root 03abcd
err_has verify-bad-root "--kms-root 03abcd"
expect_exit 2 verify-bad-app K verify "$TMP/hello.txt" --app-id xyz --kms-root "$DEV_ROOT"
err_has verify-bad-app "--app-id"
ok "verify: a file that is no evidence or missing (exit 6), bad --app-id/--kms-root (exit 2)"
