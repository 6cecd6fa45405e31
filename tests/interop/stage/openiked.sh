#!/bin/bash
# Stages OpenIKED 7.2 (iked, ikectl) for the interop VM: fetches Debian's package once into the VM cache and
# prints the run_vm.sh arguments that put both programs (with their libraries) into the guest, one per line.
# Usage: stage/openiked.sh [CACHE_DIR] (run_interop.sh passes it; default CACHE/peers/openiked).
#
# The package is never installed on the host: its maintainer scripts would start iked on the host's UDP 500.
# `apt-get download` + `dpkg -x` unpack it into CACHE_DIR/root instead, once. Its libraries (libevent,
# libcrypto) are the host's, which run_vm.sh --bin copies along with each program; OpenSSL's legacy
# provider, which libcrypto loads with dlopen, goes along as a --file.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../kernel/lib/common.sh
. "$here/../../kernel/lib/common.sh"

version=${IPSECD_OPENIKED_VERSION:-7.2-1}
# Not named "cache": vm_with_lock has a local of that name, which bash would let fetch see instead.
openiked_dir=${1:-$(vm_cache_dir)/peers/openiked}

fetch() {
  [ -x "$openiked_dir/root/usr/sbin/iked" ] && [ -x "$openiked_dir/root/usr/sbin/ikectl" ] && return 0
  rm -rf "${openiked_dir:?}/root" "${openiked_dir:?}/debs"
  mkdir -p "$openiked_dir/debs"
  # apt-get download writes into the current directory; _apt cannot, so it warns and fetches as root.
  (cd "$openiked_dir/debs" && apt-get download -q "openiked=$version" >&2) ||
    vm_die "cannot download openiked $version (is the Debian bookworm archive reachable?)"
  dpkg -x "$openiked_dir"/debs/openiked_*.deb "$openiked_dir/root"
  for lib in $(vm_elf_libraries "$openiked_dir/root/usr/sbin/iked"); do
    [ -e "$lib" ] || vm_die "iked needs $lib, which the host lacks: apt-get install libevent-2.1-7 libssl3"
  done
  vm_log "OpenIKED $version unpacked into $openiked_dir/root"
}

# iked reads /etc/iked/private/local.key at start and gives up without one, even when every policy uses a
# PSK; the PSK cases install this throwaway key there.
make_psk_case_key() {
  [ -s "$openiked_dir/local-psk.key" ] && return 0
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$openiked_dir/local-psk.key.tmp" 2>/dev/null ||
    vm_die "openssl could not make a key for iked"
  mv "$openiked_dir/local-psk.key.tmp" "$openiked_dir/local-psk.key"
}

vm_with_lock "$(vm_cache_dir)" fetch
vm_with_lock "$(vm_cache_dir)" make_psk_case_key
printf -- '--bin %s\n' "$openiked_dir/root/usr/sbin/iked" "$openiked_dir/root/usr/sbin/ikectl"
# iked loads OpenSSL's legacy provider at start (for its older transforms) and exits without it; ldd does not
# list it because libcrypto opens it with dlopen from its MODULESDIR.
modules=$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')
[ -f "$modules/legacy.so" ] || vm_die "iked needs OpenSSL's legacy provider, $modules/legacy.so is missing"
printf -- '--file %s:%s\n' "$modules/legacy.so" "$modules/legacy.so"
printf -- '--file %s:%s\n' "$openiked_dir/local-psk.key" /opt/ipsecd/openiked/local-psk.key
