"""A minimal Kafka wire-protocol client for tests that need exact bytes on the socket
(duplicate batches, corrupt CRCs, unsupported versions, garbage). Only non-flexible request
versions are used, so every request has header v1 and every response header v0."""
from __future__ import annotations

import socket
import struct
import time
from typing import List, Optional, Sequence, Tuple

# API keys and error codes (kafka/common/protocol/{ApiKeys,Errors}.java)
PRODUCE, FETCH, LIST_OFFSETS, METADATA, API_VERSIONS, INIT_PRODUCER_ID = 0, 1, 2, 3, 18, 22
NONE, CORRUPT_MESSAGE, UNKNOWN_TOPIC_OR_PARTITION = 0, 2, 3
UNSUPPORTED_VERSION, OUT_OF_ORDER_SEQUENCE_NUMBER, DUPLICATE_SEQUENCE_NUMBER = 35, 45, 46


# ------------------------------------------------------------------ crc32c (Castagnoli)
def _crc32c_table() -> List[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ------------------------------------------------------------------ primitives
def i8(v): return struct.pack(">b", v)
def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)


def string(s: Optional[str]) -> bytes:
    if s is None:
        return i16(-1)
    b = s.encode()
    return i16(len(b)) + b


def nbytes(b: Optional[bytes]) -> bytes:
    return i32(-1) if b is None else i32(len(b)) + b


def array(items: Sequence[bytes]) -> bytes:
    return i32(len(items)) + b"".join(items)


def varint(v: int) -> bytes:
    z = (v << 1) ^ (v >> 63)  # zigzag
    out = bytearray()
    while True:
        if z & ~0x7F:
            out.append((z & 0x7F) | 0x80)
            z >>= 7
        else:
            out.append(z)
            return bytes(out)


class Reader:
    def __init__(self, data: bytes):
        self.d, self.p = data, 0

    def take(self, n: int) -> bytes:
        if self.p + n > len(self.d):
            raise ValueError("response truncated at %d (+%d of %d)" % (self.p, n, len(self.d)))
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def i8(self): return struct.unpack(">b", self.take(1))[0]
    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]

    def string(self) -> Optional[str]:
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def nbytes(self) -> Optional[bytes]:
        n = self.i32()
        return None if n < 0 else self.take(n)

    def array(self, fn):
        n = self.i32()
        return [] if n < 0 else [fn() for _ in range(n)]

    def remaining(self) -> int:
        return len(self.d) - self.p


# ------------------------------------------------------------------ record batch v2
def record_batch(values: Sequence[Tuple[Optional[bytes], Optional[bytes]]], base_timestamp: Optional[int] = None,
                 producer_id: int = -1, producer_epoch: int = -1, base_sequence: int = -1) -> bytes:
    """An uncompressed RecordBatch v2 (base offset 0) of (key, value) records."""
    ts = int(time.time() * 1000) if base_timestamp is None else base_timestamp
    recs = b""
    for i, (k, v) in enumerate(values):
        body = i8(0) + varint(0) + varint(i)
        body += varint(-1) if k is None else varint(len(k)) + k
        body += varint(-1) if v is None else varint(len(v)) + v
        body += varint(0)  # headers
        recs += varint(len(body)) + body
    after_crc = (i16(0) + i32(len(values) - 1) + i64(ts) + i64(ts) + i64(producer_id) + i16(producer_epoch)
                 + i32(base_sequence) + i32(len(values)) + recs)
    crc = struct.pack(">I", crc32c(after_crc))
    after_len = i32(-1) + i8(2) + crc + after_crc  # partition leader epoch, magic, crc, ...
    return i64(0) + i32(len(after_len)) + after_len


# ------------------------------------------------------------------ connection
class KafkaConn:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 5.0, client_id: str = "raw-test"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client_id = client_id
        self.corr = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, api_key: int, version: int, body: bytes) -> int:
        self.corr += 1
        hdr = i16(api_key) + i16(version) + i32(self.corr) + string(self.client_id)
        msg = hdr + body
        self.sock.sendall(i32(len(msg)) + msg)
        return self.corr

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("connection closed by the broker")
            buf += chunk
        return bytes(buf)

    def recv(self) -> Tuple[int, Reader]:
        """(correlation id, reader positioned after the response header v0)."""
        n = struct.unpack(">i", self._recv_exact(4))[0]
        data = self._recv_exact(n)
        r = Reader(data)
        return r.i32(), r

    def request(self, api_key: int, version: int, body: bytes) -> Reader:
        corr = self.send(api_key, version, body)
        got, r = self.recv()
        assert got == corr, "correlation id %d, expected %d" % (got, corr)
        return r

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        """True if the broker closes the connection (EOF or reset) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    # -- typed requests
    def api_versions(self, version: int = 0):
        """(error_code, {api_key: (min, max)})."""
        r = self.request(API_VERSIONS, version, b"")
        err = r.i16()
        apis = dict(r.array(lambda: (r.i16(), (r.i16(), r.i16()))))
        return err, apis

    def init_producer_id(self) -> Tuple[int, int, int]:
        """InitProducerId v0 (non-transactional): (error_code, producer_id, epoch)."""
        r = self.request(INIT_PRODUCER_ID, 0, string(None) + i32(60000))
        r.i32()  # throttle
        return r.i16(), r.i64(), r.i16()

    def produce(self, topic: str, partition: int, batch: bytes, acks: int = -1, timeout_ms: int = 5000,
                version: int = 3, expect_response: bool = True):
        """Produce v3: (error_code, base_offset) for the one partition, or the
        correlation id when acks=0 (no response expected)."""
        body = (string(None) + i16(acks) + i32(timeout_ms)
                + array([string(topic) + array([i32(partition) + nbytes(batch)])]))
        if not expect_response:
            return self.send(PRODUCE, version, body)
        r = self.request(PRODUCE, version, body)
        topics = r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16(), r.i64(), r.i64()))))
        (_, parts), = topics
        (_, err, base, _), = parts
        return err, base

    def fetch_request(self, topic: str, partition: int, offset: int, max_wait_ms: int, min_bytes: int = 1) -> int:
        """Sends Fetch v4; returns the correlation id (read with read_fetch)."""
        body = (i32(-1) + i32(max_wait_ms) + i32(min_bytes) + i32(1 << 20) + i8(0)
                + array([string(topic) + array([i32(partition) + i64(offset) + i32(1 << 20)])]))
        return self.send(FETCH, 4, body)

    def read_fetch(self, corr: int):
        """(error_code, high_watermark, records bytes) of the one partition of a Fetch v4 answer."""
        got, r = self.recv()
        assert got == corr
        r.i32()  # throttle
        topics = r.array(lambda: (r.string(), r.array(lambda: (
            r.i32(), r.i16(), r.i64(), r.i64(), r.array(lambda: (r.i64(), r.i64())), r.nbytes()))))
        (_, parts), = topics
        (_, err, hw, _, _, records), = parts
        return err, hw, records or b""

    def list_offset(self, topic: str, partition: int, timestamp: int) -> Tuple[int, int, int]:
        """ListOffsets v1: (error_code, timestamp, offset); timestamp -1 = latest, -2 = earliest."""
        body = i32(-1) + array([string(topic) + array([i32(partition) + i64(timestamp)])])
        r = self.request(LIST_OFFSETS, 1, body)
        topics = r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16(), r.i64(), r.i64()))))
        (_, parts), = topics
        (_, err, ts, off), = parts
        return err, ts, off


def count_records(records: bytes) -> int:
    """Number of records in a run of v2 batches (reads each batch header)."""
    n, p = 0, 0
    while p + 61 <= len(records):
        length = struct.unpack(">i", records[p + 8:p + 12])[0]
        if p + 12 + length > len(records):
            break  # partial batch at the end of a fetch
        n += struct.unpack(">i", records[p + 57:p + 61])[0]
        p += 12 + length
    return n
