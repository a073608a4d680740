#!/bin/bash
# Keys stay opaque: `openssl pkey -in dstack:X` and `-in ref.pem` print the
# reference PEM (or fail), never a private key; -text, DER, traditional,
# encrypted PKCS#8, pkcs8 -topk8 and pkcs12 -export never carry private
# material. Every output is searched for the key's actual private values,
# computed by the independent derivation reference (leakcheck.py).
# `openssl pkey -pubout` works and gives the public key.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/provlib.sh"

sim_start
provconf
pubkeys
refs

# try NAME CMD...: run CMD whether or not it fails; stdout+stderr kept.
try() {
    local name=$1
    shift
    if "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; then echo 0 >"$TMP/$name.rc"; else echo 1 >"$TMP/$name.rc"; fi
}

checked=0
for l in $PROV_LABELS; do
    rm -f "$TMP"/leak-*
    for src in "dstack:$l" "$TMP/ref-$l.pem"; do
        s=$([ "$src" = "dstack:$l" ] && echo uri || echo ref)
        # Plain pkey: exactly a reference PEM naming the same key.
        run "leak-$s-pem" P pkey -in "$src"
        grep -qx -- '-----BEGIN DSTACK KEY REFERENCE-----' "$TMP/leak-$s-pem.out" ||
            fail "pkey -in $src printed no reference: $(cat "$TMP/leak-$s-pem.out")"
        [ "$(grep -c -- '-----BEGIN ' "$TMP/leak-$s-pem.out")" = 1 ] || fail "pkey -in $src printed more than one PEM block"
        cp "$TMP/leak-$s-pem.out" "$TMP/leak-$s-roundtrip.pem"
        run "leak-$s-rt" P pkey -in "$TMP/leak-$s-roundtrip.pem" -pubout
        cmp -s "$TMP/leak-$s-rt.out" "$TMP/$l.pub" || fail "the reference printed for $src names another key"
        try "leak-$s-text" P pkey -in "$src" -text
        try "leak-$s-textpub" P pkey -in "$src" -text_pub -noout
        try "leak-$s-der" P pkey -in "$src" -outform DER -out "$TMP/leak-$s-der.bin"
        try "leak-$s-trad" P pkey -in "$src" -traditional
        try "leak-$s-enc" P pkey -in "$src" -aes256 -passout pass:secret
        try "leak-$s-p8" P pkcs8 -topk8 -nocrypt -in "$src"
        try "leak-$s-p8enc" P pkcs8 -topk8 -in "$src" -passout pass:secret
        try "leak-$s-p12" P pkcs12 -export -inkey "$src" -nocerts -passout pass:secret -out "$TMP/leak-$s-p12.bin"
        if [ -s "$TMP/leak-$s-p12.bin" ]; then
            try "leak-$s-p12open" D pkcs12 -in "$TMP/leak-$s-p12.bin" -nodes -passin pass:secret
        fi
        case $l in
        rsa) try "leak-$s-rsa" P rsa -in "$src" -text ;;
        ed) ;;
        *) try "leak-$s-ec" P ec -in "$src" -text ;;
        esac
        # -text_pub shows the public key; -text shows no private field.
        [ "$(cat "$TMP/leak-$s-textpub.rc")" = 0 ] || fail "pkey -in $src -text_pub failed: $(cat "$TMP/leak-$s-textpub.err")"
        grep -qi 'pub' "$TMP/leak-$s-textpub.out" || fail "pkey -text_pub shows no public key"
    done
    files=("$TMP"/leak-*.out "$TMP"/leak-*.err)
    [ -e "$TMP/leak-uri-der.bin" ] && files+=("$TMP"/leak-*-der.bin)
    [ -e "$TMP/leak-uri-p12.bin" ] && files+=("$TMP"/leak-*-p12.bin)
    if grep -l 'PRIVATE KEY' "${files[@]}"; then
        fail "a private key PEM block was printed for $l: $(grep -l 'PRIVATE KEY' "${files[@]}" | tr '\n' ' ')"
    fi
    if grep -l -i 'priv:\|privateExponent\|prime1\|coefficient' "${files[@]}"; then
        fail "a private key field was printed for $l"
    fi
    python3 "$here/leakcheck.py" --type "${KTYPE[$l]}" --path "${KPATH[$l]}" --pub "$TMP/$l.pub" "${files[@]}" ||
        fail "private material of dstack:$l found (or the reference check failed)"
    checked=$((checked + ${#files[@]}))
done
ok "pkey/pkcs8/pkcs12/rsa/ec with dstack:X and ref.pem for $PROV_LABELS: references or errors only; $checked outputs hold no private value (searched for the real ones)"

# pkey -pubout gives the public key the default provider reads, from the URI
# and from the reference file, and -pubout -outform DER too.
for l in $PROV_LABELS; do
    run "pubref-$l" P pkey -in "$TMP/ref-$l.pem" -pubout
    cmp -s "$TMP/pubref-$l.out" "$TMP/$l.pub" || fail "pkey -in ref-$l.pem -pubout differs from dstack:$l"
    run "pubder-$l" P pkey -in "dstack:$l" -pubout -outform DER -out "$TMP/$l.pub.der"
    run "pubder2-$l" D pkey -pubin -in "$TMP/$l.pub" -outform DER -out "$TMP/$l.pub2.der"
    cmp -s "$TMP/$l.pub.der" "$TMP/$l.pub2.der" || fail "DER public key of dstack:$l differs"
done
ok "pkey -pubout (PEM and DER) works from dstack:X and ref.pem for $PROV_LABELS"
