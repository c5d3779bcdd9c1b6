#!/usr/bin/python3
"""rdkafka_stats.py FILE [SKIP_S [BUSY_PCT]]: librdkafka's own view of a kafka_bench run (its statistics
JSON, one object a second, written by `kafka_bench ... --stats FILE`), as one JSON object.

Per second, librdkafka reports for the broker connection the round trip of its requests
(rtt: sent -> answer read, so the broker, both sockets and the client's I/O thread), how long
requests waited to be sent (outbuf_latency) and how long records waited in the producer's
queue before going into a request (int_latency). Printed: the median over the measured
seconds of each p99, and the worst second's rtt p99. With the broker's own durations
(broker_durations.py) this tells where a client-observed tail comes from. The first SKIP_S
seconds (default 2: the warm-up) are left out. BUSY_PCT (how busy the machine's CPUs were
during the run, measured by the caller) is passed through as machine_busy_pct."""
import json
import statistics
import sys

path = sys.argv[1]
skip = int(sys.argv[2]) if len(sys.argv) > 2 else 2
windows = []
with open(path) as f:
    for line in f:
        try:
            d = json.loads(line)
        except ValueError:
            continue
        for b in d.get("brokers", {}).values():
            if b.get("nodeid", -1) >= 0 and b.get("rtt", {}).get("cnt", 0) > 0:
                windows.append(b)
windows = windows[skip:]
if not windows:
    print(json.dumps({"ok": False}))
    sys.exit(0)


def p99s(key):
    return [w[key]["p99"] / 1e3 for w in windows]


out = {"ok": True, "seconds": len(windows)}
if len(sys.argv) > 3:
    out["machine_busy_pct"] = float(sys.argv[3])
for key, name in (("rtt", "rtt"), ("outbuf_latency", "outbuf"), ("int_latency", "queue")):
    out[name + "_p99_ms"] = round(statistics.median(p99s(key)), 3)
out["rtt_worst_p99_ms"] = round(max(p99s("rtt")), 3)
print(json.dumps(out))
