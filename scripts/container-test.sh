#!/usr/bin/env bash
# examples/dstack-app carried out without a container engine, on Debian 13:
#   scripts/container-test.sh debian13 HOSTBUILD   the Dockerfile's build
#       stage (RUN steps parsed from the Dockerfile) in a fresh trixie root:
#       the packages built from source with dpkg-buildpackage, unit suite
#       included; then in that same root the test programs installed, the
#       heavy and integration suites run on the stage's build tree, and the
#       keys compared with OpenSSL 3.0's (this host's)
#   scripts/container-test.sh app HOSTBUILD      the final stage in a second
#       fresh trixie root, then its entry point with a simulator on
#       /var/run/dstack.sock: HTTPS fetched with curl, the served key checked
#       against `dstack-key pub web` inside the root; again after nginx and
#       the simulator restart
# (build and suites are the two halves of debian13, each on its own.)
# HOSTBUILD is this clone's built tree (the simulator that plays the host's
# dstack agent; OpenSSL 3.0 keys for the comparison; the JS SDK's npm cache).
# Every phase prints its time ("--- NAME: N s").
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/roots.sh
what=$1 host_build=$(realpath "$2")
src=$PWD
dockerfile=examples/dstack-app/Dockerfile
roots=$src/build-pkg/roots
build_root=$roots/trixie-build app_root=$roots/trixie-app
ci_werror=${CI:-false}

stage_line() { # index (0 = first) -> "name suite image"
    python3 scripts/dockerfile.py stages "$dockerfile" | sed -n "$(($1 + 1))p"
}

timed() { # name cmd...: cmd, then its time
    local name=$1 start=$SECONDS rc=0
    shift
    "$@" || rc=$?
    echo "--- $name: $((SECONDS - start)) s$([ "$rc" -eq 0 ] || echo ", FAILED")"
    return "$rc"
}

run_stage() { # name root [NAME=ROOT...]: its log in ROOT.stage.log
    python3 scripts/dockerfile.py run "$dockerfile" "$src" "$1" "$2" "${@:3}" >"$2.stage.log" 2>&1 ||
        { tail -40 "$2.stage.log" >&2; return 1; }
}

# (These functions run where errexit does not apply: timed's "||". Every
# step that can fail returns.)
stage_build() {
    read -r name suite image < <(stage_line 0)
    echo "stage $name ($image): fresh $suite root"
    timed "root $suite (base)" root_make "$suite" "$build_root" || return 1
    timed "stage $name: COPY and RUN (apt-get build-dep, dpkg-buildpackage with the unit suite)" \
        run_stage "$name" "$build_root" || return 1
    grep -E '^\+ (RUN|COPY)' "$build_root.stage.log" | cut -c1-150
    grep -E '^(Ok|Fail|Skipped|Timeout): ' "$build_root.stage.log" | tr -s ' ' | paste -sd' ' |
        sed 's/^/dh_auto_test (unit suite, in the build stage): /'
    # Warnings are errors in CI; the package build itself does not use
    # -Werror (a distribution build must not), so look at its log: the
    # compiler's and linker's warnings (FILE:LINE[:COL]: warning:), not the
    # programs' own log lines in the unit suite's output.
    warnings=$(grep -E '^([^: ]+:[0-9]+(:[0-9]+)?|/usr/bin/ld|cc1|lto1): warning: ' "$build_root.stage.log" || true)
    if [ -n "$warnings" ]; then
        echo "compiler warnings on Debian 13:" >&2
        echo "$warnings" >&2
        [ "$ci_werror" != true ] || return 1
    fi
    ls "$build_root/debs" || return 1
    root_run "$build_root" dpkg-query -W -f='${Package} ${Version}\n' gcc libssl-dev libp11-kit-dev meson
}

install_test_programs() {
    # (The stage removed apt's lists, as a Dockerfile should.)
    root_run_net "$build_root" sh -c "apt-get update -q && apt-get install -y -q $(bash scripts/deps.sh test-root --print)" \
        >"$build_root.testdeps.log" 2>&1 || { tail -30 "$build_root.testdeps.log" >&2; return 1; }
}

keys_compare() {
    bash tests/vectors/fingerprints.sh "$host_build" >"$roots/keys-host.txt" || return 1
    DSK_ROOT_BINDS="$src:/fp:ro" root_run "$build_root" \
        bash /fp/tests/vectors/fingerprints.sh "/src/$obj" >"$roots/keys-trixie.txt" || return 1
    paste -d'|' "$roots/keys-host.txt" "$roots/keys-trixie.txt" | sed 's/|/   |   /'
    if ! diff <(tail -n +2 "$roots/keys-host.txt") <(tail -n +2 "$roots/keys-trixie.txt") >/dev/null; then
        echo "the keys differ between $(head -1 "$roots/keys-host.txt") and $(head -1 "$roots/keys-trixie.txt")" >&2
        return 1
    fi
    echo "same keys on $(head -1 "$roots/keys-host.txt") and $(head -1 "$roots/keys-trixie.txt")"
}

suites() {
    [ -d "$build_root/debs" ] || { echo "run '$0 build' first" >&2; return 1; }
    obj=$(cd "$build_root/src" && ls -d obj-*) || return 1
    echo "Debian 13: test programs into the build stage's root"
    timed "test programs (apt-get install)" install_test_programs || return 1
    root_run "$build_root" dpkg-query -W -f='${Package} ${Version}\n' openssl openssh-client nginx p11-kit opensc gnutls-bin
    # The JS SDK test's npm packages, as the host's run fetched them.
    cache=tests/integration/simulator/sdk-cache
    if [ -d "$host_build/$cache" ]; then
        mkdir -p "$build_root/src/$obj/$cache"
        cp -a "$host_build/$cache/." "$build_root/src/$obj/$cache/" || return 1
    fi
    # The build stage's dh_auto_test ran the unit suite but for the heavy
    # (RSA derivation) tests: those and the integration suite run here.
    log="$build_root/src/$obj/meson-logs/testlog.json"
    unit_pass=$(grep -c '"result": "OK"' "$log" || true)
    unit_fail=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
    rc=0
    timed "heavy and integration suites" root_run "$build_root" meson test -C "/src/$obj" \
        --suite heavy --suite integration --logbase testlog-suites --print-errorlogs --num-processes 2 || rc=$?
    log2="$build_root/src/$obj/meson-logs/testlog-suites.json"
    pass=$(grep -c '"result": "OK"' "$log2" || true)
    fail=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log2" || true)
    echo "Debian 13: unit suite (build stage) $unit_pass passed, $unit_fail failed;" \
        "heavy + integration $pass passed, $fail failed"
    [ "$rc" -eq 0 ] || return "$rc"
    # The same keys on OpenSSL 3.0 (this host) and 3.5 (the root).
    timed "keys on OpenSSL 3.0 and 3.5" keys_compare
}

app() {
    [ -d "$build_root/debs" ] || { echo "run '$0 build' first" >&2; return 1; }
    n=$(python3 scripts/dockerfile.py stages "$dockerfile" | wc -l)
    read -r name suite image < <(stage_line $((n - 1)))
    build_name=$(stage_line 0 | cut -d' ' -f1)
    echo "stage $name ($image): fresh $suite root"
    timed "root $suite (base)" root_make "$suite" "$app_root" || return 1
    timed "stage $name: COPY and RUN (nginx and the package)" \
        run_stage "$name" "$app_root" "$build_name=$build_root" || return 1
    grep -E '^\+ (RUN|COPY)' "$app_root.stage.log" | cut -c1-150
    root_run "$app_root" dpkg-query -W -f='${Package} ${Version}\n' dstack-pkcs11 nginx libssl3t64
    python3 scripts/dockerfile.py entrypoint "$dockerfile" "$name" >"$app_root.entry" || return 1
    SIMULATOR=$host_build/simulator/dstack-simulator timed "entry point, HTTPS, restart" \
        root_ns lo "$app_root" bash scripts/app-run.sh "$app_root.entry"
}

case $what in
debian13) timed "Debian 13 build stage" stage_build && suites ;;
build) stage_build ;;
suites) suites ;;
app) app ;;
*)
    echo "usage: $0 debian13|build|suites|app HOSTBUILD" >&2
    exit 2
    ;;
esac
