"""CONNECT / CONNACK handling for MQTT 3.1, 3.1.1 and 5.0."""
import time

import pytest

from harness import MOSQUITTO
from mqtt_raw import (CONNACK, DISCONNECT, PINGREQ_BYTES, RC_PROTOCOL_ERROR,
                      connect_packet, publish_packet, subscribe_packet)


@pytest.mark.parametrize("version", [3, 4, 5], ids=["v31", "v311", "v5"])
def test_paho_connect_and_roundtrip(broker, mqtt, version):
    c = mqtt(broker, version)
    assert c.connack["rc"] == 0
    assert c.connack["session_present"] is False
    c.subscribe("conn/rt", 1)
    c.publish("conn/rt", b"hello", 1)
    assert c.get().payload == b"hello"
    c.disconnect()


def test_raw_v31_mqisdp_connect(broker, raw):
    r = raw(broker, version=3)
    ack = r.connect("mqisdp-client", expect_rc=0)
    assert ack.body == b"\x00\x00", "MQTT 3.1 CONNACK must be exactly 2 bytes, got %r" % ack.body
    r.subscribe("v31/t", 1, expect_codes=[1])
    r.publish("v31/t", b"x", 1)
    p = r.recv()
    assert p.topic == "v31/t" and p.payload == b"x"


def test_raw_v311_connack_is_two_bytes(broker, raw):
    r = raw(broker, version=4)
    ack = r.connect("c311")
    assert ack.body == b"\x00\x00"


def test_v311_empty_client_id_clean_session_accepted(broker, raw):
    r = raw(broker, 4)
    ack = r.connect("", clean=True)
    assert ack.rc == 0 and not ack.session_present
    r.subscribe("empty/id", 1, expect_codes=[1])
    r.publish("empty/id", b"ok", 1)
    assert r.expect(3).payload == b"ok"


def test_v311_empty_client_id_persistent_session_rejected(broker, raw):
    r = raw(broker, 4)
    r.send(connect_packet("", version=4, clean=False))
    got = r.wait_closed(5)
    assert got and got[0].type == CONNACK, got
    assert got[0].rc == 2, "expected CONNACK rc 2 (identifier rejected), got %r" % got[0]


def test_v31_empty_client_id_rejected(broker, raw):
    # MQTT 3.1 requires a 1..23 character client identifier.
    r = raw(broker, 3)
    r.send(connect_packet("", version=3, clean=True))
    got = r.wait_closed(5)
    assert got and got[0].type == CONNACK and got[0].rc == 2, got


def test_v5_empty_client_id_gets_assigned_identifier(broker, raw, mqtt):
    r = raw(broker, 5)
    ack = r.connect("", clean=True)
    assigned = ack.props.get("assigned_client_identifier")
    assert assigned, "v5 CONNACK must carry assigned_client_identifier: %r" % ack
    # the assigned id is a real, usable client id: taking it over kicks the first one
    r2 = raw(broker, 5)
    r2.connect(assigned)
    r.wait_closed(5)


def test_v5_paho_empty_client_id(broker, mqtt):
    c = mqtt(broker, 5, client_id="")
    assert c.connack["props"].get("assigned_client_identifier")


@pytest.mark.parametrize("level", [0, 2, 6, 7])
def test_unsupported_protocol_level(broker, raw, level):
    r = raw(broker, 4)
    r.send(connect_packet("badlevel", version=level, protocol_name="MQTT"))
    got = r.wait_closed(5)
    assert got, "expected CONNACK before close"
    assert got[0].type == CONNACK
    assert got[0].rc in (1, 0x84), "expected rc 1 (3.1.1) or 0x84 (v5), got %r" % got[0]
    assert len(got) == 1


def test_protocol_name_level_mismatch(broker, raw):
    # "MQTT" with level 3 (3.1 uses "MQIsdp") is not a valid combination.
    r = raw(broker, 4)
    r.send(connect_packet("mismatch", version=3, protocol_name="MQTT"))
    got = r.wait_closed(5)
    assert all(p.type == CONNACK and p.rc in (1, 0x84) for p in got), got


def test_unknown_protocol_name_closed(broker, raw):
    r = raw(broker, 4)
    r.send(connect_packet("badname", version=4, protocol_name="MQTX"))
    got = r.wait_closed(5)
    assert all(p.type == CONNACK and p.rc != 0 for p in got), got


def test_v5_connack_properties(broker, raw):
    r = raw(broker, 5)
    ack = r.connect("props", props={"session_expiry_interval": 0})
    p = ack.props
    assert ack.rc == 0
    # absent means 65535 / available; if present it must say so.
    assert p.get("receive_maximum", 65535) >= 1
    assert p.get("topic_alias_maximum", 0) >= 1, "broker should accept topic aliases: %r" % p
    assert p.get("retain_available", 1) == 1
    assert p.get("maximum_qos", 2) == 2, "maximum_qos must be absent or 2: %r" % p
    assert p.get("wildcard_subscription_available", 1) == 1
    assert p.get("subscription_identifier_available", 1) == 1
    assert p.get("shared_subscription_available", 1) == 1
    assert "reason_string" not in p or isinstance(p["reason_string"], str)


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_second_connect_closes_connection(broker, raw, version):
    r = raw(broker, version)
    r.connect("twice-%d" % version)
    r.send(connect_packet("twice-%d" % version, version=version))
    got = r.wait_closed(5)
    assert all(p.type == DISCONNECT for p in got), got
    if version == 5 and got:
        assert got[0].rc == RC_PROTOCOL_ERROR


@pytest.mark.xfail(MOSQUITTO, reason="mosquitto 2.0.11 closes the socket without sending DISCONNECT 0x82",
                   strict=True)
def test_v5_second_connect_gets_disconnect_0x82(broker, raw):
    r = raw(broker, 5)
    r.connect("twice")
    r.send(connect_packet("twice", version=5))
    got = r.wait_closed(5)
    assert [p.type for p in got] == [DISCONNECT], got
    assert got[0].rc == RC_PROTOCOL_ERROR


@pytest.mark.parametrize("first", [
    pytest.param(PINGREQ_BYTES, id="pingreq"),
    pytest.param(publish_packet("a", b"x"), id="publish"),
    pytest.param(subscribe_packet(1, [("a", 0)]), id="subscribe"),
])
def test_packet_before_connect_closes(broker, raw, first):
    r = raw(broker, 4)
    r.send(first)
    got = r.wait_closed(5)
    assert not any(p.type == CONNACK for p in got), got


@pytest.mark.xfail(MOSQUITTO, reason="mosquitto has no configurable connect timeout (it waits ~keepalive)",
                   strict=True)
def test_connect_timeout(broker_factory, raw):
    b = broker_factory(["--set", "mqtt.connect_timeout_ms=1000"])
    r = raw(b, 4)
    t0 = time.monotonic()
    r.wait_closed(4.0)
    assert r.closed_at - t0 >= 0.5, "closed too early (%.2fs)" % (r.closed_at - t0)
    # a normal client is unaffected
    ok = raw(b, 4)
    ok.connect("after-timeout")


def test_connect_then_idle_is_not_closed_early(broker, raw):
    # connected client with keepalive 60 must not be dropped by the connect timeout
    r = raw(broker, 4)
    r.connect("idle")
    r.expect_nothing(1.5)
    r.send(PINGREQ_BYTES)
    assert r.expect(13).type == 13


def test_partial_connect_then_complete(broker, raw):
    # a CONNECT split across TCP segments is reassembled
    r = raw(broker, 4)
    data = connect_packet("split", version=4)
    for i in range(len(data)):
        r.send(data[i:i + 1])
        time.sleep(0.005)
    assert r.expect(CONNACK).rc == 0

