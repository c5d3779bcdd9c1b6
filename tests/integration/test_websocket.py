"""MQTT over WebSocket (path /mqtt) with paho's websockets transport."""
import socket

import pytest

from harness import wait_port


@pytest.fixture
def ws_broker(broker):
    if not wait_port(broker.ws_port, 5):
        pytest.fail("nothing listens on the WebSocket port %d" % broker.ws_port)
    return broker


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_ws_connect_subscribe_publish(ws_broker, mqtt, version):
    c = mqtt(ws_broker, version, transport="websockets")
    c.subscribe("ws/t", 1)
    c.publish("ws/t", b"over websocket", 1)
    m = c.get()
    assert (m.topic, m.payload, m.qos) == ("ws/t", b"over websocket", 1)
    c.disconnect()


def test_ws_cross_transport(ws_broker, mqtt):
    ws_sub = mqtt(ws_broker, 5, transport="websockets")
    tcp_sub = mqtt(ws_broker, 4)
    ws_sub.subscribe("x/t", 2)
    tcp_sub.subscribe("x/t", 2)
    tcp_pub = mqtt(ws_broker, 4)
    ws_pub = mqtt(ws_broker, 4, transport="websockets")
    big = bytes(range(256)) * 300  # > 64 KiB: multi-frame / extended length on WS
    tcp_pub.publish("x/t", b"from tcp", 2)
    ws_pub.publish("x/t", big, 1)
    for s in (ws_sub, tcp_sub):
        got = sorted(m.payload for m in s.get_n(2))
        assert got == sorted([b"from tcp", big])


def test_ws_retained_and_will(ws_broker, mqtt):
    mqtt(ws_broker, 4).publish("ws/ret", b"r", 1, retain=True)
    ws = mqtt(ws_broker, 4, transport="websockets", will={"topic": "ws/will", "payload": b"ws gone"})
    ws.subscribe("ws/ret", 1)
    m = ws.get()
    assert m.retain and m.payload == b"r"
    obs = mqtt(ws_broker, 4)
    obs.subscribe("ws/will", 1)
    ws.kill()
    assert obs.get().payload == b"ws gone"


def test_ws_many_messages(ws_broker, mqtt):
    sub = mqtt(ws_broker, 4, transport="websockets")
    sub.subscribe("ws/many", 1)
    pub = mqtt(ws_broker, 5, transport="websockets")
    for i in range(300):
        pub.publish("ws/many", b"%d" % i, 1, wait=(i == 299))
    assert [int(m.payload) for m in sub.get_n(300, timeout=10)] == list(range(300))


def test_ws_plain_tcp_mqtt_on_ws_port_is_rejected(ws_broker, mqtt, broker):
    # raw MQTT bytes (no HTTP upgrade) on the WebSocket port must not crash the broker
    from mqtt_raw import connect_packet
    s = socket.create_connection((broker.host, broker.ws_port), timeout=5)
    try:
        s.sendall(connect_packet("not-ws"))
        s.settimeout(2)
        try:
            data = s.recv(100)
        except OSError:
            data = b""
        assert not data.startswith(b"\x20"), "MQTT CONNACK on the WebSocket port without an upgrade"
    finally:
        s.close()
    c = mqtt(broker, 4, transport="websockets")
    c.subscribe("ws/alive", 0)
