#!/bin/sh
# md2man.sh GO-MD2MAN IN.md OUT VERSION: one docs/*.md page as a man page.
# The page starts with '# NAME(SECTION)' and has a '## NAME' paragraph
# 'name — what it is'; man wants a .TH line (from the first) and a whatis
# entry 'name \- what it is' (from the second), go-md2man the rest.
set -eu
md2man=$1 in=$2 out=$3 version=$4
first=$(head -n 1 "$in")
title=$(printf '%s\n' "$first" | sed -n 's/^# \([^(]*\)(\([0-9a-z]*\))$/\1 \2/p')
[ -n "$title" ] || { echo "$in:1: the first line must be '# NAME(SECTION)', not '$first'" >&2; exit 1; }
case ${title##* } in
1) manual="User Commands" ;;
5) manual="File Formats" ;;
*) manual="dstack-pkcs11" ;;
esac
{
    printf '%% %s "" "dstack-pkcs11 %s" "%s"\n' "$title" "$version" "$manual"
    # The NAME paragraph's em dash becomes ' - ', then roff's '\-' (below):
    # the whatis separator mandb and lexgrog look for.
    tail -n +2 "$in" | awk '
        /^## / { inname = ($0 == "## NAME") }
        inname && / — / { sub(/ — /, " - ") }
        { print }'
} | "$md2man" | sed '/^\.SH NAME/,/^\.SH /s/ - / \\- /' >"$out"
