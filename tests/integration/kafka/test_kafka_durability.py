"""Crash test: with storage.fsync=always an acknowledged (acks=all) record survives kill -9.
A confluent_kafka producer writes flat out, the broker is killed after >= 2000 delivery
reports, restarted on the same data dir, and every acknowledged record must be at its
acknowledged offset, exactly once."""
from __future__ import annotations

import threading
from collections import Counter

from confluent_kafka import TopicPartition

from kafka_util import consume_topic, consumer, create_topic, producer, wait_until

MIN_ACKS = 2000


def test_acked_records_survive_kill_9(kafka_factory, topic_name):
    k = kafka_factory("storage.fsync=always")
    t = create_topic(k.bootstrap, topic_name())
    p = producer(k.bootstrap, acks="all", linger_ms=1, message_timeout_ms=60000, retries=0,
                 queue_buffering_max_messages=20000)
    acked = {}  # offset -> value, from successful delivery reports
    lock = threading.Lock()
    stop = threading.Event()

    def on_delivery(err, msg):
        if err is None:
            with lock:
                acked[msg.offset()] = msg.value()

    sent = [0]

    def run():
        i = 0
        while not stop.is_set():
            try:
                p.produce(t, key=b"%08d" % i, value=b"value-%08d-" % i + b"x" * 100, on_delivery=on_delivery)
                i += 1
            except BufferError:
                p.poll(0.001)
            if i % 64 == 0:
                p.poll(0)
        sent[0] = i
    th = threading.Thread(target=run)
    th.start()
    try:
        wait_until(lambda: len(acked) >= MIN_ACKS, 30, msg="%d acknowledged records" % MIN_ACKS)
        k.kill()  # SIGKILL while acknowledgements are flowing
    finally:
        stop.set()
        th.join(10)
    # whatever was not acknowledged before the kill is dropped without retry
    p.purge()
    p.poll(1)
    with lock:
        snapshot = dict(acked)
    assert len(snapshot) >= MIN_ACKS

    k.start_again()
    end = max(snapshot) + 1
    c = consumer(k.bootstrap)
    lo, hi = c.get_watermark_offsets(TopicPartition(t, 0), timeout=10)
    c.close()
    assert lo == 0
    got = consume_topic(k.bootstrap, t, hi, timeout=30) if hi > 0 else []
    got = [m for m in got if m.offset() < end]
    stored = {m.offset(): m.value() for m in got}
    lost = [o for o in snapshot if stored.get(o) != snapshot[o]]
    assert not lost, "%d acknowledged records lost or changed after kill -9 (first offsets %r)" % (
        len(lost), sorted(lost)[:10])
    dup = [v for v, n in Counter(m.value() for m in got).items() if n > 1]
    assert not dup, "%d records stored twice, e.g. %r" % (len(dup), dup[:3])
    assert [m.offset() for m in got] == list(range(min(end, hi))), "offsets are not contiguous"
