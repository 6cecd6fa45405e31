#!/usr/bin/env bash
# Runs one peer's interop matrix in the kernel test VM (tests/kernel/run_vm.sh) and prints the matrix.
#
# Usage: run_interop.sh [--build-dir DIR] [--keep] [--verbose] PEER
#   PEER          strongswan, libreswan or openiked; tests/interop/stage/PEER.sh CACHE_DIR prints the extra
#                 run_vm.sh arguments its binaries need in the VM, one per line (`--bin PATH`, `--file SRC:DEST`)
#   --build-dir   the CMake build holding tests/interop/interop_tests, daemon/ipsecd, ctl/ipsecctl
#                 (default: build/ in the source tree)
#   --keep        keep the VM's run directory (console.log) even when everything passed
#   --verbose     stream the guest console to stderr while it runs
# Environment: IPSECD_INTEROP_CASES (comma-separated parts of case names, e.g. "initiator/psk,/ed25519/":
# run only those), IPSECD_INTEROP_TIMEOUT (the VM's time bound in seconds, default 1200), IPSECD_VM_CACHE.
# Output: run_vm.sh's RESULT lines, every failed case's full report (its step, reason and both logs' tails),
# and the matrix (the guest's "MATRIX " lines), which also goes to BUILD_DIR/tests/interop/interop-PEER.matrix.
# Exit status: run_vm.sh's (0 only when no case failed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../kernel/lib/common.sh
source "$repo/tests/kernel/lib/common.sh"

build=$repo/build
vm_flags=()
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build=${2:?--build-dir needs a directory}; shift 2 ;;
    --keep | --verbose) vm_flags+=("$1"); shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) vm_die "unknown option $1 (see --help)" ;;
    *) break ;;
  esac
done
peer=${1:?usage: run_interop.sh [--build-dir DIR] [--keep] [--verbose] PEER}
stage=$here/stage/$peer.sh
[ -f "$stage" ] || vm_die "no stage script for $peer: $stage"
for f in tests/interop/interop_tests daemon/ipsecd ctl/ipsecctl; do
  [ -x "$build/$f" ] || vm_die "$build/$f is missing: cmake --build $build --target interop_tests"
done

cache=$(vm_cache_dir)/interop/$peer
mkdir -p "$cache"
staged=$(bash "$stage" "$cache") || vm_die "$stage failed"
peer_args=()
while read -r option value; do
  case $option in
    --bin | --file) peer_args+=("$option" "$value") ;;
    '') ;;
    *) vm_die "$stage printed '$option $value' (want --bin PATH or --file SRC:DEST)" ;;
  esac
done <<<"$staged"

command=(/usr/libexec/ipsecd-vm/run-catch2 /opt/ipsecd/bin/interop_tests "[$peer]")
if [ -n "${IPSECD_INTEROP_CASES:-}" ]; then
  command=(env "IPSECD_INTEROP_CASES=$IPSECD_INTEROP_CASES" "${command[@]}")
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# An earlier run's matrix must not pass for this one's (tests/run_all.sh prints what it finds).
matrix=$build/tests/interop/interop-$peer.matrix
rm -f "$matrix"
status=0
"$repo/tests/kernel/run_vm.sh" --keep "${vm_flags[@]}" --timeout "${IPSECD_INTEROP_TIMEOUT:-1200}" --memory 1024 \
  --bin "$build/tests/interop/interop_tests" --bin "$build/daemon/ipsecd" --bin "$build/ctl/ipsecctl" \
  --file "$repo/tests/fixtures/pki:/opt/ipsecd/pki" "${peer_args[@]}" \
  -- "${command[@]}" 2> >(tee "$log" >&2) || status=$?
# The process substitution's tee may still be writing.
sleep 0.2

run=$(sed -n 's/.*run directory kept: //p' "$log" | tail -n 1)
if [ -n "$run" ] && [ -f "$run/console.log" ]; then
  tr -d '\r' <"$run/console.log" >"$run/console.clean"
  # Each failed case's report runs from its "INTEROP ... FAIL" line to the next INTEROP or MATRIX line.
  awk '/^(INTEROP|MATRIX) / { show = ($1 == "INTEROP" && $0 ~ /: FAIL/) } show' "$run/console.clean"
  grep '^MATRIX ' "$run/console.clean" | sed 's/^MATRIX //' >"$matrix" || true
  if [ -s "$matrix" ]; then
    echo "interop matrix ($peer), also in $matrix:"
    cat "$matrix"
  else
    echo "no matrix: the guest printed no MATRIX lines (see $run/console.log)"
  fi
  if [ "$status" -eq 0 ] && [[ " ${vm_flags[*]} " != *" --keep "* ]]; then
    rm -rf "$run"
  fi
fi
exit "$status"
