#!/usr/bin/env bash
# Runs guest tests in a qemu VM booting Debian's cloud kernel (real ESP/AH, which the host kernel lacks) and
# reports their results: one "RESULT <name> PASS|FAIL" line each, then "N passed, M failed".
#
# Usage: run_vm.sh [options] [-- COMMAND [ARGS...]]
#   --suite FILE       guest shell suite (see guest/vmtest.sh) copied in and run; repeatable, runs in order
#   --bin FILE         executable copied to /opt/ipsecd/bin (in the guest's PATH) with the libraries ldd
#                      lists; repeatable
#   --file SRC:DEST    file or directory copied to absolute path DEST in the guest; repeatable
#   --timeout SECONDS  hard bound on the VM's wall time (default 300)
#   --memory MB        guest memory (default 512)
#   --keep             keep the run directory (console log, results) even when everything passed
#   --verbose          stream the guest console to stderr while it runs
#   -- COMMAND...      run after the suites, e.g. /usr/libexec/ipsecd-vm/run-catch2 /opt/ipsecd/bin/x "[tag]"
# Exit status: 0 when every result passed; 1 when a test failed, the guest ran no test, a step exited
# non-zero, the VM crashed or it ran past its time bound; 2 on a usage or setup error.
# Environment: IPSECD_VM_CACHE (cache directory), IPSECD_VM_KERNEL_PACKAGE (pin a kernel package).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/host_tools.sh
source "$here/lib/host_tools.sh"

timeout_s=300
memory=512
keep=0
verbose=0
overlay_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --suite | --bin | --file) overlay_args+=("$1" "${2:?$1 needs an argument}"); shift 2 ;;
    --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
    --memory) memory=${2:?--memory needs MB}; shift 2 ;;
    --keep) keep=1; shift ;;
    --verbose) verbose=1; shift ;;
    --) overlay_args+=("$@"); break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) vm_die "unknown option $1 (see --help)" ;;
  esac
done

vm_ensure_host_tools
cache=$(vm_cache_dir)
tree=$("$here/lib/fetch_kernel.sh" "$cache")
version=$(basename "$tree")
base=$("$here/lib/build_base_initramfs.sh" "$cache" "$tree")
overlay=$("$here/lib/build_overlay.sh" "$cache" "${overlay_args[@]}")

run=$(mktemp -d "${TMPDIR:-/tmp}/ipsecd-vm.XXXXXX")
# The kernel takes an uncompressed cpio only at a 4-byte aligned offset; zero bytes between archives are
# skipped, so pad the gzip'd base to a multiple of 4.
cp "$base" "$run/initrd"
truncate -s %4 "$run/initrd"
cat "$overlay" >>"$run/initrd"
: >"$run/console.log"
: >"$run/results.txt"

tail_pid=
if [ "$verbose" -eq 1 ]; then
  tail -n +1 -f "$run/console.log" >&2 &
  tail_pid=$!
fi

vm_log "booting $version (timeout ${timeout_s} s)"
start=$(date +%s.%N)
qemu_rc=0
# ttyS0: kernel and test console; ttyS1: the results port (guest/init). TCG: /dev/kvm is not usable here.
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -accel tcg -cpu max -smp 1 -m "$memory" \
  -nodefaults -no-user-config -display none -monitor none -no-reboot \
  -serial "file:$run/console.log" -serial "file:$run/results.txt" \
  -kernel "$tree/boot/vmlinuz-$version" -initrd "$run/initrd" \
  -append "console=ttyS0 panic=-1 oops=panic quiet no_timer_check" </dev/null >"$run/qemu.out" 2>&1 || qemu_rc=$?
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
if [ -n "$tail_pid" ]; then
  sleep 0.2
  kill "$tail_pid" 2>/dev/null || true
  wait "$tail_pid" 2>/dev/null || true
fi

problems=()
case $qemu_rc in
  0) ;;
  124 | 137) problems+=("the VM ran past its time bound of ${timeout_s} s") ;;
  *) problems+=("qemu exited with status $qemu_rc: $(tr '\n' ' ' <"$run/qemu.out")") ;;
esac

tr -d '\r' <"$run/results.txt" >"$run/results.clean"
passed=0
failed=0
began=0
ended=0
while IFS= read -r line; do
  case $line in
    "BEGIN "*) began=1 ;;
    END) ended=1 ;;
    "RESULT "*" PASS") printf '%s\n' "$line"; passed=$((passed + 1)) ;;
    "RESULT "*" FAIL") printf '%s\n' "$line"; failed=$((failed + 1)) ;;
    "STEP "*)
      rc=${line##* }
      [ "$rc" = 0 ] || problems+=("guest step $(echo "$line" | cut -d' ' -f2) exited with status $rc")
      ;;
    *) problems+=("unexpected line on the results port: $line") ;;
  esac
done <"$run/results.clean"

[ "$began" -eq 1 ] || problems+=("the guest never started its steps")
if [ "$began" -eq 1 ] && [ "$ended" -eq 0 ]; then
  problems+=("the VM stopped before the guest finished (crash, kernel panic or hang)")
fi
if grep -q -e 'Kernel panic' -e 'BUG:' -e 'Oops' "$run/console.log"; then
  problems+=("the guest kernel reported: $(grep -m1 -e 'Kernel panic' -e 'BUG:' -e 'Oops' "$run/console.log")")
fi
[ $((passed + failed)) -gt 0 ] || problems+=("the guest ran no test")
[ "$failed" -eq 0 ] || problems+=("$failed test(s) failed")

vm_log "boot+test wall time ${elapsed} s"
status=0
if [ ${#problems[@]} -gt 0 ]; then
  status=1
  for p in "${problems[@]}"; do vm_log "FAILURE: $p"; done
  vm_log "last lines of the guest console ($run/console.log):"
  tail -n 80 "$run/console.log" | tr -d '\r' >&2
  vm_log "run directory kept: $run"
elif [ "$keep" -eq 1 ]; then
  vm_log "run directory kept: $run"
else
  rm -rf "$run"
fi
echo "$passed passed, $failed failed"
exit "$status"
