"""SASL/PLAIN (broker started with kafka.sasl_users): valid credentials work with librdkafka
and kafka-python; wrong ones fail authentication; unauthenticated requests are refused."""
from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

import kafka_wire as kw
from kafka_util import admin, consume_topic, producer, produce_all, wait_until

USERS = "kafka.sasl_users=alice:secret,bob:hunter2"


def sasl(user, password):
    return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
            "sasl.username": user, "sasl.password": password}


@pytest.fixture
def secured(kafka_factory):
    return kafka_factory(USERS)


def test_plain_success_librdkafka(secured, topic_name):
    t = topic_name()
    a = admin(secured.bootstrap, **sasl("alice", "secret"))
    from confluent_kafka.admin import NewTopic
    a.create_topics([NewTopic(t, 1, 1)])[t].result(10)
    p = producer(secured.bootstrap, **{k.replace(".", "_"): v for k, v in sasl("bob", "hunter2").items()})
    produce_all(p, t, [{"value": b"secret %d" % i} for i in range(10)])
    got = consume_topic(secured.bootstrap, t, 10, **{k.replace(".", "_"): v for k, v in sasl("alice", "secret").items()})
    assert [m.value() for m in got] == [b"secret %d" % i for i in range(10)]


def test_plain_success_kafka_python(secured, topic_name):
    from kafka import KafkaProducer
    t = topic_name()
    p = KafkaProducer(bootstrap_servers=secured.bootstrap, security_protocol="SASL_PLAINTEXT",
                      sasl_mechanism="PLAIN", sasl_plain_username="alice", sasl_plain_password="secret")
    assert p.send(t, b"hello").get(timeout=10).offset == 0
    p.close()


def test_plain_wrong_password_fails(secured):
    errors = []
    a = admin(secured.bootstrap, error_cb=errors.append, **sasl("alice", "wrong"))
    with pytest.raises(KafkaException):
        a.list_topics(timeout=3)
    # error_cb runs from poll()
    wait_until(lambda: a.poll(0.1) is not None and any(e.code() == KafkaError._AUTHENTICATION for e in errors),
               5, msg="an authentication error")


def test_raw_sasl_exchange(secured):
    # unsupported mechanism: error 33 and the enabled list
    with kw.KafkaConn(secured.port) as c:
        r = c.request(17, 1, kw.string("SCRAM-SHA-512"))
        assert r.i16() == 33
        assert r.array(r.string) == ["PLAIN"]
    # wrong password: SASL_AUTHENTICATION_FAILED (58)
    with kw.KafkaConn(secured.port) as c:
        r = c.request(17, 1, kw.string("PLAIN"))
        assert r.i16() == 0
        r = c.request(36, 0, kw.nbytes(b"\0alice\0nope"))
        assert r.i16() == 58
    # right password, then normal requests
    with kw.KafkaConn(secured.port) as c:
        assert c.request(17, 1, kw.string("PLAIN")).i16() == 0
        assert c.request(36, 0, kw.nbytes(b"\0alice\0secret")).i16() == 0
        assert c.api_versions()[0] == 0
        r = c.request(kw.METADATA, 1, kw.array([]))
        assert r.array(lambda: (r.i32(), r.string(), r.i32(), r.string()))  # at least one broker


def test_requests_before_authentication_are_refused(secured):
    with kw.KafkaConn(secured.port) as c:
        c.send(kw.METADATA, 1, kw.i32(-1))
        assert c.closed_by_peer(5), "Metadata before SASL authentication was served"
