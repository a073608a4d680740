#!/usr/bin/env bash
# Build the Debian packages from debian/ and check them with lintian:
#   scripts/debs.sh [OUTDIR]       (default build-pkg/debs)
# The tree (tracked and untracked, not ignored files) is copied to
# OUTDIR/src so that dpkg-buildpackage's ../*.deb land in OUTDIR, never
# beside the clone. DEB_BUILD_OPTIONS is passed through (scripts/test.sh
# sets nocheck: its first phase has run every test already). lintian's
# output is printed whole; any error (E:) fails.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-pkg/debs}")

bash scripts/deps.sh pkg

rm -rf "$out"
mkdir -p "$out/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$out/src" 2>/dev/null ||
    { echo "debs.sh: could not copy the tree to $out/src" >&2; exit 1; }
(cd "$out/src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
    { tail -60 "$out/build.log" >&2; echo "debs.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2; exit 1; }
ls "$out"/*.deb

changes=$(ls "$out"/*.changes)
echo "--- lintian $(lintian --version | awk '{print $2}') on $(basename "$changes")"
lintian --info --display-info --fail-on error "$changes" | tee "$out/lintian.log" ||
    { echo "debs.sh: lintian reports errors (above)" >&2; exit 1; }
echo "--- lintian: $(grep -c '^E:' "$out/lintian.log" || true) errors, $(grep -c '^W:' "$out/lintian.log" || true) warnings"
