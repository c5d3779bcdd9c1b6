"""Produce/consume round trips with every client (librdkafka, kafka-python, kcat, kafkajs),
keys, headers, timestamps, acks and auto.offset.reset, as a Kafka user expects them."""
from __future__ import annotations

import time

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, OFFSET_INVALID, TopicPartition

import kafka_wire as kw
from kafka_util import (consume_n, consume_topic, consumer, create_topic, kcat, node,
                        produce_all, producer)


def test_confluent_round_trip_keys_headers_offsets(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name())
    recs = [{"key": b"k%d" % i, "value": b"v%d" % i, "headers": [("h", b"x%d" % i), ("n", b"")]}
            for i in range(50)]
    delivered = produce_all(producer(kafka.bootstrap), t, recs)
    assert [m.offset() for m in delivered] == list(range(50))  # offsets assigned in order from 0
    got = consume_topic(kafka.bootstrap, t, 50)
    assert [(m.key(), m.value(), m.offset()) for m in got] == [(r["key"], r["value"], i)
                                                             for i, r in enumerate(recs)]
    assert got[7].headers() == [("h", b"x7"), ("n", b"")]


def test_kafka_python_round_trip(kafka, topic_name):
    from kafka import KafkaConsumer, KafkaProducer
    t = create_topic(kafka.bootstrap, topic_name())
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks=1, linger_ms=5)
    futs = [p.send(t, key=b"k%d" % i, value=b"value-%d" % i, headers=[("hdr", b"%d" % i)]) for i in range(30)]
    offsets = [f.get(timeout=10).offset for f in futs]
    p.close()
    assert offsets == list(range(30))
    c = KafkaConsumer(t, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest",
                      group_id=None, consumer_timeout_ms=10000)
    got = []
    for m in c:
        got.append(m)
        if len(got) == 30:
            break
    c.close()
    assert [(m.key, m.value, m.offset) for m in got] == [(b"k%d" % i, b"value-%d" % i, i) for i in range(30)]
    assert got[3].headers == [("hdr", b"3")]


def test_kcat_round_trip(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name())
    lines = b"".join(b"key%d:payload %d\n" % (i, i) for i in range(20))
    kcat(kafka.bootstrap, "-P", "-t", t, "-K:", input=lines)
    out = kcat(kafka.bootstrap, "-C", "-t", t, "-o", "beginning", "-e", "-f", "%o %k=%s\n")
    assert out.decode().splitlines() == ["%d key%d=payload %d" % (i, i, i) for i in range(20)]


def test_kafkajs_round_trip_and_cross_client(kafka, topic_name):
    """kafkajs produces (keys, headers) and consumes in a group; librdkafka reads what kafkajs
    wrote and kafkajs reads what librdkafka wrote."""
    t = create_topic(kafka.bootstrap, topic_name())
    produce_all(producer(kafka.bootstrap), t, [{"key": b"py%d" % i, "value": b"from-python-%d" % i}
                                               for i in range(10)])
    res = node("kafka_roundtrip.js", kafka.bootstrap, t, "10", "20")
    assert res["produced_offsets"] == [str(10 + i) for i in range(10)]
    got = res["consumed"]
    assert [(m["key"], m["value"]) for m in got[:10]] == [("py%d" % i, "from-python-%d" % i) for i in range(10)]
    assert [(m["key"], m["value"], m["headers"]) for m in got[10:]] == [
        ("js%d" % i, "from-kafkajs-%d" % i, {"origin": "kafkajs", "i": str(i)}) for i in range(10)]
    py = consume_topic(kafka.bootstrap, t, 20)
    assert [m.value() for m in py[10:]] == [b"from-kafkajs-%d" % i for i in range(10)]
    assert py[12].headers() == [("origin", b"kafkajs"), ("i", b"2")]


def test_create_time_preserved(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name())
    ts = [1600000000123 + 1000 * i for i in range(5)]
    produce_all(producer(kafka.bootstrap), t, [{"value": b"%d" % i, "timestamp": ts[i]} for i in range(5)])
    got = consume_topic(kafka.bootstrap, t, 5)
    assert [m.timestamp() for m in got] == [(TIMESTAMP_CREATE_TIME, x) for x in ts]


def test_log_append_time_topic(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name(), config={"message.timestamp.type": "LogAppendTime"})
    before = int(time.time() * 1000)
    produce_all(producer(kafka.bootstrap), t, [{"value": b"x", "timestamp": 1000000000000}])
    after = int(time.time() * 1000)
    (m,) = consume_topic(kafka.bootstrap, t, 1)
    kind, ts = m.timestamp()
    assert kind == TIMESTAMP_LOG_APPEND_TIME
    assert before - 1000 <= ts <= after + 1000, "log append time %d not in [%d, %d]" % (ts, before, after)


@pytest.mark.parametrize("acks", ["1", "all"])
def test_acks_report_offsets(kafka, topic_name, acks):
    t = create_topic(kafka.bootstrap, topic_name())
    d = produce_all(producer(kafka.bootstrap, acks=acks), t, [{"value": b"%d" % i} for i in range(100)])
    assert [m.offset() for m in d] == list(range(100))
    assert [m.value() for m in consume_topic(kafka.bootstrap, t, 100)] == [b"%d" % i for i in range(100)]


def test_acks_zero_sends_no_response_and_stores(kafka, topic_name):
    """With acks=0 the broker must not answer the Produce: the next answer on the connection
    belongs to the request after it; the records are stored all the same."""
    t = create_topic(kafka.bootstrap, topic_name())
    with kw.KafkaConn(kafka.port) as c:
        c.produce(t, 0, kw.record_batch([(None, b"fire-and-forget")]), acks=0, expect_response=False)
        corr = c.send(kw.API_VERSIONS, 0, b"")
        got, r = c.recv()
        assert got == corr, "got an answer with correlation id %d (the acks=0 Produce?)" % got
    # librdkafka with acks=0 too
    produce_all(producer(kafka.bootstrap, acks="0"), t, [{"value": b"%d" % i} for i in range(20)])
    vals = [m.value() for m in consume_topic(kafka.bootstrap, t, 21)]
    assert vals == [b"fire-and-forget"] + [b"%d" % i for i in range(20)]


@pytest.mark.parametrize("start", ["committed", "out_of_range"])
def test_auto_offset_reset_earliest_and_latest(kafka, topic_name, start):
    """auto.offset.reset decides where a consumer starts when it has no committed offset
    (group member) or its offset is out of range (the broker answers OFFSET_OUT_OF_RANGE)."""
    t = create_topic(kafka.bootstrap, topic_name())
    p = producer(kafka.bootstrap)
    produce_all(p, t, [{"value": b"old%d" % i} for i in range(5)])
    first = OFFSET_INVALID if start == "committed" else 1000

    early = consumer(kafka.bootstrap, auto_offset_reset="earliest")
    early.assign([TopicPartition(t, 0, first)])
    assert [m.value() for m in consume_n(early, 5)] == [b"old%d" % i for i in range(5)]
    early.close()

    late = consumer(kafka.bootstrap, auto_offset_reset="latest")
    late.assign([TopicPartition(t, 0, first)])
    # The reset to the end happens at some point after assign: produce until a record
    # arrives; nothing produced before the assignment may ever be delivered.
    got, i = [], 0
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:
        produce_all(p, t, [{"value": b"new%d" % i}])
        i += 1
        m = late.poll(0.2)
        if m is not None and not m.error():
            got.append(m)
    assert got, "a latest consumer received nothing"
    got += consume_n(late, i - 1 - got[0].offset() + 5) if i - 1 - got[0].offset() + 5 > 0 else []
    assert all(m.value().startswith(b"new") for m in got), [m.value() for m in got]
    assert [m.offset() for m in got] == list(range(got[0].offset(), got[0].offset() + len(got)))
    late.close()


def test_fetch_long_poll_waits_then_wakes_on_produce(kafka, topic_name):
    """A Fetch with max_wait_ms and min_bytes=1 on an empty partition is held for about
    max_wait_ms; a record produced while it waits completes it at once."""
    t = create_topic(kafka.bootstrap, topic_name())
    with kw.KafkaConn(kafka.port, timeout=10) as c:
        t0 = time.monotonic()
        err, hw, recs = c.read_fetch(c.fetch_request(t, 0, 0, max_wait_ms=800))
        waited = time.monotonic() - t0
        assert (err, hw, recs) == (0, 0, b"")
        assert 0.6 <= waited < 3.0, "empty fetch answered after %.3fs, expected ~0.8s" % waited

        corr = c.fetch_request(t, 0, 0, max_wait_ms=8000)
        time.sleep(0.3)  # the fetch is parked at the broker now
        with kw.KafkaConn(kafka.port) as p:  # raw: no client start-up time in the measurement
            t1 = time.monotonic()
            assert p.produce(t, 0, kw.record_batch([(None, b"wake up")]), acks=1) == (0, 0)
            err, hw, recs = c.read_fetch(corr)
            latency = time.monotonic() - t1
        assert err == 0 and hw == 1 and kw.count_records(recs) == 1 and b"wake up" in recs
        assert latency < 0.5, "parked fetch completed %.3fs after the produce (expected at once)" % latency
