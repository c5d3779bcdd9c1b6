#!/usr/bin/env bash
# Soak: one UniMQ broker under Kafka, MQTT and AMQP load at once for SOAK_SECONDS, then checks
# that nothing was lost or doubled, that the broker stayed within its resources and that it
# shuts down cleanly. A load test for defects, not for speed (bench/kafka.sh, run.sh and
# amqp.sh measure speed):
#   Kafka: kafka_bench, 1 KiB records at SOAK_KAFKA_RATE/s, acks=all, into a 3-partition topic,
#          read by a consumer-group member (bench/lib/soak_consumer.py) that must end with every
#          offset up to the high watermarks, none missing
#   MQTT:  mqtt_bench, 20 publishers -> 20 subscribers, QoS 1, SOAK_MQTT_RATE msg/s: lost 0, dup 0
#   AMQP:  amqp_bench persistent (durable queues, confirms, acks), 2 -> 2, flat out: nacked 0
#   broker: RSS and descriptors sampled every 15 s; growth per GB of journal data written is
#          reported (the sparse indexes of the retained segments cost a few MB per GB: 1.8 measured);
#          exit status 0 after SIGTERM; no error lines in its log
# Exits non-zero if a check fails.
#
# Usage: bench/soak.sh [BUILD_DIR]      (make bench runs it with build/release)
# Env:   SOAK_SECONDS=300  SOAK_KAFKA_RATE=20000  SOAK_MQTT_RATE=5000
#        UNIMQ_ARGS="--set ..." extra flags for `unimq server`
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build/release}")
SECONDS_RUN=${SOAK_SECONDS:-300}
KAFKA_RATE=${SOAK_KAFKA_RATE:-20000}
MQTT_RATE=${SOAK_MQTT_RATE:-5000}
PY=/usr/bin/python3  # Debian's python3-confluent-kafka lives there, not in a pyenv python
for t in unimq kafka_bench mqtt_bench amqp_bench; do
  [[ -x "$BUILD/$t" ]] || { echo "soak: $BUILD/$t not found: build it first" >&2; exit 1; }
done
command -v ss >/dev/null || { echo "soak: ss (iproute2) is required" >&2; exit 1; }

mkdir -p "$ROOT/build"
WORK=$(mktemp -d "$ROOT/build/soak.XXXXXX")
PIDS=()
BROKER=""
CONSUMER=""
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}" $CONSUMER $BROKER; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}" $CONSUMER $BROKER; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/lib/brokers.sh
source "$ROOT/bench/lib/brokers.sh"

KP=$(free_port)
MP=$(free_port)
AP=$(free_port)
HP=$(free_port)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "soak: commit $COMMIT, $SECONDS_RUN s, Kafka $KAFKA_RATE rec/s, MQTT $MQTT_RATE msg/s, AMQP flat out" >&2
# shellcheck disable=SC2086  # UNIMQ_ARGS is a list of extra flags
"$BUILD/unimq" server --kafka-port "$KP" --mqtt-port "$MP" --amqp-port "$AP" --http-port "$HP" \
  --mqtt-ws-port 0 --data-dir "$WORK/data" --log-level warn --set kafka.num_partitions=3 \
  ${UNIMQ_ARGS:-} >"$WORK/broker.log" 2>&1 &
BROKER=$!
for p in "$KP" "$MP" "$AP"; do
  wait_listening "$p" "$BROKER" || { cat "$WORK/broker.log" >&2; echo "soak: broker did not start" >&2; exit 1; }
done

"$BUILD/kafka_bench" produce --bootstrap "127.0.0.1:$KP" --topic soak --size 1024 --acks all \
  --linger-ms 5 --rate "$KAFKA_RATE" --duration "$SECONDS_RUN" --warmup 1 >"$WORK/kafka.json" 2>"$WORK/kafka.err" &
PIDS+=($!)
"$PY" "$ROOT/bench/lib/soak_consumer.py" "127.0.0.1:$KP" soak "$SECONDS_RUN" "$WORK/producers-done" \
  >"$WORK/consumer.json" 2>"$WORK/consumer.err" &
CONSUMER=$!
"$BUILD/mqtt_bench" --port "$MP" --publishers 20 --subscribers 20 --qos 1 --rate "$MQTT_RATE" \
  --duration "$SECONDS_RUN" --warmup 1 --json >"$WORK/mqtt.json" 2>"$WORK/mqtt.err" &
PIDS+=($!)
"$BUILD/amqp_bench" --port "$AP" --mode persistent --publishers 2 --consumers 2 \
  --duration "$SECONDS_RUN" --warmup 1 --json >"$WORK/amqp.json" 2>"$WORK/amqp.err" &
PIDS+=($!)

sample() {
  local rss fds kb
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$BROKER/status" 2>/dev/null || echo 0)
  fds=$(find "/proc/$BROKER/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true)
  kb=$(du -sk "$WORK/data" 2>/dev/null | cut -f1 || true)
  echo "$1 $rss $fds $kb"
}
t0=$(date +%s)
while true; do
  now=$(($(date +%s) - t0))
  sample "$now" >>"$WORK/samples.txt"
  alive=0
  for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  ((alive)) || break
  kill -0 "$BROKER" 2>/dev/null || break
  sleep 15
done
rcs=()
for p in "${PIDS[@]}"; do
  rc=0
  wait "$p" || rc=$?
  rcs+=("$rc")
done
PIDS=()
touch "$WORK/producers-done"
crc=0
wait "$CONSUMER" || crc=$?
CONSUMER=""
sample end >>"$WORK/samples.txt"
kill -TERM "$BROKER" 2>/dev/null || true
brc=0
wait "$BROKER" || brc=$?
BROKER=""

"$PY" - "$WORK" "$brc" "$crc" "${rcs[@]}" <<'PY'
import json, sys
work, broker_rc, consumer_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kafka_rc, mqtt_rc, amqp_rc = (int(x) for x in sys.argv[4:7])
def load(name):
    try:
        with open(f"{work}/{name}") as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except Exception as e:  # a tool that died prints nothing usable
        return {"error": f"{name}: {e}"}
kafka, cons, mqtt, amqp = load("kafka.json"), load("consumer.json"), load("mqtt.json"), load("amqp.json")
samples = [l.split() for l in open(f"{work}/samples.txt")]
# Text log lines: "<time> <level> [<thread>] <message>".
errors = [l.rstrip() for l in open(f"{work}/broker.log") if l.split()[1:2] in (["error"], ["critical"])]
checks = []
def check(name, ok, detail):
    checks.append(ok)
    print("  %-4s %-44s %s" % ("ok" if ok else "FAIL", name, detail))
print("soak results:")
check("Kafka producer: no failed deliveries", kafka_rc == 0 and kafka.get("failed") == 0,
      f"exit {kafka_rc}, {kafka.get('records_per_s', 'n/a')} rec/s, failed {kafka.get('failed')}, "
      f"p99 {kafka.get('p99_ms')} ms")
check("Kafka consumer: every offset read", consumer_rc == 0 and cons.get("caught_up") is True
      and cons.get("errors") == 0 and cons.get("distinct") == cons.get("high_watermarks"),
      f"exit {consumer_rc}, read {cons.get('records')} ({cons.get('distinct')} distinct) of "
      f"{cons.get('high_watermarks')}, errors {cons.get('errors')}")
check("MQTT QoS 1: nothing lost or doubled", mqtt_rc == 0 and mqtt.get("ok") is True
      and mqtt.get("lost") == 0 and mqtt.get("duplicates") == 0,
      f"exit {mqtt_rc}, sent {mqtt.get('sent')}, delivered {mqtt.get('delivered')}, "
      f"lost {mqtt.get('lost')}, dup {mqtt.get('duplicates')}")
check("AMQP persistent: nothing nacked", amqp_rc == 0 and amqp.get("nacked") == 0,
      f"exit {amqp_rc}, confirmed {amqp.get('confirmed_per_s')}/s, consumed "
      f"{amqp.get('consumed_per_s')}/s, nacked {amqp.get('nacked')}")
check("broker: exit 0 after SIGTERM", broker_rc == 0, f"exit {broker_rc}")
check("broker: no error lines in its log", not errors, f"{len(errors)} " + (errors[0] if errors else ""))
# Growth is taken from a third into the run (caches and pools have filled by then) to the end.
timed = [s for s in samples if s[0] != "end" and int(s[1]) > 0]
late = [s for s in timed if int(s[0]) >= max(60, int(timed[-1][0]) // 3)]
first, last = (late[0], [s for s in samples if int(s[1]) > 0][-1]) if late else (timed[0], timed[-1])
gb = (int(last[3]) - int(first[3])) / 1e6
growth = (int(last[1]) - int(first[1])) / 1e3
per_gb = growth / gb if gb > 0 else 0
detail = (f"RSS {int(first[1]) // 1024} -> {int(last[1]) // 1024} MB while the journal grew "
          f"{gb:.1f} GB ({per_gb:.1f} MB per GB); descriptors {first[2]} -> {last[2]}")
# The sparse offset and time indexes of every retained segment stay in memory (one entry per
# 4 KiB, as Kafka's index.interval.bytes): a few MB per GB. More means a leak.
if late and gb >= 1:
    check("broker: RSS growth per GB written <= 8 MB", per_gb <= 8, detail)
else:
    print("  --   %-44s %s" % ("broker: RSS growth (run too short to judge)", detail))
print("soak: " + ("PASS" if all(checks) else "FAIL"))
sys.exit(0 if all(checks) else 1)
PY
