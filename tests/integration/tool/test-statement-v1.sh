#!/bin/bash
# Statements for api = v1 keys (docs/provenance.md "v1 statements") and for
# the tappd-p256 type: dstack-key statement -> verify exits 0 for v1
# secp256k1, ed25519, ec-p256 and rsa-2048 keys and for a (v0) tappd-p256
# key; a v1 statement says "api": "v1" and its domain is
# dstack-pkcs11/statement/v1:<type>:<SHA-256 of the SPKI openssl prints>,
# its chain key and link 0 are what v1claim.py recomputes from the app key
# (the throw-away key of that domain, the v1 claim over it); byte-identical from two processes and after a simulator restart; one
# changed byte in the SPKI, either link, the app id or the domain (purpose
# for tappd), the v1 statement relabelled v0, a wrong app id or a wrong
# root: exit 1 naming the check that failed. verify runs with the agent down.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/toollib.sh"

OTHER_ROOT=02db8af749ee56bf043b058418e04e1173217534d25117eb16cf0ff329b5869d25
OTHER_APP=5bb4ff9a3837357f19dc176407a5709c62eb6c57
V1_LABELS="k1v1 edv1 p256v1 rsav1"
declare -A VTYPE=([k1v1]=secp256k1 [edv1]=ed25519 [p256v1]=ec-p256 [rsav1]=rsa-2048 [tappd]=tappd-p256)

sim_start
toolconf
for l in $V1_LABELS; do
    printf '[key %s]\napi = v1\ndomain = it/tool/v1/%s\ntype = %s\n\n' "$l" "$l" "${VTYPE[$l]}" >>"$TOOLCONF"
done
printf '[key tappd]\npath = /it/tool/tappd\ntype = tappd-p256\n\n' >>"$TOOLCONF"

for l in $V1_LABELS tappd; do
    run "st1-$l" K statement "$l"
    run "st2-$l" K statement "$l"
    cmp -s "$TMP/st1-$l.out" "$TMP/st2-$l.out" || fail "$l: two processes gave different statements"
    run "der-$l" K pub --format der "$l"
done
# what the v1 statements say: api v1, the statement domain over this SPKI
for l in $V1_LABELS; do
    want="dstack-pkcs11/statement/v1:${VTYPE[$l]}:$(openssl dgst -sha256 -r "$TMP/der-$l.out" | cut -d' ' -f1)"
    python3 - "$TMP/st1-$l.out" "$want" "it/tool/v1/$l" <<'PY' || fail "$l: the v1 statement's fields"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["api"] == "v1", d["api"]
assert "purpose" not in d
assert bytes.fromhex(d["domain_hex"]).decode() == sys.argv[2], d["domain_hex"]
assert d["path"] == sys.argv[3], d["path"]
PY
done
grep -q '"api":[[:space:]]*"v0"' "$TMP/st1-tappd.out" || fail "tappd: not a v0 statement"
# what the app root key signed, recomputed in Python from the simulator's
# app key file: the throw-away key of the statement domain and the v1 claim
for l in $V1_LABELS; do
    run "claim-$l" python3 "$here/v1claim.py" "${DSK_APPKEYS:-$DSK_SRCDIR/tests/data/appkeys.json}" \
        "$TMP/st1-$l.out"
done
ok "statement: api = v1 keys (secp256k1, ed25519, ec-p256, rsa-2048) give v1 statements over the domain naming their SPKI hash, tappd-p256 a v0 one; chain key and link 0 recomputed independently; byte-identical from two processes"

sim_stop
sim_start
for l in $V1_LABELS tappd; do
    run "st3-$l" K statement "$l"
    cmp -s "$TMP/st1-$l.out" "$TMP/st3-$l.out" || fail "$l: the statement changed after a simulator restart"
done
ok "statement: v1 and tappd-p256 statements byte-identical after a simulator restart"
sim_stop # verify needs no agent

V() { K verify "$1" --app-id "${2:-$DEV_APP_ID}" --kms-root "${3:-$DEV_ROOT}"; }

for l in $V1_LABELS tappd; do
    st=$TMP/st1-$l.out
    run "ok-$l" V "$st"
    grep -q '^verdict: VALID' "$TMP/ok-$l.out" || fail "$l: no VALID verdict"
    grep -q '^not checked: ' "$TMP/ok-$l.out" || fail "$l: verify does not say what it did not check"
    if [ "$l" = tappd ]; then
        text=purpose parts="spki link0 link1 app_id purpose"
    else
        text=domain parts="spki link0 link1 app_id domain api"
        grep -Eq '^ok +domain: ' "$TMP/ok-$l.out" || { show_output "ok-$l"; fail "$l: no domain check"; }
    fi
    run "tamper-$l" env SPKI_DER="$TMP/der-$l.out" APP_ID="$DEV_APP_ID" \
        python3 "$here/tamper.py" "$st" "$TMP/$l" $parts
    for part in $parts; do
        cmp -s "$st" "$TMP/$l-$part.json" && fail "$l: tampering with $part changed nothing"
        expect_exit 1 "bad-$part-$l" V "$TMP/$l-$part.json"
    done
    verdict "bad-spki-$l" "key type|$text|link 0"
    verdict "bad-link0-$l" 'link 0|link 1'
    verdict "bad-link1-$l" 'link 1'
    verdict "bad-app_id-$l" 'app id'
    verdict "bad-$text-$l" "$text"
    [ "$l" = tappd ] || verdict "bad-api-$l" 'key type|link 0|link 1' # secp256k1/ed25519: v0 binds the SPKI to the chain key
    expect_exit 1 "wrong-app-$l" V "$st" "$OTHER_APP"
    verdict "wrong-app-$l" 'app id'
    expect_exit 1 "wrong-root-$l" V "$st" "$DEV_APP_ID" "$OTHER_ROOT"
    verdict "wrong-root-$l" 'link 1'
done
ok "verify: exit 0 for the v1 and tappd-p256 statements; a changed byte in SPKI, link 0, link 1, app id or domain/purpose, a v1 statement relabelled v0, a wrong app id or root: exit 1 naming the check"
