"""A consumer that stops reading its socket must not stall the broker: publishers still get
their confirms and other consumers keep receiving promptly."""
from __future__ import annotations

import socket
import struct
import time

import pika
from amqp_helpers import params, wait_for
from amqp_raw import method, shortstr


def test_stalled_no_ack_consumer_does_not_block_others(amqp_server, raw, name):
    c = pika.BlockingConnection(params(amqp_server))
    ch = c.channel()
    ch.confirm_delivery()
    slow_q = ch.queue_declare(name("slow"), auto_delete=True).method.queue
    fast_q = ch.queue_declare(name("fast"), auto_delete=True).method.queue

    # A raw consumer in no-ack mode on slow_q that never reads what it is sent.
    r = raw()
    r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    r.handshake(heartbeat=0)
    r.open_channel(1)
    r.send(method(1, 60, 20, struct.pack("!H", 0) + shortstr(slow_q) + shortstr("stalled") + b"\x06" +
                  b"\x00\x00\x00\x00"))  # basic.consume no-ack + nowait

    body = b"x" * 4096
    t0 = time.monotonic()
    for _ in range(3000):  # ~12 MB towards a reader that does not read
        ch.basic_publish("", slow_q, body)
    publish_secs = time.monotonic() - t0
    assert publish_secs < 20, "confirms for the stalled queue took %.1fs" % publish_secs

    got = []
    fc = pika.BlockingConnection(params(amqp_server))
    fch = fc.channel()
    fch.basic_consume(fast_q, lambda chan, m, p, b: got.append((time.monotonic(), b)), auto_ack=True)
    fc.process_data_events(time_limit=0.05)
    sent = time.monotonic()
    ch.basic_publish("", fast_q, b"prompt")
    wait_for(lambda: got, timeout=5, conn=fc, what="delivery to the healthy consumer")
    assert got[0][1] == b"prompt"
    assert got[0][0] - sent < 1.0, "healthy consumer waited %.2fs" % (got[0][0] - sent)
    r.close()
    fc.close()
    c.close()
