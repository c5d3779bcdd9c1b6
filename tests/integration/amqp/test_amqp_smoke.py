"""Minimal AMQP smoke test (owned by the codec/session layer): pika connects, declares,
publishes, gets and acks. The full suite lives next to it (owned by the integration tests)."""
import pika


def test_pika_declare_publish_get(amqp_server):
    conn = pika.BlockingConnection(
        pika.ConnectionParameters(host=amqp_server.host, port=amqp_server.port))
    try:
        ch = conn.channel()
        q = ch.queue_declare(queue="", exclusive=True).method.queue
        assert q.startswith("amq.gen-")
        ch.basic_publish("", q, b"hello", pika.BasicProperties(content_type="text/plain"))
        method, props, body = ch.basic_get(q)
        assert body == b"hello" and props.content_type == "text/plain"
        assert method.redelivered is False
        ch.basic_ack(method.delivery_tag)
        assert ch.basic_get(q) == (None, None, None)
    finally:
        conn.close()
