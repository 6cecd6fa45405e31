#!/usr/bin/env bash
# Installs every build and test dependency of ipsecd from Debian 12 packages (root, non-interactive,
# idempotent: nothing is fetched when everything is already present).
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config
  libmnl-dev libnl-3-dev libnl-route-3-dev libbotan-2-dev libfmt-dev catch2 nlohmann-json3-dev
  libtomlplusplus-dev libcli11-dev libsystemd-dev
  # fuzzing (libFuzzer with clang-14)
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  # tests: namespaces, a real IKEv2 peer, captures
  iproute2 strongswan-charon strongswan-swanctl tcpdump xxd
  # tests: the qemu VM with a real ESP/AH kernel (tests/kernel/)
  qemu-system-x86 busybox-static cpio kmod socat util-linux binutils
)

if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap.sh: run as root (it installs Debian packages)" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap.sh: all ${#packages[@]} packages present"
  exit 0
fi

echo "bootstrap.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
