"""Will messages: abnormal vs normal disconnect, v5 DISCONNECT 0x04, will delay
interval, will retain / QoS / properties."""
import time

import pytest

from mqtt_raw import RC_DISCONNECT_WITH_WILL, publish_packet

VERSIONS = [pytest.param(3, id="v31"), pytest.param(4, id="v311"), pytest.param(5, id="v5")]


def observer(mqtt, broker, topic="will/#"):
    o = mqtt(broker, 5)
    o.subscribe(topic, 2)
    return o


@pytest.mark.parametrize("version", VERSIONS)
def test_will_sent_on_abnormal_disconnect(broker, raw, mqtt, version):
    o = observer(mqtt, broker)
    r = raw(broker, version)
    r.connect("w-abn-%d" % version, will={"topic": "will/abn", "payload": b"\x00gone\xff", "qos": 1})
    r.close()
    m = o.get()
    assert (m.topic, m.payload, m.qos, m.retain) == ("will/abn", b"\x00gone\xff", 1, False)
    o.sync()
    assert [x for x in o.drain() if x.topic.startswith("will/")] == [], "will sent twice"


@pytest.mark.parametrize("version", VERSIONS)
def test_will_not_sent_on_normal_disconnect(broker, raw, mqtt, version):
    o = observer(mqtt, broker)
    r = raw(broker, version)
    r.connect("w-norm-%d" % version, will={"topic": "will/norm", "payload": b"should not"})
    r.disconnect()
    # also not after the session ends later
    o.expect_none(1.0, topic="will/norm")


def test_paho_will_on_killed_connection(broker, mqtt):
    o = observer(mqtt, broker)
    c = mqtt(broker, 4, will={"topic": "will/paho", "payload": b"paho died", "qos": 2})
    c.kill()
    m = o.get()
    assert m.payload == b"paho died" and m.qos == 2


def test_v5_disconnect_with_will_message(broker, raw, mqtt):
    o = observer(mqtt, broker)
    r = raw(broker, 5)
    r.connect("w-0x04", will={"topic": "will/0x04", "payload": b"asked for it"})
    r.disconnect(rc=RC_DISCONNECT_WITH_WILL)
    m = o.get()
    assert (m.topic, m.payload) == ("will/0x04", b"asked for it")


def test_will_sent_on_protocol_error(broker, raw, mqtt):
    o = observer(mqtt, broker)
    r = raw(broker, 4)
    r.connect("w-proto", will={"topic": "will/proto", "payload": b"broken"})
    r.send(publish_packet("bad/+/topic", b"x"))  # wildcard in a topic name: protocol violation
    r.wait_closed(5)
    assert o.get().payload == b"broken"


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_will_retain(broker, raw, mqtt, version):
    r = raw(broker, version)
    r.connect("w-ret", will={"topic": "will/retained", "payload": b"last words", "retain": True, "qos": 1})
    r.close()
    o = observer(mqtt, broker)
    # published before we subscribed: only reachable if stored as retained
    deadline = time.monotonic() + 5
    while True:
        late = mqtt(broker, version)
        late.subscribe("will/retained", 1)
        try:
            m = late.get(timeout=0.5)
            break
        except AssertionError:
            late.disconnect()
            if time.monotonic() > deadline:
                raise
    assert m.payload == b"last words" and m.retain
    del o


def test_v5_will_properties_forwarded(broker, raw, mqtt):
    o = observer(mqtt, broker)
    r = raw(broker, 5)
    props = {"content_type": "text/plain", "payload_format_indicator": 1,
             "user_property": [("k", "v"), ("k", "v2")], "response_topic": "will/resp",
             "correlation_data": b"\x01\x02"}
    r.connect("w-props", will={"topic": "will/props", "payload": b"p", "props": props})
    r.close()
    m = o.get()
    assert m.props.get("content_type") == "text/plain"
    assert m.props.get("payload_format_indicator") == 1
    assert m.props.get("user_property") == [("k", "v"), ("k", "v2")]
    assert m.props.get("response_topic") == "will/resp"
    assert m.props.get("correlation_data") == b"\x01\x02"


def test_v5_will_delay_interval(broker, raw, mqtt):
    o = observer(mqtt, broker)
    r = raw(broker, 5)
    r.connect("w-delay", props={"session_expiry_interval": 60},
              will={"topic": "will/delay", "payload": b"late", "props": {"will_delay_interval": 2}})
    r.close()
    t0 = time.monotonic()
    m = o.get(timeout=6)
    dt = m.t - t0
    assert m.payload == b"late"
    assert dt >= 1.5, "will delay 2 s but will arrived after %.2fs" % dt
    assert dt <= 4.5, "will delay 2 s but will arrived after %.2fs" % dt


def test_v5_will_delay_cancelled_by_reconnect(broker, raw, mqtt):
    o = observer(mqtt, broker)
    r = raw(broker, 5)
    will = {"topic": "will/cancel", "payload": b"never", "props": {"will_delay_interval": 2}}
    r.connect("w-cancel", props={"session_expiry_interval": 60}, will=will)
    r.close()
    time.sleep(0.5)
    r2 = raw(broker, 5)
    assert r2.connect("w-cancel", clean=False, props={"session_expiry_interval": 60}).session_present
    o.expect_none(3.0, topic="will/cancel")
    r2.disconnect()


def test_v5_will_sent_when_session_expires_before_delay(broker, raw, mqtt):
    o = observer(mqtt, broker)
    r = raw(broker, 5)
    r.connect("w-sei", props={"session_expiry_interval": 1},
              will={"topic": "will/sei", "payload": b"session ended", "props": {"will_delay_interval": 30}})
    r.close()
    t0 = time.monotonic()
    m = o.get(timeout=5)
    assert m.payload == b"session ended"
    assert m.t - t0 <= 4.0


def test_will_on_takeover_is_not_sent_for_normal_reconnect_v311(broker, raw, mqtt):
    # a clean DISCONNECT followed by a reconnect never publishes the will
    o = observer(mqtt, broker)
    r = raw(broker, 4)
    r.connect("w-re", will={"topic": "will/re", "payload": b"no"})
    r.disconnect()
    r2 = raw(broker, 4)
    r2.connect("w-re")
    r2.disconnect()
    o.expect_none(0.8, topic="will/re")


def test_will_qos0_with_many_observers(broker, raw, mqtt):
    observers = [observer(mqtt, broker, "will/fan") for _ in range(5)]
    r = raw(broker, 4)
    r.connect("w-fan", will={"topic": "will/fan", "payload": b"bye"})
    r.close()
    for o in observers:
        assert o.get().payload == b"bye"
