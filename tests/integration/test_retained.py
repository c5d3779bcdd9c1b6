"""Retained messages: storage, clearing, retain flag on delivery, v5 retain
handling / retain-as-published, retained message expiry."""
import time

import pytest

from mqtt_raw import PUBLISH, sub_opts

VERSIONS = [pytest.param(3, id="v31"), pytest.param(4, id="v311"), pytest.param(5, id="v5")]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_retained_sent_on_subscribe(broker, mqtt, version, qos):
    pub = mqtt(broker, version)
    pub.publish("ret/a", b"retained-%d" % qos, qos, retain=True)
    sub = mqtt(broker, version)
    sub.subscribe("ret/a", 2)
    m = sub.get()
    assert (m.topic, m.payload, m.retain, m.qos) == ("ret/a", b"retained-%d" % qos, True, qos)


def test_retained_qos_limited_by_subscription(broker, mqtt):
    mqtt(broker, 4).publish("ret/q", b"x", 2, retain=True)
    sub = mqtt(broker, 4)
    sub.subscribe("ret/q", 1)
    m = sub.get()
    assert m.retain and m.qos == 1


def test_retained_replaced_by_newer(broker, mqtt):
    pub = mqtt(broker, 4)
    for i in range(3):
        pub.publish("ret/replace", b"v%d" % i, 1, retain=True)
    sub = mqtt(broker, 5)
    sub.subscribe("ret/replace", 1)
    assert sub.get().payload == b"v2"
    sub.sync()
    assert [m for m in sub.drain() if m.topic == "ret/replace"] == []


def test_retained_wildcard_subscription_gets_all(broker, mqtt):
    pub = mqtt(broker, 4)
    topics = ["ret/w/a", "ret/w/b", "ret/w/c/d", "ret/other"]
    for t in topics:
        pub.publish(t, t.encode(), 1, retain=True)
    sub = mqtt(broker, 4)
    sub.subscribe("ret/w/#", 1)
    got = sub.get_n(3)
    assert sorted(m.topic for m in got) == ["ret/w/a", "ret/w/b", "ret/w/c/d"]
    assert all(m.retain and m.payload == m.topic.encode() for m in got)
    sub2 = mqtt(broker, 4)
    sub2.subscribe("ret/+", 1)
    assert [m.topic for m in sub2.get_n(1)] == ["ret/other"]


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_empty_retained_payload_clears(broker, mqtt, version):
    pub = mqtt(broker, version)
    live = mqtt(broker, version)
    pub.publish("ret/clear", b"old", 1, retain=True)
    live.subscribe("ret/clear", 1)
    assert live.get().payload == b"old"
    pub.publish("ret/clear", b"", 1, retain=True)
    # the clearing message is still forwarded to current subscribers
    m = live.get()
    assert m.payload == b"" and not m.retain
    late = mqtt(broker, version)
    late.subscribe("ret/clear", 1)
    late.sync()
    assert [m for m in late.drain() if m.topic == "ret/clear"] == [], "retained message not cleared"


@pytest.mark.parametrize("version", [3, 4, 5], ids=["v31", "v311", "v5"])
def test_live_delivery_clears_retain_flag(broker, mqtt, version):
    sub = mqtt(broker, version)
    sub.subscribe("ret/live", 1)
    mqtt(broker, 4).publish("ret/live", b"x", 1, retain=True)
    m = sub.get()
    assert m.payload == b"x"
    assert m.retain is False, "retain flag must be 0 on live delivery (without retain-as-published)"


def test_v5_retain_as_published(broker, mqtt):
    rap = mqtt(broker, 5)
    rap.subscribe("ret/rap", 1, rap=True)
    plain = mqtt(broker, 5)
    plain.subscribe("ret/rap", 1, rap=False)
    pub = mqtt(broker, 5)
    pub.publish("ret/rap", b"r", 1, retain=True)
    pub.publish("ret/rap", b"n", 1, retain=False)
    assert [(m.payload, m.retain) for m in rap.get_n(2)] == [(b"r", True), (b"n", False)]
    assert [(m.payload, m.retain) for m in plain.get_n(2)] == [(b"r", False), (b"n", False)]


def test_v5_retain_handling_0_sends_on_every_subscribe(broker, mqtt):
    mqtt(broker, 4).publish("ret/rh0", b"x", 1, retain=True)
    sub = mqtt(broker, 5)
    sub.subscribe("ret/rh0", 1, rh=0)
    assert sub.get().retain
    sub.subscribe("ret/rh0", 1, rh=0)
    m = sub.get()
    assert m.retain and m.payload == b"x"


def test_v5_retain_handling_1_only_new_subscription(broker, mqtt):
    mqtt(broker, 4).publish("ret/rh1", b"x", 1, retain=True)
    sub = mqtt(broker, 5)
    sub.subscribe("ret/rh1", 1, rh=1)
    assert sub.get().retain
    sub.subscribe("ret/rh1", 1, rh=1)  # subscription already exists
    sub.sync()
    assert [m for m in sub.drain() if m.topic == "ret/rh1"] == []
    sub.unsubscribe("ret/rh1")
    sub.subscribe("ret/rh1", 1, rh=1)  # new again
    assert sub.get().payload == b"x"


def test_v5_retain_handling_2_never(broker, mqtt):
    pub = mqtt(broker, 4)
    pub.publish("ret/rh2", b"x", 1, retain=True)
    sub = mqtt(broker, 5)
    sub.subscribe("ret/rh2", 1, rh=2)
    sub.sync()
    assert [m for m in sub.drain() if m.topic == "ret/rh2"] == []
    pub.publish("ret/rh2", b"live", 1)  # live messages still flow
    assert sub.get().payload == b"live"


def test_retain_handling_raw_subscribe_options(broker, raw, mqtt):
    mqtt(broker, 4).publish("ret/raw", b"x", 1, retain=True)
    r = raw(broker, 5)
    r.connect("rh-raw")
    r.subscribe([("ret/raw", sub_opts(qos=1, rh=2))], expect_codes=[1])
    r.expect_nothing(0.5)
    r.subscribe([("ret/raw", sub_opts(qos=1, rh=0))], expect_codes=[1])
    p = r.expect(PUBLISH)
    assert p.retain and p.payload == b"x"


def test_retained_message_expiry(broker, mqtt):
    pub = mqtt(broker, 5)
    pub.publish("ret/exp/short", b"short", 1, retain=True, props={"message_expiry_interval": 1})
    pub.publish("ret/exp/long", b"long", 1, retain=True, props={"message_expiry_interval": 100})
    early = mqtt(broker, 5)
    early.subscribe("ret/exp/#", 1)
    assert sorted(m.payload for m in early.get_n(2)) == [b"long", b"short"]
    time.sleep(2.2)
    late = mqtt(broker, 5)
    late.subscribe("ret/exp/#", 1)
    m = late.get()
    assert m.payload == b"long"
    assert 1 <= m.props.get("message_expiry_interval", 0) <= 98, m.props
    late.sync()
    assert [x for x in late.drain() if x.topic.startswith("ret/exp/")] == [], "expired retained message sent"


def test_retained_on_dollar_topic_not_matched_by_hash(broker, mqtt):
    pub = mqtt(broker, 4)
    pub.publish("$ret/x", b"dollar", 1, retain=True)
    pub.publish("ret/dollar/x", b"normal", 1, retain=True)
    sub = mqtt(broker, 4)
    sub.subscribe("#", 1)
    sub.sync()
    topics = [m.topic for m in sub.drain()]
    assert "ret/dollar/x" in topics and "$ret/x" not in topics
    explicit = mqtt(broker, 4)
    explicit.subscribe("$ret/#", 1)
    assert explicit.get().payload == b"dollar"


def test_retained_survives_publisher_disconnect(broker, mqtt):
    pub = mqtt(broker, 4)
    pub.publish("ret/persist", b"stays", 1, retain=True)
    pub.disconnect()
    sub = mqtt(broker, 4)
    sub.subscribe("ret/persist", 1)
    assert sub.get().payload == b"stays"


def test_many_retained_messages(broker, mqtt):
    pub = mqtt(broker, 4)
    for i in range(200):
        pub.publish("ret/many/%d" % i, b"%d" % i, 1, retain=True, wait=False)
    pub.publish("ret/many/last", b"last", 1, retain=True)
    sub = mqtt(broker, 4)
    sub.subscribe("ret/many/#", 1)
    got = sub.get_n(201, timeout=10)
    assert len({m.topic for m in got}) == 201
    assert all(m.retain for m in got)
