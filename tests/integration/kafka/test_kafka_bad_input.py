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


def test_unsupported_produce_version_keeps_broker_serving(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name())
    with kw.KafkaConn(kafka.port) as c:
        c.send(kw.PRODUCE, 99, b"\x00" * 16)
        try:
            got, r = c.recv()  # an error answer is fine, so is closing the connection
        except (ConnectionError, OSError):
            pass
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
