"""Bad input on the Kafka port: unsupported versions, garbage, oversized and truncated
requests, corrupt batches. Each is answered or the offending connection closed; the broker
keeps serving everyone else."""
from __future__ import annotations

import os
import struct

import pytest

import kafka_wire as kw
from kafka_util import consume_topic, create_topic, produce_all, producer


def assert_serving(k, topic):
    """A fresh raw connection and a librdkafka producer/consumer still work."""
    assert k.alive(), "broker died"
    with kw.KafkaConn(k.port) as c:
        assert c.api_versions()[0] == 0
    d = produce_all(producer(k.bootstrap), topic, [{"value": b"still alive"}])
    got = consume_topic(k.bootstrap, topic, d[0].offset() + 1)
    assert got[-1].value() == b"still alive"


def test_api_versions_lists_the_core_apis(kafka):
    with kw.KafkaConn(kafka.port) as c:
        err, apis = c.api_versions(0)
    assert err == 0
    for key in (kw.PRODUCE, kw.FETCH, kw.LIST_OFFSETS, kw.METADATA, kw.API_VERSIONS):
        assert key in apis, "ApiVersions does not list api key %d" % key
        lo, hi = apis[key]
        assert 0 <= lo <= hi
    assert apis[kw.PRODUCE][0] <= 3 <= apis[kw.PRODUCE][1]


def test_unsupported_api_versions_version_answers_error_and_list(kafka, topic_name):
    """KIP-511: an ApiVersions request of an unknown version is answered with a v0 body,
    UNSUPPORTED_VERSION and the supported ranges; the connection stays usable."""
    t = create_topic(kafka.bootstrap, topic_name())
    with kw.KafkaConn(kafka.port) as c:
        corr = c.send(kw.API_VERSIONS, 127, b"")
        got, r = c.recv()
        assert got == corr
        assert r.i16() == kw.UNSUPPORTED_VERSION
        apis = dict(r.array(lambda: (r.i16(), (r.i16(), r.i16()))))
        assert kw.API_VERSIONS in apis and apis[kw.API_VERSIONS][1] < 127
        assert c.api_versions(0)[0] == 0  # same connection, downgraded retry
    assert_serving(kafka, t)


def test_versions_kafka_defines_but_the_broker_does_not_serve_answer_unsupported_version(kafka, topic_name):
    """Produce v2 (old message sets), Fetch v3 and ListOffsets v0 exist in Kafka's schemas
    but not here: each is answered in its own version's format with UNSUPPORTED_VERSION (35)
    per partition, as Kafka's getErrorResponse answers, and the connection stays usable."""
    t = create_topic(kafka.bootstrap, topic_name())
    with kw.KafkaConn(kafka.port) as c:
        # Produce v2: acks, timeout, [topic [partition, message set bytes]]
        body = (kw.i16(1) + kw.i32(5000) +
                kw.array([kw.string(t) + kw.array([kw.i32(0) + kw.nbytes(b"\x00" * 40)])]))
        r = c.request(kw.PRODUCE, 2, body)
        topics = r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16(), r.i64(), r.i64()))))
        assert topics == [(t, [(0, kw.UNSUPPORTED_VERSION, -1, -1)])], topics  # offsets: none
        assert r.i32() == 0 and r.remaining() == 0  # throttle_time_ms, then nothing

        # Fetch v3: replica, max wait, min bytes, max bytes, [topic [partition, offset, max]]
        body = (kw.i32(-1) + kw.i32(100) + kw.i32(1) + kw.i32(1 << 20) +
                kw.array([kw.string(t) + kw.array([kw.i32(0) + kw.i64(0) + kw.i32(1 << 20)])]))
        r = c.request(kw.FETCH, 3, body)
        assert r.i32() == 0  # throttle_time_ms
        parts = r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16(), r.i64(), r.nbytes()))))
        assert parts == [(t, [(0, kw.UNSUPPORTED_VERSION, -1, None)])], parts

        # ListOffsets v0: replica, [topic [partition, timestamp, max offsets]]
        body = kw.i32(-1) + kw.array([kw.string(t) + kw.array([kw.i32(0) + kw.i64(-1) + kw.i32(1)])])
        r = c.request(kw.LIST_OFFSETS, 0, body)
        parts = r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16(), r.array(r.i64)))))
        assert parts == [(t, [(0, kw.UNSUPPORTED_VERSION, [])])], parts

        assert c.api_versions(0)[0] == 0  # the same connection still serves
    assert "Produce v2" in kafka.broker.log_text() and "UNSUPPORTED_VERSION" in kafka.broker.log_text()
    assert_serving(kafka, t)


def test_versions_beyond_kafkas_schemas_close_that_connection(kafka, topic_name):
    """No format is defined for Produce v99: the connection is closed, with a log line."""
    t = create_topic(kafka.bootstrap, topic_name())
    with kw.KafkaConn(kafka.port) as c:
        c.send(kw.PRODUCE, 99, b"\x00" * 16)
        assert c.closed_by_peer()
    assert "unsupported request (api key 0 version 99)" in kafka.broker.log_text()
    assert_serving(kafka, t)


def test_kafka_python_pinned_to_an_old_protocol_gets_unsupported_version(kafka, topic_name):
    """kafka-python told api_version=(0, 10, 1) skips ApiVersions and produces with v2: it
    fails with UnsupportedVersionError at once instead of retrying a closing connection."""
    from kafka import KafkaProducer
    from kafka.errors import UnsupportedVersionError
    t = create_topic(kafka.bootstrap, topic_name())
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap, api_version=(0, 10, 1), retries=0)
    try:
        with pytest.raises(UnsupportedVersionError):
            p.send(t, b"old").get(timeout=10)
    finally:
        p.close(timeout=5)
    assert_serving(kafka, t)


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


@pytest.mark.parametrize("junk", [
    pytest.param(b"\x7f" + os.urandom(63), id="random"),
    pytest.param(struct.pack(">i", -1) + b"\x00" * 8, id="negative_size"),
    pytest.param(frame(struct.pack(">hhih", 999, 0, 1, -1)), id="unknown_api_key"),
    pytest.param(frame(struct.pack(">hhh", 3, 1, 7)), id="truncated_header"),
    pytest.param(frame(struct.pack(">hhih", 0, 3, 1, -1) + struct.pack(">hhii", -1, -1, 5000, 1)),
                 id="truncated_produce"),
    pytest.param(frame(struct.pack(">hhih", 3, 1, 1, 300) + b"abc"), id="bad_client_id_length"),
])
def test_garbage_closes_that_connection_only(kafka, topic_name, junk):
    t = create_topic(kafka.bootstrap, topic_name())
    bystander = kw.KafkaConn(kafka.port)
    with kw.KafkaConn(kafka.port) as c:
        c.send_raw(junk)
        assert c.closed_by_peer(5), "connection still open after malformed input"
    assert bystander.api_versions()[0] == 0, "an unrelated connection stopped working"
    bystander.close()
    assert_serving(kafka, t)


def test_oversized_request_closes_connection(kafka_factory, topic_name):
    k = kafka_factory("kafka.max_request_size=1048576")
    t = create_topic(k.bootstrap, topic_name())
    with kw.KafkaConn(k.port) as c:
        c.send_raw(struct.pack(">i", 64 << 20) + struct.pack(">hhi", 0, 3, 1) + b"\x00" * 1024)
        assert c.closed_by_peer(5), "a 64 MiB size prefix was accepted"
    assert_serving(k, t)


def test_corrupt_batch_answers_corrupt_message_and_is_not_stored(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name())
    good = kw.record_batch([(b"k", b"original value")])
    bad = bytearray(good)
    bad[-5] ^= 0xFF  # flip a byte inside the record: the CRC no longer matches
    with kw.KafkaConn(kafka.port) as c:
        err, _ = c.produce(t, 0, bytes(bad))
        assert err == kw.CORRUPT_MESSAGE
        assert c.list_offset(t, 0, -1)[::2] == (0, 0), "corrupt batch was stored"
        assert c.produce(t, 0, good) == (0, 0)  # the same connection goes on
        # a batch whose length field lies (longer than the bytes sent) is corrupt too
        short = bytearray(good)
        struct.pack_into(">i", short, 8, len(good) + 100)
        assert c.produce(t, 0, bytes(short))[0] == kw.CORRUPT_MESSAGE
        assert c.list_offset(t, 0, -1)[::2] == (0, 1)
    assert [m.value() for m in consume_topic(kafka.bootstrap, t, 1)] == [b"original value"]


def test_produce_to_missing_partition(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name())
    with kw.KafkaConn(kafka.port) as c:
        err, _ = c.produce(t, 7, kw.record_batch([(None, b"x")]))
    assert err == kw.UNKNOWN_TOPIC_OR_PARTITION
