#!/usr/bin/env bash
# Builds (or finds in the cache) the base initramfs of the kernel test VM and prints its path.
# Usage: build_base_initramfs.sh CACHE_DIR KERNEL_TREE
# Contents: busybox-static with its applets (and /sbin/modprobe, so the kernel can autoload crypto and xfrm
# modules), the network, xfrm and crypto modules with their dependencies, iproute2's ip and socat under
# /usr/libexec/ipsecd-vm (busybox's applets would shadow them in PATH), and the guest side of the harness.
# The image is named by a hash of every input, so an unchanged input set is never rebuilt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
guest=$(cd "$here/../guest" && pwd)
# shellcheck source=common.sh
source "$here/common.sh"

cache=${1:?usage: build_base_initramfs.sh CACHE_DIR KERNEL_TREE}
tree=${2:?usage: build_base_initramfs.sh CACHE_DIR KERNEL_TREE}
version=$(basename "$(readlink -f "$tree")")
moddir=$tree/lib/modules/$version

busybox=$(command -v busybox) || vm_die "busybox not found (package busybox-static)"
[ -z "$(vm_elf_libraries "$busybox")" ] || vm_die "$busybox is not static: install busybox-static"
ip_bin=$(PATH=/usr/sbin:/sbin:/usr/bin:/bin command -v ip) || vm_die "ip not found (package iproute2)"
socat_bin=$(command -v socat) || vm_die "socat not found (package socat)"
# awk reads to the end: an early exit would kill ldconfig with SIGPIPE, which pipefail turns into a failure.
libgcc=$(ldconfig -p | awk '/libgcc_s\.so\.1 .*x86-64/ && !found { found = $NF } END { print found }')
[ -n "$libgcc" ] || vm_die "libgcc_s.so.1 not found"

# Module directories (relative to lib/modules/VERSION) taken whole; modules.dep adds what they depend on.
module_roots=(kernel/net/ipv4 kernel/net/ipv6 kernel/net/xfrm kernel/net/key kernel/net/core
              kernel/crypto kernel/lib kernel/arch/x86/crypto
              kernel/drivers/net/veth.ko kernel/drivers/net/dummy.ko)

input_hash() {
  {
    printf 'kernel %s\n' "$version"
    cat "$tree/boot/vmlinuz-$version" "$moddir/modules.dep" | sha256sum
    printf '%s\n' "${module_roots[@]}"
    local bin
    for bin in "$busybox" "$ip_bin" "$socat_bin" "$libgcc"; do
      sha256sum "$(readlink -f "$bin")"
      vm_elf_libraries "$bin" | while IFS= read -r lib; do
        printf '%s ' "$lib"; sha256sum "$(readlink -f "$lib")"
      done
    done
    (cd "$guest" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    sha256sum "$here/build_base_initramfs.sh" "$here/common.sh"
  } | sha256sum | cut -c1-16
}

# Prints the selected modules and, transitively, every module they depend on (paths as in modules.dep).
module_closure() {
  local roots=()
  local r
  for r in "${module_roots[@]}"; do
    [ -e "$moddir/$r" ] && roots+=("$r")
  done
  (cd "$moddir" && find "${roots[@]}" -name '*.ko' | LC_ALL=C sort) |
    awk -v depfile="$moddir/modules.dep" '
      BEGIN {
        while ((getline line < depfile) > 0) {
          split(line, parts, ":")
          deps[parts[1]] = parts[2]
        }
      }
      function add(m,    n, i, list) {
        if (m in seen) return
        seen[m] = 1
        print m
        n = split(deps[m], list, " ")
        for (i = 1; i <= n; i++) add(list[i])
      }
      { add($0) }'
}

build() {
  local out=$1
  # Global, not local: the EXIT trap of the locked subshell removes it on failure too.
  stage=$(mktemp -d "$cache/stage.XXXXXX")
  trap 'rm -rf "$stage"' EXIT

  mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,run,etc,root,var/tmp,usr/libexec/ipsecd-vm,opt/ipsecd/bin}
  install -m 755 "$busybox" "$stage/bin/busybox"
  local applet
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
  done
  ln -s ../bin/busybox "$stage/sbin/modprobe"

  vm_copy_elf "$ip_bin" /usr/libexec/ipsecd-vm/ip "$stage"
  vm_copy_elf "$socat_bin" /usr/libexec/ipsecd-vm/socat "$stage"
  # glibc dlopens libgcc_s for thread cancellation and C++ unwinding; ldd does not list it for C programs.
  install -D -m 755 "$(readlink -f "$libgcc")" "$stage$libgcc"

  local mod
  module_closure | while IFS= read -r mod; do
    install -D -m 644 "$moddir/$mod" "$stage/lib/modules/$version/$mod"
  done
  cp "$moddir"/modules.{order,builtin,builtin.modinfo} "$stage/lib/modules/$version/"
  depmod -b "$stage" "$version"

  install -m 755 "$guest/init" "$stage/init"
  install -m 644 "$guest/vmtest.sh" "$stage/usr/libexec/ipsecd-vm/vmtest.sh"
  install -m 755 "$guest/run-catch2" "$stage/usr/libexec/ipsecd-vm/run-catch2"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
  printf 'root:x:0:\n' >"$stage/etc/group"

  vm_cpio_of "$stage" | gzip -6 >"$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$stage"
}

build_if_missing() {
  local out
  out=$cache/initramfs/base-$version-$(input_hash).cpio.gz
  mkdir -p "$cache/initramfs"
  if [ ! -f "$out" ]; then
    vm_log "building $(basename "$out")"
    build "$out"
    vm_prune "$cache/initramfs/base-*.cpio.gz" 4
  fi
  touch "$out"
  printf '%s\n' "$out"
}

vm_with_lock "$cache" build_if_missing
