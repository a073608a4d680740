#!/bin/bash
# OpenSC's pkcs11-tool against dstack-pkcs11.so and the simulator: list
# slots and objects, sign with every key type and mechanism pkcs11-tool
# knows, decrypt, derive, and its own --test, --test-threads, --test-fork.
# Every signature is checked by openssl against the public key read from
# the token, and a tampered message must fail that check.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/p11lib.sh"

p11conf
sim_start

S=$(slot_of dstack)
E=$(slot_of dstack-ed25519)
ok "tokens dstack (slot $S) and dstack-ed25519 (slot $E) listed by pkcs11-tool -L"

# ---- objects ------------------------------------------------------------
# has_object FILE CLASS LABEL: pkcs11-tool -O output has that object.
has_object() {
    awk -v cls="$2" -v want="$3" '
        /Object;/ { c = $0 }
        /^ *label:/ { l = $0; sub(/^ *label: */, "", l); if (l == want && index(c, cls) == 1) found = 1 }
        END { exit !found }' "$1"
}
run objects p11 --slot "$S" -O
for k in p256 p384 k1 rsa2048; do
    has_object "$TMP/objects.out" "Private Key Object" "$k" || fail "no private key '$k' in -O: $(cat "$TMP/objects.out")"
    has_object "$TMP/objects.out" "Public Key Object" "$k" || fail "no public key '$k' in -O: $(cat "$TMP/objects.out")"
done
grep -q 'label: *ed$' "$TMP/objects.out" && fail "Ed25519 key listed in token dstack; it belongs in dstack-ed25519"
run objects-ed p11 --slot "$E" -O
has_object "$TMP/objects-ed.out" "Private Key Object" ed || fail "no private key 'ed' in dstack-ed25519"
has_object "$TMP/objects-ed.out" "Public Key Object" ed || fail "no public key 'ed' in dstack-ed25519"
ok "pkcs11-tool -O lists a private and a public key for every configured key"

# ---- signatures ---------------------------------------------------------
MSG="$TMP/msg"
BAD="$TMP/msg-tampered"
printf 'dstack pkcs11 integration test\n' >"$MSG"
printf 'dstack pkcs11 integration test!\n' >"$BAD"
for h in sha1 sha256 sha384 sha512; do
    openssl dgst -"$h" -binary "$MSG" >"$TMP/$h.bin"
    openssl dgst -"$h" -binary "$BAD" >"$TMP/$h-bad.bin"
done

# sign SLOT LABEL MECH IN OUT [pkcs11-tool options...]
sign() {
    local slot=$1 label=$2 mech=$3 in=$4 out=$5
    shift 5
    rm -f "$out"
    run "sign-$label-$mech" p11 --slot "$slot" --sign --id "$(id_of "$label")" -m "$mech" -i "$in" -o "$out" "$@"
    [ -s "$out" ] || fail "sign $label $mech: empty signature"
}

# verified DESC CMD...: openssl must print "Verified OK"/"Signature Verified Successfully".
verified() {
    local desc=$1
    shift
    "$@" >"$TMP/verify.out" 2>&1 || fail "$desc: openssl rejects the signature: $(cat "$TMP/verify.out")"
    grep -qE 'Verified OK|Signature Verified Successfully' "$TMP/verify.out" ||
        fail "$desc: unexpected openssl output: $(cat "$TMP/verify.out")"
}
# rejected DESC CMD...: the same check on a tampered message must fail.
rejected() {
    local desc=$1
    shift
    if "$@" >"$TMP/verify.out" 2>&1; then fail "$desc: openssl accepted a signature over another message"; fi
}

# ECDSA: CKM_ECDSA on a digest (raw r||s and DER), CKM_ECDSA_SHA*.
for spec in "p256 sha256 64" "k1 sha256 64" "p384 sha384 96"; do
    set -- $spec
    k=$1 h=$2 rawlen=$3
    export_pub "$S" "$k" "$TMP/$k.pem"
    sign "$S" "$k" ECDSA "$TMP/$h.bin" "$TMP/$k-raw.sig"
    len=$(stat -c %s "$TMP/$k-raw.sig")
    [ "$len" -eq "$rawlen" ] || fail "$k ECDSA: raw signature is $len bytes, want r||s of $rawlen"
    sign "$S" "$k" ECDSA "$TMP/$h.bin" "$TMP/$k-der.sig" --signature-format openssl
    verified "$k ECDSA" openssl pkeyutl -verify -pubin -inkey "$TMP/$k.pem" -in "$TMP/$h.bin" -sigfile "$TMP/$k-der.sig"
    rejected "$k ECDSA" openssl pkeyutl -verify -pubin -inkey "$TMP/$k.pem" -in "$TMP/$h-bad.bin" -sigfile "$TMP/$k-der.sig"
    for m in ECDSA-SHA256 ECDSA-SHA384 ECDSA-SHA512 ECDSA-SHA1; do
        dh=$(echo "${m#ECDSA-}" | tr 'A-Z' 'a-z')
        sign "$S" "$k" "$m" "$MSG" "$TMP/$k-$m.sig" --signature-format openssl
        verified "$k $m" openssl dgst -"$dh" -verify "$TMP/$k.pem" -signature "$TMP/$k-$m.sig" "$MSG"
        rejected "$k $m" openssl dgst -"$dh" -verify "$TMP/$k.pem" -signature "$TMP/$k-$m.sig" "$BAD"
    done
    ok "$k: ECDSA (raw $rawlen-byte r||s and DER) and ECDSA-SHA1/256/384/512 verified by openssl"
done

# RSA: raw PKCS#1 v1.5, hash-and-sign PKCS#1 v1.5, PSS on a digest and hash-and-sign PSS.
R=rsa2048
export_pub "$S" $R "$TMP/$R.pem"
sign "$S" $R RSA-PKCS "$MSG" "$TMP/$R-pkcs.sig"
openssl pkeyutl -verifyrecover -pubin -inkey "$TMP/$R.pem" -in "$TMP/$R-pkcs.sig" -out "$TMP/$R-recovered" 2>"$TMP/recover.err" ||
    fail "RSA-PKCS: openssl cannot recover the signed block: $(cat "$TMP/recover.err")"
cmp -s "$TMP/$R-recovered" "$MSG" || fail "RSA-PKCS: the signature does not recover the message"
for h in SHA1 SHA256 SHA384 SHA512; do
    dh=$(echo "$h" | tr 'A-Z' 'a-z')
    sign "$S" $R "$h-RSA-PKCS" "$MSG" "$TMP/$R-$h.sig"
    verified "$h-RSA-PKCS" openssl dgst -"$dh" -verify "$TMP/$R.pem" -signature "$TMP/$R-$h.sig" "$MSG"
    rejected "$h-RSA-PKCS" openssl dgst -"$dh" -verify "$TMP/$R.pem" -signature "$TMP/$R-$h.sig" "$BAD"
    sign "$S" $R "$h-RSA-PKCS-PSS" "$MSG" "$TMP/$R-$h-pss.sig"
    verified "$h-RSA-PKCS-PSS" openssl dgst -"$dh" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
        -verify "$TMP/$R.pem" -signature "$TMP/$R-$h-pss.sig" "$MSG"
    rejected "$h-RSA-PKCS-PSS" openssl dgst -"$dh" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
        -verify "$TMP/$R.pem" -signature "$TMP/$R-$h-pss.sig" "$BAD"
done
sign "$S" $R RSA-PKCS-PSS "$TMP/sha256.bin" "$TMP/$R-pss.sig" --hash-algorithm SHA256 --mgf MGF1-SHA256 --salt-len 32
verified "RSA-PKCS-PSS" openssl pkeyutl -verify -pubin -inkey "$TMP/$R.pem" -in "$TMP/sha256.bin" -sigfile "$TMP/$R-pss.sig" \
    -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32
rejected "RSA-PKCS-PSS" openssl pkeyutl -verify -pubin -inkey "$TMP/$R.pem" -in "$TMP/sha256-bad.bin" -sigfile "$TMP/$R-pss.sig" \
    -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32
ok "rsa2048: RSA-PKCS, SHA*-RSA-PKCS, SHA*-RSA-PKCS-PSS and RSA-PKCS-PSS verified by openssl"

# Ed25519 (pure EdDSA over the whole message).
export_pub "$E" ed "$TMP/ed.pem"
sign "$E" ed EDDSA "$MSG" "$TMP/ed.sig"
[ "$(stat -c %s "$TMP/ed.sig")" -eq 64 ] || fail "EDDSA: signature is not 64 bytes"
verified "EDDSA" openssl pkeyutl -verify -pubin -inkey "$TMP/ed.pem" -rawin -in "$MSG" -sigfile "$TMP/ed.sig"
rejected "EDDSA" openssl pkeyutl -verify -pubin -inkey "$TMP/ed.pem" -rawin -in "$BAD" -sigfile "$TMP/ed.sig"
ok "ed: EDDSA verified by openssl"

# ---- decrypt ------------------------------------------------------------
head -c 100 /dev/urandom >"$TMP/secret"
# decrypt_case NAME PKCS11-MECH [pkcs11-tool opts] -- [openssl -pkeyopt values]
decrypt_case() {
    local name=$1 mech=$2
    shift 2
    local p11opts=() sslopts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do p11opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    while [ $# -gt 0 ]; do sslopts+=(-pkeyopt "$1"); shift; done
    run "encrypt-$name" openssl pkeyutl -encrypt -pubin -inkey "$TMP/$R.pem" -in "$TMP/secret" -out "$TMP/$name.ct" "${sslopts[@]}"
    rm -f "$TMP/$name.pt"
    run "decrypt-$name" p11 --slot "$S" --decrypt --id "$(id_of $R)" -m "$mech" -i "$TMP/$name.ct" -o "$TMP/$name.pt" "${p11opts[@]}"
    cmp -s "$TMP/secret" "$TMP/$name.pt" || fail "$name: pkcs11-tool --decrypt did not give back what openssl encrypted"
    ok "rsa2048: $name decrypts what openssl encrypted"
}
decrypt_case RSA-PKCS RSA-PKCS
decrypt_case OAEP-SHA1 RSA-PKCS-OAEP --hash-algorithm SHA-1 --mgf MGF1-SHA1 -- rsa_padding_mode:oaep
decrypt_case OAEP-SHA256 RSA-PKCS-OAEP --hash-algorithm SHA256 --mgf MGF1-SHA256 -- \
    rsa_padding_mode:oaep rsa_oaep_md:sha256 rsa_mgf1_md:sha256

# ---- derive -------------------------------------------------------------
for spec in "p256 P-256" "p384 P-384" "k1 secp256k1"; do
    set -- $spec
    k=$1 curve=$2
    run "peer-$k" openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$curve" -out "$TMP/peer-$k.pem"
    run "peer-pub-$k" openssl pkey -in "$TMP/peer-$k.pem" -pubout -outform DER -out "$TMP/peer-$k.der"
    rm -f "$TMP/ecdh-$k.bin"
    run "derive-$k" p11 --slot "$S" --derive -m ECDH1-DERIVE --id "$(id_of "$k")" -i "$TMP/peer-$k.der" -o "$TMP/ecdh-$k.bin"
    run "derive-ossl-$k" openssl pkeyutl -derive -inkey "$TMP/peer-$k.pem" -peerkey "$TMP/$k.pem" -out "$TMP/ecdh-ossl-$k.bin"
    [ -s "$TMP/ecdh-$k.bin" ] || fail "$k ECDH1-DERIVE: empty secret"
    cmp -s "$TMP/ecdh-$k.bin" "$TMP/ecdh-ossl-$k.bin" ||
        fail "$k ECDH1-DERIVE: secret differs from openssl's ($(xxd -p "$TMP/ecdh-$k.bin" | tr -d '\n') vs $(xxd -p "$TMP/ecdh-ossl-$k.bin" | tr -d '\n'))"
    ok "$k: ECDH1-DERIVE gives the secret openssl computes from the peer's side"
done

# ---- pkcs11-tool's own tests ---------------------------------------------
for slot in "$S" "$E"; do
    run "test-$slot" p11 --slot "$slot" --test
    grep -q 'No errors' "$TMP/test-$slot.out" "$TMP/test-$slot.err" ||
        fail "pkcs11-tool --test on slot $slot did not report 'No errors': $(cat "$TMP/test-$slot.out" "$TMP/test-$slot.err")"
done
ok "pkcs11-tool --test: no errors on either token"

# Three threads call C_GetInfo, C_GetSlotList and C_GetTokenInfo at once
# while the main thread lists the slots. No thread calls C_Initialize ("IN"/
# "IL"): pkcs11-tool starts them as its main thread initialises, so one of
# the two calls gets CKR_CRYPTOKI_ALREADY_INITIALIZED, as the standard says
# it must, and pkcs11-tool counts that as a failure (OpenSC's own module
# fails the same way). "P1" waits a second so the main C_Initialize is done.
run test-threads p11 --test-threads P1GISLT0 --test-threads P1GISLT0 --test-threads P1GISLT1 -L
for t in 0 1 2; do
    # OpenSC 0.23 (Debian 12) ends with "thread:N state:0, rv:CKR_OK",
    # 0.26 (Debian 13) with "Test thread N returning rv:CKR_OK".
    grep -Eq "thread:$t state:0, rv:CKR_OK|Test thread $t returning rv:CKR_OK" "$TMP/test-threads.out" "$TMP/test-threads.err" ||
        fail "--test-threads: thread $t did not finish with CKR_OK: $(cat "$TMP/test-threads.out" "$TMP/test-threads.err")"
done
grep -q 'token label *: dstack$' "$TMP/test-threads.out" || fail "--test-threads: token not listed: $(cat "$TMP/test-threads.out")"
ok "pkcs11-tool --test-threads (3 threads: info, slots, token info) passes"

run test-fork p11 --test-fork
ok "pkcs11-tool --test-fork passes (C_Initialize in a forked child)"
