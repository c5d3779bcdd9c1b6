"""Wire-level edge cases a robust broker handles like RabbitMQ: pipelined and fragmented input,
content split into many body frames, interleaved channels, unexpected frames, nowait methods."""
from __future__ import annotations

import struct
import time

import pika
import pytest
from amqp_helpers import drain, params
from amqp_raw import Closed, basic_get, frame, method, queue_declare, read_get_ok_body, shortstr


def still_serving(server):
    c = pika.BlockingConnection(params(server))
    ch = c.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.confirm_delivery()
    ch.basic_publish("", q, b"ok")
    assert ch.basic_get(q, auto_ack=True)[2] == b"ok"
    c.close()


def test_pipelined_methods_in_one_write(raw, name):
    r = raw()
    r.handshake(heartbeat=0)
    q = name()
    body = b"pipelined"
    r.send(method(1, 20, 10, shortstr("")) + queue_declare(1, q, 8) + r.publish(1, "", q, body) +
           basic_get(1, q))
    assert r.read_method()[1:3] == (20, 11)
    assert r.read_method()[1:3] == (50, 11)
    assert read_get_ok_body(r, 1) == body


def test_input_fragmented_into_single_bytes(raw, name):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    q = name()
    body = b"byte-by-byte"
    data = queue_declare(1, q, 8) + r.publish(1, "", q, body) + basic_get(1, q)
    for i in range(len(data)):
        r.send(data[i:i + 1])
        if i % 16 == 0:
            time.sleep(0.001)
    assert r.read_method()[1:3] == (50, 11)
    assert read_get_ok_body(r, 1) == body


def test_body_split_into_many_small_frames(raw, name):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    q = name()
    r.declare_queue(1, q, 8)
    body = bytes(range(256)) * 4
    parts = [body[i:i + 10] for i in range(0, len(body), 10)]
    r.send(r.basic_publish(1, "", q) + r.content_header(1, len(body)) + b"".join(frame(3, 1, p) for p in parts))
    r.send(basic_get(1, q))
    assert read_get_ok_body(r, 1) == body


def test_content_on_one_channel_interleaved_with_methods_on_another(raw, name):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    r.open_channel(2)
    q = name()
    r.declare_queue(1, q, 8)
    body = b"interleaved"
    r.send(r.basic_publish(1, "", q) + r.content_header(1, len(body)) +
           queue_declare(2, q, 1) +  # passive declare on channel 2 between header and body
           frame(3, 1, body))
    ch, cls, mth, args = r.read_method()
    assert (ch, cls, mth) == (2, 50, 11)
    r.send(basic_get(2, q))
    assert read_get_ok_body(r, 2) == body


def test_nowait_declare_then_immediate_publish(raw, name):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    q = name()
    body = b"nowait"
    r.send(queue_declare(1, q, 8 | 16) + r.publish(1, "", q, body) + basic_get(1, q))
    assert read_get_ok_body(r, 1) == body  # no Declare-Ok in between


@pytest.mark.parametrize("case", ["body-without-header", "method-inside-content"])
def test_unexpected_frame_is_505(amqp_server, raw, name, case):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    if case == "body-without-header":
        r.send(frame(3, 1, b"orphan"))
    else:
        r.send(r.basic_publish(1, "", name()) + r.content_header(1, 10) + queue_declare(1, name(), 8))
    cls, code, text = r.expect_close()
    assert (cls, code) == (10, 505), text
    still_serving(amqp_server)


def test_second_channel_open_on_the_same_channel_is_504(amqp_server, raw):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    r.send(method(1, 20, 10, shortstr("")))
    cls, code, text = r.expect_close()
    assert (cls, code) == (10, 504), text
    still_serving(amqp_server)


def test_unknown_method_is_an_error_and_the_broker_survives(amqp_server, raw):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    r.send(method(1, 60, 999, b""))
    try:  # RabbitMQ 3.10 just drops the socket; Connection.Close(503/540) is fine too
        cls, code, text = r.expect_close()
        assert cls == 10 and code in (503, 540), text
    except Closed:
        pass
    still_serving(amqp_server)


def test_truncated_method_arguments_are_an_error(amqp_server, raw):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    r.send(method(1, 50, 10, struct.pack("!H", 0) + b"\x10ab"))  # shortstr claims 16 bytes
    cls, code, text = r.expect_close()
    assert cls == 10 and code in (501, 502, 505), text
    still_serving(amqp_server)


def test_client_vanishing_mid_frame_does_not_hurt_the_broker(amqp_server, raw, name):
    for cut in (3, 9, 40):
        r = raw()
        r.handshake(heartbeat=0)
        r.open_channel(1)
        data = queue_declare(1, name(), 8) + r.basic_publish(1, "", name()) + r.content_header(1, 100)
        r.send(data[:cut])
        r.close()
    still_serving(amqp_server)


def test_connection_close_handshake(raw):
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    r.send(method(0, 10, 50, struct.pack("!H", 200) + shortstr("bye") + struct.pack("!HH", 0, 0)))
    ch, cls, mth, _ = r.read_method()
    assert (ch, cls, mth) == (0, 10, 51)


def test_confirm_and_tx_do_not_mix_406(conn):
    c = conn.channel()
    c.confirm_delivery()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as e:
        c.tx_select()
    assert e.value.reply_code == 406


def test_mandatory_in_transaction_returns_at_commit(conn, name):
    c = conn.channel()
    returned = []
    c.add_on_return_callback(lambda ch, m, p, b: returned.append(b))
    c.tx_select()
    c.basic_publish("amq.direct", name("nobody"), b"tx-bounce", mandatory=True)
    q = c.queue_declare(name(), auto_delete=True).method.queue
    c.basic_publish("", q, b"tx-kept", mandatory=True)
    c.tx_commit()
    conn.process_data_events(time_limit=0.3)
    assert returned == [b"tx-bounce"]
    assert drain(c, q) == [b"tx-kept"]


def test_two_hundred_connections_at_once(amqp_server, name):
    conns = []
    try:
        for _ in range(200):
            conns.append(pika.BlockingConnection(params(amqp_server)))
        ch = conns[-1].channel()
        ch.confirm_delivery()
        q = ch.queue_declare(name(), auto_delete=True).method.queue
        for c in conns[:50]:
            c.channel().basic_publish("", q, b"x")
        for c in conns[:50]:
            c.process_data_events(time_limit=0)
        deadline = time.monotonic() + 5
        while ch.queue_declare(q, passive=True).method.message_count < 50:
            assert time.monotonic() < deadline, "publishes from 50 connections did not all arrive"
            time.sleep(0.02)
    finally:
        for c in conns:
            try:
                c.close()
            except Exception:
                pass


