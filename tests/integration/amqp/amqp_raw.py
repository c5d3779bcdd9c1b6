"""A minimal raw-socket AMQP 0-9-1 client for the tests no library lets us write: silence
after negotiating heartbeats, oversized and malformed frames, methods on closed channels."""
from __future__ import annotations

import socket
import struct
import time
from typing import List, Optional, Set, Tuple

PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT = 1, 2, 3, 8
FRAME_END = 0xCE
NO_ARGS = b"\x00\x00\x00\x00"  # empty field table


def shortstr(s: str) -> bytes:
    b = s.encode()
    return struct.pack("!B", len(b)) + b


def longstr(b: bytes) -> bytes:
    return struct.pack("!I", len(b)) + b


def table(fields: bytes) -> bytes:
    return struct.pack("!I", len(fields)) + fields


# Client properties announcing authentication_failure_close, as pika and amqplib do: without it
# RabbitMQ just drops the socket on a bad password instead of sending Connection.Close(403).
CLIENT_PROPERTIES = table(shortstr("product") + b"S" + longstr(b"unimq-raw-test") +
                          shortstr("capabilities") + b"F" +
                          table(shortstr("authentication_failure_close") + b"t\x01"))


def start_ok(user: str, password: str) -> bytes:
    response = b"\x00" + user.encode() + b"\x00" + password.encode()
    return method(0, 10, 11, CLIENT_PROPERTIES + shortstr("PLAIN") + longstr(response) + shortstr("en_US"))


def frame(ftype: int, channel: int, payload: bytes, end: int = FRAME_END) -> bytes:
    return struct.pack("!BHI", ftype, channel, len(payload)) + payload + bytes([end])


def method(channel: int, class_id: int, method_id: int, args: bytes = b"", end: int = FRAME_END) -> bytes:
    return frame(FRAME_METHOD, channel, struct.pack("!HH", class_id, method_id) + args, end)


def queue_declare(channel: int, name: str, flags: int = 0) -> bytes:
    """flags: 1 passive, 2 durable, 4 exclusive, 8 auto-delete, 16 nowait."""
    return method(channel, 50, 10, struct.pack("!H", 0) + shortstr(name) + bytes([flags]) + NO_ARGS)


def basic_get(channel: int, queue: str, no_ack: bool = True) -> bytes:
    return method(channel, 60, 70, struct.pack("!H", 0) + shortstr(queue) + bytes([1 if no_ack else 0]))


def read_get_ok_body(r: "RawAmqp", channel: int) -> bytes:
    """Reads Basic.Get-Ok + header + body frames; returns the body."""
    ch, cls, mth, _ = r.read_method()
    assert (ch, cls, mth) == (channel, 60, 71), "expected Basic.Get-Ok, got %d.%d" % (cls, mth)
    ftype, ch, payload = r.read_frame()
    assert ftype == FRAME_HEADER
    size = struct.unpack("!Q", payload[4:12])[0]
    body = b""
    while len(body) < size:
        ftype, ch, payload = r.read_frame()
        assert ftype == FRAME_BODY
        body += payload
    return body


class Closed(Exception):
    """The broker closed the TCP connection."""


class RawAmqp:
    def __init__(self, host: str, port: int, timeout: float = 5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.frame_max = 0
        self.heartbeat = 0

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no data from broker")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                raise Closed("connection reset")
            if not chunk:
                raise Closed("connection closed by broker")
            self.buf += chunk

    def read_bytes(self, n: int, timeout: float = 5.0) -> bytes:
        self._fill(n, time.monotonic() + timeout)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self, timeout: float = 5.0) -> Tuple[int, int, bytes]:
        deadline = time.monotonic() + timeout
        self._fill(7, deadline)
        ftype, channel, size = struct.unpack("!BHI", self.buf[:7])
        self._fill(7 + size + 1, deadline)
        payload, end = self.buf[7:7 + size], self.buf[7 + size]
        self.buf = self.buf[8 + size:]
        assert end == FRAME_END, "bad frame end %#x from broker" % end
        return ftype, channel, payload

    def read_method(self, timeout: float = 5.0, skip_heartbeats: bool = True) -> Tuple[int, int, int, bytes]:
        """(channel, class_id, method_id, arguments) of the next method frame."""
        while True:
            ftype, channel, payload = self.read_frame(timeout)
            if ftype == FRAME_HEARTBEAT and skip_heartbeats:
                continue
            assert ftype == FRAME_METHOD, "expected a method frame, got type %d" % ftype
            cls, mth = struct.unpack("!HH", payload[:4])
            return channel, cls, mth, payload[4:]

    def expect_close(self, timeout: float = 5.0) -> Tuple[int, int, str]:
        """Wait for Connection.Close (or Channel.Close): (class 10/20, reply code, text)."""
        while True:
            channel, cls, mth, args = self.read_method(timeout)
            if (cls, mth) in ((10, 50), (20, 40)):
                code = struct.unpack("!H", args[:2])[0]
                text = args[3:3 + args[2]].decode(errors="replace")
                if cls == 10:  # answer Close-Ok like a client would
                    try:
                        self.send(method(0, 10, 51))
                    except OSError:
                        pass
                return cls, code, text

    def wait_closed(self, timeout: float) -> float:
        """Read (discarding everything) until the broker closes the socket; seconds waited."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("broker did not close the connection within %.1fs" % timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                return time.monotonic() - t0
            if not chunk:
                return time.monotonic() - t0

    # -- handshake
    def handshake(self, user: str = "guest", password: str = "guest", vhost: str = "/",
                  heartbeat: Optional[int] = None, frame_max: Optional[int] = None) -> None:
        """Protocol header .. Connection.Open-Ok. heartbeat/frame_max None = accept the
        broker's offer."""
        self.send(PROTOCOL_HEADER)
        _, cls, mth, _ = self.read_method()
        assert (cls, mth) == (10, 10), "expected Connection.Start, got %d.%d" % (cls, mth)
        self.send(start_ok(user, password))
        _, cls, mth, args = self.read_method()
        assert (cls, mth) == (10, 30), "expected Connection.Tune, got %d.%d" % (cls, mth)
        channel_max, offered_frame_max, offered_hb = struct.unpack("!HIH", args[:8])
        self.frame_max = offered_frame_max if frame_max is None else frame_max
        self.heartbeat = offered_hb if heartbeat is None else heartbeat
        self.send(method(0, 10, 31, struct.pack("!HIH", channel_max, self.frame_max, self.heartbeat)))
        self.send(method(0, 10, 40, shortstr(vhost) + shortstr("") + b"\x00"))
        _, cls, mth, _ = self.read_method()
        assert (cls, mth) == (10, 41), "expected Connection.Open-Ok, got %d.%d" % (cls, mth)

    def open_channel(self, channel: int = 1) -> None:
        self.send(method(channel, 20, 10, shortstr("")))
        ch, cls, mth, _ = self.read_method()
        assert (ch, cls, mth) == (channel, 20, 11), "expected Channel.Open-Ok, got %d.%d" % (cls, mth)

    def close_channel(self, channel: int = 1) -> None:
        self.send(method(channel, 20, 40, struct.pack("!H", 200) + shortstr("bye") + struct.pack("!HH", 0, 0)))
        ch, cls, mth, _ = self.read_method()
        assert (ch, cls, mth) == (channel, 20, 41), "expected Channel.Close-Ok, got %d.%d" % (cls, mth)

    def declare_queue(self, channel: int, name: str, flags: int = 0) -> None:
        """Queue.Declare (flags as for queue_declare) and wait for its Declare-Ok."""
        self.send(queue_declare(channel, name, flags))
        ch, cls, mth, _ = self.read_method()
        assert (ch, cls, mth) == (channel, 50, 11), "expected Queue.Declare-Ok, got %d.%d" % (cls, mth)

    def confirm_select(self, channel: int) -> None:
        """Confirm.Select (publisher confirms on) and wait for its Select-Ok."""
        self.send(method(channel, 85, 10, b"\x00"))
        ch, cls, mth, _ = self.read_method()
        assert (ch, cls, mth) == (channel, 85, 11), "expected Confirm.Select-Ok, got %d.%d" % (cls, mth)

    @staticmethod
    def basic_publish(channel: int, exchange: str, routing_key: str) -> bytes:
        return method(channel, 60, 40, struct.pack("!H", 0) + shortstr(exchange) + shortstr(routing_key) + b"\x00")

    @staticmethod
    def content_header(channel: int, body_size: int) -> bytes:
        return frame(FRAME_HEADER, channel, struct.pack("!HHQH", 60, 0, body_size, 0))

    @staticmethod
    def publish(channel: int, exchange: str, routing_key: str, body: bytes) -> bytes:
        """Basic.Publish, a content header without properties and the body in one frame
        (whatever its size)."""
        return (RawAmqp.basic_publish(channel, exchange, routing_key) +
                RawAmqp.content_header(channel, len(body)) + frame(FRAME_BODY, channel, body))

    def read_acks(self, n: int) -> Tuple[Set[int], List[Tuple[int, bool]]]:
        """Reads publisher-confirm Basic.Ack frames until n delivery tags are acked:
        (the acked tags, (tag, multiple) per frame)."""
        acked, frames = set(), []
        while len(acked) < n:
            _, cls, mth, args = self.read_method()
            assert (cls, mth) == (60, 80), "expected Basic.Ack, got %d.%d" % (cls, mth)
            tag, multiple = struct.unpack("!QB", args[:9])
            frames.append((tag, bool(multiple & 1)))
            acked.update(range(1, tag + 1) if multiple & 1 else (tag,))
        return acked, frames
