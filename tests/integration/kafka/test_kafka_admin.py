"""Topic administration through confluent_kafka's AdminClient and kafka-python's
KafkaAdminClient, topic configs, and ListOffsets by timestamp."""
from __future__ import annotations

import time

import pytest
from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import ConfigResource, NewPartitions, NewTopic

from kafka_util import admin, consumer, create_topic, produce_all, producer, wait_until

TIMEOUT = 10


def partitions_of(bootstrap, topic):
    md = admin(bootstrap).list_topics(topic=None, timeout=TIMEOUT)
    t = md.topics.get(topic)
    return None if t is None or t.error is not None else len(t.partitions)


def test_confluent_create_describe_grow_delete(kafka, topic_name):
    a = admin(kafka.bootstrap)
    t = topic_name()
    a.create_topics([NewTopic(t, num_partitions=3, replication_factor=1)])[t].result(TIMEOUT)
    assert partitions_of(kafka.bootstrap, t) == 3

    with pytest.raises(KafkaException) as e:  # TOPIC_ALREADY_EXISTS
        a.create_topics([NewTopic(t, num_partitions=1, replication_factor=1)])[t].result(TIMEOUT)
    assert e.value.args[0].code() == 36

    a.create_partitions([NewPartitions(t, 5)])[t].result(TIMEOUT)
    assert partitions_of(kafka.bootstrap, t) == 5
    # the new partitions take records
    d = produce_all(producer(kafka.bootstrap), t, [{"value": b"p4", "partition": 4}])
    assert (d[0].partition(), d[0].offset()) == (4, 0)

    a.delete_topics([t], operation_timeout=TIMEOUT)[t].result(TIMEOUT)
    wait_until(lambda: partitions_of(kafka.bootstrap, t) is None, TIMEOUT, msg="topic gone from Metadata")
    with pytest.raises(KafkaException) as e:  # UNKNOWN_TOPIC_OR_PARTITION
        a.delete_topics([t], operation_timeout=TIMEOUT)[t].result(TIMEOUT)
    assert e.value.args[0].code() == 3


def test_partitions_beyond_the_stream_budget_are_refused_with_policy_violation(kafka_factory, topic_name):
    """Each partition is a journal stream holding file descriptors. Asking for more than
    storage.max_streams allows (by default derived from the open-file limit) is refused with
    POLICY_VIOLATION and a reason, instead of "creating" partitions that cannot open their
    files; what fits is created and works."""
    k = kafka_factory("storage.max_streams=12")
    a = admin(k.bootstrap)
    big, t = topic_name("big"), topic_name()
    with pytest.raises(KafkaException) as e:
        a.create_topics([NewTopic(big, num_partitions=50000, replication_factor=1)])[big].result(TIMEOUT)
    assert e.value.args[0].code() == 44, e.value  # POLICY_VIOLATION
    assert "storage.max_streams" in e.value.args[0].str()
    assert partitions_of(k.bootstrap, big) is None
    with pytest.raises(KafkaException) as e:  # validate_only is refused the same way
        a.create_topics([NewTopic(big, num_partitions=50, replication_factor=1)],
                        validate_only=True)[big].result(TIMEOUT)
    assert e.value.args[0].code() == 44
    a.create_topics([NewTopic(t, num_partitions=3, replication_factor=1)])[t].result(TIMEOUT)
    with pytest.raises(KafkaException) as e:
        a.create_partitions([NewPartitions(t, 1000)])[t].result(TIMEOUT)
    assert e.value.args[0].code() == 44
    assert "storage.max_streams" in e.value.args[0].str()
    assert partitions_of(k.bootstrap, t) == 3
    d = produce_all(producer(k.bootstrap), t, [{"value": b"p2", "partition": 2}])
    assert (d[0].partition(), d[0].offset()) == (2, 0)
    # deleting a topic gives its streams back
    a.delete_topics([t], operation_timeout=TIMEOUT)[t].result(TIMEOUT)
    wait_until(lambda: partitions_of(k.bootstrap, t) is None, TIMEOUT, msg="topic gone from Metadata")
    a.create_topics([NewTopic(big, num_partitions=8, replication_factor=1)])[big].result(TIMEOUT)
    assert partitions_of(k.bootstrap, big) == 8
    # Spend the rest of the budget; then auto-creation through Metadata reports
    # POLICY_VIOLATION for the topic (as Kafka reports a failed auto-creation), not an unknown
    # topic the client would ask for again and again.
    for i in range(12):
        f = topic_name("f%d" % i)
        try:
            a.create_topics([NewTopic(f, num_partitions=1, replication_factor=1)])[f].result(TIMEOUT)
        except KafkaException as e:
            assert e.args[0].code() == 44
            break
    else:
        raise AssertionError("the budget of 12 streams was never reached")
    auto = topic_name("auto")
    md = producer(k.bootstrap).list_topics(topic=auto, timeout=TIMEOUT)
    assert md.topics[auto].error is not None and md.topics[auto].error.code() == 44, md.topics[auto].error
    assert k.alive()


def test_deleted_topic_recreated_empty(kafka_factory, topic_name):
    k = kafka_factory("kafka.auto_create_topics=false")
    t = create_topic(k.bootstrap, topic_name())
    produce_all(producer(k.bootstrap), t, [{"value": b"old"}])
    a = admin(k.bootstrap)
    a.delete_topics([t], operation_timeout=TIMEOUT)[t].result(TIMEOUT)
    wait_until(lambda: partitions_of(k.bootstrap, t) is None, TIMEOUT, msg="topic deleted")
    create_topic(k.bootstrap, t)
    c = consumer(k.bootstrap)
    lo, hi = c.get_watermark_offsets(TopicPartition(t, 0), timeout=TIMEOUT)
    c.close()
    assert hi - lo == 0, "recreated topic still holds %d old records" % (hi - lo)


def test_kafka_python_admin(kafka, topic_name):
    from kafka.admin import KafkaAdminClient, NewPartitions as KNewPartitions, NewTopic as KNewTopic
    a = KafkaAdminClient(bootstrap_servers=kafka.bootstrap, request_timeout_ms=TIMEOUT * 1000)
    t1, t2 = topic_name("a"), topic_name("b")
    a.create_topics([KNewTopic(t1, 2, 1), KNewTopic(t2, 1, 1)])
    assert {t1, t2} <= set(a.list_topics())
    assert partitions_of(kafka.bootstrap, t1) == 2
    a.create_partitions({t2: KNewPartitions(total_count=4)})
    assert partitions_of(kafka.bootstrap, t2) == 4
    a.delete_topics([t1])
    wait_until(lambda: t1 not in a.list_topics(), TIMEOUT, msg="topic deleted")
    assert t2 in a.list_topics()
    a.close()


def describe(a, topic):
    r = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return a.describe_configs([r])[r].result(TIMEOUT)


def test_describe_and_alter_retention(kafka, topic_name):
    a = admin(kafka.bootstrap)
    t = create_topic(kafka.bootstrap, topic_name(), config={"retention.ms": "86400000"})
    cfg = describe(a, t)
    assert cfg["retention.ms"].value == "86400000"
    assert "cleanup.policy" in cfg  # the usual topic configs are listed
    a.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, t, set_config={"retention.ms": "3600000"})]
                    )[ConfigResource(ConfigResource.Type.TOPIC, t)].result(TIMEOUT)
    assert describe(a, t)["retention.ms"].value == "3600000"


def test_kafka_python_describe_configs(kafka, topic_name):
    from kafka.admin import ConfigResource as KConfigResource, ConfigResourceType, KafkaAdminClient
    t = create_topic(kafka.bootstrap, topic_name(), config={"retention.ms": "7200000"})
    a = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    (resp,) = a.describe_configs([KConfigResource(ConfigResourceType.TOPIC, t)])
    a.close()
    (res,) = resp.resources
    assert res[0] == 0, "describe_configs error %r" % (res,)
    entries = {e[0]: e[1] for e in res[4]}
    assert entries["retention.ms"] == "7200000"


def test_offsets_for_times(kafka, topic_name):
    t = create_topic(kafka.bootstrap, topic_name())
    base = int(time.time() * 1000) - 60000
    produce_all(producer(kafka.bootstrap), t, [{"value": b"%d" % i, "timestamp": base + 1000 * i}
                                               for i in range(10)])
    c = consumer(kafka.bootstrap)
    q = [TopicPartition(t, 0, base - 5000),   # before everything -> first record
         ]
    assert c.offsets_for_times(q, timeout=TIMEOUT)[0].offset == 0
    assert c.offsets_for_times([TopicPartition(t, 0, base + 4000)], timeout=TIMEOUT)[0].offset == 4
    assert c.offsets_for_times([TopicPartition(t, 0, base + 4500)], timeout=TIMEOUT)[0].offset == 5
    # later than every record: no offset (-1)
    assert c.offsets_for_times([TopicPartition(t, 0, base + 60000)], timeout=TIMEOUT)[0].offset == -1
    c.close()

    from kafka import KafkaConsumer
    from kafka import TopicPartition as KTP
    kc = KafkaConsumer(bootstrap_servers=kafka.bootstrap)
    r = kc.offsets_for_times({KTP(t, 0): base + 7000})
    kc.close()
    assert (r[KTP(t, 0)].offset, r[KTP(t, 0)].timestamp) == (7, base + 7000)

    # After a restart the lookup reads the partition's files (on a reader thread, off the
    # event loop); the watermarks still answer on the loop.
    kafka.restart()
    c = consumer(kafka.bootstrap)
    got = c.offsets_for_times([TopicPartition(t, 0, base + 2500)], timeout=TIMEOUT)
    assert got[0].offset == 3
    assert c.get_watermark_offsets(TopicPartition(t, 0), timeout=TIMEOUT) == (0, 10)
    c.close()
