"""Smoke test owned by the front end: kcat produce/consume round trip and metadata."""
import subprocess


def kcat(bootstrap, *args, stdin=None):
    return subprocess.run(["kcat", "-b", bootstrap, *args], input=stdin, capture_output=True,
                          text=True, timeout=30)


def test_kcat_produce_consume_round_trip(kafka, topic_name):
    topic = topic_name()
    lines = "".join("k%d:value-%d\n" % (i, i) for i in range(20))
    p = kcat(kafka.bootstrap, "-P", "-t", topic, "-K:", stdin=lines)
    assert p.returncode == 0, p.stderr
    c = kcat(kafka.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-f", "%o|%k|%s\n")
    assert c.returncode == 0, c.stderr
    got = c.stdout.splitlines()
    assert got == ["%d|k%d|value-%d" % (i, i, i) for i in range(20)]


def test_kcat_metadata_lists_auto_created_topic(kafka, topic_name):
    topic = topic_name()
    assert kcat(kafka.bootstrap, "-P", "-t", topic, stdin="x\n").returncode == 0
    m = kcat(kafka.bootstrap, "-L", "-t", topic)
    assert m.returncode == 0, m.stderr
    assert 'topic "%s" with 1 partitions' % topic in m.stdout
    assert "broker 0 at 127.0.0.1:%d" % kafka.port in m.stdout


# ---- flexible (compact, tagged-field) versions over the raw wire: no client in the test set
# uses Produce v9 / Fetch v12 / Metadata v12 yet, so they are checked here byte by byte.

def _uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def _cstr(s):
    return _uvarint(len(s.encode()) + 1) + s.encode()


def _carray(items):
    return _uvarint(len(items) + 1) + b"".join(items)


def _read_uvarint(r):
    n, shift = 0, 0
    while True:
        b = r.i8() & 0xFF
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n
        shift += 7


def _read_cstr(r):
    n = _read_uvarint(r) - 1
    return None if n < 0 else r.take(n).decode()


def _flex_request(conn, key, version, body):
    from kafka_wire import i16, i32, string
    conn.corr += 1
    msg = i16(key) + i16(version) + i32(conn.corr) + string(conn.client_id) + b"\x00" + body
    conn.send_raw(i32(len(msg)) + msg)
    corr, r = conn.recv()
    assert corr == conn.corr
    assert _read_uvarint(r) == 0  # response header v1: no tagged fields
    return r


def test_flexible_produce_v9_fetch_v12_metadata_v12(kafka, topic_name):
    from kafka_wire import KafkaConn, i8, i32, i64, record_batch
    topic = topic_name()
    batch = record_batch([(b"k", b"flexible-%d" % i) for i in range(3)])
    with KafkaConn(kafka.port) as c:
        # Metadata v12: topics [topic], auto-create.
        r = _flex_request(c, 3, 12, _carray([b"\x00" * 16 + _cstr(topic) + b"\x00"]) +
                          b"\x01\x00\x00")
        r.i32()  # throttle
        brokers = [(r.i32(), _read_cstr(r), r.i32(), _read_cstr(r), _read_uvarint(r))
                   for _ in range(_read_uvarint(r) - 1)]
        assert brokers[0][1:3] == ("127.0.0.1", kafka.port)
        # Produce v9, acks -1.
        part = i32(0) + _uvarint(len(batch) + 1) + batch + b"\x00"
        body = b"\x00" + b"\xff\xff" + i32(5000) + _carray([_cstr(topic) + _carray([part]) + b"\x00"])
        r = _flex_request(c, 0, 9, body + b"\x00")
        assert _read_uvarint(r) == 2 and _read_cstr(r) == topic
        assert _read_uvarint(r) == 2
        assert (r.i32(), r.i16(), r.i64()) == (0, 0, 0)  # partition, error, base offset
        # Fetch v12 from offset 1: the whole batch comes back (its base offset is 0).
        p = i32(0) + i32(-1) + i64(1) + i32(-1) + i64(-1) + i32(1 << 20) + b"\x00"
        body = (i32(-1) + i32(100) + i32(1) + i32(1 << 20) + i8(0) + i32(0) + i32(-1) +
                _carray([_cstr(topic) + _carray([p]) + b"\x00"]) + _carray([]) + _cstr("") + b"\x00")
        r = _flex_request(c, 1, 12, body)
        assert (r.i32(), r.i16(), r.i32()) == (0, 0, 0)  # throttle, error, session id
        assert _read_uvarint(r) == 2 and _read_cstr(r) == topic
        assert _read_uvarint(r) == 2
        assert (r.i32(), r.i16(), r.i64()) == (0, 0, 3)  # partition, error, high watermark
        r.i64(), r.i64()  # last stable offset, log start offset
        for _ in range(max(0, _read_uvarint(r) - 1)):  # aborted transactions
            r.i64(), r.i64(), _read_uvarint(r)
        r.i32()  # preferred read replica
        records = r.take(_read_uvarint(r) - 1)
        assert records == batch  # stored and served byte for byte (base offset 0 here)
