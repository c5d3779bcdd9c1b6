"""Consumer groups with unmodified clients: librdkafka (confluent_kafka), kafka-python and
kcat -G. Each test asserts what only a working group coordinator gives: partitions split
between members, rebalance on leave, resuming from committed offsets, admin views."""
from __future__ import annotations

import time

import pytest

from kafka_util import (CLIENT_TIMEOUT, admin, consume_n, consumer, kcat, node, produce_all,
                        producer)

FAST_GROUP = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 300}


def create_topic(bootstrap, name, partitions=1):
    """CreateTopics, keeping the admin client alive until the answer arrives."""
    from confluent_kafka.admin import NewTopic
    a = admin(bootstrap)
    fs = a.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                         operation_timeout=CLIENT_TIMEOUT)
    fs[name].result(CLIENT_TIMEOUT)
    return name


def assigned(c):
    return sorted(tp.partition for tp in c.assignment())


def poll_until(consumers, cond, timeout=CLIENT_TIMEOUT, sink=None):
    """Polls every consumer (group protocol runs inside poll) until cond() holds; messages
    returned meanwhile are appended to sink (or fail the test if there is none)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in consumers:
            m = c.poll(0.05)
            if m is not None and not m.error():
                assert sink is not None, "unexpected message %r" % m.value()
                sink.append(m)
        if cond():
            return
    raise AssertionError("condition not met within %.0fs: %s" % (
        timeout, [assigned(c) for c in consumers]))


def test_two_members_split_rebalance_on_leave_and_resume_from_commits(kafka, topic_name):
    topic = create_topic(kafka.bootstrap, topic_name(), partitions=2)
    group = "g-" + topic
    c1 = consumer(kafka.bootstrap, group, **FAST_GROUP)
    c2 = consumer(kafka.bootstrap, group, **FAST_GROUP)
    try:
        c1.subscribe([topic])
        poll_until([c1], lambda: assigned(c1) == [0, 1])
        c2.subscribe([topic])
        poll_until([c1, c2], lambda: len(assigned(c1)) == 1 and len(assigned(c2)) == 1)
        assert sorted(assigned(c1) + assigned(c2)) == [0, 1]

        p = producer(kafka.bootstrap)
        produce_all(p, topic, [{"value": b"p%d-%d" % (part, i), "partition": part}
                               for part in (0, 1) for i in range(10)])
        got_by = {}
        for c in (c1, c2):
            got = consume_n(c, 5)
            got_by[id(c)] = got[0].partition()
            assert {m.partition() for m in got} == set(assigned(c))
            assert [m.offset() for m in got] == [0, 1, 2, 3, 4]
            c.commit(asynchronous=False)
        c2.close()  # LeaveGroup: c1 takes over both partitions
        c2 = None

        rest = []
        want = {(part, off) for part in (0, 1) for off in range(5, 10)}
        poll_until([c1], lambda: assigned(c1) == [0, 1] and
                   {(m.partition(), m.offset()) for m in rest} >= want, sink=rest)
        # c1 resumed c2's partition from c2's commit, not from the beginning (c1 may see its
        # own uncommitted records twice: at-least-once across the rebalance).
        taken_over = 1 - got_by[id(c1)]
        assert min(m.offset() for m in rest if m.partition() == taken_over) == 5
        assert min(m.offset() for m in rest) == 5
    finally:
        c1.close()
        if c2 is not None:
            c2.close()


def commit_four_of_six(kafka, name):
    """A topic with m0..m5; a member of group g-<topic> reads m0..m3, commits and leaves
    (LeaveGroup: the group is Empty). Returns (topic, group)."""
    topic = create_topic(kafka.bootstrap, name)
    group = "g-" + topic
    produce_all(producer(kafka.bootstrap), topic, [{"value": b"m%d" % i} for i in range(6)])
    c = consumer(kafka.bootstrap, group, **FAST_GROUP)
    c.subscribe([topic])
    assert [m.value() for m in consume_n(c, 4)] == [b"m0", b"m1", b"m2", b"m3"]
    c.commit(asynchronous=False)
    c.close()
    return topic, group


def test_committed_offsets_survive_restart_and_new_member_resumes(kafka, topic_name):
    from confluent_kafka import TopicPartition
    topic, group = commit_four_of_six(kafka, topic_name())

    kafka.restart()
    c = consumer(kafka.bootstrap, group, **FAST_GROUP)
    try:
        [tp] = c.committed([TopicPartition(topic, 0)], timeout=CLIENT_TIMEOUT)
        assert tp.offset == 4
        c.subscribe([topic])
        assert [m.value() for m in consume_n(c, 2)] == [b"m4", b"m5"]
    finally:
        c.close()


def test_kafka_python_group_consumer_commits_and_admin_views(kafka, topic_name):
    from kafka import KafkaAdminClient, KafkaConsumer
    topic = create_topic(kafka.bootstrap, topic_name(), partitions=2)
    group = "kp-" + topic
    produce_all(producer(kafka.bootstrap), topic,
                [{"value": b"v%d" % i, "partition": i % 2} for i in range(8)])
    kc = KafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, group_id=group,
                       auto_offset_reset="earliest", enable_auto_commit=False,
                       consumer_timeout_ms=int(CLIENT_TIMEOUT * 1000))
    seen = []
    for m in kc:
        seen.append(m.value)
        if len(seen) == 8:
            break
    assert sorted(seen) == sorted(b"v%d" % i for i in range(8))
    kc.commit()

    adm = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    try:
        assert (group, "consumer") in adm.list_consumer_groups()
        [desc] = adm.describe_consumer_groups([group])
        assert desc.state == "Stable"
        assert len(desc.members) == 1
        offsets = adm.list_consumer_group_offsets(group)
        assert {tp.partition: om.offset for tp, om in offsets.items()} == {0: 4, 1: 4}
        kc.close()  # LeaveGroup: the group is empty and can be deleted
        [desc] = adm.describe_consumer_groups([group])
        assert desc.state == "Empty"
        results = dict(adm.delete_consumer_groups([group]))
        assert results[group].errno == 0
        assert adm.list_consumer_group_offsets(group) == {}
    finally:
        adm.close()


def test_delete_non_empty_group_is_refused(kafka, topic_name):
    from kafka import KafkaAdminClient
    from kafka.errors import NonEmptyGroupError
    topic = create_topic(kafka.bootstrap, topic_name())
    group = "busy-" + topic
    c = consumer(kafka.bootstrap, group, **FAST_GROUP)
    adm = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    try:
        c.subscribe([topic])
        poll_until([c], lambda: assigned(c) == [0])
        results = dict(adm.delete_consumer_groups([group]))
        assert isinstance(results[group], NonEmptyGroupError) or \
            getattr(results[group], "errno", None) == NonEmptyGroupError.errno
    finally:
        c.close()
        adm.close()


def test_kcat_balanced_consumer_commits(kafka, topic_name):
    from confluent_kafka import TopicPartition
    topic = create_topic(kafka.bootstrap, topic_name())
    group = "kcat-" + topic
    produce_all(producer(kafka.bootstrap), topic, [{"value": b"k%d" % i} for i in range(3)])
    out = kcat(kafka.bootstrap, "-G", group, "-X", "auto.offset.reset=earliest", "-c", "3",
               "-f", "%s\n", topic)
    assert out.split() == [b"k0", b"k1", b"k2"]
    c = consumer(kafka.bootstrap, group)
    try:
        [tp] = c.committed([TopicPartition(topic, 0)], timeout=CLIENT_TIMEOUT)
        assert tp.offset == 3
    finally:
        c.close()


def test_cooperative_sticky_members_share_partitions(kafka, topic_name):
    """Incremental rebalancing: the second member's arrival takes two join rounds (revoke,
    then assign) and ends with the partitions split; the first member keeps its share."""
    topic = create_topic(kafka.bootstrap, topic_name(), partitions=4)
    group = "coop-" + topic
    conf = dict(FAST_GROUP, **{"partition.assignment.strategy": "cooperative-sticky"})
    c1 = consumer(kafka.bootstrap, group, **conf)
    c2 = consumer(kafka.bootstrap, group, **conf)
    try:
        c1.subscribe([topic])
        poll_until([c1], lambda: assigned(c1) == [0, 1, 2, 3])
        c2.subscribe([topic])
        poll_until([c1, c2], lambda: len(assigned(c1)) == 2 and len(assigned(c2)) == 2)
        assert sorted(assigned(c1) + assigned(c2)) == [0, 1, 2, 3]
        produce_all(producer(kafka.bootstrap), topic,
                    [{"value": b"x%d" % p, "partition": p} for p in range(4)])
        got = []
        poll_until([c1, c2], lambda: len(got) >= 4, sink=got)
        assert sorted(m.partition() for m in got) == [0, 1, 2, 3]
    finally:
        c1.close()
        c2.close()


def test_static_member_restart_keeps_assignment_without_waiting_for_session_timeout(
        kafka, topic_name):
    topic = create_topic(kafka.bootstrap, topic_name(), partitions=2)
    group = "static-" + topic
    conf = dict(FAST_GROUP, **{"group.instance.id": "instance-a"})
    c = consumer(kafka.bootstrap, group, **conf)
    c.subscribe([topic])
    poll_until([c], lambda: assigned(c) == [0, 1])
    c.close()  # a static member does not leave the group on close
    c = consumer(kafka.bootstrap, group, **conf)
    try:
        c.subscribe([topic])
        poll_until([c], lambda: assigned(c) == [0, 1])
    finally:
        c.close()


def test_kafkajs_group_resumes_from_its_commits(kafka, topic_name):
    from confluent_kafka import TopicPartition
    topic = create_topic(kafka.bootstrap, topic_name())
    group = "js-" + topic
    p = producer(kafka.bootstrap)
    produce_all(p, topic, [{"value": b"a%d" % i} for i in range(3)])
    first = node("groups_kafkajs.js", kafka.bootstrap, topic, group, "3")["consumed"]
    assert [m["value"] for m in first] == ["a0", "a1", "a2"]
    c = consumer(kafka.bootstrap, group)
    try:
        [tp] = c.committed([TopicPartition(topic, 0)], timeout=CLIENT_TIMEOUT)
        assert tp.offset == 3
    finally:
        c.close()
    produce_all(p, topic, [{"value": b"b%d" % i} for i in range(2)])
    second = node("groups_kafkajs.js", kafka.bootstrap, topic, group, "2")["consumed"]
    assert [m["value"] for m in second] == ["b0", "b1"]


def test_commit_to_unknown_topic_is_refused_per_partition(kafka, topic_name):
    from confluent_kafka import KafkaError, KafkaException, TopicPartition
    topic = create_topic(kafka.bootstrap, topic_name())
    c = consumer(kafka.bootstrap, "u-" + topic)
    try:
        try:
            result = c.commit(offsets=[TopicPartition(topic, 0, 2), TopicPartition(topic, 5, 1),
                                       TopicPartition("no-such-topic-" + topic, 0, 1)],
                              asynchronous=False)
            errors = [tp.error.code() if tp.error else None for tp in result]
        except KafkaException as e:  # some client versions raise on any partition error
            errors = [e.args[0].code()]
        assert KafkaError.UNKNOWN_TOPIC_OR_PART in errors
        [tp] = c.committed([TopicPartition(topic, 0)], timeout=CLIENT_TIMEOUT)
        assert tp.offset == 2  # the valid partition was committed
    finally:
        c.close()


@pytest.mark.timeout(120)
def test_offsets_of_an_empty_group_expire_after_the_retention(kafka_factory, topic_name):
    """kafka.offsets_retention_minutes (the smallest, 1) with a fast check: the offsets of a
    group that became Empty are kept for a minute, then gone; the next member then starts
    from auto.offset.reset. Takes a minute and a few seconds."""
    from confluent_kafka import OFFSET_INVALID, TopicPartition
    kafka = kafka_factory("kafka.offsets_retention_minutes=1",
                          "kafka.offsets_retention_check_interval_ms=500")
    topic, group = commit_four_of_six(kafka, topic_name())  # the group is Empty from now on
    emptied = time.monotonic()

    q = consumer(kafka.bootstrap, group)  # never subscribes: only asks for the offsets

    def committed():
        [tp] = q.committed([TopicPartition(topic, 0)], timeout=CLIENT_TIMEOUT)
        return tp.offset
    try:
        assert committed() == 4
        time.sleep(40)
        assert committed() == 4, "offsets expired before the retention"
        while committed() != OFFSET_INVALID:
            assert time.monotonic() - emptied < 80, "offsets never expired"
            time.sleep(0.5)
        assert time.monotonic() - emptied >= 55, "offsets expired before the retention"
    finally:
        q.close()
    c = consumer(kafka.bootstrap, group, **FAST_GROUP)
    try:
        c.subscribe([topic])
        assert [m.value() for m in consume_n(c, 6)] == [b"m%d" % i for i in range(6)]
    finally:
        c.close()
