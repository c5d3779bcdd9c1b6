#!/usr/bin/env python3
"""Formats mqtt_bench results collected by bench/run.sh.

  report.py --line JSON      one progress line for a single run (stderr of run.sh)
  report.py --table FILE     comparison table + markdown section from a results.jsonl
"""
import argparse
import json
import os
import platform
import sys

# Broker and load-tool CPU during the measured window, "broker / tool" in % of one core.
CPU = ("cpu", "CPU % broker / tool", None, None)

# scenario -> (description, [(field, metric label, better, target ratio or None)])
SCENARIOS = {
    "qos0_pairs": ("QoS 0, 4 pub -> 4 sub (pairs), 100 B",
                   [("out_rate", "delivered msg/s", "higher", 2.0),
                    ("in_rate", "published msg/s", "higher", None), CPU]),
    "qos0_fanout": ("QoS 0, 4 pub -> 1 topic -> 4 sub (fanout), 100 B",
                    [("out_rate", "delivered msg/s", "higher", 2.0),
                     ("in_rate", "published msg/s", "higher", None), CPU]),
    "qos1_pairs": ("QoS 1, 4 pub -> 4 sub (pairs), 100 B",
                   [("out_rate", "delivered msg/s", "higher", 2.0),
                    ("in_rate", "acked msg/s", "higher", None), CPU]),
    "qos1_fanout": ("QoS 1, 4 pub -> 1 topic -> 4 sub (fanout), 100 B",
                    [("out_rate", "delivered msg/s", "higher", 2.0),
                     ("in_rate", "acked msg/s", "higher", None), CPU]),
    "lat_qos0": ("QoS 0 at 10k msg/s, 4 -> 4 pairs",
                 [("lat_p50_us", "latency p50 us", "lower", None),
                  ("lat_p99_us", "latency p99 us", "lower", 1.0),
                  ("lat_p999_us", "latency p99.9 us", "lower", None), CPU]),
    "lat_qos1": ("QoS 1 at 10k msg/s, 4 -> 4 pairs",
                 [("lat_p50_us", "latency p50 us", "lower", None),
                  ("lat_p99_us", "latency p99 us", "lower", 1.0),
                  ("lat_p999_us", "latency p99.9 us", "lower", None), CPU]),
    "idle_conns": ("idle connections (keep-alive 300)",
                   [("rss_per_conn_bytes", "RSS bytes/conn", "lower", 1.0),
                    ("rss_after_kb", "broker RSS kB", "lower", None)]),
}
BROKERS = ("unimq", "mosquitto")


def fmt(v):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.1f}" if v != int(v) else f"{int(v)}"


def value(rec, field):
    if rec is None or not rec.get("ok", False):
        return None
    if field == "cpu":
        b, t = rec.get("broker_cpu_pct", -1), rec.get("tool_cpu_pct", -1)
        return f"{b:.0f} / {t:.0f}" if b >= 0 and t >= 0 else None
    v = rec.get(field)
    if v is None or (isinstance(v, (int, float)) and v < 0):
        return None
    return v


def notes(rec, broker):
    if rec is None:
        return []
    out = []
    if not rec.get("ok", False):
        out.append(f"{broker}: {rec.get('error', 'failed')}")
    if rec.get("broker_crashed"):
        out.append(f"{broker}: crashed")
    if rec.get("lost"):
        out.append(f"{broker}: {rec['lost']:,} undelivered of {rec.get('expected', 0):,}")
    if rec.get("duplicates"):
        out.append(f"{broker}: {rec['duplicates']:,} duplicates")
    if rec.get("idle_requested") and rec.get("idle_connected") != rec.get("idle_requested"):
        out.append(f"{broker}: {rec.get('idle_connected')}/{rec['idle_requested']} connected")
    return out


def rows(records):
    by = {(r.get("scenario"), r.get("broker")): r for r in records}
    out = []
    for scen, (desc, metrics) in SCENARIOS.items():
        if not any(s == scen for s, _ in by):
            continue
        if scen == "idle_conns":
            n = next((r.get("idle_requested") for (s, _), r in by.items() if s == scen), None)
            desc = f"{n:,} {desc}" if n else desc
        recs = {b: by.get((scen, b)) for b in BROKERS}
        for i, (field, label, better, target) in enumerate(metrics):
            u, m = value(recs["unimq"], field), value(recs["mosquitto"], field)
            ratio = u / m if better and u is not None and m else None
            verdict = ""
            if target is not None:
                t = (">= " if better == "higher" else "<= ") + f"{target:g}x"
                if ratio is None:
                    verdict = f"{t} (pending)"
                else:
                    ok = ratio >= target if better == "higher" else ratio <= target
                    verdict = f"{t} {'PASS' if ok else 'FAIL'}"
            n = [] if i else notes(recs["unimq"], "unimq") + notes(recs["mosquitto"], "mosquitto")
            out.append((desc if i == 0 else "", label, fmt(u), fmt(m),
                        f"{ratio:.2f}x" if ratio is not None else ("" if not better else "n/a"),
                        verdict, "; ".join(n)))
    return out


HEAD = ("scenario", "metric", "unimq", "mosquitto", "ratio", "target", "notes")


def print_table(table):
    widths = [max(len(r[i]) for r in [HEAD] + table) for i in range(len(HEAD))]
    line = lambda r: " | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    print(line(HEAD))
    print("-+-".join("-" * w for w in widths))
    for r in table:
        print(line(r))


def print_markdown(table, records):
    commit = os.environ.get("BENCH_COMMIT") or (records[0].get("commit") if records else "?")
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"### Results: commit `{commit}`, run {records[0].get('run', '?') if records else '?'}")
    print()
    print(f"Machine: {os.cpu_count()} x {cpu}, {platform.system()} {platform.release()}; "
          f"Mosquitto {os.environ.get('BENCH_MOSQUITTO_VERSION', '?')}; load average "
          f"before {os.environ.get('BENCH_LOAD_BEFORE', '?')}, after "
          f"{os.environ.get('BENCH_LOAD_AFTER', '?')}.")
    print()
    print("| " + " | ".join(HEAD) + " |")
    print("|" + "|".join(["---", "---", "---:", "---:", "---:", "---", "---"]) + "|")
    for r in table:
        print("| " + " | ".join(c.replace("|", "/") for c in r) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--line")
    ap.add_argument("--table")
    a = ap.parse_args()
    if a.line:
        r = json.loads(a.line)
        desc = SCENARIOS.get(r.get("scenario"), ("?", []))[1]
        parts = [f"{label} {fmt(value(r, field))}" for field, label, _, _ in desc]
        status = "ok" if r.get("ok") else f"FAILED: {r.get('error')}"
        extra = "; ".join(notes(r, r.get("broker")))
        print(f"bench: {r.get('scenario')} / {r.get('broker')}: {status}; " + ", ".join(parts) +
              (f"; {extra}" if extra else ""), file=sys.stderr)
        return
    with open(a.table) as f:
        records = [json.loads(l) for l in f if l.strip()]
    table = rows(records)
    print_table(table)
    print()
    print("---- markdown (paste into docs/benchmarks.md) ----")
    print_markdown(table, records)
    print("---- end markdown ----")


if __name__ == "__main__":
    main()
