"""Keep alive: PINGREQ/PINGRESP, disconnect of silent clients (1.5 x keep alive)
with will, and the v5 Server Keep Alive."""
import time

import pytest

from harness import MOSQUITTO
from mqtt_raw import DISCONNECT, PINGREQ_BYTES, PINGRESP, RC_KEEP_ALIVE_TIMEOUT

VERSIONS = [pytest.param(3, id="v31"), pytest.param(4, id="v311"), pytest.param(5, id="v5")]


@pytest.mark.parametrize("version", VERSIONS)
def test_pingreq_pingresp(broker, raw, version):
    r = raw(broker, version)
    r.connect("ping-%d" % version)
    for _ in range(3):
        r.send(PINGREQ_BYTES)
        p = r.expect(PINGRESP)
        assert p.body == b""


def test_silent_client_disconnected_and_will_published(broker, raw, mqtt):
    o = mqtt(broker, 4)
    o.subscribe("ka/will", 1)
    r = raw(broker, 4)
    r.connect("silent", keepalive=2, will={"topic": "ka/will", "payload": b"timed out"})
    t0 = time.monotonic()
    got = r.wait_closed(8)
    assert all(p.type == DISCONNECT for p in got), got
    dt = r.closed_at - t0
    assert dt >= 1.9, "disconnected after %.2fs, before the keep alive elapsed" % dt
    assert o.get(timeout=3).payload == b"timed out"


@pytest.mark.xfail(MOSQUITTO, strict=True,
                   reason="mosquitto 2.0.11 checks keep alives only every ~5 s")
@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_keepalive_timeout_is_one_and_a_half_times(broker, raw, version):
    r = raw(broker, version)
    r.connect("silent15-%d" % version, keepalive=2)
    t0 = time.monotonic()
    got = r.wait_closed(4.6)
    dt = r.closed_at - t0
    assert 2.5 <= dt <= 4.5, "keep alive 2 s: expected disconnect after ~3 s, got %.2fs" % dt
    if version == 5 and got:
        assert got[0].type == DISCONNECT and got[0].rc == RC_KEEP_ALIVE_TIMEOUT, got


def test_pings_keep_connection_alive(broker, raw):
    r = raw(broker, 4)
    r.connect("pinger", keepalive=1)
    end = time.monotonic() + 3.5
    while time.monotonic() < end:
        r.send(PINGREQ_BYTES)
        r.expect(PINGRESP)
        time.sleep(0.4)
    assert not r.is_closed()


def test_any_packet_counts_as_activity(broker, raw):
    r = raw(broker, 4)
    r.connect("active", keepalive=1)
    end = time.monotonic() + 3.5
    while time.monotonic() < end:
        r.publish("ka/activity", b"x", qos=1)
        time.sleep(0.4)
    assert not r.is_closed()


def test_keepalive_zero_means_no_timeout(broker, raw):
    r = raw(broker, 4)
    r.connect("forever", keepalive=0)
    r.expect_nothing(3.0)
    r.send(PINGREQ_BYTES)
    r.expect(PINGRESP)


@pytest.mark.parametrize("asked,expected", [(100, 10), (0, 10), (5, None)])
def test_v5_server_keep_alive(broker_factory, raw, asked, expected):
    b = broker_factory(["--set", "mqtt.max_keepalive=10"])
    r = raw(b, 5)
    ack = r.connect("ska-%d" % asked, keepalive=asked)
    ska = ack.props.get("server_keep_alive")
    if expected is None:
        assert ska in (None, asked), ack
    else:
        assert ska == expected, "asked %d with max_keepalive=10: CONNACK %r" % (asked, ack)


@pytest.mark.xfail(MOSQUITTO, strict=True, reason="mosquitto rejects max_keepalive values below 10")
def test_v5_server_keep_alive_is_enforced(broker_factory, raw):
    b = broker_factory(["--set", "mqtt.max_keepalive=1"])
    r = raw(b, 5)
    ack = r.connect("ska-enforced", keepalive=100)
    assert ack.props.get("server_keep_alive") == 1
    t0 = time.monotonic()
    r.wait_closed(8)
    assert r.closed_at - t0 >= 0.9
