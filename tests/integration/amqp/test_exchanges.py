"""Exchange types and routing, the default exchange, declare semantics, exchange-to-exchange."""
from __future__ import annotations

import pika
import pytest
from amqp_helpers import bound_queue, drain

Closed = pika.exceptions.ChannelClosedByBroker


def queues(ch, name, *keys, exchange, arguments=None):
    """One auto-delete queue per routing key (or per arguments table) bound to exchange."""
    return [bound_queue(ch, name("q%d" % i), exchange, k, arguments[i] if arguments else None)
            for i, k in enumerate(keys)]


def test_direct_routes_by_exact_key(cch, name):
    ex = name("ex")
    cch.exchange_declare(ex, "direct", auto_delete=True)
    qa, qb = queues(cch, name, "a", "b", exchange=ex)
    cch.basic_publish(ex, "a", b"to-a")
    cch.basic_publish(ex, "b", b"to-b")
    cch.basic_publish(ex, "c", b"nowhere")
    assert drain(cch, qa) == [b"to-a"]
    assert drain(cch, qb) == [b"to-b"]


def test_direct_same_key_bound_twice_delivers_once_per_queue(cch, name):
    ex = name("ex")
    cch.exchange_declare(ex, "direct", auto_delete=True)
    q1, q2 = queues(cch, name, "k", "k", exchange=ex)
    cch.queue_bind(q1, ex, routing_key="k")  # idempotent
    cch.basic_publish(ex, "k", b"m")
    assert drain(cch, q1) == [b"m"]
    assert drain(cch, q2) == [b"m"]


def test_fanout_ignores_routing_key(cch, name):
    ex = name("ex")
    cch.exchange_declare(ex, "fanout", auto_delete=True)
    q1, q2 = queues(cch, name, "x", "y", exchange=ex)
    cch.basic_publish(ex, "anything", b"f")
    assert drain(cch, q1) == [b"f"]
    assert drain(cch, q2) == [b"f"]


def test_topic_star_and_hash(cch, name):
    ex = name("ex")
    cch.exchange_declare(ex, "topic", auto_delete=True)
    star, hash_, all_, mid, inner = queues(cch, name, "a.*", "a.#", "#", "*.b.#", "a.#.z", exchange=ex)
    for rk in ["a", "a.b", "a.b.c", "x.b", "b.a", "a.z", "a.b.c.z", "a.zz"]:
        cch.basic_publish(ex, rk, rk.encode())
    assert drain(cch, star) == [b"a.b", b"a.z", b"a.zz"]
    assert drain(cch, hash_) == [b"a", b"a.b", b"a.b.c", b"a.z", b"a.b.c.z", b"a.zz"]
    assert drain(cch, all_) == [b"a", b"a.b", b"a.b.c", b"x.b", b"b.a", b"a.z", b"a.b.c.z", b"a.zz"]
    assert drain(cch, mid) == [b"a.b", b"a.b.c", b"x.b", b"a.b.c.z"]
    assert drain(cch, inner) == [b"a.z", b"a.b.c.z"]  # '#' matches zero or more words


def test_topic_one_copy_per_queue_when_several_bindings_match(cch, name):
    ex = name("ex")
    cch.exchange_declare(ex, "topic", auto_delete=True)
    q = cch.queue_declare(name("q"), auto_delete=True).method.queue
    for k in ["a.*", "a.#", "#", "a.b"]:
        cch.queue_bind(q, ex, routing_key=k)
    cch.basic_publish(ex, "a.b", b"once")
    assert drain(cch, q) == [b"once"]


def test_headers_all_and_any(cch, name):
    ex = name("ex")
    cch.exchange_declare(ex, "headers", auto_delete=True)
    q_all, q_any = queues(cch, name, "", "", exchange=ex, arguments=[
        {"x-match": "all", "fmt": "pdf", "type": "report"},
        {"x-match": "any", "fmt": "pdf", "type": "report"}])

    def pub(body, headers):
        cch.basic_publish(ex, "ignored", body, pika.BasicProperties(headers=headers))

    pub(b"both", {"fmt": "pdf", "type": "report", "extra": 1})
    pub(b"fmt-only", {"fmt": "pdf"})
    pub(b"wrong-value", {"fmt": "doc", "type": "log"})
    pub(b"none", None)
    assert drain(cch, q_all) == [b"both"]
    assert drain(cch, q_any) == [b"both", b"fmt-only"]


def test_default_exchange_routes_to_queue_by_name(cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    cch.basic_publish("", q, b"direct-to-queue")
    cch.basic_publish("", name("missing"), b"dropped")
    assert drain(cch, q) == [b"direct-to-queue"]


def test_binding_to_the_default_exchange_is_refused_403(conn, name):
    c = conn.channel()
    q = c.queue_declare(name(), auto_delete=True).method.queue
    with pytest.raises(Closed) as e:
        c.queue_bind(q, "", routing_key="other")
    assert e.value.reply_code == 403


def test_predeclared_amq_exchanges_exist(ch):
    for ex, kind in [("amq.direct", "direct"), ("amq.fanout", "fanout"), ("amq.topic", "topic"),
                     ("amq.headers", "headers"), ("amq.match", "headers")]:
        ch.exchange_declare(ex, kind, passive=True)
        ch.exchange_declare(ex, kind, durable=True)  # same properties: fine


def test_declaring_amq_prefixed_exchange_is_refused_403(conn, name):
    c = conn.channel()
    with pytest.raises(Closed) as e:
        c.exchange_declare("amq.custom-" + name(), "direct")
    assert e.value.reply_code == 403


def test_passive_declare_of_missing_exchange_is_404(conn, name):
    c = conn.channel()
    with pytest.raises(Closed) as e:
        c.exchange_declare(name(), "direct", passive=True)
    assert e.value.reply_code == 404
    assert conn.is_open  # a channel error, not a connection error
    conn.channel().queue_declare("", exclusive=True)


def test_redeclare_with_different_type_or_durability_is_406(conn, name):
    ex = name()
    c = conn.channel()
    c.exchange_declare(ex, "direct", auto_delete=True)
    c.exchange_declare(ex, "direct", auto_delete=True)  # identical: ok
    with pytest.raises(Closed) as e:
        c.exchange_declare(ex, "fanout", auto_delete=True)
    assert e.value.reply_code == 406
    c = conn.channel()
    with pytest.raises(Closed) as e:
        c.exchange_declare(ex, "direct", durable=True, auto_delete=True)
    assert e.value.reply_code == 406


def test_unknown_exchange_type_is_refused(conn, name):
    c = conn.channel()
    with pytest.raises((Closed, pika.exceptions.ConnectionClosedByBroker)) as e:
        c.exchange_declare(name(), "no-such-type")
    assert e.value.reply_code in (503, 406)


def test_publish_to_missing_exchange_closes_channel_404(conn, name):
    c = conn.channel()
    c.basic_publish(name("missing"), "k", b"x")
    with pytest.raises(Closed) as e:
        c.queue_declare("", exclusive=True)
    assert e.value.reply_code == 404


def test_exchange_to_exchange_binding(cch, name):
    src, dst = name("src"), name("dst")
    cch.exchange_declare(src, "topic")  # not auto-delete: it must outlive the unbind below
    cch.exchange_declare(dst, "fanout", auto_delete=True)
    cch.exchange_bind(destination=dst, source=src, routing_key="orders.#")
    q = bound_queue(cch, name("q"), dst)
    cch.basic_publish(src, "orders.new", b"via-e2e")
    cch.basic_publish(src, "users.new", b"filtered")
    assert drain(cch, q) == [b"via-e2e"]
    cch.exchange_unbind(destination=dst, source=src, routing_key="orders.#")
    cch.basic_publish(src, "orders.new", b"after-unbind")
    assert drain(cch, q) == []
    cch.exchange_delete(src)


def test_exchange_binding_cycle_delivers_once(cch, name):
    e1, e2 = name("e1"), name("e2")
    cch.exchange_declare(e1, "fanout")
    cch.exchange_declare(e2, "fanout")
    cch.exchange_bind(destination=e2, source=e1)
    cch.exchange_bind(destination=e1, source=e2)
    q = bound_queue(cch, name("q"), e2)
    cch.basic_publish(e1, "", b"loop")
    assert drain(cch, q) == [b"loop"]
    cch.exchange_delete(e1)
    cch.exchange_delete(e2)


def test_exchange_delete_if_unused_and_delete(conn, name):
    ex = name()
    c = conn.channel()
    c.exchange_declare(ex, "direct", auto_delete=False)
    bound_queue(c, name("q"), ex, "k")
    with pytest.raises(Closed) as e:
        c.exchange_delete(ex, if_unused=True)
    assert e.value.reply_code == 406
    c = conn.channel()
    c.exchange_delete(ex)
    with pytest.raises(Closed) as e:
        c.exchange_declare(ex, "direct", passive=True)
    assert e.value.reply_code == 404


def test_auto_delete_exchange_goes_away_with_its_last_binding(conn, name):
    ex = name()
    c = conn.channel()
    c.exchange_declare(ex, "direct", auto_delete=True)
    q = bound_queue(c, name("q"), ex, "k")
    c.queue_unbind(q, ex, routing_key="k")
    with pytest.raises(Closed) as e:
        c.exchange_declare(ex, "direct", passive=True)
    assert e.value.reply_code == 404


def test_utf8_names_and_long_routing_keys(cch, name):
    ex = name("ëxchänge-日本")
    cch.exchange_declare(ex, "direct", auto_delete=True)
    rk = "ключ." + "k" * 200
    q = bound_queue(cch, name("qüeue-日本"), ex, rk)
    cch.basic_publish(ex, rk, b"utf8")
    m, _, body = cch.basic_get(q, auto_ack=True)
    assert body == b"utf8" and m.routing_key == rk and m.exchange == ex

