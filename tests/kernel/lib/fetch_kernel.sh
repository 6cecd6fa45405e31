#!/usr/bin/env bash
# Ensures a Debian cloud kernel with ESP/AH modules is unpacked and depmod-indexed in the cache; prints its tree.
# Usage: fetch_kernel.sh CACHE_DIR
# The tree is CACHE_DIR/kernels/VERSION (boot/vmlinuz-VERSION, lib/modules/VERSION). Once there, nothing is
# fetched again. IPSECD_VM_KERNEL_PACKAGE pins a package (e.g. linux-image-6.1.0-56-cloud-amd64); by default
# the newest one that linux-image-cloud-amd64 depends on is used.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
source "$here/common.sh"

cache=${1:?usage: fetch_kernel.sh CACHE_DIR}

# Newest file matching glob $1, or nothing. No `ls | head`: head's early exit is a SIGPIPE under pipefail.
newest() {
  local f best=
  for f in $1; do
    [ -e "$f" ] || continue
    if [ -z "$best" ] || [ "$f" -nt "$best" ]; then best=$f; fi
  done
  printf '%s\n' "$best"
}

# apt-get download needs current package lists; a fresh machine may have none yet.
apt_download() {
  local dir=$1; shift
  if ! (cd "$dir" && apt-get download "$@" >/dev/null 2>&1); then
    [ "$(id -u)" -eq 0 ] || vm_die "apt-get download $* failed (run apt-get update as root)"
    apt-get update -qq
    (cd "$dir" && apt-get download "$@" >/dev/null 2>&1) || vm_die "apt-get download $* failed"
  fi
}

fetch() {
  local pinned=${IPSECD_VM_KERNEL_PACKAGE:-} current=$cache/kernels/current
  if [ -z "$pinned" ] && [ -f "$current/.ready" ]; then
    readlink -f "$current"
    return 0
  fi
  if [ -n "$pinned" ] && [ -f "$cache/kernels/${pinned#linux-image-}/.ready" ]; then
    printf '%s\n' "$cache/kernels/${pinned#linux-image-}"
    return 0
  fi

  local debs=$cache/debs package deb version tree
  mkdir -p "$debs" "$cache/kernels"
  package=$pinned
  if [ -z "$package" ]; then
    apt_download "$debs" linux-image-cloud-amd64
    deb=$(newest "$debs/linux-image-cloud-amd64_*.deb")
    # Depends: "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)"
    package=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' | sed -n 1p)
    [ -n "$package" ] || vm_die "cannot read the kernel package from $deb"
  fi
  version=${package#linux-image-}
  deb=$(newest "$debs/${package}_*.deb")
  if [ -z "$deb" ]; then
    vm_log "downloading $package"
    apt_download "$debs" "$package"
    deb=$(newest "$debs/${package}_*.deb")
    [ -n "$deb" ] || vm_die "apt-get download $package left no .deb"
  fi

  tree=$cache/kernels/$version
  rm -rf "$tree"
  dpkg -x "$deb" "$tree"
  [ -f "$tree/boot/vmlinuz-$version" ] || vm_die "$deb has no boot/vmlinuz-$version"
  depmod -b "$tree" "$version"
  touch "$tree/.ready"
  [ -n "$pinned" ] || ln -sfn "$version" "$current"
  vm_log "kernel $version unpacked in $tree"
  printf '%s\n' "$tree"
}

vm_with_lock "$cache" fetch
