"""Queue arguments: message TTL (queue and per message), max-length overflow policies,
dead-lettering with x-death, queue expiry."""
from __future__ import annotations

import pika
import pytest
from amqp_helpers import dead_letter_target, depth, drain, wait_for, wait_get

Closed = pika.exceptions.ChannelClosedByBroker


def test_queue_message_ttl_expires_messages(cch, name):
    q = cch.queue_declare(name("ttl"), auto_delete=True, arguments={"x-message-ttl": 200}).method.queue
    control = cch.queue_declare(name("plain"), auto_delete=True).method.queue
    for target in (q, control):
        cch.basic_publish("", target, b"m")
    wait_for(lambda: depth(cch, q) == 0, what="TTL expiry")
    assert cch.basic_get(q)[0] is None
    assert drain(cch, control) == [b"m"]


def test_per_message_expiration(cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    cch.basic_publish("", q, b"short", pika.BasicProperties(expiration="200"))
    wait_for(lambda: depth(cch, q) == 0, what="per-message expiry")
    cch.basic_publish("", q, b"long", pika.BasicProperties(expiration="60000"))
    cch.basic_publish("", q, b"forever")
    assert drain(cch, q) == [b"long", b"forever"]


def test_expiration_zero_is_dropped_unless_a_consumer_is_ready(cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    cch.basic_publish("", q, b"gone", pika.BasicProperties(expiration="0"))
    wait_for(lambda: depth(cch, q) == 0, what="expiration 0 dropped")


def test_invalid_expiration_is_refused(conn, name):
    c = conn.channel()
    q = c.queue_declare(name(), auto_delete=True).method.queue
    c.basic_publish("", q, b"x", pika.BasicProperties(expiration="soon"))
    with pytest.raises(Closed) as e:
        c.queue_declare(q, passive=True)
    assert e.value.reply_code == 406


def test_max_length_drop_head(cch, name):
    q = cch.queue_declare(name(), auto_delete=True, arguments={"x-max-length": 3}).method.queue
    for i in range(5):
        cch.basic_publish("", q, b"%d" % i)
    assert drain(cch, q) == [b"2", b"3", b"4"]


def test_max_length_bytes_drop_head(cch, name):
    q = cch.queue_declare(name(), auto_delete=True, arguments={"x-max-length-bytes": 25}).method.queue
    for i in range(5):
        cch.basic_publish("", q, b"%d" % i * 10)
    assert drain(cch, q) == [b"3" * 10, b"4" * 10]


def test_max_length_reject_publish_nacks_under_confirms(cch, name):
    q = cch.queue_declare(name(), auto_delete=True,
                          arguments={"x-max-length": 3, "x-overflow": "reject-publish"}).method.queue
    for i in range(3):
        cch.basic_publish("", q, b"%d" % i)
    for i in range(3, 5):
        with pytest.raises(pika.exceptions.NackError):
            cch.basic_publish("", q, b"%d" % i)
    assert drain(cch, q) == [b"0", b"1", b"2"]


def dlx_setup(c, name, **args):
    """Queue name("src") dead-lettering to a direct exchange with key "dead": (src, dead)."""
    dlx, dead = dead_letter_target(c, name, "direct", "dead")
    arguments = {"x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "dead"}
    arguments.update(args)
    src = c.queue_declare(name("src"), auto_delete=True, arguments=arguments).method.queue
    return src, dead


def x_death(props):
    deaths = props.headers["x-death"]
    assert isinstance(deaths, list) and len(deaths) == 1, deaths
    return deaths[0]


def test_rejected_message_is_dead_lettered_with_x_death(cch, name):
    src, dead = dlx_setup(cch, name)
    cch.basic_publish("", src, b"bad", pika.BasicProperties(message_id="m1", headers={"keep": "me"}))
    m, _, _ = cch.basic_get(src)
    cch.basic_nack(m.delivery_tag, requeue=False)
    dm, props, body = wait_get(cch, dead, "dead-lettered message")
    assert body == b"bad"
    assert dm.routing_key == "dead"
    assert props.message_id == "m1" and props.headers["keep"] == "me"
    d = x_death(props)
    assert d["reason"] == "rejected"
    assert d["queue"] == src
    assert d["exchange"] == ""
    assert list(d["routing-keys"]) == [src]
    assert d["count"] == 1
    assert props.headers["x-first-death-reason"] == "rejected"
    assert props.headers["x-first-death-queue"] == src


def test_expired_message_is_dead_lettered(cch, name):
    src, dead = dlx_setup(cch, name, **{"x-message-ttl": 100})
    cch.basic_publish("", src, b"old")
    got = wait_get(cch, dead, "expired message dead-lettered")
    assert got[2] == b"old"
    assert x_death(got[1])["reason"] == "expired"


def test_overflowed_message_is_dead_lettered(cch, name):
    src, dead = dlx_setup(cch, name, **{"x-max-length": 1})
    cch.basic_publish("", src, b"first")
    cch.basic_publish("", src, b"second")
    got = wait_get(cch, dead, "dropped head dead-lettered")
    assert got[2] == b"first"
    assert x_death(got[1])["reason"] == "maxlen"
    assert drain(cch, src) == [b"second"]


def test_dead_letter_without_routing_key_keeps_the_original_key(cch, name):
    dlx, dead = dead_letter_target(cch, name, "fanout")
    src = cch.queue_declare(name("src"), auto_delete=True,
                            arguments={"x-dead-letter-exchange": dlx}).method.queue
    cch.basic_publish("", src, b"x")
    m, _, _ = cch.basic_get(src)
    cch.basic_reject(m.delivery_tag, requeue=False)
    got = wait_get(cch, dead, "dead letter")
    assert got[0].routing_key == src


def test_unused_queue_expires_with_x_expires(conn, name):
    c = conn.channel()
    q = c.queue_declare(name(), arguments={"x-expires": 300}).method.queue
    probe = conn.channel()
    probe.confirm_delivery()

    def gone():
        # A mandatory publish does not count as a use (a passive declare would reset the timer).
        try:
            probe.basic_publish("", q, b"probe", mandatory=True)
            return False
        except pika.exceptions.UnroutableError:
            return True

    wait_for(gone, timeout=5, what="queue removed by x-expires")
    with pytest.raises(Closed) as e:
        c.queue_declare(q, passive=True)
    assert e.value.reply_code == 404


def test_x_expires_does_not_remove_a_queue_with_consumers(conn, name):
    c = conn.channel()
    q = c.queue_declare(name(), arguments={"x-expires": 200}).method.queue
    c.basic_consume(q, lambda *a: None)
    conn.process_data_events(time_limit=0.6)
    assert c.queue_declare(q, passive=True).method.consumer_count == 1
    c.queue_delete(q)


def test_messages_expire_while_the_consumer_is_busy(conn, cch, name):
    q = cch.queue_declare(name(), auto_delete=True, arguments={"x-message-ttl": 200}).method.queue
    for i in range(5):
        cch.basic_publish("", q, b"%d" % i)
    cch.basic_qos(prefetch_count=1)
    got = []
    cch.basic_consume(q, lambda ch, m, p, b: got.append(m), auto_ack=False)
    wait_for(lambda: got, conn=conn, what="first delivery")
    conn.process_data_events(time_limit=0.6)  # hold it past the others' TTL
    cch.basic_ack(got[0].delivery_tag)
    conn.process_data_events(time_limit=0.3)
    assert len(got) == 1, "expired messages were delivered"


def test_requeued_message_keeps_its_original_expiry(conn, cch, name):
    q = cch.queue_declare(name(), auto_delete=True).method.queue
    cch.basic_publish("", q, b"short-lived", pika.BasicProperties(expiration="300"))
    m, _, _ = cch.basic_get(q)
    assert m is not None
    conn.process_data_events(time_limit=0.5)
    cch.basic_nack(m.delivery_tag, requeue=True)
    wait_for(lambda: depth(cch, q) == 0, what="requeued message expired")
    assert cch.basic_get(q)[0] is None
