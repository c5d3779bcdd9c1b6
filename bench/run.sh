#!/usr/bin/env bash
# MQTT benchmark: runs the same mqtt_bench scenarios against UniMQ and Debian's Mosquitto, one
# broker at a time, and prints a comparison table (plus a markdown copy for docs/benchmarks.md).
#
# Usage: bench/run.sh [BUILD_DIR]            (make bench = bench/run.sh build/release)
# Env:   BENCH_DURATION=10   measured seconds per load scenario
#        BENCH_WARMUP=2      warmup seconds per load scenario
#        BENCH_IDLE_CONNECTIONS=10000
#        BENCH_THREADS=2     mqtt_bench io threads
#        BENCH_REPEAT=1      runs per (scenario, broker); the table shows medians
#        BENCH_BROKERS="mosquitto unimq"   BENCH_SCENARIOS="qos0_pairs ... idle_conns"
#        BENCH_RESULTS=build/bench-results.jsonl   MOSQUITTO=/usr/sbin/mosquitto
#        MQTT_BENCH=BUILD_DIR/mqtt_bench   UNIMQ_BIN=BUILD_DIR/unimq   (binaries to use)
#        BENCH_COMMIT=<label>  recorded instead of `git rev-parse --short HEAD` (+dirty)
#        UNIMQ_ARGS="--set mqtt.max_inflight=64"   extra flags for `unimq server`
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build/release}")
TOOL=${MQTT_BENCH:-$BUILD/mqtt_bench}
UNIMQ=${UNIMQ_BIN:-$BUILD/unimq}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
IDLE_CONNS=${BENCH_IDLE_CONNECTIONS:-10000}
THREADS=${BENCH_THREADS:-2}
REPEAT=${BENCH_REPEAT:-1}
RESULTS=${BENCH_RESULTS:-$ROOT/build/bench-results.jsonl}
BROKERS=${BENCH_BROKERS:-mosquitto unimq}
ALL_SCENARIOS="qos0_pairs qos0_fanout qos1_pairs qos1_fanout lat_qos0 lat_qos1 idle_conns"
SCENARIOS=${BENCH_SCENARIOS:-$ALL_SCENARIOS}

# shellcheck source=bench/lib/brokers.sh
source "$ROOT/bench/lib/brokers.sh"

WORK=$(mktemp -d /tmp/unimq-bench.XXXXXX)
TOOL_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$TOOL_PID" ]]; then kill -KILL "$TOOL_PID" 2>/dev/null || true; fi
  stop_broker
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
  echo "bench: $*" >&2
  exit 1
}

[[ -x "$TOOL" ]] || die "$TOOL not found: build it first (make build, or cmake --build $BUILD --target mqtt_bench)"
command -v python3 >/dev/null || die "python3 is required for the report"
command -v ss >/dev/null || die "ss (iproute2) is required"
if [[ " $BROKERS " == *" mosquitto "* && ! -x "$MOSQUITTO" ]]; then
  echo "bench: $MOSQUITTO not found (apt-get install mosquitto); skipping Mosquitto" >&2
  BROKERS=${BROKERS//mosquitto/}
fi
if [[ " $BROKERS " == *" unimq "* && ! -x "$UNIMQ" ]]; then
  echo "bench: $UNIMQ not found; skipping UniMQ (its columns will read n/a)" >&2
  BROKERS=${BROKERS//unimq/}
fi
[[ -n "${BROKERS// /}" ]] || die "no broker to benchmark"
if (($(ulimit -n) < IDLE_CONNS + 100)); then
  echo "bench: ulimit -n is $(ulimit -n); idle_conns needs $((IDLE_CONNS + 100))" >&2
fi

# Arguments of each scenario (besides --port/--broker-pid/--json).
LOAD="--publishers 4 --subscribers 4 --payload 100 --duration $DURATION --warmup $WARMUP"
LOAD="$LOAD --inflight 100 --max-outstanding 10000 --drain 5 --threads $THREADS"
scenario_args() {
  case "$1" in
    qos0_pairs) echo "$LOAD --qos 0 --topic-mode pairs" ;;
    qos0_fanout) echo "$LOAD --qos 0 --topic-mode fanout" ;;
    qos1_pairs) echo "$LOAD --qos 1 --topic-mode pairs" ;;
    qos1_fanout) echo "$LOAD --qos 1 --topic-mode fanout" ;;
    lat_qos0) echo "$LOAD --qos 0 --topic-mode pairs --rate 10000" ;;
    lat_qos1) echo "$LOAD --qos 1 --topic-mode pairs --rate 10000" ;;
    idle_conns) echo "--connections-idle $IDLE_CONNS --duration 3 --threads $THREADS" ;;
    *) return 1 ;;
  esac
}

if [[ -n "${BENCH_COMMIT:-}" ]]; then
  COMMIT=$BENCH_COMMIT  # e.g. when benchmarking an exported tree
else
  COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  if ! git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null; then COMMIT="$COMMIT+dirty"; fi
fi
MOSQ_VERSION=$("$MOSQUITTO" -h 2>/dev/null | sed -n 's/^mosquitto version \([^ ]*\).*/\1/p' || true)
export BENCH_COMMIT=$COMMIT BENCH_MOSQUITTO_VERSION=${MOSQ_VERSION:-?}
export BENCH_LOAD_BEFORE
BENCH_LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$(dirname "$RESULTS")"
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)

echo "bench: commit $COMMIT, brokers: $BROKERS, ${DURATION}s per load scenario," \
  "load average $BENCH_LOAD_BEFORE, $(nproc) cores" >&2

# run_case SCENARIO BROKER: fresh broker, one mqtt_bench run, one JSON line appended.
run_case() {
  local scenario=$1 broker=$2 args out rc=0 line
  args=$(scenario_args "$scenario") || die "unknown scenario $scenario (known: $ALL_SCENARIOS)"
  out="$WORK/$scenario-$broker.json"
  if ! start_broker "$broker"; then
    line="{\"ok\":false,\"error\":\"$broker failed to start\"}"
  else
    # shellcheck disable=SC2086  # args is a word list
    "$TOOL" --port "$BROKER_PORT" --broker-pid "$BROKER_PID" --json $args \
      >"$out" 2>"$WORK/tool.err" &
    TOOL_PID=$!
    wait "$TOOL_PID" || rc=$?
    TOOL_PID=""
    line=$(tail -n 1 "$out" 2>/dev/null || true)
    if [[ "$line" != "{"* ]]; then
      line="{\"ok\":false,\"error\":\"mqtt_bench exited with $rc\"}"
      tail -n 5 "$WORK/tool.err" >&2 || true
    fi
    if ! kill -0 "$BROKER_PID" 2>/dev/null; then
      line="${line%\}},\"broker_crashed\":true}"
      echo "bench: $broker died during $scenario; log tail:" >&2
      tail -n 20 "$BROKER_LOG" >&2 || true
    fi
    stop_broker
  fi
  line="{\"run\":\"$RUN_ID\",\"commit\":\"$COMMIT\",\"scenario\":\"$scenario\",\"broker\":\"$broker\",\"rep\":$rep,\"loadavg\":\"$(cut -d' ' -f1 /proc/loadavg)\",${line#\{}"
  echo "$line" >>"$WORK/results.jsonl"
  echo "$line" >>"$RESULTS"
  python3 "$ROOT/bench/lib/report.py" --line "$line" >&2
}

for ((rep = 1; rep <= REPEAT; rep++)); do
  for scenario in $SCENARIOS; do
    for broker in $BROKERS; do
      run_case "$scenario" "$broker"
    done
  done
done

export BENCH_LOAD_AFTER
BENCH_LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
echo
python3 "$ROOT/bench/lib/report.py" --table "$WORK/results.jsonl"
echo "bench: raw results appended to $RESULTS" >&2
