#!/usr/bin/env bash
# Runs every libFuzzer binary (*_fuzz) in BUILD_DIR for SECONDS each.
# Seeds: tests/fuzz/corpus/<name without _fuzz>/ if present (never written to); the growing
# corpus and crash artifacts live in BUILD_DIR/fuzz-work/<name>/.
# Exits non-zero if any fuzzer crashes, leaks, times out or runs out of memory.
set -uo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd) || exit 2
seconds=$2
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seed_root="$script_dir/corpus"

shopt -s nullglob
fuzzers=()
for f in "$build_dir"/*_fuzz; do
  [[ -f $f && -x $f ]] && fuzzers+=("$f")
done
if [[ ${#fuzzers[@]} -eq 0 ]]; then
  echo "run.sh: no *_fuzz binaries in $build_dir" >&2
  exit 2
fi

failed=()
for bin in "${fuzzers[@]}"; do
  name=$(basename "$bin")
  short=${name%_fuzz}
  work="$build_dir/fuzz-work/$short"
  mkdir -p "$work/corpus" "$work/artifacts"
  dirs=("$work/corpus")
  [[ -d "$seed_root/$short" ]] && dirs+=("$seed_root/$short")
  echo "=== $name: ${seconds}s, corpus ${dirs[*]}"
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "${dirs[@]}" >"$work/log.txt" 2>&1
  rc=$?
  tail -n 15 "$work/log.txt"
  if [[ $rc -ne 0 ]]; then
    echo "!!! $name failed (exit $rc); artifacts in $work/artifacts, log $work/log.txt"
    failed+=("$name")
  fi
done

if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzzers with findings: ${failed[*]}"
  exit 1
fi
echo "all ${#fuzzers[@]} fuzzer(s) clean"
