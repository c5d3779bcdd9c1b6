"""Publishing: content properties round-trip, large and empty bodies, publisher confirms,
mandatory returns, transactions."""
from __future__ import annotations

import struct
import time
from decimal import Decimal

import pika
import pytest
from amqp_helpers import collect, depth, drain, wait_for
from amqp_raw import basic_get

FULL_PROPS = dict(
    content_type="application/json", content_encoding="gzip",
    headers={"str": "v", "int": 42, "neg": -7, "big": 2 ** 40, "decimal": Decimal("1.50"), "bool": True,
             "nested": {"inner": {"deep": "x"}, "list": [1, "two", {"three": 3}]},
             "bytes": b"\x00\x01binary", "none": None},
    delivery_mode=2, priority=7, correlation_id="corr-1", reply_to="reply.q",
    expiration="60000", message_id="msg-1", timestamp=1700000000, type="order.created",
    user_id="guest", app_id="tests")


def assert_props(p: pika.BasicProperties):
    for k, v in FULL_PROPS.items():
        got = getattr(p, k)
        if k == "headers":
            got = dict(got)
            got["bytes"] = got["bytes"].encode() if isinstance(got["bytes"], str) else got["bytes"]
        assert got == v, "property %s: %r != %r" % (k, got, v)


def test_all_properties_round_trip_via_get_and_consume(conn, cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    cch.basic_publish("", q, b"p1", pika.BasicProperties(**FULL_PROPS))
    cch.basic_publish("", q, b"p2", pika.BasicProperties(**FULL_PROPS))
    _, props, body = cch.basic_get(q, auto_ack=True)
    assert body == b"p1"
    assert_props(props)
    (_, props, body), = collect(conn, cch, q, 1)
    assert body == b"p2"
    assert_props(props)


def test_no_properties_stay_unset(cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    cch.basic_publish("", q, b"bare")
    _, p, _ = cch.basic_get(q, auto_ack=True)
    assert (p.content_type, p.headers, p.delivery_mode, p.priority, p.message_id) == (None,) * 5


def test_mismatched_user_id_is_refused_406(conn, name):
    c = conn.channel()
    q = c.queue_declare(name(), auto_delete=True).method.queue
    c.basic_publish("", q, b"x", pika.BasicProperties(user_id="mallory"))
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as e:
        c.queue_declare(q, passive=True)
    assert e.value.reply_code == 406


@pytest.mark.parametrize("size", [0, 1, 131072 - 8, 131072 * 3 + 17, 4 * 1024 * 1024])
def test_bodies_of_any_size_round_trip(cch, name, size):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    body = bytes((i * 7) & 0xFF for i in range(size))
    cch.basic_publish("", q, body)
    _, _, got = cch.basic_get(q, auto_ack=True)
    assert got == body


def test_confirms_ack_every_publish(raw, name):
    """Raw client: 200 publishes in confirm mode; the acks (single or multiple) cover 1..200."""
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    q = name()
    r.declare_queue(1, q, 8)  # auto-delete
    r.confirm_select(1)
    n = 200
    r.send(b"".join(r.publish(1, "", q, b"abc") for _ in range(n)))
    acked, _ = r.read_acks(n)
    assert acked == set(range(1, n + 1))


def test_confirms_with_pika(cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    for i in range(50):
        cch.basic_publish("", q, b"%d" % i)  # raises unless the broker acks
    assert depth(cch, q) == 50


def test_mandatory_unroutable_is_returned(conn, name):
    c = conn.channel()
    returned = []
    c.add_on_return_callback(lambda ch, m, p, b: returned.append((m.reply_code, m.exchange, m.routing_key, b)))
    c.basic_publish("amq.direct", name("nobody"), b"bounce", mandatory=True)
    c.basic_publish("amq.direct", name("nobody"), b"silently-dropped", mandatory=False)
    wait_for(lambda: returned, conn=conn, what="Basic.Return")
    conn.process_data_events(time_limit=0.2)
    assert returned == [(312, "amq.direct", name("nobody"), b"bounce")]


def test_mandatory_unroutable_under_confirms(cch, name):
    with pytest.raises(pika.exceptions.UnroutableError):
        cch.basic_publish("amq.direct", name("nobody"), b"bounce", mandatory=True)
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    cch.basic_publish("", q, b"routable", mandatory=True)  # no exception: routed and acked


def test_transaction_commit_and_rollback(connect, name):
    c = connect().channel()
    watcher = connect().channel()
    q = c.queue_declare(name(), auto_delete=True).method.queue
    c.tx_select()
    for i in range(3):
        c.basic_publish("", q, b"tx%d" % i)
    time.sleep(0.2)  # give a non-transactional broker time to (wrongly) enqueue them
    assert depth(watcher, q) == 0, "transactional publishes visible before commit"
    c.tx_commit()
    assert depth(watcher, q) == 3
    c.basic_publish("", q, b"rolled-back")
    c.tx_rollback()
    c.basic_publish("", q, b"tx3")
    c.tx_commit()
    assert drain(watcher, q) == [b"tx0", b"tx1", b"tx2", b"tx3"]


def test_transactional_acks_apply_on_commit(connect, name):
    c = connect().channel()
    q = c.queue_declare(name(), auto_delete=True).method.queue
    c.basic_publish("", q, b"a")
    wait_for(lambda: depth(c, q) == 1, what="message enqueued")
    c.tx_select()
    m, _, _ = c.basic_get(q)
    c.basic_ack(m.delivery_tag)
    c.tx_rollback()  # the ack is discarded: the message stays unacked
    c.close()
    c = connect().channel()
    m, _, body = c.basic_get(q, auto_ack=True)
    assert body == b"a" and m.redelivered


def test_commit_without_select_is_406(conn):
    c = conn.channel()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as e:
        c.tx_commit()
    assert e.value.reply_code == 406


def test_content_header_bytes_round_trip_exactly(raw, name):
    """Every property flag set and a headers table using every RabbitMQ field type: the
    content header the consumer gets is byte-for-byte the one published."""
    from amqp_raw import frame as mkframe
    from amqp_raw import longstr, shortstr

    fields = b"".join([
        shortstr("t") + b"t\x01", shortstr("b") + b"b\xfe", shortstr("B") + b"B\xfe",
        shortstr("s") + b"s\xff\x00", shortstr("u") + b"u\xff\x00",
        shortstr("I") + b"I" + struct.pack("!i", -5), shortstr("i") + b"i" + struct.pack("!I", 4000000000),
        shortstr("l") + b"l" + struct.pack("!q", -2 ** 40), shortstr("f") + b"f" + struct.pack("!f", 1.5),
        shortstr("d") + b"d" + struct.pack("!d", 2.25), shortstr("D") + b"D\x02" + struct.pack("!I", 12345),
        shortstr("S") + b"S" + longstr("ünïcode".encode()), shortstr("T") + b"T" + struct.pack("!Q", 1700000000),
        shortstr("V") + b"V", shortstr("x") + b"x" + longstr(b"\x00\xff"),
        shortstr("A") + b"A" + longstr(b"I" + struct.pack("!i", 1) + b"S" + longstr(b"two")),
        shortstr("F") + b"F" + longstr(shortstr("in") + b"F" + longstr(shortstr("deep") + b"t\x00")),
    ])
    props = b"".join([
        shortstr("text/plain"), shortstr("utf-8"), struct.pack("!I", len(fields)) + fields,
        b"\x02", b"\x05", shortstr("corr"), shortstr("reply"), shortstr("60000"), shortstr("mid"),
        struct.pack("!Q", 1700000001), shortstr("type"), shortstr("guest"), shortstr("app"),
    ])
    flags = 0xFFF8  # content-type .. app-id (bits 15..3); cluster-id (bit 2) is deprecated
    body = b"exact"
    header = struct.pack("!HHQH", 60, 0, len(body), flags) + props
    r = raw()
    r.handshake(heartbeat=0)
    r.open_channel(1)
    q = name()
    r.declare_queue(1, q, 8)
    r.send(r.basic_publish(1, "", q) + mkframe(2, 1, header) + mkframe(3, 1, body))
    r.send(basic_get(1, q))
    ch, cls, mth, _ = r.read_method()
    assert (cls, mth) == (60, 71), "expected Basic.Get-Ok, got %d.%d" % (cls, mth)
    ftype, _, got_header = r.read_frame()
    assert ftype == 2
    assert got_header == header
    ftype, _, got_body = r.read_frame()
    assert (ftype, got_body) == (3, body)
