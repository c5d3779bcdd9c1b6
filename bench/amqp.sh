#!/usr/bin/env bash
# AMQP 0-9-1 benchmark: the same amqp_bench workloads against Debian's RabbitMQ and UniMQ (one
# broker at a time, each on free ports), then the UniMQ/RabbitMQ ratios against the targets:
# >= 3x RabbitMQ's throughput (transient and persistent), latency p99 no worse.
#
# Usage: bench/amqp.sh [BUILD_DIR]          (make bench runs it with the release build)
# Env:   BENCH_DURATION=10 BENCH_WARMUP=2   seconds per workload
#        AMQP_PUBLISHERS=2 AMQP_CONSUMERS=2 AMQP_SIZE=100 AMQP_RATE=10000 (latency, msg/s)
#        AMQP_WINDOW=256 (unconfirmed per publisher) AMQP_PREFETCH=256
#        AMQP_REPEAT=1   runs of each workload per broker; the table shows medians
#        AMQP_BROKERS="rabbitmq unimq"  AMQP_BENCH=BUILD_DIR/amqp_bench  UNIMQ_BIN=BUILD_DIR/unimq
#        RABBITMQ_SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server  UNIMQ_ARGS="--set ..."
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build/release}")
TOOL=${AMQP_BENCH:-$BUILD/amqp_bench}
UNIMQ=${UNIMQ_BIN:-$BUILD/unimq}
RABBITMQ_SERVER=${RABBITMQ_SERVER:-/usr/lib/rabbitmq/bin/rabbitmq-server}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
BROKERS=${AMQP_BROKERS:-rabbitmq unimq}
LOAD=(--publishers "${AMQP_PUBLISHERS:-2}" --consumers "${AMQP_CONSUMERS:-2}"
  --size "${AMQP_SIZE:-100}" --duration "$DURATION" --warmup "$WARMUP"
  --window "${AMQP_WINDOW:-256}" --prefetch "${AMQP_PREFETCH:-256}")
RATE=${AMQP_RATE:-10000}
REPEAT=${AMQP_REPEAT:-1}

WORK=$(mktemp -d /tmp/unimq-amqp-bench.XXXXXX)
PID=""          # broker process (for RabbitMQ: the leader of its own process group)
PID_IS_GROUP=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_current
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
  echo "amqp bench: $*" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until 127.0.0.1:$1 accepts connections while $PID lives (up to $2 seconds).
wait_port() {
  local port=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$PID" 2>/dev/null || return 1
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

stop_current() {
  [[ -n "$PID" ]] || return 0
  if ((PID_IS_GROUP)); then
    kill -TERM -- "-$PID" 2>/dev/null || true
  else
    kill -TERM "$PID" 2>/dev/null || true
  fi
  local i
  for ((i = 0; i < 150; i++)); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  if ((PID_IS_GROUP)); then
    kill -KILL -- "-$PID" 2>/dev/null || true
    # epmd daemonizes out of the group: find the node's own by its environment.
    local e
    for e in $(pgrep -x epmd || true); do
      if tr '\0' '\n' <"/proc/$e/environ" 2>/dev/null | grep -qx "RABBITMQ_NODENAME=bench-$$@localhost"; then
        kill -KILL "$e" 2>/dev/null || true
      fi
    done
  else
    kill -KILL "$PID" 2>/dev/null || true
  fi
  wait "$PID" 2>/dev/null || true
  PID=""
}

# start_rabbitmq: a private node (own name, ports, data and log dirs); sets PORT.
start_rabbitmq() {
  local dir="$WORK/rabbitmq"
  mkdir -p "$dir"
  echo "[]." >"$dir/enabled_plugins"
  PORT=$(free_port)
  local dist epmd
  dist=$(free_port)
  epmd=$(free_port)
  # setsid: the node (beam, epmd) gets its own process group, stopped as a whole.
  env RABBITMQ_NODENAME="bench-$$@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$PORT" RABBITMQ_DIST_PORT="$dist" ERL_EPMD_PORT="$epmd" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_CONFIG_FILE="$dir/rabbitmq" \
    HOME="$dir" setsid "$RABBITMQ_SERVER" >"$dir/stdout.log" 2>&1 &
  PID=$!
  PID_IS_GROUP=1
  if ! wait_port "$PORT" 90; then
    tail -n 30 "$dir/stdout.log" >&2 || true
    die "RabbitMQ did not open port $PORT"
  fi
}

start_unimq() {
  local data="$WORK/unimq-data"
  rm -rf "$data"
  mkdir -p "$data"
  PORT=$(free_port)
  local mqtt
  mqtt=$(free_port)
  # shellcheck disable=SC2086  # UNIMQ_ARGS is a list of extra flags
  "$UNIMQ" server --mqtt-port "$mqtt" --mqtt-ws-port 0 --http-port 0 --kafka-port 0 \
    --amqp-port "$PORT" --data-dir "$data" --log-level warn ${UNIMQ_ARGS:-} \
    >"$WORK/unimq.log" 2>&1 &
  PID=$!
  PID_IS_GROUP=0
  if ! wait_port "$PORT" 20; then
    tail -n 20 "$WORK/unimq.log" >&2 || true
    echo "amqp bench: UniMQ does not serve AMQP on port $PORT; its columns read n/a" >&2
    stop_current
    return 1
  fi
}

[[ -x "$TOOL" ]] || die "$TOOL not found: build it (ninja -C $BUILD amqp_bench; needs librabbitmq-dev)"
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
for broker in $BROKERS; do
  case "$broker" in
    rabbitmq)
      [[ -x "$RABBITMQ_SERVER" ]] || { echo "amqp bench: no $RABBITMQ_SERVER; skipping RabbitMQ" >&2; continue; }
      start_rabbitmq
      ;;
    unimq)
      [[ -x "$UNIMQ" ]] || { echo "amqp bench: no $UNIMQ; skipping UniMQ" >&2; continue; }
      start_unimq || continue
      ;;
    *) die "unknown broker $broker" ;;
  esac
  for ((run = 1; run <= REPEAT; run++)); do
    for mode in transient persistent latency; do
      args=("${LOAD[@]}" --mode "$mode" --port "$PORT" --json --prefix "bench-$mode")
      [[ "$mode" == latency ]] && args+=(--rate "$RATE")
      echo "== $broker $mode (run $run/$REPEAT)" >&2
      if out=$("$TOOL" "${args[@]}"); then
        echo "$out" | sed "s/^{/{\"broker\":\"$broker\",/" >>"$RESULTS"
        echo "   $out" >&2
      else
        echo "   amqp_bench failed against $broker ($mode)" >&2
      fi
    done
  done
  stop_current
done

python3 - "$RESULTS" "$DURATION" "${AMQP_PUBLISHERS:-2}" "${AMQP_CONSUMERS:-2}" "$RATE" "$REPEAT" <<'PY'
import json, statistics, sys
path, duration, pubs, cons, rate, repeat = sys.argv[1:7]
r = {}
for line in open(path):
    line = line.strip()
    if line:
        d = json.loads(line)
        r.setdefault((d["broker"], d["mode"]), []).append(d)

def get(b, m, k):
    runs = r.get((b, m))
    return None if not runs else statistics.median(d[k] for d in runs)

def fmt(v, unit=""):
    return "n/a" if v is None else ("%.0f%s" % (v, unit))

rows = [
    ("transient autoack (msg/s)", "transient", "consumed_per_s", True),
    ("persistent+confirms+acks (msg/s)", "persistent", "consumed_per_s", True),
    ("latency p50 @%s msg/s (us)" % rate, "latency", "p50_us", False),
    ("latency p99 @%s msg/s (us)" % rate, "latency", "p99_us", False),
]
print()
print("AMQP benchmark: %s publishers, %s consumers, 100 B bodies, %s s per workload, median of %s"
      % (pubs, cons, duration, repeat))
print("| workload | RabbitMQ | UniMQ | UniMQ/RabbitMQ | target | result |")
print("|---|---:|---:|---:|---|---|")
for label, mode, key, higher_better in rows:
    rb, un = get("rabbitmq", mode, key), get("unimq", mode, key)
    ratio = (un / rb) if (rb and un is not None) else None
    if key == "consumed_per_s":
        target, ok = ">= 3x", (ratio is not None and ratio >= 3.0)
    elif key == "p99_us":
        target, ok = "<= RabbitMQ", (rb is not None and un is not None and un <= rb)
    else:
        target, ok = "-", None
    result = "-" if ok is None else ("PASS" if ok else "FAIL")
    print("| %s | %s | %s | %s | %s | %s |" % (label, fmt(rb), fmt(un),
          "n/a" if ratio is None else "%.2fx" % ratio, target, result))
lost = [(b, m) for (b, m), runs in r.items() if any(d.get("nacked") for d in runs)]
if lost:
    print("nacked publishes: %s" % ", ".join("%s/%s" % x for x in lost))
PY
