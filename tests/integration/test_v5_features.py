"""MQTT 5 features: topic aliases (both directions), message expiry, no-local,
subscription identifiers, property pass-through, maximum packet size, reason
codes and reason strings."""
import time

import pytest

from harness import MOSQUITTO
from mqtt_raw import (CONNACK, DISCONNECT, PUBLISH, RC_MALFORMED, RC_PACKET_TOO_LARGE,
                      RC_PROTOCOL_ERROR, RC_TOPIC_ALIAS_INVALID, SUBACK, connect_packet, publish_packet, sub_opts,
                      subscribe_packet)


# ---------------------------------------------------------------- topic aliases (client -> broker)
def test_client_topic_alias(broker, raw, mqtt):
    sub = mqtt(broker, 5)
    sub.subscribe("ta/#", 1)
    r = raw(broker, 5)
    ack = r.connect("alias-pub")
    assert ack.props.get("topic_alias_maximum", 0) >= 1
    r.publish("ta/x", b"a", qos=1, props={"topic_alias": 1})
    r.publish("", b"b", qos=1, props={"topic_alias": 1})
    r.publish("ta/y", b"c", qos=0, props={"topic_alias": 1})  # re-map alias 1
    r.publish("", b"d", qos=1, props={"topic_alias": 1})
    got = sub.get_n(4)
    assert [(m.topic, m.payload) for m in got] == [("ta/x", b"a"), ("ta/x", b"b"), ("ta/y", b"c"), ("ta/y", b"d")]
    assert all("topic_alias" not in m.props for m in got), "the publisher's alias leaked to a subscriber"


@pytest.mark.parametrize("which", [
    pytest.param("zero", marks=pytest.mark.xfail(MOSQUITTO, strict=True,
                                                 reason="mosquitto 2.0.11 answers alias 0 with 0x81 (malformed)")),
    "above_max",
])
def test_invalid_topic_alias_disconnects(broker_factory, raw, mqtt, which):
    b = broker_factory(["--set", "mqtt.topic_alias_maximum=10"])
    r = raw(b, 5)
    ack = r.connect("alias-bad")
    assert ack.props.get("topic_alias_maximum") == 10, ack
    alias = 0 if which == "zero" else 11
    r.send(publish_packet("ta/bad", b"x", version=5, props={"topic_alias": alias}))
    got = r.wait_closed(5)
    assert [p.type for p in got] == [DISCONNECT], got
    assert got[0].rc == RC_TOPIC_ALIAS_INVALID, got


def test_unknown_topic_alias_with_empty_topic(broker, raw):
    r = raw(broker, 5)
    r.connect("alias-unknown")
    r.send(publish_packet("", b"x", version=5, props={"topic_alias": 1}))
    got = r.wait_closed(5)
    assert [p.type for p in got] == [DISCONNECT], got
    assert got[0].rc == RC_PROTOCOL_ERROR, got


def test_topic_alias_is_per_connection(broker, raw):
    a = raw(broker, 5)
    a.connect("alias-a")
    a.publish("ta/a", b"x", qos=1, props={"topic_alias": 1})
    b = raw(broker, 5)
    b.connect("alias-b")
    b.send(publish_packet("", b"x", version=5, props={"topic_alias": 1}))
    got = b.wait_closed(5)
    assert got and got[0].rc == RC_PROTOCOL_ERROR, got


# ---------------------------------------------------------------- topic aliases (broker -> client)
def _resolve_aliases(packets):
    """Apply the topic-alias rules as a client must; returns resolved topics."""
    table, topics = {}, []
    for p in packets:
        alias = p.props.get("topic_alias")
        if p.topic:
            if alias is not None:
                table[alias] = p.topic
            topics.append(p.topic)
        else:
            assert alias is not None, "empty topic without alias: %r" % p
            assert alias in table, "alias %d used before being set: %r" % (alias, p)
            topics.append(table[alias])
    return topics


def test_no_outbound_aliases_without_client_maximum(broker, raw, mqtt):
    r = raw(broker, 5)
    r.connect("no-alias")  # no topic_alias_maximum: the broker must not use aliases
    r.subscribe("long/topic/for/aliasing/#", 0)
    pub = mqtt(broker, 4)
    for i in range(5):
        pub.publish("long/topic/for/aliasing/x", b"%d" % i, 1)
    got = [r.expect(PUBLISH) for _ in range(5)]
    assert all(p.topic == "long/topic/for/aliasing/x" and "topic_alias" not in p.props for p in got), got


def test_paho_without_alias_maximum_gets_full_topics(broker, mqtt):
    sub = mqtt(broker, 5)
    sub.subscribe("ta/paho/+", 1)
    pub = mqtt(broker, 5)
    for i in range(10):
        pub.publish("ta/paho/%d" % (i % 2), b"%d" % i, 1)
    got = sub.get_n(10)
    assert [m.topic for m in got] == ["ta/paho/%d" % (i % 2) for i in range(10)]


def test_outbound_aliases_resolve_correctly(broker, raw, mqtt):
    r = raw(broker, 5)
    r.connect("alias-sub", props={"topic_alias_maximum": 2})
    r.subscribe("long/alias/#", 1)
    pub = mqtt(broker, 4)
    topics = ["long/alias/%d" % (i % 4) for i in range(12)]
    for i, t in enumerate(topics):
        pub.publish(t, b"%d" % i, 1)
    got = []
    for _ in topics:
        p = r.expect(PUBLISH)
        r.ack(p)
        got.append(p)
    assert _resolve_aliases(got) == topics
    assert all(1 <= p.props["topic_alias"] <= 2 for p in got if "topic_alias" in p.props), \
        "alias above the client's topic_alias_maximum: %r" % got


@pytest.mark.xfail(MOSQUITTO, strict=True, reason="mosquitto 2.0.11 never sends topic aliases to clients")
def test_broker_uses_outbound_topic_aliases(broker, raw, mqtt):
    r = raw(broker, 5)
    r.connect("alias-used", props={"topic_alias_maximum": 5})
    r.subscribe("long/topic/name/for/alias", 0)
    pub = mqtt(broker, 4)
    for i in range(3):
        pub.publish("long/topic/name/for/alias", b"%d" % i, 1)
    got = [r.expect(PUBLISH) for _ in range(3)]
    assert _resolve_aliases(got) == ["long/topic/name/for/alias"] * 3
    assert got[0].topic == "long/topic/name/for/alias" and "topic_alias" in got[0].props
    assert got[1].topic == "" and got[1].props.get("topic_alias") == got[0].props["topic_alias"], got


# ---------------------------------------------------------------- message expiry
def test_queued_message_expires_for_offline_session(broker, mqtt):
    s = mqtt(broker, 5, client_id="exp-off", connect_props={"session_expiry_interval": 60})
    s.subscribe("exp/off", 1)
    s.disconnect()
    pub = mqtt(broker, 5)
    pub.publish("exp/off", b"short", 1, props={"message_expiry_interval": 1})
    pub.publish("exp/off", b"long", 1, props={"message_expiry_interval": 30})
    pub.publish("exp/off", b"forever", 1)
    time.sleep(2.2)
    s2 = mqtt(broker, 5, client_id="exp-off", clean=False, connect_props={"session_expiry_interval": 60})
    assert s2.connack["session_present"]
    got = s2.get_n(2)
    assert [m.payload for m in got] == [b"long", b"forever"]
    mei = got[0].props.get("message_expiry_interval")
    assert mei is not None and 25 <= mei <= 28, "expiry must be decreased by the time queued: %r" % mei
    assert "message_expiry_interval" not in got[1].props
    s2.sync()
    assert [m for m in s2.drain() if m.topic == "exp/off"] == []


def test_message_expiry_forwarded_on_live_delivery(broker, mqtt):
    sub = mqtt(broker, 5)
    sub.subscribe("exp/live", 1)
    mqtt(broker, 5).publish("exp/live", b"x", 1, props={"message_expiry_interval": 60})
    m = sub.get()
    assert 58 <= m.props.get("message_expiry_interval", 0) <= 60, m.props


# ---------------------------------------------------------------- no local
def test_no_local(broker, mqtt):
    me = mqtt(broker, 5)
    me.subscribe("nl/t", 1, no_local=True)
    other = mqtt(broker, 5)
    other.subscribe("nl/t", 1)
    me.publish("nl/t", b"mine", 1)
    other.publish("nl/t", b"theirs", 1)
    assert [m.payload for m in other.get_n(2)] == [b"mine", b"theirs"]
    assert me.get().payload == b"theirs"
    me.sync()
    assert [m for m in me.drain() if m.topic == "nl/t"] == []


def test_without_no_local_own_messages_arrive(broker, mqtt):
    me = mqtt(broker, 5)
    me.subscribe("nl/own", 1, no_local=False)
    me.publish("nl/own", b"echo", 1)
    assert me.get().payload == b"echo"


# ---------------------------------------------------------------- subscription identifiers
def test_subscription_identifier(broker, mqtt):
    sub = mqtt(broker, 5)
    sub.subscribe("sid/a", 1, sub_id=7)
    sub.subscribe("nosid/a", 1)
    pub = mqtt(broker, 4)
    pub.publish("sid/a", b"x", 1)
    pub.publish("nosid/a", b"y", 1)
    m = sub.get(topic="sid/a")
    assert m.props.get("subscription_identifier") == [7]
    assert "subscription_identifier" not in sub.get(topic="nosid/a").props


def test_multiple_subscription_identifiers(broker, mqtt):
    sub = mqtt(broker, 5)
    sub.subscribe("sid/#", 1, sub_id=1)
    sub.subscribe("sid/+", 1, sub_id=2)
    sub.subscribe("sid/b", 1, sub_id=268435455)
    mqtt(broker, 4).publish("sid/b", b"x", 1)
    first = sub.get()
    sub.sync()
    copies = [first] + [m for m in sub.drain() if m.topic == "sid/b"]
    ids = sorted(i for m in copies for i in m.props.get("subscription_identifier", []))
    assert ids == [1, 2, 268435455], copies
    if len(copies) == 1:
        assert len(first.props["subscription_identifier"]) == 3


def test_subscription_identifier_updated_on_resubscribe(broker, mqtt):
    sub = mqtt(broker, 5)
    sub.subscribe("sid/re", 1, sub_id=3)
    sub.subscribe("sid/re", 1, sub_id=4)
    mqtt(broker, 4).publish("sid/re", b"x", 1)
    assert sub.get().props.get("subscription_identifier") == [4]


def test_subscription_identifier_on_retained(broker, mqtt):
    mqtt(broker, 4).publish("sid/ret", b"r", 1, retain=True)
    sub = mqtt(broker, 5)
    sub.subscribe("sid/ret", 1, sub_id=42)
    m = sub.get()
    assert m.retain and m.props.get("subscription_identifier") == [42]


def test_subscription_identifier_zero_is_protocol_error(broker, raw):
    r = raw(broker, 5)
    r.connect("sid0")
    r.send(subscribe_packet(1, [("sid/zero", 1)], 5, props={"subscription_identifier": 0}))
    got = r.wait_closed(5)
    assert all(p.type == DISCONNECT and p.rc in (RC_PROTOCOL_ERROR, RC_MALFORMED) for p in got), got


# ---------------------------------------------------------------- properties pass-through
PASS_PROPS = {
    "payload_format_indicator": 1,
    "content_type": "application/json; charset=utf-8",
    "response_topic": "reply/to/me",
    "correlation_data": b"\x00\x01corr\xff",
    "user_property": [("a", "1"), ("b", "2"), ("a", "3"), ("\u00e9", "")],
}


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_properties_passed_through_unchanged(broker, mqtt, qos):
    sub = mqtt(broker, 5)
    sub.subscribe("props/t", 2)
    mqtt(broker, 5).publish("props/t", b'{"k": 1}', qos, props=PASS_PROPS)
    m = sub.get()
    for k, v in PASS_PROPS.items():
        assert m.props.get(k) == v, "%s: sent %r, received %r" % (k, v, m.props.get(k))


def test_properties_pass_through_raw(broker, raw, mqtt):
    sub = raw(broker, 5)
    sub.connect("props-raw")
    sub.subscribe("props/raw", 1)
    pub = raw(broker, 5)
    pub.connect("props-raw-pub")
    pub.publish("props/raw", b"x", qos=1, props=PASS_PROPS)
    p = sub.expect(PUBLISH)
    for k, v in PASS_PROPS.items():
        assert p.props.get(k) == v, (k, p.props)
    assert "topic_alias" not in p.props


def test_request_response(broker, mqtt):
    responder = mqtt(broker, 5)
    requester = mqtt(broker, 5)
    responder.subscribe("svc/req", 1)
    requester.subscribe("svc/resp/me", 1)
    requester.publish("svc/req", b"ping", 1, props={"response_topic": "svc/resp/me", "correlation_data": b"id-1"})
    req = responder.get()
    responder.publish(req.props["response_topic"], b"pong", 1,
                      props={"correlation_data": req.props["correlation_data"]})
    resp = requester.get()
    assert resp.payload == b"pong" and resp.props.get("correlation_data") == b"id-1"


def test_v5_properties_not_sent_to_v311(broker, mqtt):
    sub = mqtt(broker, 4)
    sub.subscribe("props/v311", 1)
    mqtt(broker, 5).publish("props/v311", b"plain", 1, props=PASS_PROPS)
    m = sub.get()  # paho would fail to parse a v3 PUBLISH carrying properties
    assert m.payload == b"plain" and m.props == {}


# ---------------------------------------------------------------- maximum packet size
def test_client_maximum_packet_size_respected(broker, raw, mqtt):
    r = raw(broker, 5)
    r.connect("small-client", props={"maximum_packet_size": 200})
    r.subscribe("mps/#", 1)
    pub = mqtt(broker, 5)
    pub.publish("mps/a", b"s" * 50, 1)
    pub.publish("mps/a", b"L" * 1000, 1)  # too large for this client: dropped
    pub.publish("mps/b", b"t" * 50, 1)
    got = []
    while True:
        p = r.recv(1.0)
        if p is None:
            break
        got.append(p)
        r.ack(p)
    assert [(p.topic, len(p.payload)) for p in got] == [("mps/a", 50), ("mps/b", 50)], got
    assert not r.is_closed()


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_broker_maximum_packet_size(broker_factory, raw, mqtt, version):
    b = broker_factory(["--set", "mqtt.max_packet_size=1024"])
    sub = mqtt(b, 4)
    sub.subscribe("mps/broker", 1)
    r = raw(b, version)
    ack = r.connect("big-sender")
    if version == 5:
        assert ack.props.get("maximum_packet_size") == 1024, ack
    r.publish("mps/broker", b"k" * 900, qos=1)  # fits
    assert len(sub.get().payload) == 900
    r.try_send(publish_packet("mps/broker", b"X" * 2000, qos=1, pid=9, version=version))
    got = r.wait_closed(5)
    if version == 5:
        assert [p.type for p in got] == [DISCONNECT] and got[0].rc == RC_PACKET_TOO_LARGE, got
    else:
        assert got == []
    sub.sync()
    assert [m for m in sub.drain() if m.topic == "mps/broker"] == []
    # the broker keeps serving others
    ok = mqtt(b, 5)
    ok.publish("mps/broker", b"after", 1)
    assert sub.get().payload == b"after"


# ---------------------------------------------------------------- reason codes / strings
def test_v5_suback_and_unsuback_reason_codes(broker, raw):
    r = raw(broker, 5)
    r.connect("rc-codes")
    ack = r.subscribe([("rc/0", 0), ("rc/1", 1), ("rc/2", 2)])
    assert ack.codes == [0, 1, 2]
    un = r.unsubscribe(["rc/1", "rc/never"])
    assert un.codes[0] == 0 and un.codes[1] in (0x00, 0x11), un


def test_v5_unsupported_authentication_method(broker, raw):
    r = raw(broker, 5)
    r.send(connect_packet("auth", version=5, props={"authentication_method": "NOPE-1"}))
    got = r.wait_closed(5)
    assert got and got[0].type == CONNACK and got[0].rc in (0x8C, 0x87), got


@pytest.mark.unimq_only
def test_reason_string_on_error_disconnect(broker, raw):
    r = raw(broker, 5)
    ack = r.connect("rs")
    maximum = ack.props.get("topic_alias_maximum", 0)
    r.send(publish_packet("rs/x", b"x", version=5,
                          props={"topic_alias": maximum + 1 if maximum < 65535 else 0}))
    got = r.wait_closed(5)
    assert got and got[0].type == DISCONNECT
    assert isinstance(got[0].props.get("reason_string"), str) and got[0].props["reason_string"], got


@pytest.mark.unimq_only
def test_reason_string_on_failed_subscribe(broker, raw):
    r = raw(broker, 5)
    r.connect("rs-sub")
    r.send(subscribe_packet(1, [("$share/g", sub_opts(1))], 5))  # share name without a filter
    p = r.recv()
    assert p is not None and p.type in (SUBACK, DISCONNECT), p
    if p.type == SUBACK:
        assert p.codes and p.codes[0] >= 0x80, p
    assert p.props.get("reason_string"), "failed SUBACK/DISCONNECT should explain itself: %r" % p


@pytest.mark.unimq_only
def test_request_problem_information_zero_suppresses_reason_string(broker, raw):
    r = raw(broker, 5)
    r.connect("rpi0", props={"request_problem_information": 0})
    r.send(subscribe_packet(1, [("$share/g", sub_opts(1))], 5))
    p = r.recv()
    assert p is not None
    if p.type == SUBACK:  # reason string and user properties are not allowed
        assert p.codes and p.codes[0] >= 0x80, p
        assert "reason_string" not in p.props and "user_property" not in p.props, p
