"""A two-member consumer group (librdkafka): the partitions are split when the second member
joins, handed back when it leaves, and every member resumes from the committed offsets
(never from the reset policy, never re-reading committed records)."""
from __future__ import annotations

import time
import uuid

from confluent_kafka import TopicPartition

from kafka_util import consumer, create_topic, produce_all, producer

PARTS = 4


def produce_round(bootstrap, topic, tag, per_partition):
    recs = [{"value": b"%s-p%d-%d" % (tag, p, i), "partition": p}
            for p in range(PARTS) for i in range(per_partition)]
    produce_all(producer(bootstrap), topic, recs)
    return {r["value"] for r in recs}


def poll_all(members, until, timeout=15.0):
    """Polls every member in turn until until() is true; returns {member index: [messages]}."""
    got = {i: [] for i in range(len(members))}
    deadline = time.monotonic() + timeout
    while not until(got):
        assert time.monotonic() < deadline, "timed out; got %r" % {i: len(v) for i, v in got.items()}
        for i, c in enumerate(members):
            m = c.poll(0.05)
            if m is not None:
                assert not m.error(), m.error()
                got[i].append(m)
    return got


def parts(c):
    return {tp.partition for tp in c.assignment()}


def test_two_members_rebalance_and_resume_from_commits(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name(), partitions=PARTS)
    group = "grp-" + uuid.uuid4().hex[:8]
    conf = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 100, "auto_offset_reset": "earliest"}
    first = produce_round(kafka.bootstrap, t, b"r1", 5)

    a = consumer(kafka.bootstrap, group, **conf)
    a.subscribe([t])
    got = poll_all([a], lambda g: len(g[0]) >= len(first))
    assert {m.value() for m in got[0]} == first and parts(a) == set(range(PARTS))
    a.commit(asynchronous=False)

    b = consumer(kafka.bootstrap, group, **conf)
    b.subscribe([t])
    poll_all([a, b], lambda g: parts(a) and parts(b) and parts(a) | parts(b) == set(range(PARTS)))
    assert not parts(a) & parts(b), "a partition assigned to both members"
    assert len(parts(a)) == len(parts(b)) == PARTS // 2

    second = produce_round(kafka.bootstrap, t, b"r2", 3)
    got = poll_all([a, b], lambda g: len(g[0]) + len(g[1]) >= len(second))
    for c, msgs in ((a, got[0]), (b, got[1])):
        assert {m.partition() for m in msgs} <= parts(c), "a member got records of another's partition"
    values = [m.value() for m in got[0] + got[1]]
    assert sorted(values) == sorted(second), "committed records were delivered again, or some are missing"
    a.commit(asynchronous=False)
    b.commit(asynchronous=False)
    committed = a.committed([TopicPartition(t, p) for p in range(PARTS)], timeout=10)
    assert [tp.offset for tp in committed] == [8] * PARTS

    b.close()  # LeaveGroup: the survivor takes everything back at once (no session timeout wait)
    t0 = time.monotonic()
    poll_all([a], lambda g: parts(a) == set(range(PARTS)), timeout=5)
    assert time.monotonic() - t0 < 5

    third = produce_round(kafka.bootstrap, t, b"r3", 2)
    got = poll_all([a], lambda g: len(g[0]) >= len(third))
    assert sorted(m.value() for m in got[0]) == sorted(third)
    a.close()

    # a brand-new member of the group starts at the committed offsets, not at the beginning
    fourth = produce_round(kafka.bootstrap, t, b"r4", 1)
    c = consumer(kafka.bootstrap, group, **conf)
    c.subscribe([t])
    got = poll_all([c], lambda g: len(g[0]) >= len(third) + len(fourth)
                   or any(m.value() in first for m in g[0]), timeout=15)
    c.close()
    vals = {m.value() for m in got[0]}
    assert not vals & first, "a new member re-read records committed long ago"
