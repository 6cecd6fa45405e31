#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, seeded from the fixture datagrams; fails on any crash,
# leak or sanitizer report (libFuzzer exits non-zero), and when the run executed nothing.
set -euo pipefail
fuzzer=$1
fixtures=$2
seconds=$3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"

# Seed: every captured datagram of the real-peer fixtures (messages.json "hex" fields) back into bytes.
n=0
while IFS= read -r hex; do
  n=$((n + 1))
  printf '%s' "$hex" | xxd -r -p > "$work/corpus/seed-$n"
done < <(find "$fixtures" -name messages.json -exec grep -ho '"hex": *"[0-9a-f]*"' {} + | sed 's/.*"\([0-9a-f]*\)"$/\1/')
echo "run_fuzzer: $(ls "$work/corpus" | wc -l) seed inputs, ${seconds}s"

"$fuzzer" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" 2>&1 | tee "$work/log"
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
if [ -z "$runs" ] || [ "$runs" -eq 0 ]; then
  echo "run_fuzzer: no inputs were executed" >&2
  exit 1
fi
echo "run_fuzzer: $runs executions, clean"
