"""Connection level: authentication, virtual hosts, heartbeats, protocol errors. After every
error the broker must keep serving other connections."""
from __future__ import annotations

import pika
import pytest
from amqp_helpers import params
from amqp_raw import PROTOCOL_HEADER, Closed, frame, method, queue_declare, shortstr, start_ok


def still_serving(server, name):
    """A brand-new connection can declare, publish to and get from a queue."""
    c = pika.BlockingConnection(params(server))
    try:
        ch = c.channel()
        q = ch.queue_declare(name, auto_delete=True).method.queue
        ch.basic_publish("", q, b"alive")
        ch.confirm_delivery()
        m, _, body = ch.basic_get(q, auto_ack=True)
        assert body == b"alive"
    finally:
        c.close()


def test_guest_guest_connects_and_opens_a_channel(connect):
    c = connect()
    ch = c.channel()
    assert c.is_open and ch.is_open
    props = c._impl.server_properties
    assert b"product" in props or "product" in props
    c.close()
    assert c.is_closed


def test_bad_password_is_refused_with_403(amqp_server, raw, name):
    r = raw()
    r.send(PROTOCOL_HEADER)
    _, cls, mth, _ = r.read_method()
    assert (cls, mth) == (10, 10)
    r.send(start_ok("guest", "wrong"))
    try:
        cls, code, text = r.expect_close()
    except Closed:
        pytest.fail("broker dropped the socket without Connection.Close(403)")
    assert (cls, code) == (10, 403), text
    assert "ACCESS_REFUSED" in text
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        pika.BlockingConnection(params(amqp_server, password="wrong"))
    still_serving(amqp_server, name())


def test_unknown_user_is_refused(amqp_server, name):
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        pika.BlockingConnection(params(amqp_server, user="nobody", password="guest"))
    still_serving(amqp_server, name())


def test_unknown_vhost_is_refused_with_530(amqp_server, raw, name):
    r = raw()
    r.send(PROTOCOL_HEADER)
    r.read_method()
    r.send(start_ok("guest", "guest"))
    _, cls, mth, args = r.read_method()
    assert (cls, mth) == (10, 30)
    r.send(method(0, 10, 31, args[:8]))
    r.send(method(0, 10, 40, shortstr("no-such-vhost") + shortstr("") + b"\x00"))
    cls, code, text = r.expect_close()
    assert (cls, code) == (10, 530), text
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        pika.BlockingConnection(params(amqp_server, vhost="no-such-vhost"))
    still_serving(amqp_server, name())


def test_silent_client_with_heartbeat_1s_is_closed_within_3s(amqp_server, raw, name):
    r = raw()
    r.handshake(heartbeat=1)
    assert r.heartbeat == 1
    waited = r.wait_closed(timeout=4.5)
    assert waited <= 4.0, "closed only after %.1fs" % waited
    still_serving(amqp_server, name())


def test_broker_sends_heartbeats_when_negotiated(raw):
    r = raw()
    r.handshake(heartbeat=1)
    ftype, channel, _ = r.read_frame(timeout=3)
    assert (ftype, channel) == (8, 0)


def test_client_heartbeats_keep_the_connection_open(raw):
    r = raw()
    r.handshake(heartbeat=1)
    r.open_channel(1)
    import time
    end = time.monotonic() + 3.5
    while time.monotonic() < end:
        r.send(frame(8, 0, b""))
        time.sleep(0.4)
    r.send(queue_declare(1, ""))
    ch, cls, mth, args = r.read_method()
    assert (ch, cls, mth) == (1, 50, 11)  # Declare-Ok with a server-named queue


def test_method_on_closed_channel_is_504(amqp_server, raw, name):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    r.close_channel(1)
    r.send(queue_declare(1, name()))
    cls, code, text = r.expect_close()
    assert (cls, code) == (10, 504), text
    still_serving(amqp_server, name("after"))


def test_method_on_never_opened_channel_is_504(amqp_server, raw, name):
    r = raw()
    r.handshake(heartbeat=0)
    r.send(r.publish(7, "", "x", b"x"))
    cls, code, text = r.expect_close()
    assert (cls, code) == (10, 504), text
    still_serving(amqp_server, name())


def test_frame_larger_than_frame_max_is_501(amqp_server, raw, name):
    r = raw()
    r.handshake(heartbeat=0, frame_max=4096)
    r.open_channel(1)
    body = b"x" * 10000
    r.send(r.publish(1, "", name(), body))  # one 10008-byte body frame
    cls, code, text = r.expect_close()
    assert (cls, code) == (10, 501), text
    still_serving(amqp_server, name())


def test_bad_frame_end_octet_is_501(amqp_server, raw, name):
    r = raw()
    r.handshake(heartbeat=0)
    r.send(method(1, 20, 10, shortstr(""), end=0x00))
    cls, code, text = r.expect_close()
    assert (cls, code) == (10, 501), text
    still_serving(amqp_server, name())


@pytest.mark.parametrize("header", [b"AMQP\x00\x01\x00\x00", b"GET / HTTP/1.1\r\n\r\n", b"AMQP\x00\x00\x09\x02"],
                         ids=["amqp1.0", "http", "0-9-2"])
def test_wrong_protocol_header_gets_the_0_9_1_header_and_close(amqp_server, raw, name, header):
    r = raw()
    r.send(header)
    assert r.read_bytes(8) == PROTOCOL_HEADER
    r.wait_closed(timeout=3)
    still_serving(amqp_server, name())


def test_many_channels_on_one_connection(conn, name):
    chans = [conn.channel() for _ in range(20)]
    q = chans[0].queue_declare(name(), auto_delete=True).method.queue
    for i, c in enumerate(chans):
        c.basic_publish("", q, b"%d" % i)
    m, _, _ = chans[5].basic_get(q, auto_ack=True)
    assert m is not None
    assert chans[19].queue_declare(q, passive=True).method.message_count == 19


def test_amqplain_mechanism(raw):
    """AMQPLAIN (RabbitMQ's older mechanism, still used by some clients): the response is a
    field table without its length prefix."""
    from amqp_raw import CLIENT_PROPERTIES, longstr

    r = raw()
    r.send(PROTOCOL_HEADER)
    _, cls, mth, args = r.read_method()
    assert (cls, mth) == (10, 10)
    assert b"AMQPLAIN" in args and b"PLAIN" in args  # both offered in Connection.Start
    resp = shortstr("LOGIN") + b"S" + longstr(b"guest") + shortstr("PASSWORD") + b"S" + longstr(b"guest")
    r.send(method(0, 10, 11, CLIENT_PROPERTIES + shortstr("AMQPLAIN") + longstr(resp) + shortstr("en_US")))
    _, cls, mth, _ = r.read_method()
    assert (cls, mth) == (10, 30), "expected Connection.Tune after AMQPLAIN login"


def test_server_properties_announce_rabbitmq_capabilities(conn):
    caps = conn._impl.server_capabilities
    for cap in ["publisher_confirms", "exchange_exchange_bindings", "basic.nack",
                "consumer_cancel_notify", "connection.blocked", "authentication_failure_close",
                "per_consumer_qos"]:
        assert caps.get(cap) is True, "capability %s not announced: %r" % (cap, caps)
