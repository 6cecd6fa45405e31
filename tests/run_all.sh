#!/usr/bin/env bash
# Builds ipsecd (regular and libFuzzer builds), runs the whole test suite (every ctest label) and prints
# the interop matrix.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${IPSECD_BUILD_DIR:-$top/build}
fuzz_build=${IPSECD_FUZZ_BUILD_DIR:-$top/build-fuzz}
jobs=$(nproc)

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$jobs"
cmake -S "$top" -B "$fuzz_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DIPSECD_FUZZ=ON -DIPSECD_TESTS=OFF -DIPSECD_BENCH=OFF
cmake --build "$fuzz_build" -j "$jobs"

status=0
(cd "$build" && ctest --output-on-failure -j "$jobs") || status=1
(cd "$fuzz_build" && ctest --output-on-failure -L fuzz) || status=1

# The interop matrix of every peer that ran (tests/interop/README.md), together at the end of the log.
shopt -s nullglob
matrices=("$build"/tests/interop/interop-*.matrix)
if ((${#matrices[@]} > 0)); then
  echo "== interop matrix (peer x role x auth x mode) =="
  cat "${matrices[@]}"
fi
exit $status
