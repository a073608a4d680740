#!/bin/bash
# Chain verification on every derivation, with real programs: with the
# development KMS root pinned, pkcs11-tool, openssl through the provider
# and nginx sign as before; a spoofed agent (an app key signed by another
# KMS, made by dstack-simulator --make-appkeys) is refused under require by
# every front end (openssl, pkcs11-tool, nginx, dstack-key), for every key,
# with a message naming the recovered root and the pinned one (nginx's error
# log too); warn logs and works, off works silently (all four front ends); a
# KMS-less agent (empty link 1) is refused under require.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../provider/provlib.sh"

DEV_ROOT=0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6
SPOOF_KMS=0202020202020202020202020202020202020202020202020202020202020202
P11TOOL=$(command -v pkcs11-tool) || fail "pkcs11-tool not installed (opensc)"
[ -x "$NGINX" ] || fail "nginx not installed: $NGINX"
if [ -n "${DSK_INSTALLED:-}" ]; then
    DSTACK_KEY=$(installed_file dstack-pkcs11 '^/usr/bin/dstack-key$')
else
    DSTACK_KEY="$DSK_BUILDDIR/tool/dstack-key"
fi

# Keys the PKCS#11 module reads too: the provider's key set with ids.
declare -A KID=([web]=01 [p384]=02 [k1]=03 [ed]=04 [rsa]=05)
p11conf() { # p11conf VERIFY-LINES...
    local l
    provconf "[token]" "kms_root = $DEV_ROOT" "$@"
    for l in $PROV_LABELS; do
        sed -i "s/^\[key $l\]\$/&\nid = ${KID[$l]}/" "$DSKCONF"
    done
}
MSG="$TMP/msg.txt"
echo "provenance" >"$MSG"
openssl dgst -sha256 -binary "$MSG" >"$TMP/msg.sha256"

# slot_of TOKEN: the slot id of the token with exactly that label
# (--token-label matches a prefix: "dstack" would also pick "dstack-ed25519").
slot_of() {
    DSTACK_PKCS11_CONF=$DSKCONF "$P11TOOL" --module "$PKCS11_MODULE" -L 2>/dev/null | awk -v want="$1" '
        /^Slot [0-9]+ \(/ { id = $3; gsub(/[():]/, "", id) }
        /token label/ { l = $0; sub(/^[^:]*: /, "", l); sub(/[ \t]+$/, "", l); if (l == want) print id }'
}

# p11sign NAME LABEL: pkcs11-tool signs with the key (mechanism by type).
p11sign() {
    local name=$1 l=$2 mech token=dstack in="$TMP/msg.sha256" slot
    case ${KTYPE[$l]} in
    ed25519) mech=EDDSA token=dstack-ed25519 in=$MSG ;;
    rsa-*) mech=SHA256-RSA-PKCS in=$MSG ;;
    *) mech=ECDSA ;;
    esac
    slot=$(slot_of "$token")
    [ -n "$slot" ] || { echo "no token $token" >&2; return 1; }
    DSTACK_PKCS11_CONF=$DSKCONF "$P11TOOL" --module "$PKCS11_MODULE" --slot "$slot" \
        --sign --id "${KID[$l]}" -m "$mech" -i "$in" -o "$TMP/$name.sig"
}

# ---- the development KMS pinned: everything works ----------------------
sim_start
p11conf
for l in $PROV_LABELS; do
    run "dev-prov-$l" P pkey -in "dstack:$l" -pubout -out "$TMP/$l.pub"
    run "dev-p11-$l" p11sign "dev-p11-$l" "$l"
done
run dev-dgst P dgst -sha256 -sign dstack:web -out "$TMP/web.sig" "$MSG"
run dev-verify D dgst -sha256 -verify "$TMP/web.pub" -signature "$TMP/web.sig" "$MSG"
ok "kms_root = development root (verify defaults to require): openssl and pkcs11-tool sign with every key type"

# nginx with a reference file, under require.
run dev-ref P pkey -in dstack:web -out "$TMP/ref-web.pem"
run dev-cert P req -x509 -new -key dstack:web -subj /CN=localhost -days 2 -out "$TMP/web.crt"
ng_servers() {
    cat <<CONF
    server {
        listen 127.0.0.1:$PORT ssl;
        server_name localhost;
        ssl_certificate $TMP/web.crt;
        ssl_certificate_key $TMP/ref-web.pem;
        location / { return 200 "anchored\n"; }
    }
CONF
}
# ng_serve NAME: nginx starts with the key and serves one page over TLS;
# its error log is kept in $TMP/NAME.log.
ng_serve() {
    ng_start PORT
    run "$1-curl" curl -sS --fail --cacert "$TMP/web.crt" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/"
    grep -qx anchored "$TMP/$1-curl.out" || fail "$1: nginx answered: $(cat "$TMP/$1-curl.out")"
    ng_stop
    cat "$TMP/nginx.err" "$NG/logs/error.log" >"$TMP/$1.log"
}
ng_serve dev
ok "nginx serves with the key under verify = require and the development root pinned"

# ---- a spoofed agent ---------------------------------------------------
sim_stop
run make-spoof "$SIMULATOR" --make-appkeys "$TMP/spoof.json" --kms-key "$SPOOF_KMS"
SPOOF_ROOT=$(cat "$TMP/make-spoof.out")
[ ${#SPOOF_ROOT} = 66 ] || fail "--make-appkeys printed '$SPOOF_ROOT', not a root"
sim_start --keys "$TMP/spoof.json"

# names_roots FILE WHAT: the message names the recovered and the pinned root.
names_roots() {
    grep -q "$SPOOF_ROOT" "$1" && grep -q "$DEV_ROOT" "$1" ||
        fail "$2: the message does not name the recovered root $SPOOF_ROOT and the pinned $DEV_ROOT: $(cat "$1")"
}
for l in $PROV_LABELS; do
    must_fail "spoof-prov-$l" P pkey -in "dstack:$l" -pubout
    names_roots "$TMP/spoof-prov-$l.err" "openssl pkey dstack:$l"
    grep -q "key '$l'" "$TMP/spoof-prov-$l.err" || fail "provider message does not name key $l: $(cat "$TMP/spoof-prov-$l.err")"
    must_fail "spoof-p11-$l" p11sign "spoof-p11-$l" "$l"
    grep -q CKR_DEVICE_ERROR "$TMP/spoof-p11-$l.err" || fail "pkcs11-tool $l: no CKR_DEVICE_ERROR: $(cat "$TMP/spoof-p11-$l.err")"
    names_roots "$TMP/spoof-p11-$l.err" "pkcs11-tool $l"
done
must_fail spoof-ref P pkey -in "$TMP/ref-web.pem" -pubout
names_roots "$TMP/spoof-ref.err" "openssl pkey with the reference file"
ok "spoofed agent, verify = require: openssl and pkcs11-tool refuse every key, naming both roots ($SPOOF_ROOT recovered, $DEV_ROOT pinned)"

# nginx refuses to start with the key; its error log says why.
PORT=$(free_port)
ng_write
: >"$NG/logs/error.log"
if ng_exec -g 'daemon off;' >"$TMP/nginx.out" 2>"$TMP/nginx.err"; then
    fail "nginx ran with a spoofed agent under verify = require"
fi
cat "$TMP/nginx.err" "$NG/logs/error.log" >"$TMP/nginx-all.log"
names_roots "$TMP/nginx-all.log" "nginx"
grep -q "$DEV_ROOT" "$NG/logs/error.log" || fail "nginx's error log does not name the pinned root: $(cat "$NG/logs/error.log")"
ok "spoofed agent, verify = require: nginx does not start; its error log names both roots"

# dstack-key, the third front end: refuses too, naming both roots.
must_fail spoof-tool "$DSTACK_KEY" --conf "$DSKCONF" pub web
names_roots "$TMP/spoof-tool.err" "dstack-key pub web"
[ "$(wc -l <"$TMP/spoof-tool.err")" = 1 ] || fail "dstack-key: not one line: $(cat "$TMP/spoof-tool.err")"
ok "spoofed agent, verify = require: dstack-key pub refuses in one line naming both roots"

# warn: works, says so once.
p11conf "verify = warn"
run warn-prov P dgst -sha256 -sign dstack:web -out "$TMP/warn.sig" "$MSG"
grep -q "verify = warn" "$TMP/warn-prov.err" && names_roots "$TMP/warn-prov.err" "warn (provider)" ||
    fail "verify = warn: no warning naming the roots: $(cat "$TMP/warn-prov.err")"
run warn-p11 p11sign warn-p11 web
names_roots "$TMP/warn-p11.err" "warn (pkcs11-tool)"
# The spoofed agent's app key gives other keys: a certificate for its web key.
run warn-cert P req -x509 -new -key dstack:web -subj /CN=localhost -days 2 -out "$TMP/web.crt"
ng_serve warn-nginx
grep -q "verify = warn" "$TMP/warn-nginx.log" && names_roots "$TMP/warn-nginx.log" "warn (nginx)" ||
    fail "verify = warn: nginx logged no warning naming the roots: $(cat "$TMP/warn-nginx.log")"
run warn-tool "$DSTACK_KEY" --conf "$DSKCONF" pub web
ok "spoofed agent, verify = warn: openssl, pkcs11-tool, nginx and dstack-key work and warn naming both roots"

# off: works silently.
p11conf "verify = off"
run off-prov P dgst -sha256 -sign dstack:web -out "$TMP/off.sig" "$MSG"
run off-p11 p11sign off-p11 web
ng_serve off-nginx
run off-tool "$DSTACK_KEY" --conf "$DSKCONF" pub web
if grep -q "$SPOOF_ROOT\|anchored\|verify" "$TMP/off-prov.err" "$TMP/off-p11.err" "$TMP/off-nginx.log" \
    "$TMP/off-tool.err"; then
    fail "verify = off said something: $(cat "$TMP/off-prov.err" "$TMP/off-p11.err" "$TMP/off-nginx.log" "$TMP/off-tool.err")"
fi
ok "spoofed agent, verify = off: openssl, pkcs11-tool, nginx and dstack-key work, nothing logged"

# ---- a KMS-less agent --------------------------------------------------
sim_stop
run make-nokms "$SIMULATOR" --make-appkeys "$TMP/nokms.json" --kms-key none
sim_start --keys "$TMP/nokms.json"
p11conf
for l in web ed; do
    must_fail "nokms-prov-$l" P pkey -in "dstack:$l" -pubout
    grep -q "unanchored" "$TMP/nokms-prov-$l.err" && grep -q "no KMS" "$TMP/nokms-prov-$l.err" ||
        fail "KMS-less agent: provider message for $l: $(cat "$TMP/nokms-prov-$l.err")"
    must_fail "nokms-p11-$l" p11sign "nokms-p11-$l" "$l"
    grep -q "unanchored" "$TMP/nokms-p11-$l.err" || fail "KMS-less agent: pkcs11-tool $l: $(cat "$TMP/nokms-p11-$l.err")"
done
ok "KMS-less agent (empty link 1), verify = require: openssl and pkcs11-tool refuse (unanchored)"
