#!/bin/bash
# dstack-key csr and cert for all seven key types: openssl req -verify
# accepts the request, openssl verify accepts the certificate against
# itself, its public key is pub's, and the subject, names and validity are
# what was asked for.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/toollib.sh"

sim_start
toolconf

for l in $TOOL_LABELS; do
    run "pub-$l" K pub --format der "$l"
    run "csr-$l" K csr "$l" --subject "/CN=$l.example/O=dstack test" --san "DNS:$l.example" --san IP:127.0.0.1
    run "csr-verify-$l" openssl req -in "$TMP/csr-$l.out" -verify -noout
    grep -q "verify OK" "$TMP/csr-verify-$l.out" "$TMP/csr-verify-$l.err" || fail "$l: req -verify did not say OK"
    run "csr-pub-$l" openssl req -in "$TMP/csr-$l.out" -pubkey -noout
    run "csr-pubder-$l" openssl pkey -pubin -in "$TMP/csr-pub-$l.out" -outform DER -out "$TMP/csr-$l.der"
    cmp -s "$TMP/csr-$l.der" "$TMP/pub-$l.out" || fail "$l: the request's public key is not pub's"
    run "csr-text-$l" openssl req -in "$TMP/csr-$l.out" -noout -text
    grep -q "DNS:$l.example, IP Address:127.0.0.1" "$TMP/csr-text-$l.out" || fail "$l: request lacks the SANs"

    run "cert-$l" K cert "$l" --subject "/CN=$l.example" --san "$l.example" --days 30
    cp "$TMP/cert-$l.out" "$TMP/$l.crt"
    run "verify-$l" openssl verify -CAfile "$TMP/$l.crt" "$TMP/$l.crt"
    grep -q ": OK" "$TMP/verify-$l.out" || fail "$l: openssl verify did not say OK"
    run "cert-pub-$l" openssl x509 -in "$TMP/$l.crt" -pubkey -noout
    run "cert-pubder-$l" openssl pkey -pubin -in "$TMP/cert-pub-$l.out" -outform DER -out "$TMP/cert-$l.der"
    cmp -s "$TMP/cert-$l.der" "$TMP/pub-$l.out" || fail "$l: the certificate's public key is not pub's"
    run "cert-text-$l" openssl x509 -in "$TMP/$l.crt" -noout -text
    # OpenSSL 3.0 prints "CN = name", 3.5 "CN=name".
    grep -Eq "Subject: CN ?= ?$l\.example\$" "$TMP/cert-text-$l.out" || fail "$l: subject"
    grep -q "DNS:$l.example" "$TMP/cert-text-$l.out" || fail "$l: SAN"
    grep -q "CA:FALSE" "$TMP/cert-text-$l.out" || fail "$l: basicConstraints"
    # 30 days: openssl says it is still valid in 29 days and expired in 31.
    run "checkend29-$l" openssl x509 -in "$TMP/$l.crt" -noout -checkend $((29 * 86400))
    if openssl x509 -in "$TMP/$l.crt" -noout -checkend $((31 * 86400)) >/dev/null; then
        fail "$l: --days 30 certificate still valid in 31 days"
    fi
done
ok "csr passes openssl req -verify and cert passes openssl verify against itself, public key = pub's, for all 7 types"

# ---- bad input: one line, exit 2 -------------------------------------------
expect_exit 2 no-subject K cert p256
err_has no-subject "--subject is required"
expect_exit 2 bad-subject K csr p256 --subject "CN=x"
err_has bad-subject "/CN=name"
expect_exit 2 bad-field K csr p256 --subject "/XX=y"
err_has bad-field "unknown field 'XX'"
expect_exit 2 bad-san K cert p256 --subject /CN=x --san "IP:300.1.1.1"
err_has bad-san "not an IPv4 or IPv6 address"
expect_exit 2 bad-days K cert p256 --subject /CN=x --days 0
err_has bad-days "--days '0'"
ok "bad --subject, --san and --days: one line naming the option, exit 2"
