# Helpers shared by the PKCS#11 integration tests; sourced after ../lib.sh.
#
# p11conf writes a module configuration with one key of every type and
# exports DSTACK_PKCS11_CONF; slot_of finds a token's slot by its exact label
# (pkcs11-tool's --token-label matches a prefix, so "dstack" would also pick
# "dstack-ed25519"); run keeps a command's output in $TMP/NAME.out/.err and
# fails with them when the command fails.

[ -f "$PKCS11_MODULE" ] || fail "PKCS#11 module not built: $PKCS11_MODULE"

P11CONF="$TMP/dstack-pkcs11.conf"

# p11conf [extra INI text]: the standard key set, plus anything given.
p11conf() {
    cat >"$P11CONF" <<CONF
[token]
label = dstack

[key p256]
path = it/p256
id = 01
type = ec-p256

[key p384]
path = it/p384
id = 02
type = ec-p384

[key k1]
path = it/k1
id = 03
type = secp256k1

[key rsa2048]
path = it/rsa2048
id = 04
type = rsa-2048
usage = sign, decrypt

[key ed]
path = it/ed
id = 05
type = ed25519
CONF
    [ $# -eq 0 ] || printf '%s\n' "$@" >>"$P11CONF"
    export DSTACK_PKCS11_CONF="$P11CONF"
}

# run NAME CMD...: run CMD, output in $TMP/NAME.out and $TMP/NAME.err; a
# non-zero exit fails the test showing both.
run() {
    local name=$1
    shift
    if ! "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
        echo "--- stdout of $name:" >&2
        cat "$TMP/$name.out" >&2
        echo "--- stderr of $name:" >&2
        cat "$TMP/$name.err" >&2
        fail "$name: command failed: $*"
    fi
}

# id_of LABEL: the CKA_ID p11conf gives that key. pkcs11-tool 0.23 ignores
# --label when it looks for the key of --sign, --decrypt and --derive (it
# takes the first private key), so those always select the key by --id.
id_of() {
    case "$1" in
    p256) echo 01 ;; p384) echo 02 ;; k1) echo 03 ;; rsa2048) echo 04 ;; ed) echo 05 ;;
    *) fail "id_of: unknown key $1" ;;
    esac
}

# p11 ARGS...: pkcs11-tool on our module.
p11() { pkcs11-tool --module "$PKCS11_MODULE" "$@"; }

# slot_of LABEL: the slot id (0x...) of the token with exactly that label.
slot_of() {
    local s
    s=$(p11 -L 2>"$TMP/slot_of.err" | awk -v want="$1" '
        /^Slot [0-9]+ \(/ { id = $3; gsub(/[():]/, "", id) }
        /token label/ { l = $0; sub(/^[^:]*: /, "", l); sub(/[ \t]+$/, "", l); if (l == want) print id }')
    [ -n "$s" ] || { cat "$TMP/slot_of.err" >&2; fail "no token labelled '$1' in pkcs11-tool -L"; }
    [ "$(echo "$s" | wc -l)" -eq 1 ] || fail "more than one token labelled '$1': $s"
    echo "$s"
}

# export_pub SLOT LABEL OUT.pem: the public key object as pkcs11-tool reads
# it (DER SPKI; PEM for EdDSA in OpenSC 0.23), converted to PEM by openssl.
# OpenSC 0.23 cannot build an EVP_PKEY for some curves (P-384: "cannot
# create EVP_PKEY"); then the SPKI is assembled from the CKA_EC_PARAMS and
# CKA_EC_POINT that pkcs11-tool -O prints for that public key object.
export_pub() {
    local raw="$TMP/pub-$2.raw" inform=DER
    rm -f "$raw"
    if ! p11 --slot "$1" --read-object --type pubkey --label "$2" -o "$raw" >"$TMP/read-pub-$2.out" 2>"$TMP/read-pub-$2.err"; then
        grep -q 'cannot create EVP_PKEY' "$TMP/read-pub-$2.err" ||
            fail "pkcs11-tool --read-object --type pubkey --label $2 failed: $(cat "$TMP/read-pub-$2.err")"
        ec_spki_from_listing "$1" "$2" "$raw"
    fi
    [ -s "$raw" ] || fail "pkcs11-tool wrote an empty public key for $2"
    if head -c 10 "$raw" | grep -q -- '-----'; then inform=PEM; fi
    run "pub-pem-$2" openssl pkey -pubin -inform "$inform" -in "$raw" -out "$3"
}

# ec_spki_from_listing SLOT LABEL OUT.der
ec_spki_from_listing() {
    local point params curve
    run "list-pub-$2" p11 --slot "$1" -O --type pubkey
    # -O lists every public key whatever --label says: pick the one labelled $2.
    read -r point params < <(awk -v want="$2" '
        /Object;/ { pt = ""; pa = "" }
        /EC_POINT:/ { pt = $2 }
        /EC_PARAMS:/ { pa = tolower($2) }
        /^ *label:/ { l = $0; sub(/^ *label: */, "", l); if (l == want && pt != "") { print pt, pa; exit } }' \
        "$TMP/list-pub-$2.out")
    [ -n "$point" ] && [ -n "$params" ] || fail "no EC_POINT/EC_PARAMS for $2 in: $(cat "$TMP/list-pub-$2.out")"
    case "$params" in
    06082a8648ce3d030107) curve=prime256v1 ;;
    06052b81040022) curve=secp384r1 ;;
    06052b8104000a) curve=secp256k1 ;;
    *) fail "unexpected CKA_EC_PARAMS $params for $2" ;;
    esac
    # Strip the DER OCTET STRING header (04 len, or 04 81 len).
    case "$point" in
    0481*) point=${point:6} ;;
    04*) point=${point:4} ;;
    *) fail "CKA_EC_POINT of $2 is not a DER OCTET STRING: $point" ;;
    esac
    cat >"$TMP/spki-$2.cnf" <<CNF
asn1 = SEQUENCE:spki
[spki]
alg = SEQUENCE:alg
key = FORMAT:HEX,BITSTRING:$point
[alg]
type = OID:id-ecPublicKey
curve = OID:$curve
CNF
    run "spki-$2" openssl asn1parse -genconf "$TMP/spki-$2.cnf" -out "$3" -noout
}
