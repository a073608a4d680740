#!/usr/bin/env bash
# The whole test suite, from a fresh clone:
#   1. unit + integration tests (real programs against the simulator),
#   2. unit tests again under ASan + UBSan,
#   3. unit tests again under valgrind memcheck.
# Installs missing Debian packages first (scripts/deps.sh). Exit status is
# non-zero on any failure; the last line counts every test run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh test

werror=false
[ "${CI:-}" = true ] && werror=true

setup() { # dir, extra meson options...
    local dir=$1; shift
    if [ -d "$dir" ]; then
        meson setup --reconfigure "$dir" -Dwerror=$werror "$@" >/dev/null
    else
        meson setup "$dir" -Dwerror=$werror "$@" >/dev/null
    fi
    ninja -C "$dir"
}

total_pass=0 total_fail=0 failed_phases=()
# Run meson test in dir with arguments; count results from its JSON log.
phase() { # name dir args...
    local name=$1 dir=$2; shift 2
    echo "=== $name"
    local rc=0 start=$SECONDS
    meson test -C "$dir" --no-rebuild --print-errorlogs "$@" || rc=$?
    local log="$dir/meson-logs/testlog${setup_suffix:-}.json"
    local pass fail
    pass=$(grep -c '"result": "OK"' "$log" || true)
    fail=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    if [ "$rc" -ne 0 ] || [ "$fail" -ne 0 ]; then failed_phases+=("$name"); fi
    echo "=== $name: $pass passed, $fail failed ($((SECONDS - start)) s)"
}

setup build-test
setup_suffix="" phase "unit and integration tests" build-test

setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
setup_suffix="" phase "unit tests under ASan+UBSan" build-asan --suite unit
unset ASAN_OPTIONS UBSAN_OPTIONS

setup_suffix="-valgrind" phase "unit tests under valgrind" build-test --setup valgrind --suite unit --no-suite heavy

if [ ${#failed_phases[@]} -ne 0 ]; then
    echo "failed phases: ${failed_phases[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ ${#failed_phases[@]} -eq 0 ]
