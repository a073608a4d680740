# shellcheck shell=bash
# Sourced by the scripts that run openssl with dstack.so (scripts/demo.sh,
# bench/process/run.sh, tests/vectors/fingerprints.sh, the provider
# integration tests): the one writer of their openssl.cnf files.
#
# dsk_openssl_cnf FILE [LINE...]: an openssl.cnf that activates the default
# provider and, when LINEs are given, dstack.so after it with those lines
# in its section (e.g. "module = /path/dstack.so", "dstack_conf = /path").
# Without LINEs: the default provider alone (a judge, or a baseline).
dsk_openssl_cnf() {
    local out=$1
    shift
    {
        printf 'openssl_conf = openssl_init\n\n[openssl_init]\nproviders = provider_sect\n\n'
        printf '[provider_sect]\ndefault = default_sect\n'
        [ $# -eq 0 ] || printf 'dstack = dstack_sect\n'
        printf '\n[default_sect]\nactivate = 1\n'
        if [ $# -gt 0 ]; then
            printf '\n[dstack_sect]\n'
            printf '%s\n' "$@"
            printf 'activate = 1\n'
        fi
    } >"$out"
}
