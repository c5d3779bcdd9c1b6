"""UniMQ delayed publish: a PUBLISH to $delayed/{seconds}/{topic} is delivered to
subscribers of {topic} after {seconds}. Malformed $delayed topics are not delivered."""
import time

import pytest

pytestmark = pytest.mark.unimq_only


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_delayed_publish(broker, mqtt, version):
    sub = mqtt(broker, version)
    sub.subscribe("a/b", 1)
    pub = mqtt(broker, version)
    t0 = time.monotonic()
    pub.publish("$delayed/2/a/b", b"later", 1)
    sub.expect_none(1.5, topic="a/b")
    m = sub.get(timeout=4)
    dt = m.t - t0
    assert m.topic == "a/b" and m.payload == b"later"
    assert 1.8 <= dt <= 4.0, "delivered after %.2fs, expected ~2s" % dt


def test_delayed_zero_seconds_is_immediate(broker, mqtt):
    sub = mqtt(broker, 4)
    sub.subscribe("d/zero", 1)
    t0 = time.monotonic()
    mqtt(broker, 4).publish("$delayed/0/d/zero", b"now", 1)
    m = sub.get(timeout=2)
    assert m.topic == "d/zero" and m.t - t0 < 1.5


def test_delayed_preserves_order_and_qos(broker, mqtt):
    sub = mqtt(broker, 5)
    sub.subscribe("d/order/#", 2)
    pub = mqtt(broker, 5)
    pub.publish("$delayed/1/d/order/x", b"1", 2, props={"user_property": [("k", "v")]})
    pub.publish("$delayed/1/d/order/x", b"2", 2)
    got = sub.get_n(2, timeout=4)
    assert [(m.topic, m.payload, m.qos) for m in got] == [("d/order/x", b"1", 2), ("d/order/x", b"2", 2)]
    assert got[0].props.get("user_property") == [("k", "v")]


def test_delayed_messages_do_not_block_others(broker, mqtt):
    sub = mqtt(broker, 4)
    sub.subscribe("d/mix/#", 1)
    pub = mqtt(broker, 4)
    pub.publish("$delayed/2/d/mix/late", b"late", 1)
    pub.publish("$delayed/1/d/mix/early", b"early", 1)
    pub.publish("d/mix/now", b"now", 1)
    got = sub.get_n(3, timeout=5)
    assert [m.topic for m in got] == ["d/mix/now", "d/mix/early", "d/mix/late"]


def test_delayed_retained(broker, mqtt):
    pub = mqtt(broker, 4)
    pub.publish("$delayed/1/d/ret", b"kept", 1, retain=True)
    time.sleep(1.8)
    sub = mqtt(broker, 4)
    sub.subscribe("d/ret", 1)
    m = sub.get(timeout=3)
    assert m.payload == b"kept" and m.retain


@pytest.mark.parametrize("topic", ["$delayed/x/a/b", "$delayed/-1/a/b", "$delayed/2", "$delayed/2/",
                                   "$delayed//a/b", "$delayed/1.5/a/b"])
def test_malformed_delayed_not_delivered(broker, mqtt, topic):
    sub = mqtt(broker, 5)
    sub.subscribe("a/b", 1)
    sub.subscribe("#", 1)
    pub = mqtt(broker, 5)
    try:
        pub.publish(topic, b"bad", 1, timeout=3)
    except (AssertionError, RuntimeError, ValueError):
        pass  # rejecting the PUBLISH (error PUBACK or disconnect) is fine too
    sub.expect_none(2.5)
    if not pub.is_connected():
        pub = mqtt(broker, 5)
    pub.publish("a/b", b"still works", 1)
    assert sub.get(topic="a/b").payload == b"still works"


def test_delayed_not_visible_on_delayed_topic(broker, mqtt):
    spy = mqtt(broker, 4)
    spy.subscribe("$delayed/#", 1)
    sub = mqtt(broker, 4)
    sub.subscribe("d/spy", 1)
    mqtt(broker, 4).publish("$delayed/1/d/spy", b"x", 1)
    assert sub.get(timeout=3).payload == b"x"
    assert spy.drain() == []
