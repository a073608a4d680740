#!/usr/bin/env bash
# The whole test suite, from a fresh clone:
#   1. unit + integration tests (real programs against the simulator),
#   2. unit tests again under ASan + UBSan,
#   3. unit tests again under valgrind memcheck,
#   4. the Debian packages (dpkg-buildpackage, lintian), the integration
#      tests against them installed in a clean Debian 12 root,
#   5. Debian 13: the container example's build stage (packages built from
#      source, unit suite), the heavy and integration suites there, the keys
#      compared with OpenSSL 3.0's, and the example's app stage serving HTTPS.
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

# A step that is not one meson test run: its exit status, its time, and
# the results of the meson test logs it names (if any) in the totals.
step() { # name "log..." cmd...
    local name=$1 logs=$2 rc=0 start=$SECONDS log pass fail
    shift 2
    echo "=== $name"
    "$@" || rc=$?
    for log in $logs; do
        [ -f "$log" ] || continue
        pass=$(grep -c '"result": "OK"' "$log" || true)
        fail=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
        total_pass=$((total_pass + pass))
        total_fail=$((total_fail + fail))
    done
    [ "$rc" -eq 0 ] || failed_phases+=("$name")
    echo "=== $name: $([ "$rc" -eq 0 ] && echo ok || echo FAILED) ($((SECONDS - start)) s)"
}

# Packaging (issue 12). The first phase ran every test: the packages are
# built without (nocheck). Logs of the roots' meson runs are removed first
# so that a failed step is not counted with an old log's results.
trixie_logs=build-pkg/roots/trixie-build/src/obj-$(dpkg-architecture -qDEB_HOST_GNU_TYPE 2>/dev/null || echo x86_64-linux-gnu)/meson-logs
trixie_logs="$trixie_logs/testlog.json $trixie_logs/testlog-suites.json"
rm -f build-test/meson-logs/testlog-installed.json
step "Debian packages (dpkg-buildpackage, lintian)" "" \
    env DEB_BUILD_OPTIONS=nocheck bash scripts/debs.sh build-pkg/debs
step "clean Debian 12 root: integration tests against the installed packages" \
    build-test/meson-logs/testlog-installed.json \
    bash scripts/root-test.sh build-pkg/debs build-test
# Debian 13 (OpenSSL 3.5): the container example's build stage builds the
# packages from source with the unit suite, then the heavy and integration
# suites run in that root and the keys are compared with this host's; the
# example's app stage then runs its entry point and serves HTTPS. Set
# DSK_TEST_ROOTS=0 to leave the Debian 13 steps out of a local run.
if [ "${DSK_TEST_ROOTS:-1}" != 0 ]; then
step "Debian 13 root: build from source, unit, heavy and integration suites, keys as on OpenSSL 3.0" \
    "$trixie_logs" bash scripts/container-test.sh debian13 build-test
step "container example (Debian 13): the app stage, HTTPS with a dstack key, again after restarts" "" \
    bash scripts/container-test.sh app build-test
else
    echo "=== Debian 13 roots: not run (DSK_TEST_ROOTS=0)"
fi

if [ ${#failed_phases[@]} -ne 0 ]; then
    echo "failed phases: ${failed_phases[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ ${#failed_phases[@]} -eq 0 ]
