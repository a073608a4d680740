#!/bin/bash
# The official dstack JS SDK (@phala/dstack-sdk, pinned in sdk/) against the
# simulator. npm ci runs once into the build dir; later runs reuse it.
. "$(dirname "$0")/../lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
cache="$DSK_BUILDDIR/tests/integration/simulator/sdk-cache"
command -v node >/dev/null || fail "node is needed (apt-get install nodejs)"

mkdir -p "$cache"
stamp="$cache/.lock-installed"
if ! cmp -s "$here/sdk/package-lock.json" "$stamp" || [ ! -d "$cache/node_modules/@phala/dstack-sdk" ]; then
    # npm only fills the cache (a clean root gets a filled one copied in).
    command -v npm >/dev/null || fail "npm is needed to fill $cache (apt-get install npm)"
    cp "$here/sdk/package.json" "$here/sdk/package-lock.json" "$cache/"
    (cd "$cache" && npm ci --no-audit --no-fund >"$cache/npm.log" 2>&1) ||
        fail "npm ci failed in $cache: $(tail -20 "$cache/npm.log")"
    cp "$here/sdk/package-lock.json" "$stamp"
fi
cp "$here/sdk/check.js" "$cache/check.js"

sim_start
(cd "$cache" && node check.js) || fail "the JS SDK check failed"
