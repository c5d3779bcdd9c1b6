"""Compressed batches: produced by one client, consumed by another, byte for byte, with
offsets counted per record (not per batch). kafka-python here has only gzip (no python
snappy/lz4/zstd modules), so the other codecs go librdkafka -> kcat and kafka-python."""
from __future__ import annotations

import pytest

import kafka_wire as kw
from kafka_util import consume_topic, create_topic, kcat, produce_all, producer

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def payloads(n):
    # compressible but distinct, some large enough to span internal codec blocks
    return [(b"key-%d" % i, (b"record %05d " % i) * (1 + i % 40)) for i in range(n)]


@pytest.mark.parametrize("codec", CODECS)
def test_librdkafka_compressed_read_by_others(kafka, topic_name, codec):
    t = create_topic(kafka.bootstrap, topic_name())
    recs = payloads(200)
    p = producer(kafka.bootstrap, compression_type=codec, linger_ms=50, batch_num_messages=50)
    d = produce_all(p, t, [{"key": k, "value": v} for k, v in recs])
    assert [m.offset() for m in d] == list(range(200)), "offsets must count records inside compressed batches"

    out = kcat(kafka.bootstrap, "-C", "-t", t, "-o", "beginning", "-e", "-f", "%o %k %S\n")
    assert out.decode().splitlines() == ["%d %s %d" % (i, k.decode(), len(v)) for i, (k, v) in enumerate(recs)]

    if codec in ("none", "gzip"):
        from kafka import KafkaConsumer
        c = KafkaConsumer(t, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest",
                          consumer_timeout_ms=10000)
        got = []
        for m in c:
            got.append((m.key, m.value))
            if len(got) == len(recs):
                break
        c.close()
        assert got == recs

    # a later batch continues after the last record of the compressed ones
    (m,) = produce_all(producer(kafka.bootstrap), t, [{"value": b"tail"}])
    assert m.offset() == 200


@pytest.mark.parametrize("codec", ["none", "gzip"])
def test_kafka_python_compressed_read_by_librdkafka(kafka, topic_name, codec):
    from kafka import KafkaProducer
    t = create_topic(kafka.bootstrap, topic_name())
    recs = payloads(150)
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type=None if codec == "none" else codec,
                      linger_ms=50, acks="all")
    futs = [p.send(t, key=k, value=v) for k, v in recs]
    assert [f.get(timeout=10).offset for f in futs] == list(range(150))
    p.close()
    got = consume_topic(kafka.bootstrap, t, 150)
    assert [(m.key(), m.value(), m.offset()) for m in got] == [(k, v, i) for i, (k, v) in enumerate(recs)]


@pytest.mark.parametrize("codec", ["snappy", "lz4", "zstd"])
def test_kcat_compressed_read_by_librdkafka_consumer(kafka, topic_name, codec):
    t = create_topic(kafka.bootstrap, topic_name())
    lines = b"".join(b"k%d:%s\n" % (i, b"abc" * i) for i in range(100))
    kcat(kafka.bootstrap, "-P", "-t", t, "-K:", "-z", codec, input=lines)
    got = consume_topic(kafka.bootstrap, t, 100)
    assert [(m.key(), m.value()) for m in got] == [(b"k%d" % i, b"abc" * i) for i in range(100)]


def test_list_offsets_end_after_compressed_batch(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name())
    produce_all(producer(kafka.bootstrap, compression_type="zstd", linger_ms=100),
                t, [{"value": b"z" * 100} for _ in range(37)])
    with kw.KafkaConn(kafka.port) as c:
        assert c.list_offset(t, 0, -1)[::2] == (0, 37)
        assert c.list_offset(t, 0, -2)[::2] == (0, 0)
