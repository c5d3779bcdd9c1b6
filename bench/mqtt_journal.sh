#!/usr/bin/env bash
# MQTT QoS 1 throughput with the journal in the path, next to the in-memory figure.
# While at least one persistent session exists, UniMQ journals every QoS 1/2 publish before
# its PUBACK; a parked `mosquitto_sub -c` session switches that on. Same load in each run:
# 4 publishers -> 4 subscribers (pairs), 100-byte payloads.
# Usage: bench/mqtt_journal.sh BUILD_DIR     Env: BENCH_DURATION (default 10)
set -euo pipefail
BUILD=${1:-build/release}
DURATION=${BENCH_DURATION:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
UNIMQ=$BUILD/unimq
BENCH=$BUILD/mqtt_bench
WORK=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run() {  # name, extra unimq args...
  local name=$1; shift
  local port; port=$(free_port)
  rm -rf "$WORK/data"
  "$UNIMQ" server --mqtt-port "$port" --mqtt-ws-port 0 --http-port 0 --kafka-port 0 \
    --amqp-port 0 --data-dir "$WORK/data" --log-level warn --set mqtt.sys_interval_s=0 "$@" \
    > "$WORK/$name.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
  if [ "$name" != memory ]; then
    mosquitto_sub -p "$port" -c -i bench-parked -q 1 -t bench/parked -W 1 > /dev/null 2>&1 || true
  fi
  local out
  out=$("$BENCH" --port "$port" --publishers 4 --subscribers 4 --qos 1 --payload 100 \
        --topic-mode pairs --duration "$DURATION" --warmup 2 --broker-pid "$PID" --json)
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  echo "$out" | /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
print("%-22s %12.0f %12.0f %10.1f %10.1f %6d" % (sys.argv[1], r["in_rate"], r["out_rate"],
      r["lat_p50_us"] / 1000, r["lat_p99_us"] / 1000, r["lost"]))' "$name"
  echo "{\"bench\":\"mqtt_journal\",\"case\":\"$name\",\"commit\":\"$(git -C "$ROOT" rev-parse --short HEAD)\",${out#\{}" \
    >> "$ROOT/build/bench-results.jsonl"
}

echo "MQTT QoS 1, 4 pub -> 4 sub pairs, 100 B, ${DURATION}s each"
printf "%-22s %12s %12s %10s %10s %6s\n" case "in msg/s" "out msg/s" "p50 ms" "p99 ms" lost
run memory --set mqtt.persistence=false
run journal-fsync-never --set storage.fsync=never
run journal-fsync-interval --set storage.fsync=interval
run journal-fsync-always --set storage.fsync=always
