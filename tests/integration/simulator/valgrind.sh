#!/bin/bash
# The simulator under valgrind memcheck: requests, faults, SIGTERM; no
# definite leak and no memory error.
. "$(dirname "$0")/../lib.sh"

# A sanitizer build cannot run under valgrind: there AddressSanitizer and
# LeakSanitizer check the same run (a leak makes the exit status non-zero).
if ldd "$SIMULATOR" | grep -q libasan; then
    checker=(env ASAN_OPTIONS=detect_leaks=1)
    checker_name=AddressSanitizer
    : >"$TMP/valgrind.log"
else
    command -v valgrind >/dev/null || fail "valgrind is not installed (apt-get install valgrind)"
    checker=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
             --show-leak-kinds=definite --log-file="$TMP/valgrind.log")
    checker_name=valgrind
fi
"${checker[@]}" "$SIMULATOR" --socket "$SIM_SOCK" --verbose >"$TMP/simulator.log" 2>&1 &
vg_pid=$!
on_exit "kill -KILL $vg_pid 2>/dev/null"
for ((i = 0; i < 600; i++)); do [ -e "$SIM_SOCK" ] && break; sleep 0.05; done
[ -e "$SIM_SOCK" ] || fail "simulator under valgrind did not start: $(cat "$TMP/simulator.log")"

c() { curl -sS --max-time 30 --unix-socket "$SIM_SOCK" "$@"; }
for m in GetKey Info Version GetQuote Attest; do
    c -X POST -H 'Content-Type: application/json' -d '{"path":"v","report_data":"01"}' "http://localhost/$m" >/dev/null ||
        fail "POST /$m under valgrind"
    c "http://localhost/$m?path=v" >/dev/null || fail "GET /$m under valgrind"
done
c -X POST -H 'Content-Type: application/json' -d '{"path":' http://localhost/GetKey >/dev/null
c http://localhost/a/b >/dev/null
for f in short-key http400 http500 garbage close oversized delay:10 none; do
    c -X POST -H 'Content-Type: application/json' -d "{\"fault\":\"$f\"}" http://localhost/_simulator/fault >/dev/null ||
        fail "setting fault $f"
    c http://localhost/GetKey?path=x >/dev/null 2>&1 || true
done
# A request left hanging at shutdown must be released and freed too.
c -X POST -H 'Content-Type: application/json' -d '{"fault":"hang"}' http://localhost/_simulator/fault >/dev/null
c http://localhost/Info >/dev/null 2>&1 &
hang_pid=$!
sleep 1
kill -TERM "$vg_pid"
status=0
wait "$vg_pid" || status=$?
wait "$hang_pid" || true
[ "$status" = 0 ] || fail "exit status $status under $checker_name: $(cat "$TMP/valgrind.log" "$TMP/simulator.log")"
[ ! -e "$SIM_SOCK" ] || fail "socket file left behind"
[ ! -s "$TMP/valgrind.log" ] || fail "valgrind reported: $(cat "$TMP/valgrind.log")"
ok "no leak or memory error under $checker_name; clean exit on SIGTERM"
