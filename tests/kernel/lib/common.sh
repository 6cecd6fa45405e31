# Shared host-side helpers of the kernel VM harness (source it): logging, cache location, locking, ELF copying.
# shellcheck shell=bash

vm_log() { printf '[kernel-vm] %s\n' "$*" >&2; }
vm_die() { vm_log "error: $*"; exit 2; }

# The cache survives between runs and builds: the kernel .deb, its unpacked tree and the initramfs images.
# Root without XDG_CACHE_HOME gets /var/cache, anyone else ~/.cache, unless IPSECD_VM_CACHE says otherwise.
vm_cache_dir() {
  if [ -n "${IPSECD_VM_CACHE:-}" ]; then
    printf '%s\n' "$IPSECD_VM_CACHE"
  elif [ -n "${XDG_CACHE_HOME:-}" ]; then
    printf '%s\n' "$XDG_CACHE_HOME/ipsecd-vm"
  elif [ "$(id -u)" -eq 0 ]; then
    printf '%s\n' /var/cache/ipsecd-vm
  else
    printf '%s\n' "$HOME/.cache/ipsecd-vm"
  fi
}

# Runs "$@" while holding the cache lock, so parallel ctest runs do not fetch or build the same thing twice.
vm_with_lock() {
  local cache=$1; shift
  mkdir -p "$cache"
  (
    flock -w 900 9 || vm_die "could not lock $cache/lock within 900 s"
    "$@"
  ) 9>"$cache/lock"
}

# Prints the shared libraries (and the dynamic loader) that ELF file $1 needs, one absolute path a line.
# A static executable needs none.
vm_elf_libraries() {
  { ldd "$1" 2>/dev/null || true; } | awk '
    $2 == "=>" && $3 ~ /^\// { print $3; next }
    $1 ~ /^\// { print $1 }'
}

# Copies executable $1 to $2 inside root $3, and each library it needs to the same absolute path inside root $3
# (Debian's loader searches /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu without any ld.so.cache).
vm_copy_elf() {
  local src=$1 dest=$2 root=$3 lib
  install -D -m 755 "$src" "$root$dest"
  while IFS= read -r lib; do
    [ -e "$root$lib" ] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
  done < <(vm_elf_libraries "$src")
}

# Writes a newc cpio archive of directory $1 (owned by root, sorted for a stable result) to stdout.
vm_cpio_of() {
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
}

# Keeps only the $2 most recently used files matching glob $1 (cache pruning).
vm_prune() {
  local pattern=$1 keep=$2
  # shellcheck disable=SC2086
  ls -1t $pattern 2>/dev/null | tail -n +"$((keep + 1))" | while IFS= read -r old; do rm -f "$old"; done
}
