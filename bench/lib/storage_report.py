#!/usr/bin/env python3
"""Table, target check and markdown for bench/storage.sh.

  storage_report.py RESULTS.jsonl --pairs N --machine TEXT --commit HASH --duration S
                    [--summary FILE]

RESULTS.jsonl holds one line per case (see bench/storage.sh): raw_seq_{fio,loop},
raw_fsync_{fio,loop}, the journal matrix <fsync>_<size>b_x<batch>[_w<writers>], and the
target runs pair<i>_never / pair<i>_always bracketed by raw_seq_*_pair<i>, _pair<i+1> and
raw_fsync_loop_pair<i>, _pair<i+1>.
"""
import argparse
import json
import statistics

NEVER_TARGET = 0.80  # fsync=never >= 80% of the raw sequential write bandwidth
ALWAYS_TARGET = 10.0  # fsync=always, 32 writers >= 10x the raw single-writer fdatasync rate


def num(v, digits=0):
    if v is None or v < 0:
        return "n/a"
    return f"{v:,.{digits}f}"


def cpu(r):
    """Process CPU during the run, in % of one core (the machine has few, shared cores)."""
    if "cpu_s" not in r or not r.get("seconds"):
        return "n/a"
    return f"{100 * r['cpu_s'] / r['seconds']:.0f}%"


def ok(records, name):
    r = records.get(name)
    return r if r and r.get("ok") else None


def mean(vals):
    vals = [v for v in vals if v is not None]
    return sum(vals) / len(vals) if vals else None


def raw_seq(records, suffix):
    """Raw sequential MB/s values (fio, loop) with this case suffix."""
    return [r["mb_s"] for r in (ok(records, f"raw_seq_fio{suffix}"),
                                ok(records, f"raw_seq_loop{suffix}")) if r]


def raw_fsync(records, suffix, fio=True):
    vals = []
    if fio and ok(records, f"raw_fsync_fio{suffix}"):
        vals.append(records[f"raw_fsync_fio{suffix}"]["writes_s"])
    if ok(records, f"raw_fsync_loop{suffix}"):
        vals.append(records[f"raw_fsync_loop{suffix}"]["appends_s"])
    return vals


def pairs(records, n, kind, tool="loop"):
    """[(measured, reference, ratio)] for the bracketed target runs: each run against the mean
    of the raw runs (of one tool) right before and right after it."""
    out = []
    for i in range(1, n + 1):
        run = ok(records, f"pair{i}_{kind}")
        if kind == "never":
            raws = [ok(records, f"raw_seq_{tool}_pair{j}") for j in (i, i + 1)]
            ref = mean([r["mb_s"] for r in raws if r])
            val = run["mb_s"] if run else None
        else:
            raws = [ok(records, f"raw_fsync_loop_pair{j}") for j in (i, i + 1)]
            ref = mean([r["appends_s"] for r in raws if r])
            val = run["appends_s"] if run else None
        ratio = val / ref if val is not None and ref else None
        out.append((val, ref, ratio))
    return out


def table(head, body, markdown):
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for row in body:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    print(fmt.format(*head))
    for row in body:
        print(fmt.format(*row))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--machine", default="")
    ap.add_argument("--commit", default="")
    ap.add_argument("--duration", default="")
    ap.add_argument("--summary")
    a = ap.parse_args()

    records = {}
    with open(a.results) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                records[r["case"]] = r

    fio_seq, loop_seq = ok(records, "raw_seq_fio"), ok(records, "raw_seq_loop")
    fio_fs, loop_fs = ok(records, "raw_fsync_fio"), ok(records, "raw_fsync_loop")
    seq_ref = mean(raw_seq(records, ""))
    fsync_ref = mean(raw_fsync(records, ""))
    intro = [
        f"Commit {a.commit}; {a.machine}; {a.duration} s per run.",
        "",
        f"- Raw sequential write (1 MiB buffered writes, final fdatasync): fio "
        f"{num(fio_seq and fio_seq['mb_s'])} MB/s, loop {num(loop_seq and loop_seq['mb_s'])} "
        f"MB/s (mean {num(seq_ref)})",
        f"- Raw single writer, 4 KiB write + fdatasync: fio "
        f"{num(fio_fs and fio_fs['writes_s'])}/s, loop {num(loop_fs and loop_fs['appends_s'])}/s "
        f"(mean {num(fsync_ref)}/s)",
        "",
    ]

    header = ["fsync", "record", "batch", "writers", "MB/s", "records/s", "appends/s",
              "fdatasync/s", "appends/fdatasync", "p50 us", "p99 us", "CPU", "vs raw at start"]
    rows = []
    for name, r in records.items():
        if name.startswith("raw_") or name.startswith("pair") or name == "summary":
            continue
        if not r.get("ok"):
            rows.append([name, "FAILED", r.get("error", "")] + [""] * (len(header) - 3))
            continue
        if r["fsync"] == "always":
            vs = f"{r['appends_s'] / fsync_ref:.1f}x fsync rate" if fsync_ref else "n/a"
        else:
            vs = f"{100 * r['mb_s'] / seq_ref:.0f}% of seq" if seq_ref else "n/a"
        rows.append([r["fsync"], f"{r['record_size']} B", str(r["batch"]), str(r["writers"]),
                     num(r["mb_s"], 1), num(r["records_s"]), num(r["appends_s"]),
                     num(r["fsyncs_s"]), num(r["appends_per_fsync"], 1),
                     num(r["lat_p50_us"]), num(r["lat_p99_us"]), cpu(r), vs])

    def judge(ps, target):
        ratios = [p[2] for p in ps if p[2] is not None]
        med = statistics.median(ratios) if ratios else None
        return ratios, med, med is not None and med >= target

    def detail(ps, unit, fmt_ratio):
        return "; ".join(f"{num(v)} vs {num(ref)}{unit} = {fmt_ratio(r)}" if r is not None
                         else "n/a" for v, ref, r in ps)

    pct = lambda r: f"{100 * r:.0f}%"
    times = lambda r: f"{r:.1f}x"
    never_fio = pairs(records, a.pairs, "never", "fio")
    never_loop = pairs(records, a.pairs, "never", "loop")
    always = pairs(records, a.pairs, "always")
    nf, nl, al = judge(never_fio, NEVER_TARGET), judge(never_loop, NEVER_TARGET), \
        judge(always, ALWAYS_TARGET)
    row = lambda name, ps, unit, f, j: [name, detail(ps, unit, f),
                                       f(j[1]) if j[1] is not None else "n/a",
                                       "PASS" if j[2] else "FAIL"]
    targets = [
        row("fsync=never, 1 KiB x 100 >= 80% of raw sequential write (fio, as in the issue)",
            never_fio, " MB/s", pct, nf),
        row("same, vs storage_bench's raw loop (same syscalls as the journal; stricter here)",
            never_loop, " MB/s", pct, nl),
        row("fsync=always, 32 writers, 100 B x 1 >= 10x raw single-writer fdatasync rate",
            always, "/s", times, al),
    ]
    target_head = ["target", "runs (each vs the raw runs right before and after it)",
                   "median", "result"]

    for markdown in (False, True):
        if markdown:
            print("---- markdown (paste into docs/benchmarks.md) ----")
        else:
            print()
        print("\n".join(intro))
        table(header, rows, markdown)
        print()
        table(target_head, targets, markdown)
        print("---- end markdown ----" if markdown else "")

    if a.summary:
        with open(a.summary, "w") as f:
            json.dump({"ok": True, "raw_seq_mb_s": seq_ref, "raw_fsync_s": fsync_ref,
                       "never_vs_fio_ratios": nf[0], "never_vs_fio_median": nf[1],
                       "never_vs_fio_pass": nf[2], "never_vs_loop_ratios": nl[0],
                       "never_vs_loop_median": nl[1], "never_vs_loop_pass": nl[2],
                       "always_ratios": al[0], "always_median": al[1], "always_pass": al[2]},
                      f)
            f.write("\n")


if __name__ == "__main__":
    main()
