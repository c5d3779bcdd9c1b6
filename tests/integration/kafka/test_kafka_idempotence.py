"""Idempotent producer: duplicates of an acknowledged batch answer the original offset and
are not stored twice; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER; librdkafka with
enable.idempotence survives a broker crash without duplicates; the producer state survives
restarts however much other traffic follows, and idle producer ids expire."""
from __future__ import annotations

import threading
import time

import pytest

import kafka_wire as kw
from kafka_util import consume_topic, create_topic, metric, producer, wait_until


def test_duplicate_batch_answers_original_offset_and_gap_is_rejected(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name())
    with kw.KafkaConn(kafka.port) as c:
        err, pid, epoch = c.init_producer_id()
        assert err == 0 and pid >= 0 and epoch >= 0
        a = kw.record_batch([(None, b"a0"), (None, b"a1"), (None, b"a2")], producer_id=pid,
                            producer_epoch=epoch, base_sequence=0)
        b = kw.record_batch([(None, b"b0"), (None, b"b1")], producer_id=pid, producer_epoch=epoch,
                            base_sequence=3)
        assert c.produce(t, 0, a) == (0, 0)
        assert c.produce(t, 0, b) == (0, 3)
        # retries of acknowledged batches: same answer, nothing appended
        assert c.produce(t, 0, b) == (0, 3)
        assert c.produce(t, 0, a) == (0, 0)
        # a gap in the sequence
        gap = kw.record_batch([(None, b"gap")], producer_id=pid, producer_epoch=epoch, base_sequence=9)
        assert c.produce(t, 0, gap)[0] == kw.OUT_OF_ORDER_SEQUENCE_NUMBER
        assert c.list_offset(t, 0, -1)[::2] == (0, 5)
        # the producer goes on from where it was
        nxt = kw.record_batch([(None, b"c0")], producer_id=pid, producer_epoch=epoch, base_sequence=5)
        assert c.produce(t, 0, nxt) == (0, 5)
    vals = [m.value() for m in consume_topic(kafka.bootstrap, t, 6)]
    assert vals == [b"a0", b"a1", b"a2", b"b0", b"b1", b"c0"]


def test_idempotent_producer_across_broker_crash(kafka_factory, topic_name):
    """librdkafka (enable.idempotence) producing while the broker is killed and restarted:
    every acknowledged record is stored exactly once, in order."""
    k = kafka_factory("storage.fsync=always")
    t = create_topic(k.bootstrap, topic_name())
    p = producer(k.bootstrap, enable_idempotence=True, acks="all", linger_ms=2,
                 message_timeout_ms=30000, retry_backoff_ms=50)
    acked, failed = [], []
    lock = threading.Lock()

    def cb(err, msg):
        with lock:
            (failed if err else acked).append(err or msg.value())
    n = 6000
    stop = threading.Event()

    def run():
        for i in range(n):
            while not stop.is_set():
                try:
                    p.produce(t, b"%06d" % i, on_delivery=cb)
                    break
                except BufferError:
                    p.poll(0.01)
            p.poll(0)
            if i % 16 == 0:
                time.sleep(0.005)  # ~3000 records/s: the kill lands mid-stream
        p.flush(30)
    th = threading.Thread(target=run)
    th.start()
    try:
        wait_until(lambda: len(acked) >= 1500, 20, msg="1500 acknowledged records")
        k.restart(kill=True)
        th.join(45)
        assert not th.is_alive(), "producer did not finish"
    finally:
        stop.set()
    assert not failed, "delivery failures with enable.idempotence: %r" % failed[:5]
    assert len(acked) == n
    got = [m.value() for m in consume_topic(k.bootstrap, t, n, timeout=20)]
    assert len(set(got)) == n, "duplicates: %d records, %d distinct" % (len(got), len(set(got)))
    assert got == sorted(got), "records out of order"


@pytest.mark.parametrize("kill", [False, True], ids=["stop", "kill9"])
def test_producer_state_survives_a_restart_behind_much_other_traffic(kafka_factory, topic_name, kill):
    """A producer's last batch, then 300,000 records of other producers (more than the tail a
    restart replays), then a restart: the retry of that batch is still a duplicate, thanks to
    the producer-state snapshots (at shutdown, and every 16,384 offsets for kill -9)."""
    k = kafka_factory()
    t = create_topic(k.bootstrap, topic_name())
    filler = kw.record_batch([(None, b"x")] * 10000)
    with kw.KafkaConn(k.port) as c:
        err, pid, epoch = c.init_producer_id()
        assert err == 0
        a = kw.record_batch([(None, b"a0"), (None, b"a1")], producer_id=pid, producer_epoch=epoch,
                            base_sequence=0)
        assert c.produce(t, 0, a) == (0, 0)
        for i in range(30):
            assert c.produce(t, 0, filler, timeout_ms=30000) == (0, 2 + i * 10000)
    k.restart(kill=kill)
    with kw.KafkaConn(k.port, timeout=30) as c:
        assert c.produce(t, 0, a) == (0, 0), "the retry was stored again"
        gap = kw.record_batch([(None, b"gap")], producer_id=pid, producer_epoch=epoch, base_sequence=5)
        assert c.produce(t, 0, gap)[0] == kw.OUT_OF_ORDER_SEQUENCE_NUMBER
        nxt = kw.record_batch([(None, b"a2")], producer_id=pid, producer_epoch=epoch, base_sequence=2)
        assert c.produce(t, 0, nxt) == (0, 300002)
        assert c.list_offset(t, 0, -1)[::2] == (0, 300003)


def test_idle_producer_ids_expire(kafka_factory, topic_name):
    """kafka.producer_id_expiration_ms (Kafka's producer.id.expiration.ms): a producer idle that
    long is forgotten, so it no longer counts in unimq_kafka_producer_ids and its next batch
    starts it anew instead of being out of order."""
    k = kafka_factory("kafka.producer_id_expiration_ms=1500")
    t = create_topic(k.bootstrap, topic_name())
    with kw.KafkaConn(k.port) as c:
        ids = []
        for _ in range(2):
            err, pid, epoch = c.init_producer_id()
            assert err == 0
            ids.append((pid, epoch))
        (pa, ea), (pb, eb) = ids
        assert c.produce(t, 0, kw.record_batch([(None, b"a")], producer_id=pa, producer_epoch=ea,
                                               base_sequence=0))[0] == 0
        assert metric(k, "unimq_kafka_producer_ids") == 1
        time.sleep(2.0)
        assert c.produce(t, 0, kw.record_batch([(None, b"b")], producer_id=pb, producer_epoch=eb,
                                               base_sequence=0))[0] == 0
        assert metric(k, "unimq_kafka_producer_ids") == 1, "the idle producer was not forgotten"
        # a sequence that would be a gap for a remembered producer
        assert c.produce(t, 0, kw.record_batch([(None, b"a")], producer_id=pa, producer_epoch=ea,
                                               base_sequence=7))[0] == 0
        assert metric(k, "unimq_kafka_producer_ids") == 2
