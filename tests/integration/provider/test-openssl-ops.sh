#!/bin/bash
# The openssl tool with dstack keys, by label URI, inline URI and reference
# file: pkeyutl -sign/-verify/-decrypt/-derive, dgst -sign, req -x509 and
# cms -sign, for every key type each operation supports. Every result is
# judged by the default provider alone, against the public key that
# `openssl pkey -in dstack:X -pubout` gave.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"

sim_start
provconf
pubkeys
refs

# The inline form and both reference files name the same key as the label.
for l in $PROV_LABELS; do
    run "pubi-$l" P pkey -in "$(inline_uri "$l")" -pubout
    cmp -s "$TMP/pubi-$l.out" "$TMP/$l.pub" || fail "$(inline_uri "$l") is not the key dstack:$l"
    for f in ref-$l ref-inline-$l; do
        run "pubr-$f" P pkey -in "$TMP/$f.pem" -pubout
        cmp -s "$TMP/pubr-$f.out" "$TMP/$l.pub" || fail "$f.pem does not name the key dstack:$l"
    done
done
ok "label, inline URI and both reference files give the same public key, for $PROV_LABELS"

# Key sources for label l: label URI, inline URI, reference file.
sources() { echo "dstack:$1" "$(inline_uri "$1")" "$TMP/ref-$1.pem"; }
tag() { case $1 in "$TMP"/*) echo ref ;; dstack:path=*) echo inline ;; *) echo label ;; esac; }

head -c 1000 /dev/urandom >"$TMP/msg"
openssl dgst -sha256 -binary "$TMP/msg" >"$TMP/msg.sha256"
openssl dgst -sha384 -binary "$TMP/msg" >"$TMP/msg.sha384"

# ---- pkeyutl -sign / -verify ------------------------------------------------
# check_sig NAME LABEL SIG VERIFY-OPTIONS...: the default provider accepts
# SIG with the public key, and refuses it over another input.
check_sig() {
    local name=$1 l=$2 sig=$3
    shift 3
    run "$name-dv" D pkeyutl -verify -pubin -inkey "$TMP/$l.pub" -sigfile "$sig" "$@"
    grep -q 'Signature Verified Successfully' "$TMP/$name-dv.out" ||
        fail "$name: default provider did not verify: $(cat "$TMP/$name-dv.out")"
}

n=0
for l in web p384 k1; do
    for src in $(sources $l); do
        t="sign-$l-$(tag "$src")"
        run "$t" P pkeyutl -sign -inkey "$src" -in "$TMP/msg.sha256" -out "$TMP/$t.sig"
        check_sig "$t" $l "$TMP/$t.sig" -in "$TMP/msg.sha256"
        must_fail "$t-bad" D pkeyutl -verify -pubin -inkey "$TMP/$l.pub" -sigfile "$TMP/$t.sig" \
            -in "$TMP/msg.sha384"
        # Verification through the provider too (the dstack key verifies).
        run "$t-pv" P pkeyutl -verify -inkey "$src" -sigfile "$TMP/$t.sig" -in "$TMP/msg.sha256"
        grep -q 'Signature Verified Successfully' "$TMP/$t-pv.out" || fail "$t: provider did not verify"
        must_fail "$t-pbad" P pkeyutl -verify -inkey "$src" -sigfile "$TMP/$t.sig" -in "$TMP/msg.sha384"
        n=$((n + 1))
    done
done
ok "pkeyutl -sign ECDSA (P-256, P-384, secp256k1) x (label, inline, ref): $n signatures verified by the default provider and by the provider; wrong input refused"

for src in $(sources ed); do
    t="sign-ed-$(tag "$src")"
    run "$t" P pkeyutl -sign -rawin -inkey "$src" -in "$TMP/msg" -out "$TMP/$t.sig"
    check_sig "$t" ed "$TMP/$t.sig" -rawin -in "$TMP/msg"
    must_fail "$t-bad" D pkeyutl -verify -rawin -pubin -inkey "$TMP/ed.pub" -sigfile "$TMP/$t.sig" \
        -in "$TMP/msg.sha256"
    run "$t-pv" P pkeyutl -verify -rawin -inkey "$src" -sigfile "$TMP/$t.sig" -in "$TMP/msg"
done
# Ed25519 is deterministic: all three sources give the same signature.
cmp -s "$TMP/sign-ed-label.sig" "$TMP/sign-ed-inline.sig" && cmp -s "$TMP/sign-ed-label.sig" "$TMP/sign-ed-ref.sig" ||
    fail "Ed25519 signatures of one message differ between label, inline and ref"
ok "pkeyutl -sign -rawin Ed25519 x (label, inline, ref): verified by the default provider, identical"

for src in $(sources rsa); do
    tg=$(tag "$src")
    t="sign-rsa-pkcs1-$tg"
    run "$t" P pkeyutl -sign -inkey "$src" -in "$TMP/msg.sha256" -out "$TMP/$t.sig" -pkeyopt digest:sha256
    check_sig "$t" rsa "$TMP/$t.sig" -in "$TMP/msg.sha256" -pkeyopt digest:sha256
    run "$t-pv" P pkeyutl -verify -inkey "$src" -sigfile "$TMP/$t.sig" -in "$TMP/msg.sha256" -pkeyopt digest:sha256
    # PSS with the salt length as a word, as an integer, and the maximum.
    for salt in digest 32 max; do
        t="sign-rsa-pss$salt-$tg"
        run "$t" P pkeyutl -sign -inkey "$src" -in "$TMP/msg.sha256" -out "$TMP/$t.sig" \
            -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt "rsa_pss_saltlen:$salt"
        check_sig "$t" rsa "$TMP/$t.sig" -in "$TMP/msg.sha256" -pkeyopt digest:sha256 \
            -pkeyopt rsa_padding_mode:pss -pkeyopt "rsa_pss_saltlen:$salt"
        # A PSS signature is not a PKCS#1 v1.5 one.
        must_fail "$t-bad" D pkeyutl -verify -pubin -inkey "$TMP/rsa.pub" -sigfile "$TMP/$t.sig" \
            -in "$TMP/msg.sha256" -pkeyopt digest:sha256
    done
done
# PKCS#1 v1.5 is deterministic.
cmp -s "$TMP/sign-rsa-pkcs1-label.sig" "$TMP/sign-rsa-pkcs1-ref.sig" || fail "RSA PKCS#1 signatures differ between label and ref"
ok "pkeyutl -sign RSA-2048 PKCS#1 v1.5 and PSS (saltlen digest, 32, max) x (label, inline, ref): verified by the default provider"

# ---- pkeyutl -decrypt ----------------------------------------------------
head -c 48 /dev/urandom >"$TMP/secret"
n=0
for pad in "rsa_padding_mode:pkcs1" "rsa_padding_mode:oaep" \
    "rsa_padding_mode:oaep rsa_oaep_md:sha256" \
    "rsa_padding_mode:oaep rsa_oaep_md:sha256 rsa_mgf1_md:sha1 rsa_oaep_label:0a0b0c"; do
    opts=()
    for o in $pad; do opts+=(-pkeyopt "$o"); done
    for src in $(sources rsa); do
        t="dec-$n-$(tag "$src")"
        run "$t-enc" D pkeyutl -encrypt -pubin -inkey "$TMP/rsa.pub" -in "$TMP/secret" -out "$TMP/$t.ct" "${opts[@]}"
        run "$t" P pkeyutl -decrypt -inkey "$src" -in "$TMP/$t.ct" -out "$TMP/$t.pt" "${opts[@]}"
        cmp -s "$TMP/$t.pt" "$TMP/secret" || fail "$t ($pad): decrypted text differs"
        # A flipped ciphertext byte must not decrypt to the secret.
        python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[100]^=1; open(sys.argv[2],"wb").write(b)' \
            "$TMP/$t.ct" "$TMP/$t.badct"
        if P pkeyutl -decrypt -inkey "$src" -in "$TMP/$t.badct" -out "$TMP/$t.badpt" "${opts[@]}" 2>/dev/null; then
            cmp -s "$TMP/$t.badpt" "$TMP/secret" && fail "$t: a corrupted ciphertext decrypted to the secret"
        fi
        n=$((n + 1))
    done
done
ok "pkeyutl -decrypt RSA-2048 PKCS#1 v1.5, OAEP (SHA-1; SHA-256; SHA-256 + MGF1-SHA-1 + label) x (label, inline, ref): $n ciphertexts from the default provider"

# ---- pkeyutl -derive -----------------------------------------------------
declare -A CURVE=([web]=P-256 [p384]=P-384 [k1]=secp256k1)
for l in web p384 k1; do
    run "peer-$l" D genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${CURVE[$l]}" -out "$TMP/peer-$l.pem"
    run "peerpub-$l" D pkey -in "$TMP/peer-$l.pem" -pubout -out "$TMP/peer-$l.pub"
    run "dder-$l" D pkeyutl -derive -inkey "$TMP/peer-$l.pem" -peerkey "$TMP/$l.pub" -out "$TMP/dder-$l.bin"
    [ "$(stat -c %s "$TMP/dder-$l.bin")" -ge 32 ] || fail "derive $l: short secret"
    for src in $(sources $l); do
        t="der-$l-$(tag "$src")"
        run "$t" P pkeyutl -derive -inkey "$src" -peerkey "$TMP/peer-$l.pub" -out "$TMP/$t.bin"
        cmp -s "$TMP/$t.bin" "$TMP/dder-$l.bin" || fail "$t: ECDH secret differs from the peer's"
    done
done
# And a peer of another curve is refused.
must_fail der-mismatch P pkeyutl -derive -inkey dstack:web -peerkey "$TMP/peer-p384.pub" -out "$TMP/x.bin"
ok "pkeyutl -derive ECDH (P-256, P-384, secp256k1) x (label, inline, ref): equal to the peer's secret computed by the default provider; wrong curve refused"

# ---- dgst -sign ----------------------------------------------------------
for l in web p384 k1 rsa; do
    for src in $(sources $l); do
        t="dgst-$l-$(tag "$src")"
        run "$t" P dgst -sha384 -sign "$src" -out "$TMP/$t.sig" "$TMP/msg"
        run "$t-dv" D dgst -sha384 -verify "$TMP/$l.pub" -signature "$TMP/$t.sig" "$TMP/msg"
        grep -q 'Verified OK' "$TMP/$t-dv.out" || fail "$t: not verified"
        must_fail "$t-bad" D dgst -sha384 -verify "$TMP/$l.pub" -signature "$TMP/$t.sig" "$TMP/msg.sha256"
    done
done
for src in $(sources rsa); do
    t="dgst-rsapss-$(tag "$src")"
    run "$t" P dgst -sha256 -sign "$src" -sigopt rsa_padding_mode:pss -out "$TMP/$t.sig" "$TMP/msg"
    run "$t-dv" D dgst -sha256 -verify "$TMP/rsa.pub" -sigopt rsa_padding_mode:pss -signature "$TMP/$t.sig" "$TMP/msg"
    grep -q 'Verified OK' "$TMP/$t-dv.out" || fail "$t: not verified"
done
ok "dgst -sha384 -sign (P-256, P-384, secp256k1, RSA PKCS#1) and -sha256 RSA-PSS x (label, inline, ref): verified by the default provider"

# ---- req -x509 -----------------------------------------------------------
# check_cert NAME LABEL: self-signed, signature good, key = the dstack key.
check_cert() {
    run "$1-verify" D verify -CAfile "$TMP/$1.crt" "$TMP/$1.crt"
    run "$1-pub" D x509 -in "$TMP/$1.crt" -noout -pubkey
    cmp -s "$TMP/$1-pub.out" "$TMP/$2.pub" || fail "$1: certificate key is not dstack:$2"
}
for l in $PROV_LABELS; do
    for src in $(sources $l); do
        t="req-$l-$(tag "$src")"
        run "$t" P req -x509 -new -key "$src" -subj "/CN=it $l" -days 1 -out "$TMP/$t.crt"
        check_cert "$t" $l
    done
done
for src in $(sources rsa); do
    t="req-rsapss-$(tag "$src")"
    run "$t" P req -x509 -new -key "$src" -subj "/CN=it pss" -days 1 -sigopt rsa_padding_mode:pss \
        -sigopt rsa_pss_saltlen:32 -out "$TMP/$t.crt"
    check_cert "$t" rsa
    run "$t-text" D x509 -in "$TMP/$t.crt" -noout -text
    grep -q 'Signature Algorithm: rsassaPss' "$TMP/$t-text.out" || fail "$t: not an RSA-PSS certificate"
done
run req-ed-text D x509 -in "$TMP/req-ed-label.crt" -noout -text
grep -q 'Signature Algorithm: ED25519' "$TMP/req-ed-text.out" || fail "req -x509 Ed25519: wrong algorithm"
ok "req -x509 for P-256, P-384, secp256k1, Ed25519, RSA PKCS#1 and RSA-PSS x (label, inline, ref): openssl verify (default provider) accepts each, key matches"

# ---- cms -sign -----------------------------------------------------------
# Ed25519 is left out: OpenSSL 3.0 cannot CMS-sign with Ed25519 even with
# the default provider ("no default digest" in CMS_add1_signer).
for l in web p384 k1 rsa rsapss; do
    kl=$l
    extra=()
    [ $l = rsapss ] && kl=rsa && extra=(-keyopt rsa_padding_mode:pss)
    for src in $(sources $kl); do
        t="cms-$l-$(tag "$src")"
        run "$t" P cms -sign -binary -in "$TMP/msg" -signer "$TMP/req-$kl-label.crt" -inkey "$src" \
            "${extra[@]}" -outform DER -out "$TMP/$t.p7s"
        # Detached (the cms default): checked against the content.
        run "$t-dv" D cms -verify -binary -inform DER -in "$TMP/$t.p7s" -CAfile "$TMP/req-$kl-label.crt" \
            -content "$TMP/msg" -out "$TMP/$t.content"
        cmp -s "$TMP/$t.content" "$TMP/msg" || fail "$t: verified content differs"
        must_fail "$t-bad" D cms -verify -binary -inform DER -in "$TMP/$t.p7s" -CAfile "$TMP/req-$kl-label.crt" \
            -content "$TMP/msg.sha256"
    done
done
run cms-pss-print D cms -cmsout -print -inform DER -in "$TMP/cms-rsapss-label.p7s"
grep -q 'rsassaPss' "$TMP/cms-pss-print.out" || fail "cms -keyopt rsa_padding_mode:pss did not give RSA-PSS"
ok "cms -sign for P-256, P-384, secp256k1, RSA PKCS#1 and RSA-PSS x (label, inline, ref): cms -verify (default provider) accepts, tampered content refused"
