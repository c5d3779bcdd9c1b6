"""Small helpers shared by the AMQP tests."""
from __future__ import annotations

import os
import socket
import time
from typing import Callable, List, Optional

import pika
from amqp_raw import PROTOCOL_HEADER

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


def wait_get(channel, queue: str, what: str = "a message", timeout: float = 5.0):
    """basic.get (no-ack) until a message arrives: (method, properties, body)."""
    def get():
        got = channel.basic_get(queue, auto_ack=True)
        return got if got[0] is not None else None
    return wait_for(get, timeout, "%s in %s" % (what, queue))


def bound_queue(channel, queue: str, exchange: str, routing_key: Optional[str] = None,
                arguments=None) -> str:
    """Declares the auto-delete queue `queue` and binds it to `exchange` (routing key None: pika
    binds with the queue's name); returns the queue's name."""
    q = channel.queue_declare(queue, auto_delete=True).method.queue
    channel.queue_bind(q, exchange, routing_key=routing_key, arguments=arguments)
    return q


def dead_letter_target(channel, name, kind: str = "fanout", routing_key: Optional[str] = None):
    """An auto-delete dead-letter exchange name("dlx") of `kind` with the queue name("dead")
    bound to it by `routing_key`: (exchange, queue)."""
    dlx = name("dlx")
    channel.exchange_declare(dlx, kind, auto_delete=True)
    return dlx, bound_queue(channel, name("dead"), dlx, routing_key)


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


def amqp_served(host: str, port: int) -> bool:
    """True when the port answers the protocol header with Connection.Start."""
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.sendall(PROTOCOL_HEADER)
            s.settimeout(3)
            data = b""
            while len(data) < 11:
                chunk = s.recv(4096)
                if not chunk:
                    return False
                data += chunk
            return data[0] == 1 and data[7:11] == b"\x00\x0a\x00\x0a"
    except OSError:
        return False


def wait_amqp(broker, timeout: float = 10.0) -> None:
    """Broker.start() waits for the MQTT listener; the AMQP one opens a moment later."""
    deadline = time.monotonic() + timeout
    while not amqp_served(broker.host, broker.amqp_port):
        assert broker.alive(), "broker exited\n" + broker.log_tail()
        assert time.monotonic() < deadline, "no AMQP listener on %d\n%s" % (broker.amqp_port, broker.log_tail())
        time.sleep(0.02)
