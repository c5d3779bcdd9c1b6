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


def test_confirms_of_a_burst_are_coalesced_into_multiple_acks(raw, amqp_server):
    """200 transient publishes in one write: the broker confirms them with fewer Basic.Ack
    frames than publishes (multiple=true where the sequence numbers are contiguous)."""
    if amqp_server.kind != "unimq":
        return  # RabbitMQ coalesces differently; this checks UniMQ's batching
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    q = "smoke-confirm-burst"
    r.declare_queue(1, q, 8)  # auto-delete
    r.confirm_select(1)
    n = 200
    r.send(b"".join(r.publish(1, "", q, b"x") for _ in range(n)))
    acked, frames = r.read_acks(n)
    assert acked == set(range(1, n + 1))
    multiples = sum(1 for _, multiple in frames if multiple)
    assert multiples >= 1 and len(frames) < n


def test_a_consumer_that_stops_reading_leaves_messages_in_the_queue(raw, amqp_server):
    """Backpressure: deliveries stop when the connection's output queue is congested, so a
    stuck consumer does not pull the whole queue into broker memory."""
    import struct
    from amqp_raw import method
    if amqp_server.kind != "unimq":
        return
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    q = "smoke-stuck-consumer"
    # queue.declare auto-delete=false, then basic.consume no-ack, then never read again.
    r.declare_queue(1, q)
    r.send(method(1, 60, 20, struct.pack("!H", 0) + bytes([len(q)]) + q.encode() + b"\x00" +
                  b"\x02" + b"\x00\x00\x00\x00"))
    assert r.read_method()[1:3] == (60, 21)
    conn = pika.BlockingConnection(
        pika.ConnectionParameters(host=amqp_server.host, port=amqp_server.port))
    try:
        ch = conn.channel()
        body = b"x" * 65536
        for _ in range(400):  # 25 MB: far above the 4 MB output high watermark
            ch.basic_publish("", q, body)
        ch.confirm_delivery()
        ch.basic_publish("", q, body)  # confirmed: everything before it was routed
        held = ch.queue_declare(q, passive=True).method.message_count
        assert held > 100, "the stuck consumer's deliveries were not held back (%d)" % held
        ch.queue_delete(q)
    finally:
        conn.close()


def test_shutdown_closes_connections_with_320(amqp_broker_factory, amqp_server):
    """SIGTERM: every client gets Connection.Close 320 CONNECTION_FORCED before the socket goes,
    as from RabbitMQ."""
    from amqp_raw import RawAmqp
    if amqp_server.kind != "unimq":
        return
    b = amqp_broker_factory()
    r = RawAmqp(b.host, b.amqp_port)
    try:
        r.handshake(heartbeat=0)
        r.open_channel(1)
        b.proc.send_signal(__import__("signal").SIGTERM)
        cls, code, text = r.expect_close(timeout=10)
        assert (cls, code) == (10, 320) and text.startswith("CONNECTION_FORCED")
    finally:
        r.close()
        assert b.stop() == 0
