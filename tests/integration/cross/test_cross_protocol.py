"""Cross-protocol routing (docs/cross-protocol.md) with real clients on each side:
mosquitto_pub/mosquitto_sub and paho for MQTT, kcat for Kafka, pika for AMQP."""
from __future__ import annotations

import subprocess
import time
import uuid

import paho.mqtt.client as paho
import pika
import pytest

from harness import HOST, wait_until

pytestmark = pytest.mark.unimq_only

MAPPING = "sensors/#=sensors-{id};amqp/in/#=from-amqp-{id}"


@pytest.fixture
def node(broker_factory):
    """One UniMQ node with MQTT, Kafka and AMQP listeners and a per-test bridge mapping."""
    tag = uuid.uuid4().hex[:8]
    b = broker_factory(["--set", "bridge.mqtt_to_kafka=" + MAPPING.format(id=tag)],
                       kafka_port=None, amqp_port=None)
    b.tag = tag
    b.bootstrap = "%s:%d" % (HOST, b.kafka_port)
    return b


def kcat_consume(b, topic, count, fmt="%k|%s|%h\n", timeout=15):
    """The first `count` records of `topic` through kcat, formatted with `fmt`."""
    out = subprocess.run(["kcat", "-C", "-b", b.bootstrap, "-t", topic, "-o", "beginning",
                          "-c", str(count), "-e", "-q", "-f", fmt],
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def kcat_produce(b, topic, lines, key=None):
    cmd = ["kcat", "-P", "-b", b.bootstrap, "-t", topic]
    if key is not None:
        cmd += ["-K", "="]
        lines = ["%s=%s" % (key, line) for line in lines]
    subprocess.run(cmd, input="\n".join(lines) + "\n", text=True, check=True, timeout=15)


def mosquitto_pub(b, topic, message, qos=1, extra=()):
    subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(b.port), "-t", topic, "-m", message,
                    "-q", str(qos)] + list(extra), check=True, timeout=10)


def start_mosquitto_sub(b, topic, count, version="mqttv311"):
    p = subprocess.Popen(["mosquitto_sub", "-h", HOST, "-p", str(b.port), "-t", topic,
                          "-C", str(count), "-W", "15", "-V", version, "-F", "%t|%p"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Subscribed once the broker lists the subscription.
    wait_until(lambda: topic in b_subscriptions(b), timeout=10)
    return p


def b_subscriptions(b):
    import json
    import urllib.request
    with urllib.request.urlopen(b.url("/api/v1/subscriptions"), timeout=2) as r:
        return [s.get("filter") for s in json.load(r)]


def amqp(b):
    c = pika.BlockingConnection(pika.ConnectionParameters(HOST, b.amqp_port, heartbeat=0))
    return c, c.channel()


def bound_queue(ch, key):
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(q, "amq.topic", routing_key=key)
    return q


def get_one(ch, q, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m, props, body = ch.basic_get(q, auto_ack=True)
        if m is not None:
            return m, props, body
        time.sleep(0.02)
    raise AssertionError("nothing arrived in %s" % q)


# ---------------------------------------------------------------- MQTT <-> Kafka
def test_mqtt_publish_is_read_by_kcat_with_topic_as_key(node):
    mosquitto_pub(node, "sensors/room1/temp", "21.5")
    mosquitto_pub(node, "sensors/room2/temp", "19.0")
    mosquitto_pub(node, "other/topic", "not mapped")
    lines = kcat_consume(node, "sensors-" + node.tag, 2)
    assert [l.split("|")[:2] for l in lines] == [["sensors/room1/temp", "21.5"],
                                                ["sensors/room2/temp", "19.0"]]
    assert "mqtt.topic=sensors/room1/temp" in lines[0]


def test_mqtt5_user_properties_become_kafka_headers(node):
    mosquitto_pub(node, "sensors/x", "v", extra=["-V", "mqttv5", "-D", "publish",
                                                 "user-property", "unit", "celsius"])
    (line,) = kcat_consume(node, "sensors-" + node.tag, 1)
    assert "unit=celsius" in line


def test_kcat_record_reaches_mosquitto_sub_under_prefix(node):
    topic = "events-" + node.tag
    sub = start_mosquitto_sub(node, "kafka/" + topic, 2)
    kcat_produce(node, topic, ["first", "second"])
    out, err = sub.communicate(timeout=20)
    assert out.splitlines() == ["kafka/%s|first" % topic, "kafka/%s|second" % topic], err


def test_kafka_key_and_headers_reach_mqtt5_subscriber(node):
    topic = "keyed-" + node.tag
    got = []
    c = paho.Client(client_id="x" + node.tag, protocol=paho.MQTTv5)
    c.on_message = lambda cl, u, m: got.append(m)
    c.connect(HOST, node.port)
    c.loop_start()
    try:
        c.subscribe("kafka/" + topic, qos=1)
        wait_until(lambda: "kafka/" + topic in b_subscriptions(node), timeout=10)
        subprocess.run(["kcat", "-P", "-b", node.bootstrap, "-t", topic, "-k", "k1",
                        "-H", "h1=v1"], input="payload", text=True, check=True, timeout=15)
        wait_until(lambda: got, timeout=10)
        m = got[0]
        assert m.payload == b"payload"
        props = dict(m.properties.UserProperty)
        assert props.get("kafka.key") == "k1"
        assert props.get("h1") == "v1"
    finally:
        c.loop_stop()
        c.disconnect()


def test_mqtt_to_kafka_does_not_loop_back_to_mqtt(node):
    """A message mapped MQTT -> Kafka is not delivered again to MQTT subscribers of kafka/..."""
    topic = "sensors-" + node.tag
    sub = start_mosquitto_sub(node, "#", 5)
    mosquitto_pub(node, "sensors/once", "1")
    kcat_consume(node, topic, 1)
    time.sleep(0.5)
    sub.terminate()
    out, _ = sub.communicate(timeout=5)
    assert [l for l in out.splitlines() if not l.startswith("$")] == ["sensors/once|1"]


# ---------------------------------------------------------------- MQTT <-> AMQP
def test_mqtt_publish_routes_to_amqp_topic_binding(node):
    conn, ch = amqp(node)
    q = bound_queue(ch, "plant.*.temp")
    mosquitto_pub(node, "plant/7/temp", "hot")
    mosquitto_pub(node, "plant/7/pressure", "ignored")
    m, props, body = get_one(ch, q)
    assert (m.routing_key, body) == ("plant.7.temp", b"hot")
    time.sleep(0.2)
    assert ch.basic_get(q, auto_ack=True)[0] is None
    conn.close()


def test_amqp_publish_to_amq_topic_reaches_mqtt(node):
    sub = start_mosquitto_sub(node, "orders/+/new", 1)
    conn, ch = amqp(node)
    ch.basic_publish("amq.topic", "orders.eu.new", b"order-1",
                     pika.BasicProperties(delivery_mode=2))
    out, err = sub.communicate(timeout=20)
    assert out.splitlines() == ["orders/eu/new|order-1"], err
    conn.close()


def test_amqp_headers_become_mqtt5_user_properties(node):
    got = []
    c = paho.Client(client_id="a" + node.tag, protocol=paho.MQTTv5)
    c.on_message = lambda cl, u, m: got.append(m)
    c.connect(HOST, node.port)
    c.loop_start()
    try:
        c.subscribe("hdr/test", qos=1)
        wait_until(lambda: "hdr/test" in b_subscriptions(node), timeout=10)
        conn, ch = amqp(node)
        ch.basic_publish("amq.topic", "hdr.test", b"x",
                         pika.BasicProperties(headers={"site": "berlin"}, content_type="text/plain"))
        wait_until(lambda: got, timeout=10)
        assert dict(got[0].properties.UserProperty).get("site") == "berlin"
        assert got[0].properties.ContentType == "text/plain"
        conn.close()
    finally:
        c.loop_stop()
        c.disconnect()


# ---------------------------------------------------------------- Kafka <-> AMQP
def test_kafka_topic_consumed_from_amqp_queue(node):
    topic = "orders" + node.tag
    conn, ch = amqp(node)
    q = bound_queue(ch, "kafka." + topic)
    kcat_produce(node, topic, ["o1"], key="customer-9")
    m, props, body = get_one(ch, q)
    assert body == b"o1"
    assert props.message_id == "customer-9"
    conn.close()


def test_amqp_publish_reaches_kafka_through_mapping(node):
    conn, ch = amqp(node)
    ch.basic_publish("amq.topic", "amqp.in.x", b"from-rabbit-client")
    (line,) = kcat_consume(node, "from-amqp-" + node.tag, 1)
    assert line.split("|")[:2] == ["amqp/in/x", "from-rabbit-client"]
    conn.close()
