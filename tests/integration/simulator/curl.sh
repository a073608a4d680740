#!/bin/bash
# Every method by POST (JSON) and GET (query string) with curl --unix-socket,
# the framing a generic HTTP client sees, and fault switching.
. "$(dirname "$0")/../lib.sh"

sim_start

# post METHOD JSON -> body on stdout; fails unless the status is 200
post() {
    curl -sS --fail-with-body --unix-socket "$SIM_SOCK" -X POST \
        -H 'Content-Type: application/json' -d "$2" "http://localhost/$1" ||
        fail "POST /$1 $2 failed"
}
get() {
    curl -sS --fail-with-body --unix-socket "$SIM_SOCK" "http://localhost/$1" || fail "GET /$1 failed"
}
# field JSON NAME -> the string value of a top-level field
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

want_key=143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5
want_chain0=14810d87a8c05608f8422631f482923f95e3ae2aed40ef628839f6bfe9c1715c33798d20477d877040fe6d7d9ea7aa39b853a7a3e56c2c0e36bba3e8e12a65b000

r=$(post GetKey '{"path":"test/wallet","purpose":"signing","algorithm":"secp256k1"}')
[ "$(field "$r" key)" = "$want_key" ] || fail "POST GetKey: wrong key in $r"
python3 -c 'import json,sys; c=json.loads(sys.argv[1])["signature_chain"]; sys.exit(c[0]!=sys.argv[2])' "$r" "$want_chain0" ||
    fail "POST GetKey: wrong signature_chain[0] in $r"
ok "POST /GetKey gives the reference key and chain"

r=$(get 'GetKey?path=test%2Fwallet&purpose=signing&algorithm=secp256k1')
[ "$(field "$r" key)" = "$want_key" ] || fail "GET GetKey: wrong key in $r"
r=$(get 'GetKey?path=/eth/main-wallet')
[ "$(field "$r" key)" = 62c7c9aeca728358c9abd15ac95fdea1bcd7832e5d9d621fbc10a69448ab6c62 ] ||
    fail "GET GetKey /eth/main-wallet: wrong key in $r"
ok "GET /GetKey with a query string"

for how in post get; do
    if [ $how = post ]; then r=$(post Info '{}'); else r=$(get Info); fi
    [ "$(field "$r" app_id)" = 5bb4ff9a3837357f19dc176407a5709c62eb6c56 ] || fail "$how Info: $r"
    python3 -c 'import json,sys; json.loads(json.loads(sys.argv[1])["tcb_info"])' "$r" ||
        fail "$how Info: tcb_info is not JSON"
    if [ $how = post ]; then r=$(post Version '{}'); else r=$(get Version); fi
    case "$(field "$r" version)" in *simulator*) ;; *) fail "$how Version: $r" ;; esac
    if [ $how = post ]; then r=$(post GetQuote '{"report_data":"0xc0ffee"}'); else r=$(get 'GetQuote?report_data=c0ffee'); fi
    case "$(field "$r" report_data)" in c0ffee0000*) ;; *) fail "$how GetQuote: $r" ;; esac
    # "DSTACK-SIMULATOR-FAKE-QUOTE" in hex opens the quote
    case "$(field "$r" quote)" in 44535441434b2d53494d554c41544f522d46414b452d51554f5445*) ;;
        *) fail "$how GetQuote: the quote is not marked fake" ;; esac
    python3 -c 'import json,sys; assert isinstance(json.loads(json.loads(sys.argv[1])["event_log"]), list)' "$r" ||
        fail "$how GetQuote: event_log is not a JSON array"
    if [ $how = post ]; then r=$(post Attest '{"report_data":"01"}'); else r=$(get 'Attest?report_data=01'); fi
    [ -n "$(field "$r" attestation)" ] || fail "$how Attest: $r"
    ok "$how: Info, Version, GetQuote, Attest"
done

# Framing: Content-Length, never chunked; errors are JSON with the right status.
hdr=$(curl -sS -D - -o /dev/null --unix-socket "$SIM_SOCK" http://localhost/Info)
grep -qi '^Content-Length: [0-9]' <<<"$hdr" || fail "no Content-Length in: $hdr"
grep -qi '^Transfer-Encoding' <<<"$hdr" && fail "chunked reply: $hdr"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$SIM_SOCK" -X POST \
    -H 'Content-Type: application/json' -d '{"path":"a","algorithm":"rsa"}' http://localhost/GetKey)
[ "$code" = 400 ] && [ "$(cat "$TMP/body")" = '{"error":"Unsupported algorithm"}' ] ||
    fail "bad algorithm: $code $(cat "$TMP/body")"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SIM_SOCK" http://localhost/x/GetKey)
[ "$code" = 404 ] || fail "multi-segment path: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SIM_SOCK" -X POST \
    -H 'Content-Type: application/json' -d '{"path":' http://localhost/GetKey)
[ "$code" = 400 ] || fail "bad JSON: $code"
ok "framing and error statuses"

# Keep-alive: curl reuses one connection for two URLs.
out=$(curl -sS -v --unix-socket "$SIM_SOCK" http://localhost/Version http://localhost/Version 2>&1)
# curl 7.88 (Debian 12) says "Re-using existing connection", 8.14 (Debian 13)
# "Re-using existing http: connection".
grep -Eq 'Re-using existing (http: )?connection' <<<"$out" || fail "connection not reused: $out"
ok "keep-alive"

sim_fault http500
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SIM_SOCK" http://localhost/Info)
[ "$code" = 500 ] || fail "fault http500: $code"
sim_fault close
curl -s --max-time 5 --unix-socket "$SIM_SOCK" http://localhost/Info && fail "fault close: got a reply"
sim_fault delay:300
start=$(date +%s%N)
get Version >/dev/null
[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 290 ] || fail "fault delay:300 answered early"
sim_fault none
get Version >/dev/null
ok "faults switched at run time"
