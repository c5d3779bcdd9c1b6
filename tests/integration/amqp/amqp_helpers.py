"""Small helpers shared by the AMQP tests."""
from __future__ import annotations

import os
import time
from typing import Callable, List

import pika

# Which broker the suite runs against: unimq (default) or rabbitmq (reference run, see README).
AMQP_TARGET = os.environ.get("UNIMQ_AMQP_TARGET", "unimq").strip().lower() or "unimq"
RABBIT = AMQP_TARGET == "rabbitmq"


def drain(channel, queue: str, limit: int = 10000) -> List[bytes]:
    """basic.get (no-ack) until the queue is empty; the bodies in order."""
    out = []
    while len(out) < limit:
        m, _, body = channel.basic_get(queue, auto_ack=True)
        if m is None:
            return out
        out.append(body)
    return out


def depth(channel, queue: str) -> int:
    """Ready messages in `queue` (passive declare)."""
    return channel.queue_declare(queue, passive=True).method.message_count


def wait_for(pred: Callable[[], object], timeout: float = 5.0, what: str = "condition",
             conn: "pika.BlockingConnection | None" = None):
    """Poll pred until truthy; with conn, keep pika's I/O running between polls."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        if conn is not None:
            conn.process_data_events(time_limit=0.02)
        else:
            time.sleep(0.02)


def collect(conn, channel, queue: str, n: int, auto_ack: bool = True, timeout: float = 5.0):
    """Consume until n deliveries arrived: [(method, properties, body)]; cancels the consumer."""
    got = []
    tag = channel.basic_consume(queue, lambda c, m, p, b: got.append((m, p, b)), auto_ack=auto_ack)
    wait_for(lambda: len(got) >= n, timeout, "%d deliveries from %s (got %d)" % (n, queue, len(got)), conn)
    channel.basic_cancel(tag)
    return got


def params(server, user="guest", password="guest", vhost="/", **kw) -> pika.ConnectionParameters:
    kw.setdefault("heartbeat", 0)
    kw.setdefault("blocked_connection_timeout", 10)
    kw.setdefault("socket_timeout", 5)
    kw.setdefault("connection_attempts", 1)
    return pika.ConnectionParameters(host=server.host, port=server.port, virtual_host=vhost,
                                     credentials=pika.PlainCredentials(user, password), **kw)
