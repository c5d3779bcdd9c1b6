#!/usr/bin/python3
"""broker_durations.py HTTP_PORT API: one Kafka API's request durations as the broker saw them
(unimq_kafka_request_duration_seconds, from /metrics), as a JSON object: requests, the
estimated p50/p99 in ms (linear within a histogram bucket) and the share over 1 and 5 ms.
The bench prints it beside the client's latency: what the broker added, and what it did not."""
import json
import re
import sys
import urllib.request

port, api = sys.argv[1], sys.argv[2]
with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5) as r:
    text = r.read().decode()
pat = r'^unimq_kafka_request_duration_seconds_bucket\{api="%s",le="([^"]+)"\} (\d+)$' % api
buckets = [(float(le), int(n)) for le, n in re.findall(pat, text, re.M)]  # "+Inf" -> inf
total = buckets[-1][1] if buckets else 0


def quantile(q):
    if not total:
        return None
    want, lo, below = q * total, 0.0, 0
    for le, n in buckets:
        if n >= want:
            if le == float("inf"):
                return lo * 1e3  # beyond the last bound: report the bound
            return (lo + (le - lo) * (want - below) / max(n - below, 1)) * 1e3
        lo, below = le, n
    return None


def over(seconds):
    n = next((n for le, n in buckets if le >= seconds), total)
    return round(100.0 * (total - n) / total, 3) if total else None


print(json.dumps({"requests": total, "p50_ms": quantile(0.5), "p99_ms": quantile(0.99),
                  "over_1ms_pct": over(0.001), "over_5ms_pct": over(0.005)}))
