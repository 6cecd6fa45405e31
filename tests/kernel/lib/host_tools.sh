# Makes sure the host has what the kernel VM harness runs (source it): installs missing Debian packages as root.
# shellcheck shell=bash

# Debian 12 packages the harness needs on the host; packaging/bootstrap.sh installs the same list.
VM_HOST_PACKAGES=(qemu-system-x86 busybox-static cpio kmod iproute2 socat util-linux binutils)

vm_host_tools_missing() {
  local p status missing=()
  for p in "${VM_HOST_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"
}

vm_ensure_host_tools() {
  local missing
  mapfile -t missing < <(vm_host_tools_missing)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    vm_die "missing Debian packages: ${missing[*]} (run packaging/bootstrap.sh as root)"
  fi
  vm_log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
