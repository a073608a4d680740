#!/bin/bash
# dstack-key statement -> verify for all seven key types against the
# development KMS root and the simulator's app id: exit 0 with every check
# printed; one changed byte in the SPKI, a chain link, the app id or the
# purpose, a wrong --app-id or a wrong --kms-root: exit 1 naming the check
# that failed (a changed link 0 usually still recovers, to another app key,
# which link 1 then refuses: either check may name it). Two processes, and a restarted simulator, give byte-identical
# statements. verify never contacts the agent (it runs with the agent down).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/toollib.sh"

sim_start
toolconf
OTHER_ROOT=02db8af749ee56bf043b058418e04e1173217534d25117eb16cf0ff329b5869d25 # a point, not the KMS
OTHER_APP=5bb4ff9a3837357f19dc176407a5709c62eb6c57

for l in $TOOL_LABELS; do
    run "st1-$l" K statement "$l"
    run "st2-$l" K statement "$l"
    cmp -s "$TMP/st1-$l.out" "$TMP/st2-$l.out" || fail "$l: two processes gave different statements"
    run "der-$l" K pub --format der "$l"
done
ok "statement: two processes give byte-identical statements for all 7 types"

sim_stop
sim_start
for l in $TOOL_LABELS; do
    run "st3-$l" K statement "$l"
    cmp -s "$TMP/st1-$l.out" "$TMP/st3-$l.out" || fail "$l: the statement changed after a simulator restart"
done
ok "statement: byte-identical after a simulator restart"
sim_stop # verify needs no agent

V() { K verify "$1" --app-id "${2:-$DEV_APP_ID}" --kms-root "${3:-$DEV_ROOT}"; }

for l in $TOOL_LABELS; do
    st=$TMP/st1-$l.out
    run "ok-$l" V "$st"
    grep -q '^verdict: VALID' "$TMP/ok-$l.out" || fail "$l: no VALID verdict"
    grep -q '^ok ' "$TMP/ok-$l.out" || fail "$l: no checks printed"
    grep -q '^not checked: ' "$TMP/ok-$l.out" || fail "$l: verify does not say what it did not check"
    # from standard input too
    run "stdin-$l" K verify - --app-id "$DEV_APP_ID" --kms-root "$OTHER_ROOT" --kms-root "$DEV_ROOT" <"$st"

    run "tamper-$l" env SPKI_DER="$TMP/der-$l.out" APP_ID="$DEV_APP_ID" \
        python3 "$here/tamper.py" "$st" "$TMP/$l" spki link0 link1 app_id purpose
    for part in spki link0 link1 app_id purpose; do
        cmp -s "$st" "$TMP/$l-$part.json" && fail "$l: tampering with $part changed nothing"
        expect_exit 1 "bad-$part-$l" V "$TMP/$l-$part.json"
    done
    verdict "bad-spki-$l" 'key type|spki|purpose|link 0'
    verdict "bad-link0-$l" 'link 0|link 1'
    verdict "bad-link1-$l" 'link 1'
    verdict "bad-app_id-$l" 'app id'
    verdict "bad-purpose-$l" 'purpose'

    expect_exit 1 "wrong-app-$l" V "$st" "$OTHER_APP"
    verdict "wrong-app-$l" 'app id'
    expect_exit 1 "wrong-root-$l" V "$st" "$DEV_APP_ID" "$OTHER_ROOT"
    verdict "wrong-root-$l" 'link 1'
done
ok "verify: exit 0 for all 7 types; a changed byte in SPKI, link 0, link 1, app id or purpose, a wrong app id or a wrong root: exit 1 naming the failed check"
