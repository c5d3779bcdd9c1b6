"""The Kafka end of cross-protocol routing (docs/cross-protocol.md): records produced by a
Kafka client reach MQTT subscribers of "<bridge.kafka_to_mqtt_prefix><topic>", and MQTT
publishes matching bridge.mqtt_to_kafka routes become Kafka records."""
from __future__ import annotations

import harness
from kafka_util import KafkaBroker, consume_topic, produce_all, producer


def test_kafka_records_reach_mqtt_subscribers(kafka, topic_name):
    topic = topic_name()
    sub = harness.Client(kafka.broker, version=5)
    sub.connect()
    sub.subscribe("kafka/" + topic)
    p = producer(kafka.bootstrap, compression_type="lz4")
    produce_all(p, topic, [{"key": b"k1", "value": b"hello", "headers": [("h", b"1")]},
                           {"value": b"world"}])
    first, second = sub.get(), sub.get()
    assert (first.topic, first.payload) == ("kafka/" + topic, b"hello")
    assert ("h", "1") in first.props.get("user_property", [])
    assert second.payload == b"world"
    sub.disconnect()


def test_mqtt_publishes_become_kafka_records(broker_factory, topic_name):
    kafka_topic = topic_name()
    kafka = KafkaBroker(broker_factory(
        extra_args=["--set", "bridge.mqtt_to_kafka=sensors/#=%s" % kafka_topic],
        kafka_port=None))
    pub = harness.Client(kafka.broker, version=5)
    pub.connect()
    pub.publish("sensors/k1/temp", b"21.5", qos=1, props={"user_property": [("unit", "C")]})
    pub.publish("other/topic", b"not routed", qos=1)
    pub.publish("sensors/k2/temp", b"19.0", qos=1)
    pub.disconnect()
    got = consume_topic(kafka.bootstrap, kafka_topic, 2)
    assert [(m.key(), m.value()) for m in got] == [(b"sensors/k1/temp", b"21.5"),
                                                  (b"sensors/k2/temp", b"19.0")]
    headers = dict(got[0].headers())
    assert headers == {"unit": b"C", "mqtt.topic": b"sensors/k1/temp"}
