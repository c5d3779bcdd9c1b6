"""Per-API request durations in /metrics, as Kafka's RequestMetrics TotalTimeMs: the
histogram unimq_kafka_request_duration_seconds{api=...} counts, for each request, the time
from reading it to handing its answer to the connection."""
from __future__ import annotations

import re
import time
import urllib.request

from kafka_util import consumer, create_topic, produce_all, producer


def durations(kafka, api: str) -> dict:
    """{le: cumulative count} of one API's histogram, plus "sum" and "count"."""
    with urllib.request.urlopen(kafka.broker.url("/metrics"), timeout=5) as r:
        text = r.read().decode()
    name = "unimq_kafka_request_duration_seconds"
    out = {}
    for le, v in re.findall(r'^%s_bucket\{api="%s",le="([^"]+)"\} (\d+)$' % (name, api), text, re.M):
        out[le] = int(v)
    for part in ("sum", "count"):
        m = re.search(r'^%s_%s\{api="%s"\} ([0-9.eE+-]+)$' % (name, part, api), text, re.M)
        assert m, "no %s_%s for %s in /metrics" % (name, part, api)
        out[part] = float(m.group(1))
    assert out.get("+Inf") == out["count"], out
    counts = [v for k, v in out.items() if k not in ("sum", "count")]
    assert counts == sorted(counts), "buckets must be cumulative: %r" % out
    return out


def test_request_durations_are_histograms_by_api(kafka, topic_name):
    from confluent_kafka import OFFSET_END, TopicPartition
    topic = create_topic(kafka.bootstrap, topic_name())
    produced = durations(kafka, "Produce")
    assert produced["count"] == 0
    produce_all(producer(kafka.bootstrap, linger_ms=0), topic, [{"value": b"x"}] * 20)
    produced = durations(kafka, "Produce")
    assert produced["count"] >= 1
    assert produced["1"] == produced["count"], "a Produce took over a second: %r" % produced
    assert durations(kafka, "Metadata")["count"] >= 1
    assert durations(kafka, "CreateTopics")["count"] == 1

    # A consumer at the end of a quiet partition: each Fetch waits fetch.wait.max.ms for data
    # (Kafka's long poll), and its duration says so.
    c = consumer(kafka.bootstrap, fetch_wait_max_ms=400)
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_END)])
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            assert c.poll(0.2) is None
    finally:
        c.close()
    fetched = durations(kafka, "Fetch")
    waited = fetched["count"] - fetched["0.25"]
    assert waited >= 2, "no long-polling Fetch over 250 ms: %r" % fetched
    assert fetched["sum"] >= 0.4 * waited
    assert fetched["1"] == fetched["count"], "a Fetch outlived its 400 ms wait: %r" % fetched
