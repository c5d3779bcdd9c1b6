"""Queue declare flags (durable, exclusive, auto-delete, server-named), bind/unbind, purge,
delete with if-unused / if-empty."""
from __future__ import annotations

import pika
import pytest
from amqp_helpers import depth, drain, wait_for

Closed = pika.exceptions.ChannelClosedByBroker


def test_server_named_queue(ch):
    ok = ch.queue_declare("", exclusive=True).method
    assert ok.queue.startswith("amq.gen-")
    assert (ok.message_count, ok.consumer_count) == (0, 0)
    assert ch.queue_declare("", exclusive=True).method.queue != ok.queue


def test_declare_ok_counts_messages_and_consumers(conn, cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    for i in range(3):
        cch.basic_publish("", q, b"%d" % i)
    c2 = conn.channel()
    c2.basic_qos(prefetch_count=1)
    c2.basic_consume(q, lambda *a: None)
    conn.process_data_events(time_limit=0.1)
    ok = cch.queue_declare(q, passive=True).method
    assert (ok.message_count, ok.consumer_count) == (2, 1)


def test_passive_declare_of_missing_queue_is_404(conn, name):
    c = conn.channel()
    with pytest.raises(Closed) as e:
        c.queue_declare(name(), passive=True)
    assert e.value.reply_code == 404


def test_redeclare_with_different_flags_or_args_is_406(conn, name):
    q = name()
    c = conn.channel()
    c.queue_declare(q, durable=False, auto_delete=True)
    with pytest.raises(Closed) as e:
        c.queue_declare(q, durable=True, auto_delete=True)
    assert e.value.reply_code == 406
    c = conn.channel()
    with pytest.raises(Closed) as e:
        c.queue_declare(q, auto_delete=True, arguments={"x-max-length": 5})
    assert e.value.reply_code == 406
    conn.channel().queue_delete(q)


def test_exclusive_queue_is_locked_405_for_other_connections_and_dies_with_owner(connect, name):
    owner, other = connect(), connect()
    q = owner.channel().queue_declare(name(), exclusive=True).method.queue
    for op in (lambda c: c.queue_declare(q, passive=True),
               lambda c: c.basic_consume(q, lambda *a: None),
               lambda c: c.queue_delete(q)):
        c = other.channel()
        with pytest.raises(Closed) as e:
            op(c)
        assert e.value.reply_code == 405
    owner.close()

    def gone():
        c = other.channel()
        try:
            c.queue_declare(q, passive=True)
            c.close()
            return False
        except Closed as e:
            return e.reply_code == 404

    wait_for(gone, what="exclusive queue deleted with its connection")


def test_auto_delete_queue_is_deleted_when_last_consumer_cancels(conn, name):
    c = conn.channel()
    q = c.queue_declare(name(), auto_delete=True).method.queue
    c.queue_declare(q, passive=True)  # no consumer yet: still there
    tag1 = c.basic_consume(q, lambda *a: None)
    tag2 = c.basic_consume(q, lambda *a: None)
    c.basic_cancel(tag1)
    c.queue_declare(q, passive=True)  # one consumer left
    c.basic_cancel(tag2)
    with pytest.raises(Closed) as e:
        c.queue_declare(q, passive=True)
    assert e.value.reply_code == 404


def test_bind_and_unbind(cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    cch.queue_bind(q, "amq.direct", routing_key="rk")
    cch.basic_publish("amq.direct", "rk", b"bound")
    cch.queue_unbind(q, "amq.direct", routing_key="rk")
    cch.basic_publish("amq.direct", "rk", b"unbound")
    assert drain(cch, q) == [b"bound"]


def test_bind_to_missing_exchange_or_queue_is_404(conn, name):
    c = conn.channel()
    q = c.queue_declare(name(), auto_delete=True).method.queue
    with pytest.raises(Closed) as e:
        c.queue_bind(q, name("no-exchange"), routing_key="k")
    assert e.value.reply_code == 404
    c = conn.channel()
    with pytest.raises(Closed) as e:
        c.queue_bind(name("no-queue"), "amq.direct", routing_key="k")
    assert e.value.reply_code == 404


def test_purge_returns_count_and_empties(cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    for i in range(7):
        cch.basic_publish("", q, b"%d" % i)
    assert cch.queue_purge(q).method.message_count == 7
    assert depth(cch, q) == 0
    assert cch.basic_get(q)[0] is None


def test_delete_returns_count_and_if_unused_if_empty(conn, name):
    c = conn.channel()
    c.confirm_delivery()
    q = c.queue_declare(name()).method.queue
    c.basic_publish("", q, b"one")
    c.basic_publish("", q, b"two")
    with pytest.raises(Closed) as e:
        c.queue_delete(q, if_empty=True)
    assert e.value.reply_code == 406
    c = conn.channel()
    c2 = conn.channel()
    c2.basic_qos(prefetch_count=1)
    c2.basic_consume(q, lambda *a: None)
    with pytest.raises(Closed) as e:
        c.queue_delete(q, if_unused=True)
    assert e.value.reply_code == 406
    c2.close()
    c = conn.channel()
    assert c.queue_delete(q).method.message_count == 2
    with pytest.raises(Closed) as e:
        c.queue_declare(q, passive=True)
    assert e.value.reply_code == 404


def test_delete_of_missing_queue_is_ok(ch, name):
    # RabbitMQ 3.x answers Delete-Ok with 0 for a queue that does not exist.
    assert ch.queue_delete(name()).method.message_count == 0


def test_amq_prefixed_queue_name_is_refused_403(conn):
    c = conn.channel()
    with pytest.raises(Closed) as e:
        c.queue_declare("amq.reserved-name")
    assert e.value.reply_code == 403


def test_exclusive_queue_is_usable_from_other_channels_of_the_owner(conn, name):
    c1, c2 = conn.channel(), conn.channel()
    q = c1.queue_declare(name(), exclusive=True).method.queue
    c2.queue_declare(q, passive=True)
    c2.confirm_delivery()
    c2.basic_publish("", q, b"mine")
    assert drain(c2, q) == [b"mine"]
