#!/usr/bin/env bash
# Builds (or finds in the cache) the per-run initramfs overlay and prints its path: the test binaries with
# their libraries, extra files, guest suites and the steps /init runs (see run_vm.sh for the options).
# Usage: build_overlay.sh CACHE_DIR [--suite FILE]... [--bin FILE]... [--file SRC:DEST]... [-- COMMAND...]
# It is an uncompressed newc cpio appended to the base image (the kernel unpacks both into one rootfs);
# named by a hash of every input, so unchanged inputs reuse it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
source "$here/common.sh"

cache=${1:?usage: build_overlay.sh CACHE_DIR [options] [-- COMMAND...]}
shift
suites=() bins=() files=() command=()
while [ $# -gt 0 ]; do
  case $1 in
    --suite) suites+=("$(readlink -f "${2:?--suite needs a file}")"); shift 2 ;;
    --bin) bins+=("$(readlink -f "${2:?--bin needs a file}")"); shift 2 ;;
    --file) files+=("${2:?--file needs SRC:DEST}"); shift 2 ;;
    --) shift; command=("$@"); break ;;
    *) vm_die "build_overlay.sh: unknown option $1" ;;
  esac
done
[ ${#suites[@]} -gt 0 ] || [ ${#command[@]} -gt 0 ] || vm_die "nothing to run: give --suite or -- COMMAND"

for f in "${suites[@]}" "${bins[@]}"; do
  [ -f "$f" ] || vm_die "no such file: $f"
done
for spec in "${files[@]}"; do
  [[ $spec == *:/* ]] || vm_die "--file wants SRC:/ABSOLUTE/DEST, got $spec"
  [ -e "${spec%%:*}" ] || vm_die "no such file: ${spec%%:*}"
done

# Quotes one word for the guest's POSIX sh.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

command_line() {
  local word line=exec
  for word in "${command[@]}"; do line+=" $(sh_quote "$word")"; done
  printf '%s\n' "$line"
}

input_hash() {
  {
    local f spec src
    for f in "${suites[@]}"; do printf 'suite '; sha256sum "$f"; done
    for f in "${bins[@]}"; do
      printf 'bin '; sha256sum "$f"
      vm_elf_libraries "$f" | while IFS= read -r lib; do printf '%s ' "$lib"; sha256sum "$(readlink -f "$lib")"; done
    done
    for spec in "${files[@]}"; do
      src=${spec%%:*}
      printf 'file %s\n' "${spec#*:}"
      (cd "$src" 2>/dev/null && find . -type f | LC_ALL=C sort | xargs -r sha256sum) || sha256sum "$src"
    done
    [ ${#command[@]} -eq 0 ] || { printf 'command '; command_line; }
    sha256sum "$here/build_overlay.sh" "$here/common.sh"
  } | sha256sum | cut -c1-16
}

build() {
  local out=$1 f spec step=100 name
  # Global, not local: the EXIT trap of the locked subshell removes it on failure too.
  stage=$(mktemp -d "$cache/stage.XXXXXX")
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage/etc/ipsecd-vm/steps" "$stage/opt/ipsecd/bin" "$stage/opt/ipsecd/suites"

  for f in "${bins[@]}"; do
    vm_copy_elf "$f" "/opt/ipsecd/bin/$(basename "$f")" "$stage"
    # Debug info only slows the guest's unpacking; symbols stay for backtraces.
    strip --strip-debug "$stage/opt/ipsecd/bin/$(basename "$f")" 2>/dev/null || true
  done
  for spec in "${files[@]}"; do
    mkdir -p "$(dirname "$stage${spec#*:}")"
    cp -a "${spec%%:*}" "$stage${spec#*:}"
  done
  for f in "${suites[@]}"; do
    name=$(basename "$f")
    install -m 755 "$f" "$stage/opt/ipsecd/suites/$name"
    printf 'exec sh /opt/ipsecd/suites/%s\n' "$name" >"$stage/etc/ipsecd-vm/steps/$step-suite-${name%.sh}"
    step=$((step + 1))
  done
  if [ ${#command[@]} -gt 0 ]; then
    command_line >"$stage/etc/ipsecd-vm/steps/900-command"
  fi

  vm_cpio_of "$stage" >"$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$stage"
}

build_if_missing() {
  local out
  out=$cache/initramfs/overlay-$(input_hash).cpio
  mkdir -p "$cache/initramfs"
  if [ ! -f "$out" ]; then
    build "$out"
    vm_prune "$cache/initramfs/overlay-*.cpio" 8
  fi
  touch "$out"
  printf '%s\n' "$out"
}

vm_with_lock "$cache" build_if_missing
