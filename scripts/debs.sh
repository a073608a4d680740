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

# dstack-pkcs11 dlopen()s libcjson and libsecp256k1 at first use
# (common/lazy.h), which dh_shlibdeps cannot see; debian/rules adds them.
# Without them a clean install would fail at the first key, not at install.
deps=$(dpkg-deb -f "$out"/dstack-pkcs11_*.deb Depends)
for want in 'libcjson1' 'libsecp256k1-[0-9]'; do
    echo "$deps" | tr ',' '\n' | grep -q "^ *$want\b" ||
        { echo "debs.sh: dstack-pkcs11 does not depend on $want (Depends: $deps); see override_dh_shlibdeps in debian/rules" >&2; exit 1; }
done
echo "--- dstack-pkcs11 Depends: $deps"

changes=$(ls "$out"/*.changes)
echo "--- lintian $(lintian --version | awk '{print $2}') on $(basename "$changes")"
lintian --info --display-info --fail-on error "$changes" | tee "$out/lintian.log" ||
    { echo "debs.sh: lintian reports errors (above)" >&2; exit 1; }
echo "--- lintian: $(grep -c '^E:' "$out/lintian.log" || true) errors, $(grep -c '^W:' "$out/lintian.log" || true) warnings"
