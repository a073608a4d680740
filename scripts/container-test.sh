#!/usr/bin/env bash
# examples/dstack-app carried out without a container engine, on Debian 13:
#   scripts/container-test.sh build HOSTBUILD    the Dockerfile's build stage
#       (RUN steps parsed from the Dockerfile) in a fresh trixie root: the
#       packages built from source with dpkg-buildpackage, unit tests included
#   scripts/container-test.sh suites HOSTBUILD   in that same root, after
#       it: the test programs installed, the unit and integration suites run
#       on the stage's build tree, and the keys compared with OpenSSL 3.0's
#   scripts/container-test.sh app HOSTBUILD      the final stage in a second
#       fresh trixie root, then its entry point with a simulator on
#       /var/run/dstack.sock: HTTPS fetched with curl, the served key checked
#       against `dstack-key pub web` inside the root; again after nginx and
#       the simulator restart
# HOSTBUILD is this clone's built tree (the simulator that plays the host's
# dstack agent; OpenSSL 3.0 keys for the comparison; the JS SDK's npm cache).
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

case $what in
build)
    read -r name suite image < <(stage_line 0)
    echo "stage $name ($image): fresh $suite root"
    root_make "$suite" "$build_root"
    python3 scripts/dockerfile.py run "$dockerfile" "$src" "$name" "$build_root" \
        >"$build_root.stage.log" 2>&1 || { tail -40 "$build_root.stage.log" >&2; exit 1; }
    grep -E '^\+ (RUN|COPY)' "$build_root.stage.log" | cut -c1-150
    grep -E '^(Ok|Fail|Skipped|Timeout): ' "$build_root.stage.log" | tr -s ' ' | paste -sd' ' |
        sed 's/^/dh_auto_test (unit suite, in the build stage): /'
    # Warnings are errors in CI; the package build itself does not use
    # -Werror (a distribution build must not), so look at its log.
    warnings=$(grep -E '(^|: )warning: ' "$build_root.stage.log" | grep -v '^dpkg' || true)
    if [ -n "$warnings" ]; then
        echo "compiler warnings on Debian 13:" >&2
        echo "$warnings" >&2
        [ "$ci_werror" != true ] || exit 1
    fi
    ls "$build_root/debs"
    root_run "$build_root" dpkg-query -W -f='${Package} ${Version}\n' gcc libssl-dev libp11-kit-dev meson
    ;;
suites)
    [ -d "$build_root/debs" ] || { echo "run '$0 build' first" >&2; exit 1; }
    obj=$(cd "$build_root/src" && ls -d obj-*)
    echo "Debian 13: test programs into the build stage's root"
    # (The stage removed apt's lists, as a Dockerfile should.)
    root_run_net "$build_root" sh -c "apt-get update -q && apt-get install -y -q $(bash scripts/deps.sh test-root --print)" \
        >"$build_root.testdeps.log" 2>&1 || { tail -30 "$build_root.testdeps.log" >&2; exit 1; }
    root_run "$build_root" dpkg-query -W -f='${Package} ${Version}\n' openssl openssh-client nginx p11-kit opensc gnutls-bin
    # The JS SDK test's npm packages, as the host's run fetched them.
    cache=tests/integration/simulator/sdk-cache
    if [ -d "$host_build/$cache" ]; then
        mkdir -p "$build_root/src/$obj/$cache"
        cp -a "$host_build/$cache/." "$build_root/src/$obj/$cache/"
    fi
    # The build stage's dh_auto_test ran the unit suite but for the heavy
    # (RSA derivation) tests: those and the integration suite run here.
    log="$build_root/src/$obj/meson-logs/testlog.json"
    unit_pass=$(grep -c '"result": "OK"' "$log" || true)
    unit_fail=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
    rc=0
    root_run "$build_root" meson test -C "/src/$obj" --suite heavy --suite integration \
        --logbase testlog-suites --print-errorlogs --num-processes 2 || rc=$?
    log2="$build_root/src/$obj/meson-logs/testlog-suites.json"
    pass=$(grep -c '"result": "OK"' "$log2" || true)
    fail=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log2" || true)
    echo "Debian 13: unit suite (build stage) $unit_pass passed, $unit_fail failed;" \
        "heavy + integration $pass passed, $fail failed"
    [ "$rc" -eq 0 ] || exit "$rc"
    # The same keys on OpenSSL 3.0 (this host) and 3.5 (the root).
    bash tests/vectors/fingerprints.sh "$host_build" >"$roots/keys-host.txt"
    DSK_ROOT_BINDS="$src/tests/vectors:/fp:ro" root_run "$build_root" \
        bash /fp/fingerprints.sh "/src/$obj" >"$roots/keys-trixie.txt"
    paste -d'|' "$roots/keys-host.txt" "$roots/keys-trixie.txt" | sed 's/|/   |   /'
    if ! diff <(tail -n +2 "$roots/keys-host.txt") <(tail -n +2 "$roots/keys-trixie.txt") >/dev/null; then
        echo "the keys differ between $(head -1 "$roots/keys-host.txt") and $(head -1 "$roots/keys-trixie.txt")" >&2
        exit 1
    fi
    echo "same keys on $(head -1 "$roots/keys-host.txt") and $(head -1 "$roots/keys-trixie.txt")"
    ;;
app)
    [ -d "$build_root/debs" ] || { echo "run '$0 build' first" >&2; exit 1; }
    n=$(python3 scripts/dockerfile.py stages "$dockerfile" | wc -l)
    read -r name suite image < <(stage_line $((n - 1)))
    build_name=$(stage_line 0 | cut -d' ' -f1)
    echo "stage $name ($image): fresh $suite root"
    root_make "$suite" "$app_root"
    python3 scripts/dockerfile.py run "$dockerfile" "$src" "$name" "$app_root" "$build_name=$build_root" \
        >"$app_root.stage.log" 2>&1 || { tail -40 "$app_root.stage.log" >&2; exit 1; }
    grep -E '^\+ (RUN|COPY)' "$app_root.stage.log" | cut -c1-150
    root_run "$app_root" dpkg-query -W -f='${Package} ${Version}\n' dstack-pkcs11 nginx libssl3t64
    python3 scripts/dockerfile.py entrypoint "$dockerfile" "$name" >"$app_root.entry"
    SIMULATOR=$host_build/simulator/dstack-simulator root_ns lo "$app_root" bash scripts/app-run.sh "$app_root.entry"
    ;;
*)
    echo "usage: $0 build|suites|app HOSTBUILD" >&2
    exit 2
    ;;
esac
