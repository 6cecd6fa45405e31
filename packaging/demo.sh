#!/usr/bin/env bash
# The README's demo: installs the dependencies, builds ipsecd and ipsecctl, and runs packaging/demo/gateways.sh
# (two gateways in network namespaces, an ESP tunnel between two LANs, traffic through it, `ipsecctl status`
# with the counters rising, teardown). When this kernel cannot do ESP it says so and runs the same scenario
# inside the qemu VM of tests/kernel/ (Debian's cloud kernel, which can).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${IPSECD_BUILD_DIR:-$top/build}

if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: run as root (it creates network namespaces)" >&2
  exit 2
fi
"$top/packaging/bootstrap.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target ipsecd ipsecctl

# Can this kernel hold an ESP SA? Try one in a throwaway namespace.
kernel_has_esp() {
  local ns="ipsecd-demo-probe-$$" ok=0
  ip netns add "$ns" || return 1
  ip -n "$ns" xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 mode tunnel \
    aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128 2>/dev/null || ok=1
  ip netns del "$ns"
  return $ok
}

started=$(date +%s)
status=0
if kernel_has_esp; then
  IPSECD="$build/daemon/ipsecd" IPSECCTL="$build/ctl/ipsecctl" "$top/packaging/demo/gateways.sh" || status=$?
else
  echo "demo.sh: this kernel ($(uname -r)) cannot install an ESP SA (no esp4 support);"
  echo "demo.sh: running the same demo inside a qemu VM with Debian's cloud kernel (tests/kernel/run_vm.sh)"
  "$top/tests/kernel/run_vm.sh" --verbose --timeout 300 \
    --bin "$build/daemon/ipsecd" --bin "$build/ctl/ipsecctl" --file "$top/packaging/demo:/opt/ipsecd/demo" \
    -- env IP=/usr/libexec/ipsecd-vm/ip IPSECD=/opt/ipsecd/bin/ipsecd IPSECCTL=/opt/ipsecd/bin/ipsecctl \
    DEMO_DIR=/opt/ipsecd/demo sh /opt/ipsecd/demo/gateways.sh || status=$?
fi
if [ "$status" -eq 0 ]; then
  echo "demo.sh: PASS (tunnel up, traffic counted, torn down; $(($(date +%s) - started)) s)"
else
  echo "demo.sh: FAIL (exit status $status)" >&2
fi
exit "$status"
