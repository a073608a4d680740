# shellcheck shell=bash
# Clean Debian roots for the packaging tests (sourced by scripts/root-test.sh
# and scripts/container-test.sh).
#
#   root_make SUITE DIR PKG...   DIR becomes a fresh root of SUITE (bookworm,
#                                trixie): mmdebstrap --variant=apt, then PKG...
#                                installed by apt-get (no recommends)
#   root_run DIR CMD...          CMD inside DIR: chroot in private mount, PID
#                                and network namespaces (loopback only: servers
#                                can only be on 127.0.0.1); every process the
#                                command leaves behind dies with it
#   root_run_net DIR CMD...      the same with the host's network, for apt-get
#
# The mirror is the one the host's apt uses for Debian (never a fixed host).
# A made root is kept as a tar in $DSK_ROOT_CACHE (default
# /var/cache/dstack-pkcs11-roots), the base root by suite and mirror, a root
# with packages by its package list too, and extracted on the next run.
# DSK_ROOT_CACHE=DIR with a new DIR starts from nothing, as CI does on a
# fresh machine (the base is still made once per suite and run). Downloaded
# packages are kept there too (apt-archives/, see root_run_net).
ROOT_CACHE=${DSK_ROOT_CACHE:-/var/cache/dstack-pkcs11-roots}

root_mirror() {
    local m
    m=$(apt-get indextargets --format '$(REPO_URI) $(TARGET_OF) $(ORIGIN)' 2>/dev/null |
        awk '$2 == "deb" && $3 == "Debian" && $1 !~ /security/ { print $1; exit }')
    [ -n "$m" ] || m=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME)' 2>/dev/null |
        awk '$2 !~ /-/ { print $1; exit }')
    [ -n "$m" ] || { echo "roots.sh: no Debian mirror in the host's apt sources" >&2; return 1; }
    echo "${m%/}"
}

# _root_tar NAME DIR: DIR from the cached tar NAME if there is one (status 0).
_root_tar() {
    [ -f "$ROOT_CACHE/$1.tar" ] || return 1
    rm -rf "$2" && mkdir -p "$2" && tar -C "$2" -xf "$ROOT_CACHE/$1.tar"
}
_root_keep() { # name dir
    mkdir -p "$ROOT_CACHE"
    tar -C "$2" -cf "$ROOT_CACHE/$1.tar.tmp.$$" . && mv "$ROOT_CACHE/$1.tar.tmp.$$" "$ROOT_CACHE/$1.tar"
}

root_make() { # suite dir pkgs...
    local suite=$1 dir=$2
    shift 2
    local mirror base full log
    log="$dir.log"
    mkdir -p "$(dirname "$dir")"
    mirror=$(root_mirror) || return 1
    base="$suite-base-$(printf '%s\n' v1 "$suite" "$mirror" | sha256sum | cut -c1-12)"
    full="$suite-$(printf '%s\n' v1 "$suite" "$mirror" "$@" | sort | sha256sum | cut -c1-12)"
    if [ $# -gt 0 ] && _root_tar "$full" "$dir"; then
        echo "root $suite: from the cache $ROOT_CACHE/$full.tar"
        return 0
    fi
    if _root_tar "$base" "$dir"; then
        echo "root $suite: base from the cache $ROOT_CACHE/$base.tar"
    else
        echo "root $suite: mmdebstrap --variant=apt from $mirror"
        rm -rf "$dir"
        # Recommends stay out (only what is asked and its dependencies); the
        # setting stays in the root, so later apt-get installs honour it too.
        if ! mmdebstrap --variant=apt --skip=cleanup/apt/lists \
            --aptopt='APT::Install-Recommends "false"' \
            --customize-hook='printf "#!/bin/sh\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod +x "$1/usr/sbin/policy-rc.d"' \
            "$suite" "$dir" "$mirror" >"$log" 2>&1; then
            tail -30 "$log" >&2
            echo "roots.sh: mmdebstrap $suite failed (log: $log)" >&2
            return 1
        fi
        _root_keep "$base" "$dir"
    fi
    [ $# -gt 0 ] || return 0
    echo "root $suite: apt-get install ${#@} packages"
    # Services never start from package scripts (policy-rc.d above).
    if ! root_run_net "$dir" apt-get install -y -q "$@" >"$log" 2>&1; then
        tail -30 "$log" >&2
        echo "roots.sh: apt-get install in the $suite root failed (log: $log)" >&2
        return 1
    fi
    rm -f "$dir"/var/cache/apt/archives/*.deb
    _root_keep "$full" "$dir"
}

# root_ns NET DIR CMD...: CMD on the host side, in new mount and PID
# namespaces (and a network namespace with loopback only unless NET is
# host), with DIR's /proc, /run and /dev mounted (its /tmp stays the root's
# own, as in a container image: a Dockerfile's COPY to /tmp is seen by the
# next RUN); ROOT=DIR is
# exported and `root_chroot CMD...` (a function of this file, so CMD can be
# a script sourcing it) enters the root with a clean environment. Every
# process left in the namespaces is killed when CMD ends.
root_ns() {
    local net=$1 dir
    dir=$(realpath "$2")
    shift 2
    local ns=(--mount --pid --fork --kill-child)
    [ "$net" = host ] || ns+=(--net)
    ROOT=$dir NET=$net unshare "${ns[@]}" -- bash -euc '
        mount --make-rprivate /
        # The root a mount point of its own: inside it "/" can then be made
        # private (unshare --mount, as test-p11kit.sh does).
        mount --bind "$ROOT" "$ROOT"
        mount -t proc proc "$ROOT/proc"
        mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
        mount --rbind /dev "$ROOT/dev"
        for b in ${DSK_ROOT_BINDS:-}; do   # SRC:DST[:ro]
            IFS=: read -r src dst mode <<<"$b"
            mkdir -p "$ROOT/$dst"
            mount --bind "$src" "$ROOT/$dst"
            [ "$mode" != ro ] || mount -o remount,bind,ro "$ROOT/$dst"
        done
        if [ "$NET" = host ]; then cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
        else ip link set lo up; fi
        export ROOT
        exec "$@"
    ' bash "$@"
}

# root_chroot CMD...: CMD inside $ROOT (within root_ns), with PATH, HOME,
# LANG and $DSK_ROOT_ENV (NAME=VALUE words) as its whole environment.
root_chroot() {
    # shellcheck disable=SC2086
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive ${DSK_ROOT_ENV:-} "$@"
}
export -f root_chroot

root_run() { root_ns lo "$1" bash -c 'root_chroot "$@"' bash "${@:2}"; }
# With the network, the root's /var/cache/apt/archives is the cache's
# apt-archives/CODENAME: every root of a suite (the Dockerfile's stages, the
# test roots) and every later run downloads a package once.
root_run_net() {
    local codename binds=${DSK_ROOT_BINDS:-}
    codename=$(sed -n 's/^VERSION_CODENAME=//p' "$1/etc/os-release" 2>/dev/null || true)
    if [ -n "$codename" ]; then
        mkdir -p "$ROOT_CACHE/apt-archives/$codename/partial"
        binds="$binds $ROOT_CACHE/apt-archives/$codename:/var/cache/apt/archives"
    fi
    DSK_ROOT_BINDS=$binds root_ns host "$1" bash -c 'root_chroot "$@"' bash "${@:2}"
}
