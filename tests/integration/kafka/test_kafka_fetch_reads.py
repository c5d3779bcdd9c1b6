"""Where Fetch reads from: a consumer at the tail is answered from the journal's memory (the
tail cache), a consumer behind it from the partition's files on a reader thread, off the event
loop, with O_DIRECT straight into the buffer the answer is sent from. Both must return exactly
what was produced; the broker counts the fetches that went to the files in
unimq_kafka_fetch_disk_reads_total, the direct reads in unimq_storage_direct_reads_total and
the ranges read ahead of such a consumer in unimq_storage_read_aheads_total."""
from __future__ import annotations

import os
import time

from kafka_util import (consume_n, consume_topic, consumer, create_topic, metric, produce_all,
                        producer, wait_until)


def disk_reads(kafka) -> float:
    return metric(kafka, "unimq_kafka_fetch_disk_reads_total")


# Small fetches: many round trips through the reader threads.
SMALL_FETCHES = dict(fetch_max_bytes=64 * 1024, message_max_bytes=32 * 1024,
                     max_partition_fetch_bytes=16 * 1024)


def expect_two_partitions(got, records) -> None:
    """got (consumed messages) holds exactly `records` (dicts with "partition", "key",
    "value"), in order within each partition."""
    by_part = {0: [], 1: []}
    for m in got:
        by_part[m.partition()].append(m)
    for p, msgs in by_part.items():
        mine = [r for r in records if r["partition"] == p]
        assert [m.offset() for m in msgs] == list(range(len(mine)))
        assert [m.value() for m in msgs] == [r["value"] for r in mine]
        assert [m.key() for m in msgs] == [r["key"] for r in mine]


def test_consumer_behind_the_tail_reads_the_files(kafka, topic_name):
    topic = create_topic(kafka.bootstrap, topic_name(), partitions=2)
    records = [{"key": b"k%d" % i, "value": (b"%06d" % i) * 170, "partition": i % 2}
               for i in range(4000)]
    produce_all(producer(kafka.bootstrap, batch_size=8192), topic, records)  # ~8 per batch
    kafka.restart()  # nothing in memory any more: every fetch goes to the files
    before = disk_reads(kafka)
    direct_before = metric(kafka, "unimq_storage_direct_reads_total")
    ahead_before = metric(kafka, "unimq_storage_read_aheads_total")
    # Small fetches: many round trips through the reader threads, across both partitions.
    got = consume_topic(kafka.bootstrap, topic, len(records), timeout=30, **SMALL_FETCHES)
    assert disk_reads(kafka) - before >= 10
    # Each of them read its partition's file with O_DIRECT (ext4 and tmpfs allow it).
    assert metric(kafka, "unimq_storage_direct_reads_total") - direct_before >= 10
    # ... and had the next range read ahead while its answer travelled.
    assert metric(kafka, "unimq_storage_read_aheads_total") - ahead_before >= 5
    expect_two_partitions(got, records)


def test_two_consumers_behind_the_tail_at_different_offsets(kafka, topic_name):
    """Two readers of one partition's files, one started half-way: each read-ahead meant for
    one of them is not served to the other; both get every record, in order."""
    from confluent_kafka import TopicPartition
    topic = create_topic(kafka.bootstrap, topic_name())
    records = [{"value": (b"%06d" % i) * 100} for i in range(3000)]
    produce_all(producer(kafka.bootstrap, batch_size=4096), topic, records)
    kafka.restart()
    small = dict(fetch_max_bytes=32 * 1024, message_max_bytes=16 * 1024,
                 max_partition_fetch_bytes=8 * 1024)
    starts = (0, 1500)
    cs = [consumer(kafka.bootstrap, **small) for _ in starts]
    try:
        for c, start in zip(cs, starts):
            c.assign([TopicPartition(topic, 0, start)])
        got = {start: [] for start in starts}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
                len(got[s]) < len(records) - s for s in starts):
            for c, start in zip(cs, starts):
                if len(got[start]) < len(records) - start:
                    for m in c.consume(num_messages=200, timeout=0.05):
                        assert not m.error(), m.error()
                        got[start].append(m)
        for start in starts:
            assert [m.offset() for m in got[start]] == list(range(start, len(records)))
            assert [m.value() for m in got[start]] == [r["value"] for r in records[start:]]
    finally:
        for c in cs:
            c.close()


def test_consumer_at_the_tail_is_answered_from_memory(kafka, topic_name):
    topic = create_topic(kafka.bootstrap, topic_name())
    p = producer(kafka.bootstrap, linger_ms=0)
    produce_all(p, topic, [{"value": b"old-%d" % i} for i in range(100)])
    c = consumer(kafka.bootstrap, auto_offset_reset="latest", fetch_wait_max_ms=200)
    try:
        assigned = []
        c.subscribe([topic], on_assign=lambda cons, parts: assigned.extend(parts))
        wait_until(lambda: c.poll(0.1) is not None or bool(assigned), 15)
        time.sleep(0.5)  # the consumer's first fetches wait at the end of the partition
        before = disk_reads(kafka)
        values = [b"new-%d" % i for i in range(30)]
        for i, v in enumerate(values):
            # Now and then a pause longer than the journal's reader-interest window (1 s): a
            # consumer long-polling at the end still counts as a reader.
            time.sleep(1.2 if i in (10, 20) else 0.02)
            produce_all(p, topic, [{"value": v}])
        got = consume_n(c, len(values), timeout=15)
        assert [m.value() for m in got] == values
        # None of these deliveries should need the files; one fetch racing a batch published
        # but not cached yet may.
        assert disk_reads(kafka) - before <= 1
    finally:
        c.close()


def _backlog(kafka, topic, n=6000):
    """n 1 KiB records in small batches, then a restart: all of it only in the files."""
    produce_all(producer(kafka.bootstrap, batch_size=8192), topic,
                [{"value": (b"%06d" % i) * 170} for i in range(n)])
    kafka.restart()


def _reading_consumer(kafka, topic):
    """A consumer from the beginning with small fetches, mid-way through the backlog.
    kafka-python: librdkafka's consumer hangs in close() once its assigned topic is deleted
    (confluentinc/librdkafka#4362), whatever the broker does."""
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=kafka.bootstrap, enable_auto_commit=False,
                      fetch_max_bytes=64 * 1024, max_partition_fetch_bytes=16 * 1024,
                      consumer_timeout_ms=15000)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = 0
    deadline = time.monotonic() + 15
    while got < 500 and time.monotonic() < deadline:
        got += sum(len(v) for v in c.poll(timeout_ms=200).values())
    assert got >= 500, "read %d records of the backlog" % got
    return c


def test_topic_deleted_while_a_consumer_reads_its_files(kafka, topic_name):
    from confluent_kafka.admin import AdminClient
    topic = create_topic(kafka.bootstrap, topic_name())
    _backlog(kafka, topic)
    c = _reading_consumer(kafka, topic)
    try:
        a = AdminClient({"bootstrap.servers": kafka.bootstrap})
        a.delete_topics([topic], operation_timeout=10)[topic].result(10)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                c.poll(timeout_ms=100)  # errors (unknown partition) are fine; a dead broker is not
            except Exception:  # noqa: BLE001
                pass
        assert kafka.alive(), kafka.broker.log_tail()
        # And the broker still serves: a new topic round-trips.
        t2 = create_topic(kafka.bootstrap, topic_name("-after"))
        produce_all(producer(kafka.bootstrap), t2, [{"value": b"still here"}])
        assert [m.value() for m in consume_topic(kafka.bootstrap, t2, 1)] == [b"still here"]
    finally:
        c.close()


def test_shutdown_while_a_consumer_reads_the_files_is_clean(kafka, topic_name):
    topic = create_topic(kafka.bootstrap, topic_name())
    _backlog(kafka, topic, n=20000)
    c = _reading_consumer(kafka, topic)
    try:
        c.poll(timeout_ms=50)
        started = time.monotonic()
        assert kafka.broker.stop() == 0, kafka.broker.log_tail()
        assert time.monotonic() - started < 5
    finally:
        c.close()


def test_a_long_poll_ends_with_its_connection(kafka, topic_name):
    """A fetch long-polling an empty partition waits in the purgatory; when its consumer
    disconnects it is dropped at once, not at its 20 s deadline."""
    from kafka import KafkaConsumer, TopicPartition
    topic = create_topic(kafka.bootstrap, topic_name())

    def purgatory():
        return metric(kafka, "unimq_kafka_fetch_purgatory_size")

    assert purgatory() == 0
    c = KafkaConsumer(bootstrap_servers=kafka.bootstrap, enable_auto_commit=False,
                      fetch_max_wait_ms=20000, request_timeout_ms=40000)
    try:
        c.assign([TopicPartition(topic, 0)])
        deadline = time.monotonic() + 15
        while purgatory() < 1 and time.monotonic() < deadline:
            c.poll(timeout_ms=100)
        assert purgatory() >= 1, "the consumer's fetch never waited"
    finally:
        c.close()
    wait_until(lambda: purgatory() == 0, 3)


def segment_files_open(kafka) -> int:
    """Descriptors the broker holds on journal segment files (.log)."""
    fd_dir = "/proc/%d/fd" % kafka.broker.proc.pid
    n = 0
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue  # closed meanwhile
        n += "/journal/" in target and target.endswith(".log")
    return n


def test_sealed_segment_files_stay_within_max_open_segments(kafka_factory, topic_name):
    """A long log of small segments: the sealed ones' descriptors are bounded by
    storage.max_open_segments (the least recently read are closed, and opened again when a
    consumer reaches them), so a long retention cannot use up the open-file limit. A consumer
    from the beginning still gets every record, before and after a restart (whose recovery
    opens every segment but keeps within the limit)."""
    k = kafka_factory("storage.max_open_segments=8")
    base = segment_files_open(k)
    topic = create_topic(k.bootstrap, topic_name(), partitions=2, config={"segment.bytes": "16384"})
    records = [{"key": b"k%d" % i, "value": (b"%06d" % i) * 100, "partition": i % 2}
               for i in range(6000)]  # 3.6 MB: over 200 segments of 16 KiB
    produce_all(producer(k.bootstrap, batch_size=8192), topic, records)
    # 8 sealed segments at most, plus each partition's active one (buffered and O_DIRECT).
    limit = base + 8 + 2 * 2
    wait_until(lambda: segment_files_open(k) <= limit, 5, msg="sealed segment files closed")
    assert metric(k, "unimq_storage_sealed_segment_files_open") <= 8

    def consume_all_and_check():
        before = metric(k, "unimq_storage_segment_file_reopens_total")
        got = consume_topic(k.bootstrap, topic, len(records), timeout=60, **SMALL_FETCHES)
        assert metric(k, "unimq_storage_segment_file_reopens_total") - before >= 150
        expect_two_partitions(got, records)
        # Reads hold a descriptor only while they read (one per reader thread at most).
        assert segment_files_open(k) <= limit + 2

    consume_all_and_check()
    k.restart()
    assert segment_files_open(k) <= base + 8 + 2  # recovered: active segments, no O_DIRECT yet
    consume_all_and_check()
    assert k.alive()
