"""Persistence through the journal and the metadata store (UniMQ only).

Sessions, their offline queues, retained messages, wills and delayed publishes survive a
restart (graceful, and kill -9); with storage.fsync=always every message the publisher saw
acknowledged (PUBACK) reaches a persistent subscriber after kill -9 and a restart.
"""
import signal
import threading
import time

import paho.mqtt.client as paho
import pytest

import harness
from harness import Broker

pytestmark = pytest.mark.unimq_only


def restart(request, old: Broker, kill: bool = False) -> Broker:
    """Stops `old` (SIGTERM, or SIGKILL with kill=True) and starts a broker on the same data
    directory with the same settings (new ports)."""
    if kill:
        old.proc.send_signal(signal.SIGKILL)
        old.proc.wait()
        old.returncode = -9
        old._log.close()
    else:
        assert old.stop() == 0, old.log_tail()
    new = Broker(old.workdir, old.extra_args)
    request.node._brokers.append(new)
    new.start()
    return new


def persistent(mqtt, b, client_id, version=4):
    if version == 5:
        return mqtt(b, 5, client_id=client_id, clean=False,
                    connect_props={"SessionExpiryInterval": 3600})
    return mqtt(b, 4, client_id=client_id, clean=False)


@pytest.mark.parametrize("version", [4, 5])
def test_offline_queue_survives_restart(request, broker_factory, mqtt, version):
    b = broker_factory()
    sub = persistent(mqtt, b, "keeper-%d" % version, version)
    sub.subscribe("keep/#", 1)
    sub.disconnect()
    pub = mqtt(b, 4)
    for i in range(20):
        pub.publish("keep/x", b"m%d" % i, 1)
    pub.disconnect()

    b2 = restart(request, b)
    sub2 = persistent(mqtt, b2, "keeper-%d" % version, version)
    assert sub2.connack["session_present"], "session not restored after restart"
    got = [m.payload for m in sub2.get_n(20)]
    assert got == [b"m%d" % i for i in range(20)], got


def test_subscriptions_survive_restart(request, broker_factory, mqtt):
    b = broker_factory()
    sub = persistent(mqtt, b, "subkeeper")
    sub.subscribe("s/+/t", 1)
    sub.disconnect()
    b2 = restart(request, b)
    pub = mqtt(b2, 4)
    pub.publish("s/a/t", b"after-restart", 1)
    pub.publish("s/a/other", b"not-matching", 1)
    sub2 = persistent(mqtt, b2, "subkeeper")
    assert sub2.get().payload == b"after-restart"
    sub2.expect_none(0.3)


def test_clean_session_is_not_restored(request, broker_factory, mqtt):
    b = broker_factory()
    c = mqtt(b, 4, client_id="cleanone", clean=True)
    c.subscribe("c/#", 1)
    c.disconnect()
    b2 = restart(request, b)
    c2 = mqtt(b2, 4, client_id="cleanone", clean=False)
    assert not c2.connack["session_present"]


def test_retained_survives_restart(request, broker_factory, mqtt):
    b = broker_factory()
    pub = mqtt(b, 5)
    pub.publish("r/kept", b"retained-value", 1, retain=True,
                props={"UserProperty": [("k", "v")], "ContentType": "text/plain"})
    pub.publish("r/cleared", b"x", 1, retain=True)
    pub.publish("r/cleared", b"", 1, retain=True)
    pub.disconnect()
    b2 = restart(request, b)
    sub = mqtt(b2, 5)
    sub.subscribe("r/#", 1)
    m = sub.get()
    assert (m.topic, m.payload, m.retain) == ("r/kept", b"retained-value", True)
    assert m.props.get("content_type") == "text/plain"
    assert ("k", "v") in [tuple(p) for p in m.props.get("user_property", [])]
    sub.expect_none(0.3)


def test_retained_survives_kill9(request, broker_factory, mqtt):
    b = broker_factory(["--set", "storage.fsync=always"])
    pub = mqtt(b, 4)
    pub.publish("rk/a", b"durable", 1, retain=True)
    b2 = restart(request, b, kill=True)
    sub = mqtt(b2, 4)
    sub.subscribe("rk/#", 0)
    assert sub.get().payload == b"durable"


def test_delayed_publish_survives_restart(request, broker_factory, mqtt):
    b = broker_factory()
    pub = mqtt(b, 4)
    sent = time.monotonic()
    pub.publish("$delayed/3/d/x", b"later", 1)
    pub.disconnect()
    b2 = restart(request, b)
    sub = mqtt(b2, 4)
    sub.subscribe("d/#", 1)
    m = sub.get(timeout=8)
    assert m.payload == b"later" and m.topic == "d/x"
    assert time.monotonic() - sent >= 2.5, "delayed message came too early"


def test_will_of_connection_lost_in_crash_is_sent_after_restart(request, broker_factory, mqtt):
    b = broker_factory(["--set", "storage.fsync=always"])
    watcher = persistent(mqtt, b, "watcher")
    watcher.subscribe("will/#", 1)
    watcher.disconnect()
    mqtt(b, 5, client_id="doomed", connect_props={"SessionExpiryInterval": 60},
         will={"topic": "will/doomed", "payload": b"gone", "qos": 1})
    b2 = restart(request, b, kill=True)
    watcher2 = persistent(mqtt, b2, "watcher")
    m = watcher2.get(timeout=5)
    assert (m.topic, m.payload) == ("will/doomed", b"gone")


def test_session_expiry_counts_across_restart(request, broker_factory, mqtt):
    b = broker_factory()
    c = mqtt(b, 5, client_id="shortlived", connect_props={"SessionExpiryInterval": 2})
    c.subscribe("e/#", 1)
    c.disconnect()
    b2 = restart(request, b)
    time.sleep(2.5)
    c2 = mqtt(b2, 5, client_id="shortlived", connect_props={"SessionExpiryInterval": 2})
    assert not c2.connack["session_present"], "expired session came back after restart"


def test_acked_messages_survive_kill9(request, broker_factory, mqtt):
    """The crash test: publish QoS 1 at full speed, kill -9 mid-stream, restart, and check
    that every message whose PUBACK the publisher received reaches the persistent
    subscriber."""
    b = broker_factory(["--set", "storage.fsync=always",
                        "--set", "mqtt.max_queued_messages=1000000"])
    sub = persistent(mqtt, b, "crash-sub")
    sub.subscribe("crash/#", 1)
    sub.disconnect()

    # (payload, MQTTMessageInfo): is_published() turns true when the PUBACK arrives. No lock
    # of ours around paho: paho calls back into user code while holding its own mutex.
    sent = []
    pub = paho.Client(client_id="crash-pub", protocol=paho.MQTTv311)
    pub.max_inflight_messages_set(64)
    pub.max_queued_messages_set(0)
    connected = threading.Event()
    pub.on_connect = lambda client, userdata, flags, rc: connected.set()
    pub.connect(b.host, b.port)
    pub.loop_start()
    assert connected.wait(5), "publisher got no CONNACK"
    stop = threading.Event()

    def publish_loop():
        for i in range(200000):
            if stop.is_set():
                break
            payload = b"msg-%d" % i
            info = pub.publish("crash/t", payload, 1)
            if info.rc != paho.MQTT_ERR_SUCCESS:
                break
            sent.append((payload, info))
            if i % 256 == 0:
                time.sleep(0.001)

    def acked():
        return {p for p, info in list(sent) if info.is_published()}

    t = threading.Thread(target=publish_loop)
    t.start()
    harness.wait_until(lambda: len(acked()) >= 2000, timeout=20)
    b2 = restart(request, b, kill=True)  # SIGKILL mid-stream
    stop.set()
    t.join(10)
    pub.loop_stop()
    acked_now = acked()
    assert len(acked_now) >= 2000
    assert len(acked_now) < len(sent), "the kill did not land mid-stream"

    sub2 = persistent(mqtt, b2, "crash-sub")
    assert sub2.connack["session_present"]
    received = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not acked_now <= received:
        for m in sub2.drain():
            received.add(m.payload)
        time.sleep(0.05)
    missing = acked_now - received
    assert not missing, "%d of %d acknowledged messages lost after kill -9, e.g. %r" % (
        len(missing), len(acked_now), sorted(missing)[:5])
