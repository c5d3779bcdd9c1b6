"""Hand-built MQTT packets and a raw-socket client.

Used where paho cannot produce the input (malformed packets, protocol edges) or
where the exact bytes the broker sends matter (reason codes, DUP flag, topic
aliases, receive maximum, ...). Only the standard library is used.
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

# Packet types
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = (
    8, 9, 10, 11, 12, 13, 14, 15)

TYPE_NAMES = {
    1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL",
    7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK",
    12: "PINGREQ", 13: "PINGRESP", 14: "DISCONNECT", 15: "AUTH",
}

# MQTT 5 reason codes used by the tests
RC_SUCCESS = 0x00
RC_NO_MATCHING_SUBSCRIBERS = 0x10
RC_DISCONNECT_WITH_WILL = 0x04
RC_UNSPECIFIED = 0x80
RC_MALFORMED = 0x81
RC_PROTOCOL_ERROR = 0x82
RC_UNSUPPORTED_PROTOCOL_VERSION = 0x84
RC_CLIENT_ID_NOT_VALID = 0x85
RC_SERVER_SHUTTING_DOWN = 0x8B
RC_KEEP_ALIVE_TIMEOUT = 0x8D
RC_SESSION_TAKEN_OVER = 0x8E
RC_TOPIC_FILTER_INVALID = 0x8F
RC_TOPIC_NAME_INVALID = 0x90
RC_RECEIVE_MAXIMUM_EXCEEDED = 0x93
RC_TOPIC_ALIAS_INVALID = 0x94
RC_PACKET_TOO_LARGE = 0x95

# MQTT 5 properties: id -> (name, type)
PROPS: Dict[int, Tuple[str, str]] = {
    0x01: ("payload_format_indicator", "byte"),
    0x02: ("message_expiry_interval", "u32"),
    0x03: ("content_type", "str"),
    0x08: ("response_topic", "str"),
    0x09: ("correlation_data", "bin"),
    0x0B: ("subscription_identifier", "varint"),
    0x11: ("session_expiry_interval", "u32"),
    0x12: ("assigned_client_identifier", "str"),
    0x13: ("server_keep_alive", "u16"),
    0x15: ("authentication_method", "str"),
    0x16: ("authentication_data", "bin"),
    0x17: ("request_problem_information", "byte"),
    0x18: ("will_delay_interval", "u32"),
    0x19: ("request_response_information", "byte"),
    0x1A: ("response_information", "str"),
    0x1C: ("server_reference", "str"),
    0x1F: ("reason_string", "str"),
    0x21: ("receive_maximum", "u16"),
    0x22: ("topic_alias_maximum", "u16"),
    0x23: ("topic_alias", "u16"),
    0x24: ("maximum_qos", "byte"),
    0x25: ("retain_available", "byte"),
    0x26: ("user_property", "pair"),
    0x27: ("maximum_packet_size", "u32"),
    0x28: ("wildcard_subscription_available", "byte"),
    0x29: ("subscription_identifier_available", "byte"),
    0x2A: ("shared_subscription_available", "byte"),
}
PROP_IDS = {name: (pid, typ) for pid, (name, typ) in PROPS.items()}
MULTI_PROPS = {"user_property", "subscription_identifier"}


class MalformedFromBroker(Exception):
    """The broker sent bytes we could not decode."""


class ConnectionClosed(Exception):
    """The broker closed the connection."""


# ---------------------------------------------------------------- encoding
def varint(n: int) -> bytes:
    assert 0 <= n <= 268435455
    out = bytearray()
    while True:
        d = n % 128
        n //= 128
        if n:
            d |= 0x80
        out.append(d)
        if not n:
            return bytes(out)


def u16(n: int) -> bytes:
    return struct.pack("!H", n)


def u32(n: int) -> bytes:
    return struct.pack("!I", n)


def mqtt_bin(b: bytes) -> bytes:
    return u16(len(b)) + b


def mqtt_str(s) -> bytes:
    if isinstance(s, str):
        s = s.encode("utf-8")
    return mqtt_bin(s)


def encode_props(props: Optional[Dict[str, Any]]) -> bytes:
    """Encode a v5 property dict (with length prefix).

    Multi-valued properties (user_property, subscription_identifier) take a list.
    """
    body = bytearray()
    for name, value in (props or {}).items():
        pid, typ = PROP_IDS[name]
        if name == "user_property":
            values = list(value)            # [(key, value), ...]
        elif name == "subscription_identifier" and isinstance(value, (list, tuple)):
            values = list(value)
        else:
            values = [value]
        for v in values:
            body += varint(pid)
            if typ == "byte":
                body += bytes([v])
            elif typ == "u16":
                body += u16(v)
            elif typ == "u32":
                body += u32(v)
            elif typ == "varint":
                body += varint(v)
            elif typ == "str":
                body += mqtt_str(v)
            elif typ == "bin":
                body += mqtt_bin(v)
            elif typ == "pair":
                body += mqtt_str(v[0]) + mqtt_str(v[1])
    return varint(len(body)) + bytes(body)


def packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + varint(len(body)) + body


def connect_packet(client_id: str = "", version: int = 4, clean: bool = True,
                   keepalive: int = 60, props: Optional[dict] = None,
                   will: Optional[dict] = None, username: Optional[str] = None,
                   password: Optional[bytes] = None, protocol_name: Optional[str] = None,
                   flags_override: Optional[int] = None) -> bytes:
    """Build a CONNECT. version: 3 (MQIsdp), 4 (3.1.1), 5.

    will: dict(topic=..., payload=b"", qos=0, retain=False, props={...})
    """
    if protocol_name is None:
        protocol_name = "MQIsdp" if version == 3 else "MQTT"
    flags = 0
    if clean:
        flags |= 0x02
    if will is not None:
        flags |= 0x04 | (will.get("qos", 0) << 3) | (0x20 if will.get("retain") else 0)
    if password is not None:
        flags |= 0x40
    if username is not None:
        flags |= 0x80
    if flags_override is not None:
        flags = flags_override
    body = mqtt_str(protocol_name) + bytes([version, flags]) + u16(keepalive)
    if version == 5:
        body += encode_props(props)
    body += mqtt_str(client_id)
    if will is not None:
        if version == 5:
            body += encode_props(will.get("props"))
        body += mqtt_str(will["topic"]) + mqtt_bin(will.get("payload", b""))
    if username is not None:
        body += mqtt_str(username)
    if password is not None:
        body += mqtt_bin(password)
    return packet(0x10, body)


def publish_packet(topic, payload: bytes = b"", qos: int = 0, retain: bool = False,
                   dup: bool = False, pid: Optional[int] = None, version: int = 4,
                   props: Optional[dict] = None) -> bytes:
    first = 0x30 | (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = mqtt_str(topic)
    if qos > 0:
        body += u16(pid if pid is not None else 1)
    if version == 5:
        body += encode_props(props)
    return packet(first, body + payload)


def ack_packet(ptype: int, pid: int, version: int = 4, rc: Optional[int] = None,
               props: Optional[dict] = None) -> bytes:
    first = (ptype << 4) | (0x02 if ptype == PUBREL else 0)
    body = u16(pid)
    if version == 5 and (rc is not None or props):
        body += bytes([rc or 0])
        if props:
            body += encode_props(props)
    return packet(first, body)


def subscribe_packet(pid: int, filters: Sequence[Tuple[str, int]], version: int = 4,
                     props: Optional[dict] = None, first_byte: int = 0x82) -> bytes:
    """filters: (filter, options byte). options = qos | nl<<2 | rap<<3 | rh<<4."""
    body = u16(pid)
    if version == 5:
        body += encode_props(props)
    for f, opts in filters:
        body += mqtt_str(f) + bytes([opts])
    return packet(first_byte, body)


def unsubscribe_packet(pid: int, filters: Sequence[str], version: int = 4,
                       props: Optional[dict] = None) -> bytes:
    body = u16(pid)
    if version == 5:
        body += encode_props(props)
    for f in filters:
        body += mqtt_str(f)
    return packet(0xA2, body)


def disconnect_packet(version: int = 4, rc: int = 0, props: Optional[dict] = None) -> bytes:
    if version == 5 and (rc or props):
        body = bytes([rc])
        if props:
            body += encode_props(props)
        return packet(0xE0, body)
    return b"\xe0\x00"


PINGREQ_BYTES = b"\xc0\x00"


def sub_opts(qos: int = 0, no_local: bool = False, rap: bool = False, rh: int = 0) -> int:
    return qos | (0x04 if no_local else 0) | (0x08 if rap else 0) | (rh << 4)


# ---------------------------------------------------------------- decoding
class _Reader:
    def __init__(self, data: bytes):
        self.d = data
        self.i = 0

    def left(self) -> int:
        return len(self.d) - self.i

    def take(self, n: int) -> bytes:
        if self.i + n > len(self.d):
            raise MalformedFromBroker("truncated")
        b = self.d[self.i:self.i + n]
        self.i += n
        return b

    def byte(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack("!H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack("!I", self.take(4))[0]

    def varint(self) -> int:
        mult, val = 1, 0
        for _ in range(4):
            b = self.byte()
            val += (b & 0x7F) * mult
            if not b & 0x80:
                return val
            mult *= 128
        raise MalformedFromBroker("varint too long")

    def bin(self) -> bytes:
        return self.take(self.u16())

    def str(self) -> str:
        return self.bin().decode("utf-8")

    def props(self) -> Dict[str, Any]:
        n = self.varint()
        end = self.i + n
        out: Dict[str, Any] = {}
        while self.i < end:
            pid = self.varint()
            if pid not in PROPS:
                raise MalformedFromBroker("unknown property 0x%02x" % pid)
            name, typ = PROPS[pid]
            if typ == "byte":
                v: Any = self.byte()
            elif typ == "u16":
                v = self.u16()
            elif typ == "u32":
                v = self.u32()
            elif typ == "varint":
                v = self.varint()
            elif typ == "str":
                v = self.str()
            elif typ == "bin":
                v = self.bin()
            else:
                v = (self.str(), self.str())
            if name in MULTI_PROPS:
                out.setdefault(name, []).append(v)
            else:
                if name in out:
                    raise MalformedFromBroker("duplicate property " + name)
                out[name] = v
        if self.i != end:
            raise MalformedFromBroker("property length mismatch")
        return out


@dataclass
class Packet:
    type: int
    flags: int
    body: bytes
    # decoded fields (those that apply)
    rc: Optional[int] = None
    props: Dict[str, Any] = field(default_factory=dict)
    pid: Optional[int] = None
    session_present: Optional[bool] = None
    topic: Optional[str] = None
    payload: Optional[bytes] = None
    qos: int = 0
    retain: bool = False
    dup: bool = False
    codes: List[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return TYPE_NAMES.get(self.type, "TYPE%d" % self.type)

    def __repr__(self) -> str:
        parts = [self.name]
        for k in ("rc", "pid", "session_present", "topic", "qos", "retain", "dup"):
            v = getattr(self, k)
            if v not in (None, False) and not (k == "qos" and v == 0):
                parts.append("%s=%r" % (k, v))
        if self.codes:
            parts.append("codes=%r" % self.codes)
        if self.props:
            parts.append("props=%r" % self.props)
        if self.payload is not None:
            parts.append("payload=%r" % self.payload[:40])
        return "<" + " ".join(parts) + ">"


def decode_packet(first: int, body: bytes, version: int) -> Packet:
    p = Packet(type=first >> 4, flags=first & 0x0F, body=body)
    r = _Reader(body)
    v5 = version == 5
    t = p.type
    if t == CONNACK:
        p.session_present = bool(r.byte() & 0x01)
        p.rc = r.byte()
        if r.left():
            p.props = r.props()
    elif t == PUBLISH:
        p.dup = bool(p.flags & 0x08)
        p.qos = (p.flags >> 1) & 0x03
        p.retain = bool(p.flags & 0x01)
        p.topic = r.str()
        if p.qos:
            p.pid = r.u16()
        if v5:
            p.props = r.props()
        p.payload = r.take(r.left())
    elif t in (PUBACK, PUBREC, PUBREL, PUBCOMP):
        p.pid = r.u16()
        p.rc = 0
        if v5 and r.left():
            p.rc = r.byte()
            if r.left():
                p.props = r.props()
    elif t in (SUBACK, UNSUBACK):
        p.pid = r.u16()
        if v5:
            p.props = r.props()
        p.codes = list(r.take(r.left()))
    elif t == DISCONNECT:
        p.rc = 0
        if r.left():
            p.rc = r.byte()
            if r.left():
                p.props = r.props()
    elif t == AUTH:
        if r.left():
            p.rc = r.byte()
            if r.left():
                p.props = r.props()
    return p


# ---------------------------------------------------------------- client
class RawClient:
    """A TCP connection to the broker with a background reader.

    recv() returns decoded packets; it raises ConnectionClosed once the broker has
    closed the connection and every packet received before that was consumed.
    """

    def __init__(self, port: int, host: str = "127.0.0.1", version: int = 4,
                 timeout: float = 5.0):
        self.version = version
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(None)
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._closed = False          # broker side closed (EOF / reset)
        self._close_error: Optional[str] = None
        self._mine_closed = False
        self.closed_at: Optional[float] = None
        self._next_pid = 0
        self._stash: List[Packet] = []   # packets set aside while waiting for an ack
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- io
    def _read_loop(self) -> None:
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError as e:  # reset, or we closed the socket
                data = b""
                self._close_error = repr(e)
            with self._cond:
                if data:
                    self._buf += data
                else:
                    self._closed = True
                    self.closed_at = time.monotonic()
                self._cond.notify_all()
            if not data:
                return

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def try_send(self, data: bytes) -> bool:
        """Send, ignoring errors caused by the broker having closed the socket."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def _try_parse(self) -> Optional[Packet]:
        buf = self._buf
        if len(buf) < 2:
            return None
        mult, length, i = 1, 0, 1
        while True:
            if i >= len(buf):
                return None
            b = buf[i]
            length += (b & 0x7F) * mult
            i += 1
            if not b & 0x80:
                break
            mult *= 128
            if i > 4:
                raise MalformedFromBroker("remaining length varint too long")
        if len(buf) < i + length:
            return None
        first = buf[0]
        body = bytes(buf[i:i + length])
        del buf[:i + length]
        return decode_packet(first, body, self.version)

    def recv(self, timeout: float = 5.0) -> Optional[Packet]:
        """Next packet, None on timeout; ConnectionClosed if the broker closed."""
        if self._stash:
            return self._stash.pop(0)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                p = self._try_parse()
                if p is not None:
                    return p
                if self._closed:
                    raise ConnectionClosed(self._close_error or "EOF")
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def expect(self, ptype: int, timeout: float = 5.0) -> Packet:
        p = self.recv(timeout)
        assert p is not None, "timed out waiting for %s" % TYPE_NAMES[ptype]
        assert p.type == ptype, "expected %s, got %r" % (TYPE_NAMES[ptype], p)
        return p

    def wait_ack(self, ptype: int, pid: int, timeout: float = 5.0) -> Packet:
        """Wait for the ack of type ptype for pid; other packets (e.g. PUBLISHes
        the broker interleaves) are set aside and returned by later recv() calls."""
        deadline = time.monotonic() + timeout
        aside: List[Packet] = []
        try:
            while True:
                with self._cond:
                    p = self._try_parse()
                    if p is None:
                        if self._closed:
                            raise ConnectionClosed(self._close_error or "EOF")
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise AssertionError("timed out waiting for %s pid %d (got %r)"
                                                 % (TYPE_NAMES[ptype], pid, aside))
                        self._cond.wait(left)
                        continue
                if p.type == ptype and p.pid == pid:
                    return p
                if p.type in (PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PUBLISH):
                    aside.append(p)
                else:
                    raise AssertionError("waiting for %s pid %d, got %r" % (TYPE_NAMES[ptype], pid, p))
        finally:
            self._stash.extend(aside)

    def expect_nothing(self, timeout: float) -> None:
        p = self.recv(timeout)
        assert p is None, "expected no packet, got %r" % p

    def wait_closed(self, timeout: float = 5.0) -> List[Packet]:
        """Wait until the broker closes the connection; return packets sent before."""
        got: List[Packet] = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                p = self.recv(max(left, 0))
            except ConnectionClosed:
                return got
            if p is None:
                raise AssertionError(
                    "broker did not close the connection within %.1fs (received %r)" % (timeout, got))
            got.append(p)

    def is_closed(self) -> bool:
        with self._cond:
            return self._closed

    def close(self) -> None:
        """Close our side without sending DISCONNECT (an abnormal disconnect)."""
        if self._mine_closed:
            return
        self._mine_closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    # -- helpers
    def new_pid(self) -> int:
        self._next_pid = self._next_pid % 65535 + 1
        return self._next_pid

    def connect(self, client_id: str = "", clean: bool = True, keepalive: int = 60,
                props: Optional[dict] = None, will: Optional[dict] = None,
                expect_rc: Optional[int] = 0, **kw) -> Packet:
        self.send(connect_packet(client_id, self.version, clean, keepalive, props, will, **kw))
        ack = self.expect(CONNACK)
        if expect_rc is not None:
            assert ack.rc == expect_rc, "CONNACK rc %r, expected %r (%r)" % (ack.rc, expect_rc, ack)
        return ack

    def publish(self, topic, payload: bytes = b"", qos: int = 0, retain: bool = False,
                dup: bool = False, pid: Optional[int] = None, props: Optional[dict] = None,
                wait_ack: bool = True) -> Optional[int]:
        if qos and pid is None:
            pid = self.new_pid()
        self.send(publish_packet(topic, payload, qos, retain, dup, pid, self.version, props))
        if qos == 1 and wait_ack:
            ack = self.wait_ack(PUBACK, pid)
            assert ack.rc in (0, RC_NO_MATCHING_SUBSCRIBERS), ack
        elif qos == 2 and wait_ack:
            rec = self.wait_ack(PUBREC, pid)
            assert rec.rc in (0, RC_NO_MATCHING_SUBSCRIBERS), rec
            self.send(ack_packet(PUBREL, pid, self.version))
            self.wait_ack(PUBCOMP, pid)
        return pid

    def subscribe(self, filters, qos: int = 0, props: Optional[dict] = None,
                  expect_codes: Optional[List[int]] = None) -> Packet:
        """filters: a filter string, or a list of (filter, options byte)."""
        if isinstance(filters, str):
            filters = [(filters, qos)]
        pid = self.new_pid()
        self.send(subscribe_packet(pid, filters, self.version, props))
        ack = self.wait_ack(SUBACK, pid)
        if expect_codes is not None:
            assert ack.codes == expect_codes, ack
        return ack

    def unsubscribe(self, filters: Sequence[str]) -> Packet:
        pid = self.new_pid()
        self.send(unsubscribe_packet(pid, filters, self.version))
        ack = self.wait_ack(UNSUBACK, pid)
        return ack

    def ack(self, p: Packet) -> None:
        """Acknowledge a received PUBLISH (PUBACK or PUBREC)."""
        if p.qos == 1:
            self.send(ack_packet(PUBACK, p.pid, self.version))
        elif p.qos == 2:
            self.send(ack_packet(PUBREC, p.pid, self.version))

    def disconnect(self, rc: int = 0, props: Optional[dict] = None) -> None:
        self.send(disconnect_packet(self.version, rc, props))
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
