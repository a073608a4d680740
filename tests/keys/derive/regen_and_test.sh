#!/bin/sh
# Regenerate the vectors with the Python reference into a temporary file and
# run the C vector test on THAT file: a change on either side (derive_ref.py
# or keys/derive) fails here even if the committed file was not updated.
# usage: regen_and_test.sh PYTHON DERIVE_REF_PY TEST_BINARY
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$1" "$2" --write "$tmp/derivation-v1.json"
DSK_VECTORS="$tmp/derivation-v1.json" "$3"
