#!/usr/bin/env bash
# Runs bench_xfrm_install: policies on the host (private namespace, root), SAs in the kernel VM (the host
# has no ESP), and prints both reports. Usage: bench/bench_xfrm_install.sh BUILD_DIR [COUNT] [REPETITIONS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: bench_xfrm_install.sh BUILD_DIR [COUNT] [REPETITIONS]}
count=${2:-2000}
reps=${3:-5}
bin=$build/bench/bench_xfrm_install
[ -x "$bin" ] || { echo "build the bench_xfrm_install target first ($bin)" >&2; exit 2; }

echo "== host kernel $(uname -r)"
"$bin" policies "$count" "$reps"

echo "== kernel VM (qemu TCG)"
# The guest console carries the report; run_vm.sh streams it with --verbose.
"$here/../tests/kernel/run_vm.sh" --verbose --timeout 500 --bin "$bin" \
  -- /opt/ipsecd/bin/bench_xfrm_install sas "$count" "$reps" 2>&1 |
  grep -E '^(sas|policies):|^  (netlink/|ip -batch|ratio)|passed, '
