#!/usr/bin/env bash
# Storage benchmark: the disk's raw limits and the journal's append throughput (storage_bench),
# measured in the same run on the same filesystem, with a table checked against the targets:
#   fsync=never throughput >= 80% of the raw sequential write bandwidth
#   fsync=always with 32 concurrent writers >= 10x the raw single-writer fdatasync rate
# Takes about 3 minutes with the defaults (BENCH_DURATION=5).
#
# Usage: bench/storage.sh [BUILD_DIR]          (make bench runs it with build/release)
# Env:   BENCH_DURATION=5        seconds per storage_bench run and for the raw fsync test
#        BENCH_STORAGE_BYTES=1G  raw sequential write size, and the cap of each append run
#                                (fsync=never runs write the same amount as the raw test)
#        BENCH_STORAGE_PAIRS=3   repetitions of each target case (bracketed by raw runs)
#        BENCH_STORAGE_DIR=<repo>/build   parent of the temp dir: the disk being measured
#        BENCH_RESULTS=<repo>/build/bench-results.jsonl   STORAGE_BENCH=BUILD_DIR/storage_bench
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build/release}")
TOOL=${STORAGE_BENCH:-$BUILD/storage_bench}
DURATION=${BENCH_DURATION:-5}
BYTES=${BENCH_STORAGE_BYTES:-1G}
BASE_DIR=${BENCH_STORAGE_DIR:-$ROOT/build}
RESULTS=${BENCH_RESULTS:-$ROOT/build/bench-results.jsonl}

die() {
  echo "storage bench: $*" >&2
  exit 1
}

[[ -x "$TOOL" ]] || die "$TOOL not found: build it first (cmake --build $BUILD --target storage_bench)"
command -v python3 >/dev/null || die "python3 is required for the report"
mkdir -p "$BASE_DIR" "$(dirname "$RESULTS")"
WORK=$(mktemp -d "$BASE_DIR/storage-bench.XXXXXX")
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RUN_ID=storage-$(date -u +%Y%m%dT%H%M%SZ)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DISK=$(df -P "$WORK" | awk 'NR == 2 { print $1 " on " $6 }')
FSTYPE=$(stat -f -c %T "$WORK")
RUN_TIMEOUT=$((DURATION * 3 + 120))  # a stuck run must not hang `make bench`
echo "storage bench: commit $COMMIT, $(nproc) cores, load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg), disk $DISK ($FSTYPE), ${DURATION}s per run" >&2

# record CASE JSON: adds the common fields and appends the line to both result files.
record() {
  local line
  line="{\"bench\":\"storage\",\"run\":\"$RUN_ID\",\"commit\":\"$COMMIT\",\"case\":\"$1\",\"loadavg\":\"$(cut -d' ' -f1 /proc/loadavg)\",${2#\{}"
  echo "$line" >>"$WORK/results.jsonl"
  echo "$line" >>"$RESULTS"
}

# bench CASE ARGS...: one storage_bench run, recorded (a failure is recorded as ok:false).
bench() {
  local name=$1 out line rc=0
  shift
  out=$(timeout "$RUN_TIMEOUT" "$TOOL" --dir "$WORK" --json "$@" 2>"$WORK/tool.err") || rc=$?
  line=$(tail -n 1 <<<"$out")
  if [[ "$line" != "{"* ]]; then
    line="{\"ok\":false,\"error\":\"storage_bench exited with $rc\"}"
    tail -n 5 "$WORK/tool.err" >&2 || true
  fi
  record "$name" "$line"
  python3 - "$line" "$name" <<'EOF' >&2
import json, sys
r = json.loads(sys.argv[1])
if not r.get("ok"):
    print(f"storage bench: {sys.argv[2]}: FAILED {r.get('error')}")
else:
    print(f"storage bench: {sys.argv[2]}: {r['mb_s']:.1f} MB/s, {r['records_s']:.0f} records/s, "
          f"{r['appends_s']:.0f} appends/s, {r['fsyncs_s']:.0f} fdatasync/s")
EOF
}

# fio_case CASE FIO_ARGS...: one fio job, recorded as MB/s and writes/s.
fio_case() {
  local name=$1 line
  shift
  if ! timeout "$RUN_TIMEOUT" fio --output-format=json --filename="$WORK/fio.dat" "$@" \
    >"$WORK/fio.json" 2>"$WORK/fio.err"; then
    tail -n 5 "$WORK/fio.err" >&2 || true
    record "$name" "{\"tool\":\"fio\",\"ok\":false,\"error\":\"fio failed\"}"
    rm -f "$WORK/fio.dat"
    return
  fi
  rm -f "$WORK/fio.dat"
  line=$(python3 - "$WORK/fio.json" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
job = json.loads(text[text.index("{"):])["jobs"][0]
w = job["write"]
print(json.dumps({"tool": "fio", "ok": True, "mb_s": round(w["bw_bytes"] / 1e6, 2),
                  "writes_s": round(w["iops"], 1), "seconds": w["runtime"] / 1000.0,
                  "bytes": w["io_bytes"]}))
EOF
)
  record "$name" "$line"
  echo "storage bench: $name: $line" >&2
}

# (1) Raw limits, with fio when installed (as the issue specifies) and with storage_bench's
# own loops (same syscalls as the journal: buffered pwrite + fdatasync on an appending file).
# raw_seq SUFFIX: sequential write bandwidth, fio and loop.
raw_seq() {
  if command -v fio >/dev/null; then
    fio_case "raw_seq_fio$1" --name=seq --rw=write --bs=1M --size="$BYTES" --direct=0 \
      --end_fsync=1
  fi
  bench "raw_seq_loop$1" --raw-write --max-bytes "$BYTES"
}
command -v fio >/dev/null ||
  echo "storage bench: fio not found (apt-get install fio); using storage_bench loops only" >&2
raw_seq ""
if command -v fio >/dev/null; then
  fio_case raw_fsync_fio --name=fsync --rw=write --bs=4k --size=256M --fdatasync=1 \
    --time_based --runtime="$DURATION"
fi
bench raw_fsync_loop --raw-fsync --seconds "$DURATION"

# (2) The journal: record size x batch x fsync policy (always: 1 and 32 writers).
for size in 100 1024; do
  for batch in 1 100; do
    common=(--record-size "$size" --batch "$batch" --seconds "$DURATION" --max-bytes "$BYTES")
    bench "never_${size}b_x${batch}" --fsync never "${common[@]}"
    bench "interval_${size}b_x${batch}" --fsync interval "${common[@]}"
    bench "always_${size}b_x${batch}_w1" --fsync always --writers 1 "${common[@]}"
    bench "always_${size}b_x${batch}_w32" --fsync always --writers 32 "${common[@]}"
  done
done

# (3) The target cases again, each bracketed by raw measurements taken right before and
# after it: this disk is shared (and buffered writes are CPU-bound on 2 busy cores), so raw
# numbers drift by 2-4x within minutes and only adjacent measurements compare fairly.
PAIRS=${BENCH_STORAGE_PAIRS:-3}
PAIR_SECONDS=$((DURATION < 3 ? DURATION : 3))
for ((i = 1; i <= PAIRS; i++)); do
  raw_seq "_pair$i"
  bench "pair${i}_never" --fsync never --record-size 1024 --batch 100 \
    --seconds "$DURATION" --max-bytes "$BYTES"
done
raw_seq "_pair$((PAIRS + 1))"
for ((i = 1; i <= PAIRS; i++)); do
  bench "raw_fsync_loop_pair$i" --raw-fsync --seconds "$PAIR_SECONDS"
  bench "pair${i}_always" --fsync always --writers 32 --record-size 100 --batch 1 \
    --seconds "$PAIR_SECONDS"
done
bench "raw_fsync_loop_pair$((PAIRS + 1))" --raw-fsync --seconds "$PAIR_SECONDS"

python3 "$ROOT/bench/lib/storage_report.py" "$WORK/results.jsonl" --pairs "$PAIRS" \
  --summary "$WORK/summary.json" --machine "$(nproc) cores, disk $DISK ($FSTYPE)" --commit "$COMMIT" --duration "$DURATION"
record summary "$(cat "$WORK/summary.json")"
echo "storage bench: done in ${SECONDS}s; raw results appended to $RESULTS" >&2
