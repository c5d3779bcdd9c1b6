"""Consumers and acknowledgements: no-ack and manual ack, ack multiple, nack/reject with and
without requeue, prefetch, basic.get, cancel (client and server initiated), recover."""
from __future__ import annotations

import pika
import pytest
from amqp_helpers import bound_queue, collect, depth, drain, wait_for

Closed = pika.exceptions.ChannelClosedByBroker


@pytest.fixture
def filled(conn, name):
    """filled(n) -> queue holding bodies b"0" .. b"n-1" (published with confirms)."""
    def make(n, **declare):
        c = conn.channel()
        c.confirm_delivery()
        declare.setdefault("auto_delete", False)
        q = c.queue_declare(name("q%d" % n), **declare).method.queue
        for i in range(n):
            c.basic_publish("", q, b"%d" % i)
        c.close()
        return q
    return make


def test_no_ack_consumer_gets_everything_in_order(conn, filled):
    q = filled(50)
    c = conn.channel()
    got = collect(conn, c, q, 50, auto_ack=True)
    assert [b for _, _, b in got] == [b"%d" % i for i in range(50)]
    assert all(not m.redelivered for m, _, _ in got)
    assert depth(c, q) == 0


def test_deliveries_carry_exchange_routing_key_and_increasing_tags(conn, cch, name):
    q = bound_queue(cch, name(), "amq.topic", "a.#")
    cch.basic_publish("amq.topic", "a.b", b"1")
    cch.basic_publish("amq.topic", "a.c", b"2")
    got = collect(conn, cch, q, 2)
    assert [(m.exchange, m.routing_key) for m, _, _ in got] == [("amq.topic", "a.b"), ("amq.topic", "a.c")]
    assert got[0][0].delivery_tag < got[1][0].delivery_tag


def test_unacked_messages_return_redelivered_when_the_channel_closes(conn, filled):
    q = filled(3)
    c = conn.channel()
    got = collect(conn, c, q, 3, auto_ack=False)
    assert not any(m.redelivered for m, _, _ in got)
    c.basic_ack(got[0][0].delivery_tag)
    c.close()
    c = conn.channel()
    again = collect(conn, c, q, 2, auto_ack=True)
    assert [b for _, _, b in again] == [b"1", b"2"]
    assert all(m.redelivered for m, _, _ in again)


def test_ack_multiple(conn, filled):
    q = filled(5)
    c = conn.channel()
    got = collect(conn, c, q, 5, auto_ack=False)
    c.basic_ack(got[3][0].delivery_tag, multiple=True)  # acks 0..3
    c.close()
    assert drain(conn.channel(), q) == [b"4"]


def test_ack_of_unknown_tag_is_406(conn, filled):
    q = filled(1)
    c = conn.channel()
    collect(conn, c, q, 1, auto_ack=False)
    c.basic_ack(999)
    with pytest.raises(Closed) as e:
        c.queue_declare(q, passive=True)
    assert e.value.reply_code == 406


@pytest.mark.parametrize("how", ["nack", "reject"])
def test_requeue_sets_redelivered(conn, filled, how):
    q = filled(1)
    c = conn.channel()
    m, _, body = c.basic_get(q)
    assert body == b"0" and not m.redelivered
    if how == "nack":
        c.basic_nack(m.delivery_tag, requeue=True)
    else:
        c.basic_reject(m.delivery_tag, requeue=True)
    m2, _, body2 = c.basic_get(q)
    assert body2 == b"0" and m2.redelivered
    c.basic_ack(m2.delivery_tag)
    assert c.basic_get(q)[0] is None


@pytest.mark.parametrize("how", ["nack", "reject"])
def test_without_requeue_the_message_is_dropped(conn, filled, how):
    q = filled(2)
    c = conn.channel()
    m, _, _ = c.basic_get(q)
    if how == "nack":
        c.basic_nack(m.delivery_tag, requeue=False)
    else:
        c.basic_reject(m.delivery_tag, requeue=False)
    assert drain(c, q) == [b"1"]


def test_nack_multiple_requeues_all(conn, filled):
    q = filled(3)
    c = conn.channel()
    got = collect(conn, c, q, 3, auto_ack=False)
    c.basic_nack(got[2][0].delivery_tag, multiple=True, requeue=True)
    again = [c.basic_get(q, auto_ack=True) for _ in range(3)]
    assert sorted(b for _, _, b in again) == [b"0", b"1", b"2"]
    assert all(m.redelivered for m, _, _ in again)


def test_prefetch_2_holds_at_most_2_unacked(conn, filled):
    q = filled(10)
    c = conn.channel()
    c.basic_qos(prefetch_count=2)
    got = []
    c.basic_consume(q, lambda ch, m, p, b: got.append(m), auto_ack=False)
    wait_for(lambda: len(got) >= 2, conn=conn, what="2 deliveries")
    conn.process_data_events(time_limit=0.3)
    assert len(got) == 2, "prefetch 2 but %d unacked deliveries" % len(got)
    c.basic_ack(got[0].delivery_tag)
    wait_for(lambda: len(got) >= 3, conn=conn, what="a 3rd delivery after one ack")
    conn.process_data_events(time_limit=0.3)
    assert len(got) == 3
    c.basic_ack(got[2].delivery_tag, multiple=True)
    wait_for(lambda: len(got) >= 5, conn=conn, what="2 more deliveries after ack multiple")
    conn.process_data_events(time_limit=0.3)
    assert len(got) == 5


def test_basic_get_and_get_empty(conn, filled):
    q = filled(2)
    c = conn.channel()
    m, props, body = c.basic_get(q, auto_ack=True)
    assert body == b"0" and m.message_count == 1
    m, props, body = c.basic_get(q, auto_ack=False)
    assert body == b"1" and m.message_count == 0
    c.basic_ack(m.delivery_tag)
    assert c.basic_get(q) == (None, None, None)


def test_round_robin_between_two_consumers(conn, filled):
    q = filled(10)
    c1, c2 = conn.channel(), conn.channel()
    a, b = [], []

    def keep(out):
        def on_message(ch, m, p, body):
            out.append(body)
            ch.basic_ack(m.delivery_tag)
        return on_message

    for c in (c1, c2):
        c.basic_qos(prefetch_count=1)  # otherwise the first consumer takes the whole backlog
    c1.basic_consume(q, keep(a))
    c2.basic_consume(q, keep(b))
    wait_for(lambda: len(a) + len(b) >= 10, conn=conn, what="10 deliveries")
    assert sorted(a + b, key=int) == [b"%d" % i for i in range(10)]
    assert a and b, "one consumer got everything: %r / %r" % (a, b)


def test_cancel_stops_deliveries(conn, cch, name):
    q = cch.queue_declare(name(), auto_delete=False).method.queue
    got = []
    tag = cch.basic_consume(q, lambda ch, m, p, b: got.append(b), auto_ack=True)
    cch.basic_publish("", q, b"before")
    wait_for(lambda: got, conn=conn, what="first delivery")
    cch.basic_cancel(tag)
    cch.basic_publish("", q, b"after")
    conn.process_data_events(time_limit=0.2)
    assert got == [b"before"]
    assert drain(cch, q) == [b"after"]
    cch.queue_delete(q)


def test_exclusive_consumer_blocks_others_403(connect, filled):
    q = filled(1)
    c1 = connect().channel()
    c1.basic_consume(q, lambda *a: None, exclusive=True)
    c2 = connect().channel()
    with pytest.raises(Closed) as e:
        c2.basic_consume(q, lambda *a: None)
    assert e.value.reply_code == 403


def test_duplicate_consumer_tag_is_530(conn, filled):
    q = filled(0)
    c = conn.channel()
    c.basic_consume(q, lambda *a: None, consumer_tag="same")
    with pytest.raises((pika.exceptions.ConnectionClosedByBroker, pika.exceptions.DuplicateConsumerTag,
                        Closed)):
        c.basic_consume(q, lambda *a: None, consumer_tag="same")


def test_server_cancels_consumer_when_queue_is_deleted(connect, name):
    conn = connect()
    c = conn.channel()
    q = c.queue_declare(name()).method.queue
    cancelled = []
    c.add_on_cancel_callback(lambda frame: cancelled.append(frame.method.consumer_tag))
    tag = c.basic_consume(q, lambda *a: None)
    other = connect().channel()
    other.queue_delete(q)
    wait_for(lambda: cancelled, conn=conn, what="Basic.Cancel from the broker")
    assert cancelled == [tag]
    assert c.is_open  # the channel survives


def test_recover_redelivers_unacked(conn, filled):
    q = filled(2)
    c = conn.channel()
    got = []
    c.basic_consume(q, lambda ch, m, p, b: got.append((m, b)), auto_ack=False)
    wait_for(lambda: len(got) >= 2, conn=conn, what="2 deliveries")
    assert not any(m.redelivered for m, _ in got)
    c.basic_recover(requeue=True)
    wait_for(lambda: len(got) >= 4, conn=conn, what="2 redeliveries after basic.recover")
    assert sorted(b for _, b in got[2:]) == [b"0", b"1"]
    assert all(m.redelivered for m, _ in got[2:])
    c.basic_ack(0, multiple=True)


def test_consume_from_missing_queue_is_404(conn, name):
    c = conn.channel()
    with pytest.raises(Closed) as e:
        c.basic_consume(name(), lambda *a: None)
    assert e.value.reply_code == 404


def test_bulk_publish_and_consume_keeps_order(conn, name):
    """5000 messages without confirms from one channel arrive complete and in order."""
    c = conn.channel()
    q = c.queue_declare(name(), auto_delete=True).method.queue
    n = 5000
    for i in range(n):
        c.basic_publish("", q, b"%d" % i)
    got = []
    c.basic_consume(q, lambda ch, m, p, b: got.append(b), auto_ack=True)
    wait_for(lambda: len(got) >= n, timeout=15, conn=conn, what="%d deliveries" % n)
    assert got == [b"%d" % i for i in range(n)]


def test_per_consumer_prefetch_with_two_consumers_on_one_channel(conn, filled):
    q = filled(10)
    c = conn.channel()
    c.basic_qos(prefetch_count=1)  # per consumer (RabbitMQ's global=false)
    a, b = [], []
    c.basic_consume(q, lambda ch, m, p, body: a.append(m), auto_ack=False)
    c.basic_consume(q, lambda ch, m, p, body: b.append(m), auto_ack=False)
    wait_for(lambda: len(a) >= 1 and len(b) >= 1, conn=conn, what="one delivery per consumer")
    conn.process_data_events(time_limit=0.3)
    assert (len(a), len(b)) == (1, 1)


def test_requeued_messages_keep_their_original_position(conn, filled):
    q = filled(4)
    c = conn.channel()
    m0, _, _ = c.basic_get(q)
    m1, _, _ = c.basic_get(q)
    c.basic_reject(m1.delivery_tag, requeue=True)
    c.basic_reject(m0.delivery_tag, requeue=True)
    assert drain(c, q) == [b"0", b"1", b"2", b"3"]


def test_unacked_messages_move_to_another_consumer_when_one_disconnects(connect, filled):
    q = filled(3)
    first = connect()
    c1 = first.channel()
    held = collect(first, c1, q, 3, auto_ack=False)
    assert len(held) == 3
    second = connect()
    c2 = second.channel()
    got = []
    c2.basic_consume(q, lambda ch, m, p, b: got.append((m.redelivered, b)), auto_ack=True)
    second.process_data_events(time_limit=0.2)
    assert got == []  # still held by the first consumer
    first.close()
    wait_for(lambda: len(got) >= 3, conn=second, what="redelivery to the second consumer")
    assert got == [(True, b"0"), (True, b"1"), (True, b"2")]


def test_single_active_consumer(conn, cch, name):
    q = cch.queue_declare(name(), auto_delete=False, arguments={"x-single-active-consumer": True}).method.queue
    a, b = [], []
    tag_a = cch.basic_consume(q, lambda ch, m, p, body: a.append(body), auto_ack=True)
    cch.basic_consume(q, lambda ch, m, p, body: b.append(body), auto_ack=True)
    for i in range(4):
        cch.basic_publish("", q, b"%d" % i)
    wait_for(lambda: len(a) + len(b) >= 4, conn=conn, what="4 deliveries")
    assert (a, b) == ([b"0", b"1", b"2", b"3"], []), "only the first consumer may be active"
    cch.basic_cancel(tag_a)
    cch.basic_publish("", q, b"4")
    wait_for(lambda: b, conn=conn, what="delivery to the next consumer")
    assert b == [b"4"]
    cch.queue_delete(q)


def test_delivery_tags_count_per_channel_across_get_and_consume(conn, filled):
    q = filled(3)
    c = conn.channel()
    m, _, _ = c.basic_get(q)
    assert m.delivery_tag == 1
    got = collect(conn, c, q, 2, auto_ack=False)
    assert [x[0].delivery_tag for x in got] == [2, 3]
    c.basic_ack(3, multiple=True)
    other = conn.channel()
    assert other.basic_get(q)[0] is None  # all three settled
