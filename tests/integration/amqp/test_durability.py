"""Durable entities and persistent messages across a graceful restart and kill -9 (each test
starts its own broker)."""
from __future__ import annotations

import pika
import pytest
from amqp_helpers import RABBIT, collect, depth, params, wait_amqp, wait_for

Closed = pika.exceptions.ChannelClosedByBroker


class Srv:
    def __init__(self, b):
        self.host, self.port = b.host, b.amqp_port


def open_channel(broker, confirms=True):
    c = pika.BlockingConnection(params(Srv(broker)))
    ch = c.channel()
    if confirms:
        ch.confirm_delivery()
    return c, ch


def restart(b):
    b.start()
    wait_amqp(b)  # UniMQ: the AMQP listener opens just after the MQTT one


def kill9(b):
    if hasattr(b, "kill9"):
        b.kill9()  # RabbitMQ reference run
    else:
        b.proc.kill()
        b.proc.wait()


def get_all(ch, q):
    out = []
    while True:
        m, _, body = ch.basic_get(q, auto_ack=True)
        if m is None:
            return out
        out.append((body, m.redelivered))


def test_durable_entities_and_persistent_messages_survive_graceful_restart(amqp_broker_factory, name):
    b = amqp_broker_factory()
    conn, ch = open_channel(b)
    dx, q, tq = name("dx"), name("q"), name("transient")
    ch.exchange_declare(dx, "direct", durable=True)
    ch.queue_declare(q, durable=True)
    ch.queue_bind(q, dx, routing_key="k")
    ch.queue_declare(tq, durable=False)
    persistent = pika.BasicProperties(delivery_mode=2, message_id="id", headers={"h": 1})
    for i in range(100):
        ch.basic_publish(dx, "k", b"%d" % i, persistent)
    got = collect(conn, ch, q, 15, auto_ack=False)
    ch.basic_ack(got[9][0].delivery_tag, multiple=True)  # 0..9 acked, 10..14 left unacked
    conn.process_data_events(time_limit=0.1)
    conn.close()
    assert b.stop() == 0
    restart(b)

    conn, ch = open_channel(b)
    with pytest.raises(Closed) as e:
        conn.channel().queue_declare(tq, passive=True)
    assert e.value.reply_code == 404, "a non-durable queue survived the restart"
    ch.exchange_declare(dx, "direct", passive=True)
    assert depth(ch, q) == 90
    msgs = get_all(ch, q)
    assert [body for body, _ in msgs] == [b"%d" % i for i in range(10, 100)]
    assert all(red for _, red in msgs[:5]), "unacked deliveries must come back redelivered"
    ch.basic_publish(dx, "k", b"after-restart", persistent)  # binding survived
    _, props, body = ch.basic_get(q, auto_ack=True)
    assert body == b"after-restart"
    conn.close()


def test_confirmed_persistent_messages_survive_kill_9(amqp_broker_factory, name):
    b = amqp_broker_factory()
    conn, ch = open_channel(b)
    q = name()
    ch.queue_declare(q, durable=True)
    n = 300
    persistent = pika.BasicProperties(delivery_mode=2)
    for i in range(n):
        ch.basic_publish("", q, b"%d" % i, persistent)  # returns after the broker's ack
    sub = conn.channel()
    sub.basic_qos(prefetch_count=20)
    held = collect(conn, sub, q, 20, auto_ack=False)  # delivered, never acked
    assert [b for _, _, b in held] == [b"%d" % i for i in range(20)]
    kill9(b)
    restart(b)

    conn2, ch2 = open_channel(b)
    msgs = get_all(ch2, q)
    bodies = [body for body, _ in msgs]
    assert sorted(bodies, key=int) == [b"%d" % i for i in range(n)], \
        "lost or duplicated confirmed messages: got %d of %d" % (len(set(bodies)), n)
    redelivered = {body for body, red in msgs if red}
    assert {b"%d" % i for i in range(20)} <= redelivered, "held deliveries not flagged redelivered"
    conn2.close()


def test_kill_9_during_concurrent_confirmed_publishing_loses_nothing_confirmed(amqp_broker_factory, name):
    import threading
    import time

    b = amqp_broker_factory()
    conn, ch = open_channel(b)
    queues = [name("q0"), name("q1")]
    for q in queues:
        ch.queue_declare(q, durable=True)
    conn.close()
    confirmed = {q: [] for q in queues}
    lock = threading.Lock()
    started = threading.Barrier(5)

    def publisher(p):
        q = queues[p % 2]
        try:
            c, pch = open_channel(b)
        except Exception:
            started.wait()
            return
        started.wait()
        i = 0
        try:
            while True:
                body = b"%d-%d" % (p, i)
                pch.basic_publish("", q, body, pika.BasicProperties(delivery_mode=2))
                with lock:
                    confirmed[q].append(body)
                i += 1
        except Exception:
            return  # the broker died under us

    threads = [threading.Thread(target=publisher, args=(p,)) for p in range(4)]
    for t in threads:
        t.start()
    started.wait()
    deadline = time.monotonic() + 10
    while sum(len(v) for v in confirmed.values()) < 400 and time.monotonic() < deadline:
        time.sleep(0.01)
    kill9(b)
    for t in threads:
        t.join(10)
    restart(b)
    conn, ch = open_channel(b)
    for q in queues:
        bodies = [body for body, _ in get_all(ch, q)]
        assert len(bodies) == len(set(bodies)), "duplicates in %s after kill -9" % q
        missing = set(confirmed[q]) - set(bodies)
        assert not missing, "%d of %d confirmed messages lost from %s" % (len(missing), len(confirmed[q]), q)
    conn.close()


def test_durable_topology_with_arguments_survives_restart(amqp_broker_factory, name):
    b = amqp_broker_factory()
    conn, ch = open_channel(b)
    src, hx, dlx = name("src"), name("hx"), name("dlx")
    q, dead, hq = name("q"), name("dead"), name("hq")
    qargs = {"x-max-length": 2, "x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "d"}
    ch.exchange_declare(src, "topic", durable=True)
    ch.exchange_declare(hx, "headers", durable=True)
    ch.exchange_declare(dlx, "direct", durable=True)
    ch.exchange_bind(destination=hx, source=src, routing_key="a.#")  # exchange-to-exchange
    ch.queue_declare(q, durable=True, arguments=qargs)
    ch.queue_declare(dead, durable=True)
    ch.queue_declare(hq, durable=True)
    ch.queue_bind(q, src, routing_key="a.*")
    ch.queue_bind(dead, dlx, routing_key="d")
    ch.queue_bind(hq, hx, arguments={"x-match": "all", "kind": "x"})
    conn.close()
    assert b.stop() == 0
    restart(b)

    conn, ch = open_channel(b)
    ch.queue_declare(q, durable=True, arguments=qargs)  # same arguments: no 406 after restart
    with pytest.raises(Closed) as e:
        conn.channel().queue_declare(q, durable=True, arguments={"x-max-length": 3})
    assert e.value.reply_code == 406
    persistent = dict(delivery_mode=2)
    for i in range(3):  # max-length 2 with drop-head: "0" is dead-lettered
        ch.basic_publish(src, "a.b", b"%d" % i, pika.BasicProperties(headers={"kind": "x"}, **persistent))
    ch.basic_publish(src, "a.b.c", b"deep", pika.BasicProperties(headers={"kind": "x"}, **persistent))
    ch.basic_publish(src, "a.b.c", b"other", pika.BasicProperties(headers={"kind": "y"}, **persistent))
    assert [body for body, _ in get_all(ch, q)] == [b"1", b"2"]
    assert [body for body, _ in get_all(ch, dead)] == [b"0"]
    assert [body for body, _ in get_all(ch, hq)] == [b"0", b"1", b"2", b"deep"]
    conn.close()



def _requeue_past_limit(conn, ch, name, qargs):
    """A durable queue (args `qargs`, max limit two one-byte messages) dead-lettering to a durable
    fanout: two deliveries held unacked, two newer messages published (unacked ones do not count
    towards the limit), then the consumer's connection closes so the held two are requeued at the
    head. Returns (queue, dead-letter queue)."""
    dlx, q, dead = name("dlx"), name("q"), name("dead")
    ch.exchange_declare(dlx, "fanout", durable=True)
    ch.queue_declare(dead, durable=True)
    ch.queue_bind(dead, dlx)
    ch.queue_declare(q, durable=True, arguments=dict(qargs, **{"x-dead-letter-exchange": dlx}))
    persistent = pika.BasicProperties(delivery_mode=2)
    for i in range(2):
        ch.basic_publish("", q, b"%d" % i, persistent)
    held = collect(conn, ch, q, 2, auto_ack=False)
    assert [body for _, _, body in held] == [b"0", b"1"]
    for i in range(2, 4):
        ch.basic_publish("", q, b"%d" % i, persistent)
    assert depth(ch, q) == 2
    conn.close()  # requeues the held two
    return q, dead


@pytest.mark.parametrize("limit", [{"x-max-length": 2}, {"x-max-length-bytes": 2}], ids=["length", "bytes"])
def test_requeue_past_the_limit_drops_and_dead_letters_the_oldest(amqp_broker_factory, name, limit):
    b = amqp_broker_factory()
    q, dead = _requeue_past_limit(*open_channel(b), name, limit)
    conn, ch = open_channel(b)
    wait_for(lambda: depth(ch, dead) == 2, what="the two requeued messages dead-lettered")
    assert [body for body, _ in get_all(ch, q)] == [b"2", b"3"]
    assert [body for body, _ in get_all(ch, dead)] == [b"0", b"1"]
    conn.close()


@pytest.mark.parametrize("overflow", ["reject-publish", "reject-publish-dlx"])
def test_recovered_queue_over_its_limit_drops_and_dead_letters_its_oldest(amqp_broker_factory, name, overflow):
    # A reject-publish queue stays over its limit after a requeue (it only refuses publishes);
    # recovery applies the limit to it like drop-head: RabbitMQ reads x-max-length before
    # x-overflow when a queue starts, so the oldest are dropped and dead-lettered (reason maxlen).
    b = amqp_broker_factory()
    q, dead = _requeue_past_limit(*open_channel(b), name, {"x-max-length": 2, "x-overflow": overflow})
    conn, ch = open_channel(b)
    assert depth(ch, q) == 4, "requeue must not trim a reject-publish queue"
    with pytest.raises(pika.exceptions.NackError):
        ch.basic_publish("", q, b"refused", pika.BasicProperties(delivery_mode=2))
    conn.close()
    assert b.stop() == 0
    restart(b)
    conn, ch = open_channel(b)
    assert [body for body, _ in get_all(ch, q)] == [b"2", b"3"], "the recovered queue kept more than x-max-length"
    expected = [b"0", b"1"]
    if overflow == "reject-publish-dlx":
        expected.insert(0, b"refused")  # dead-lettered when it was refused, before the restart
    got = []
    while True:
        m, props, body = ch.basic_get(dead, auto_ack=True)
        if m is None:
            break
        got.append((body, props.headers["x-death"][0]["reason"]))
    assert got == [(body, "maxlen") for body in expected]
    conn.close()


@pytest.mark.skipif(RABBIT, reason="storage.max_streams is UniMQ's")
def test_durable_queues_beyond_the_stream_budget_are_refused_not_made_transient(amqp_broker_factory, name):
    """A durable queue keeps its messages in a journal stream, which holds file descriptors.
    Past storage.max_streams, queue.declare is refused (406, as RabbitMQ's queue limit) instead
    of making a queue that would silently lose its messages on restart; transient queues and
    the queues made before still work."""
    b = amqp_broker_factory(["--set", "storage.max_streams=12"])
    conn, ch = open_channel(b)
    made = []
    with pytest.raises(Closed) as e:
        for i in range(50):
            ch.queue_declare(name("q%d" % i), durable=True)
            made.append(name("q%d" % i))
    assert e.value.reply_code == 406
    assert "storage.max_streams" in e.value.reply_text
    assert 0 < len(made) < 12
    ch = conn.channel()
    ch.confirm_delivery()
    ch.queue_declare(name("transient"), durable=False)
    ch.basic_publish("", made[0], b"kept", pika.BasicProperties(delivery_mode=2))
    conn.close()
    assert b.stop() == 0
    restart(b)
    conn, ch = open_channel(b)
    assert [body for body, _ in get_all(ch, made[0])] == [b"kept"]
    conn.close()
