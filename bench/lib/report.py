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

# CPU during the measured window in % of one core: broker / load tool / everything else on the
# machine (other people's jobs: a large "other" means the run was disturbed).
CPU = ("cpu", "CPU % broker/tool/other", None, None)
NOISY_OTHER_PCT = 25

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
        b, t, h = (rec.get(k, -1) for k in ("broker_cpu_pct", "tool_cpu_pct", "host_cpu_pct"))
        if b < 0 or t < 0:
            return None
        return f"{b:.0f}/{t:.0f}/{max(h - b - t, 0):.0f}" if h >= 0 else f"{b:.0f}/{t:.0f}/?"
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
        out.append(f"{broker}: {rec['lost']:,.0f} undelivered of {rec.get('expected', 0):,.0f}")
    if rec.get("duplicates"):
        out.append(f"{broker}: {rec['duplicates']:,.0f} duplicates")
    other = rec.get("host_cpu_pct", -1) - rec.get("broker_cpu_pct", 0) - rec.get("tool_cpu_pct", 0)
    if rec.get("host_cpu_pct", -1) >= 0 and other > NOISY_OTHER_PCT:
        out.append(f"{broker}: disturbed ({other:.0f}% CPU used by other processes)")
    if rec.get("idle_requested") and rec.get("idle_connected") != rec.get("idle_requested"):
        out.append(f"{broker}: {rec.get('idle_connected')}/{rec['idle_requested']} connected")
    return out


def aggregate(recs):
    """Median of every numeric field over the successful repeats; worst case for problems."""
    good = [r for r in recs if r.get("ok")]
    if not good:
        return recs[-1]
    out = dict(good[0])
    for k, v in good[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            vals = sorted(r.get(k, v) for r in good)
            mid = len(vals) // 2
            out[k] = vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2
    for k in ("lost", "duplicates"):
        out[k] = max(r.get(k, 0) for r in good)
    out["expected"] = max(r.get("expected", 0) for r in good)
    out["repeats"] = len(good)
    return out


def rows(records):
    groups = {}
    for r in records:
        groups.setdefault((r.get("scenario"), r.get("broker")), []).append(r)
    by = {k: aggregate(v) for k, v in groups.items()}
    out = []
    for scen, (desc, metrics) in SCENARIOS.items():
        if not any(s == scen for s, _ in by):
            continue
        if scen == "idle_conns":
            n = next((r.get("idle_requested") for (s, _), r in by.items() if s == scen), None)
            desc = f"{int(n):,} {desc}" if n else desc
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
    reps = max((len([r for r in records if (r.get("scenario"), r.get("broker")) == k])
                for k in {(r.get("scenario"), r.get("broker")) for r in records}), default=1)
    if reps > 1:
        print(f"Each value is the median of {reps} runs.")
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
