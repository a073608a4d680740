#!/bin/bash
# dstack-key info and list: with kms_root = the development KMS root, info
# says the agent's chain is anchored to that root and list --check says so
# for every key; with another root pinned both say mismatch and exit 1;
# with no root pinned info shows where the chain leads, marked as not proof.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/toollib.sh"

OTHER_ROOT=02db8af749ee56bf043b058418e04e1173217534d25117eb16cf0ff329b5869d25

sim_start
toolconf "kms_root = $DEV_ROOT"
run info K info
grep -q "^agent: .*$SIM_SOCK" "$TMP/info.out" || fail "info does not name the agent: $(cat "$TMP/info.out")"
grep -q "^version: " "$TMP/info.out" || fail "info has no version line"
grep -q "^app id: $DEV_APP_ID\$" "$TMP/info.out" || fail "info has not the app id $DEV_APP_ID"
grep -q "anchored to KMS root $DEV_ROOT\$" "$TMP/info.out" || fail "info is not anchored to $DEV_ROOT: $(cat "$TMP/info.out")"
ok "info with kms_root = $DEV_ROOT: anchored to that root, with the agent's version and app id"

run list-check K list --check
for l in $TOOL_LABELS wallet; do
    grep -Eq "^$l +${KTYPE[$l]:-secp256k1} +/.* anchored to KMS root $DEV_ROOT\$" "$TMP/list-check.out" ||
        fail "list --check: $l not anchored: $(cat "$TMP/list-check.out")"
done
ok "list --check: all 8 keys anchored to the development root"

run list K list
head -1 "$TMP/list.out" | grep -Eq '^LABEL +TYPE +PATH +TOKEN$' || fail "list header: $(head -1 "$TMP/list.out")"
grep -Eq '^ed +ed25519 +/it/tool/ed +dstack-ed25519$' "$TMP/list.out" || fail "list: ed line: $(cat "$TMP/list.out")"
grep -Eq '^p256 +ec-p256 +/it/tool/p256 +dstack$' "$TMP/list.out" || fail "list: p256 line"
ok "list: label, type, path and token of each key (ed25519 in dstack-ed25519)"

# Another root pinned: the chain does not lead there.
toolconf "kms_root = $OTHER_ROOT" "verify = warn"
expect_exit 1 info-other K info
grep -q "mismatch" "$TMP/info-other.out" || fail "info with another root: $(cat "$TMP/info-other.out")"
grep -q "$DEV_ROOT" "$TMP/info-other.out" || fail "info with another root does not name the recovered root"
expect_exit 1 list-other K list --check
grep -q "p256 .* mismatch" "$TMP/list-other.out" || fail "list --check with another root: $(cat "$TMP/list-other.out")"
ok "another kms_root pinned: info and list --check say mismatch, name the recovered root, exit 1"

# Nothing pinned: where the chain leads, marked as not a proof.
toolconf
run info-none K info
grep -q "no kms_root configured; the agent's chain leads to $DEV_ROOT" "$TMP/info-none.out" ||
    fail "info without kms_root: $(cat "$TMP/info-none.out")"
ok "no kms_root: info shows the root the chain leads to, not as proof"
