"""Publish / subscribe routing: QoS, payloads, wildcards, '$' topics, ordering,
and interoperability with the mosquitto command line clients."""
import os
import shutil
import subprocess
import time

import pytest

VERSIONS = [pytest.param(4, id="v311"), pytest.param(5, id="v5")]
ALL_VERSIONS = [pytest.param(3, id="v31"), pytest.param(4, id="v311"), pytest.param(5, id="v5")]

BINARY = bytes(range(256)) * 4


@pytest.mark.parametrize("version", ALL_VERSIONS)
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_publish_subscribe_qos(broker, mqtt, version, qos):
    sub = mqtt(broker, version)
    pub = mqtt(broker, version)
    assert sub.subscribe("ps/qos", qos) == [qos]
    payloads = [b"text payload", BINARY, b"", b"\x00", "\u00e9\u4e2d".encode()]
    for p in payloads:
        pub.publish("ps/qos", p, qos)
    got = sub.get_n(len(payloads))
    assert [m.payload for m in got] == payloads
    assert all(m.topic == "ps/qos" and m.qos == qos and not m.retain and not m.dup for m in got)
    sub.expect_none(0.2)


@pytest.mark.parametrize("version", VERSIONS)
def test_cross_version_delivery(broker, mqtt, version):
    subs = {v: mqtt(broker, v) for v in (3, 4, 5)}
    for s in subs.values():
        s.subscribe("ps/cross", 1)
    pub = mqtt(broker, version)
    pub.publish("ps/cross", b"all versions", 1)
    for v, s in subs.items():
        m = s.get()
        assert (m.topic, m.payload, m.qos) == ("ps/cross", b"all versions", 1), v


def test_large_payload(broker, mqtt):
    sub = mqtt(broker, 5)
    pub = mqtt(broker, 4)
    sub.subscribe("ps/large", 1)
    big = os.urandom(256 * 1024)
    pub.publish("ps/large", big, 1)
    assert sub.get().payload == big


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("sub_qos,pub_qos", [(0, 2), (0, 1), (1, 2), (2, 1), (1, 0), (2, 2)])
def test_qos_downgrade_to_subscription(broker, mqtt, version, sub_qos, pub_qos):
    sub = mqtt(broker, version)
    pub = mqtt(broker, version)
    sub.subscribe("ps/down", sub_qos)
    pub.publish("ps/down", b"x", pub_qos)
    m = sub.get()
    assert m.qos == min(sub_qos, pub_qos)


def test_wildcards(broker, mqtt):
    pub = mqtt(broker, 4)
    filters = {
        "plus": "w/+/c",
        "hash": "w/#",
        "plus_hash": "w/+/#",
        "exact": "w/b/c",
        "multi_plus": "+/+/+",
        "root_hash": "#",
    }
    subs = {}
    for name, f in filters.items():
        subs[name] = mqtt(broker, 4)
        subs[name].subscribe(f, 1)
    topics = ["w/b/c", "w/x/c", "w/b/c/d", "w", "w/b", "w//c", "x/b/c", "w/b/d"]
    for t in topics:
        pub.publish(t, t.encode(), 1)
    expected = {
        "plus": {"w/b/c", "w/x/c", "w//c"},
        "hash": {"w/b/c", "w/x/c", "w/b/c/d", "w", "w/b", "w//c", "w/b/d"},  # '#' matches the parent
        "plus_hash": {"w/b/c", "w/x/c", "w/b/c/d", "w/b", "w//c", "w/b/d"},
        "exact": {"w/b/c"},
        "multi_plus": {"w/b/c", "w/x/c", "w//c", "x/b/c", "w/b/d"},
        "root_hash": set(topics),
    }
    for name, s in subs.items():
        s.sync()
        got = [m.topic for m in s.drain() if not m.topic.startswith("sync/")]
        assert sorted(got) == sorted(expected[name]), "%s (%s): %r" % (name, filters[name], got)


def test_topic_levels_are_case_sensitive_and_exact(broker, mqtt):
    sub = mqtt(broker, 4)
    pub = mqtt(broker, 4)
    sub.subscribe("Case/Topic", 1)
    sub.subscribe("space topic/ x", 1)
    for t in ("case/topic", "Case/Topic", "Case/Topic/", "/Case/Topic", "space topic/ x"):
        pub.publish(t, t.encode(), 1)
    sub.sync()
    assert sorted(m.topic for m in sub.drain()) == ["Case/Topic", "space topic/ x"]


def test_leading_slash_and_unicode_topics(broker, mqtt):
    sub = mqtt(broker, 5)
    pub = mqtt(broker, 4)
    sub.subscribe("/+/\u00e9t\u00e9", 1)
    pub.publish("/a/\u00e9t\u00e9", b"u", 1)
    m = sub.get()
    assert m.topic == "/a/\u00e9t\u00e9" and m.payload == b"u"


def test_dollar_topics_not_matched_by_leading_wildcards(broker, mqtt):
    pub = mqtt(broker, 4)
    hash_sub = mqtt(broker, 4)
    plus_sub = mqtt(broker, 4)
    explicit = mqtt(broker, 4)
    hash_sub.subscribe("#", 1)
    plus_sub.subscribe("+/x", 1)
    explicit.subscribe("$test/#", 1)
    pub.publish("$test/x", b"dollar", 1)
    pub.publish("normal/x", b"normal", 1)
    m = explicit.get()
    assert (m.topic, m.payload) == ("$test/x", b"dollar")
    assert hash_sub.get(topic="normal/x").payload == b"normal"
    assert plus_sub.get().topic == "normal/x"
    for s in (hash_sub, plus_sub):
        s.sync()
        got = [m.topic for m in s.drain() if m.topic.startswith("$")]
        assert got == [], "leading wildcard matched a $-topic: %r" % got


def test_sys_topics_only_for_explicit_filters(broker, mqtt):
    # the broker publishes $SYS every second (sys_interval 1); '#' must not see them.
    hash_sub = mqtt(broker, 4)
    hash_sub.subscribe("#", 0)
    sys_sub = mqtt(broker, 4)
    sys_sub.subscribe("$SYS/#", 0)
    m = sys_sub.get(timeout=4)
    assert m.topic.startswith("$SYS/")
    time.sleep(0.2)
    assert not [x.topic for x in hash_sub.drain() if x.topic.startswith("$")]


@pytest.mark.parametrize("version", VERSIONS)
def test_overlapping_subscriptions(broker, mqtt, version):
    sub = mqtt(broker, version)
    pub = mqtt(broker, 4)
    sub.subscribe("ov/#", 1)
    sub.subscribe("ov/+", 0)
    sub.subscribe("ov/a", 2)
    pub.publish("ov/a", b"x", 2)
    first = sub.get()
    sub.sync()
    copies = [first] + [m for m in sub.drain() if m.topic == "ov/a"]
    # One copy with the maximum QoS, or one copy per matching subscription.
    assert len(copies) in (1, 3), copies
    assert max(m.qos for m in copies) == 2
    assert all(m.payload == b"x" for m in copies)


def test_subscribe_twice_replaces_qos(broker, mqtt):
    sub = mqtt(broker, 4)
    pub = mqtt(broker, 4)
    sub.subscribe("re/sub", 0)
    assert sub.subscribe("re/sub", 2) == [2]
    pub.publish("re/sub", b"x", 2)
    m = sub.get()
    assert m.qos == 2
    sub.sync()
    assert [x for x in sub.drain() if x.topic == "re/sub"] == [], "duplicate subscription not replaced"


def test_subscribe_multiple_filters_in_one_packet(broker, mqtt):
    sub = mqtt(broker, 4)
    assert sub.subscribe([("mf/a", 0), ("mf/b", 1), ("mf/c", 2)]) == [0, 1, 2]
    pub = mqtt(broker, 4)
    for t in ("mf/a", "mf/b", "mf/c"):
        pub.publish(t, b"x", 2)
    got = sorted((m.topic, m.qos) for m in sub.get_n(3))
    assert got == [("mf/a", 0), ("mf/b", 1), ("mf/c", 2)]


@pytest.mark.parametrize("version", VERSIONS)
def test_unsubscribe_stops_delivery(broker, mqtt, version):
    sub = mqtt(broker, version)
    pub = mqtt(broker, version)
    sub.subscribe("un/a", 1)
    sub.subscribe("un/b", 1)
    pub.publish("un/a", b"1", 1)
    assert sub.get().payload == b"1"
    sub.unsubscribe("un/a")
    pub.publish("un/a", b"2", 1)
    pub.publish("un/b", b"still", 1)
    assert sub.get(topic="un/b").payload == b"still"
    sub.sync()
    assert [m for m in sub.drain() if m.topic == "un/a"] == []


def test_unsubscribe_unknown_filter_is_acknowledged(broker, mqtt):
    c = mqtt(broker, 5)
    c.unsubscribe("never/subscribed")
    c.subscribe("still/works", 1)
    c.publish("still/works", b"y", 1)
    assert c.get().payload == b"y"


@pytest.mark.parametrize("version", VERSIONS)
def test_message_ordering_qos1(broker, mqtt, version):
    n = 1000
    sub = mqtt(broker, version)
    pub = mqtt(broker, version)
    sub.subscribe("order/t", 1)
    last = None
    for i in range(n):
        last = pub.publish("order/t", b"%d" % i, 1, wait=False)
    last.wait_for_publish(10)
    got = sub.get_n(n, timeout=10)
    assert [int(m.payload) for m in got] == list(range(n))


def test_message_ordering_mixed_qos(broker, mqtt):
    sub = mqtt(broker, 4)
    pub = mqtt(broker, 4)
    sub.subscribe("order/mixed", 2)
    for i in range(60):
        pub.publish("order/mixed", b"%d" % i, i % 3, wait=False)
    got = sub.get_n(60, timeout=10)
    # MQTT only orders messages of the same QoS [MQTT-4.6.0-6].
    for q in (0, 1, 2):
        seq = [int(m.payload) for m in got if m.qos == q]
        assert seq == [i for i in range(60) if i % 3 == q], (q, seq)


def test_many_publishers_one_subscriber(broker, mqtt):
    sub = mqtt(broker, 4)
    sub.subscribe("fan/in/+", 1)
    pubs = [mqtt(broker, 4 if i % 2 else 5) for i in range(8)]
    for i, p in enumerate(pubs):
        for j in range(25):
            p.publish("fan/in/%d" % i, b"%d" % j, 1, wait=False)
    got = sub.get_n(200, timeout=10)
    for i in range(8):
        seq = [int(m.payload) for m in got if m.topic == "fan/in/%d" % i]
        assert seq == list(range(25)), "per-publisher order broken for %d: %r" % (i, seq)


def test_one_publisher_many_subscribers(broker, mqtt):
    subs = [mqtt(broker, 3 + i % 3) for i in range(10)]
    for s in subs:
        s.subscribe("fan/out", 1)
    pub = mqtt(broker, 4)
    for i in range(20):
        pub.publish("fan/out", b"%d" % i, 1, wait=False)
    for s in subs:
        assert [int(m.payload) for m in s.get_n(20)] == list(range(20))


# ---------------------------------------------------------------- mosquitto_pub / mosquitto_sub
need_cli = pytest.mark.skipif(not (shutil.which("mosquitto_pub") and shutil.which("mosquitto_sub")),
                              reason="mosquitto command line clients not installed")


@need_cli
@pytest.mark.parametrize("cli_version", ["mqttv31", "mqttv311", "mqttv5"])
def test_mosquitto_pub_to_paho_sub(broker, mqtt, cli_version):
    sub = mqtt(broker, 4)
    sub.subscribe("cli/pub/#", 2)
    for qos in (0, 1, 2):
        subprocess.run(["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-V", cli_version,
                        "-t", "cli/pub/%d" % qos, "-m", "from cli %d" % qos, "-q", str(qos)],
                       check=True, timeout=10, capture_output=True)
    got = sorted((m.topic, m.payload, m.qos) for m in sub.get_n(3))
    assert got == [("cli/pub/%d" % q, b"from cli %d" % q, q) for q in (0, 1, 2)]


@need_cli
def test_mosquitto_pub_retained_file_payload(broker, mqtt, tmp_path):
    data = os.urandom(5000)
    f = tmp_path / "payload.bin"
    f.write_bytes(data)
    subprocess.run(["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-t", "cli/file",
                    "-f", str(f), "-r", "-q", "1"], check=True, timeout=10, capture_output=True)
    sub = mqtt(broker, 5)
    sub.subscribe("cli/file", 1)
    m = sub.get()
    assert m.payload == data and m.retain


@need_cli
@pytest.mark.skipif(not shutil.which("stdbuf"), reason="needs stdbuf (coreutils)")
@pytest.mark.parametrize("cli_version", ["mqttv311", "mqttv5"])
def test_paho_pub_to_mosquitto_sub(broker, mqtt, cli_version):
    proc = subprocess.Popen(
        ["stdbuf", "-oL", "mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-V", cli_version,
         "-t", "cli/sub/#", "-q", "2", "-C", "3", "-W", "10", "-v", "-d"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 5
        lines = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if b"received SUBACK" in line:
                break
        assert any(b"received SUBACK" in x for x in lines), lines
        pub = mqtt(broker, 5)
        for qos in (0, 1, 2):
            pub.publish("cli/sub/%d" % qos, b"to cli %d" % qos, qos)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    printed = [x for x in out.decode().splitlines() if x.startswith("cli/sub/")]
    assert printed == ["cli/sub/%d to cli %d" % (q, q) for q in (0, 1, 2)]


def test_long_topic_names(broker, mqtt):
    deep = "/".join("l%d" % i for i in range(150))  # mosquitto caps topics at 200 levels
    wide = "w/" + "x" * 30000
    exact, plus, hash_ = mqtt(broker, 5), mqtt(broker, 4), mqtt(broker, 4)
    exact.subscribe(deep, 1)
    plus.subscribe("w/+", 1)
    hash_.subscribe("l0/+/l2/#", 1)
    pub = mqtt(broker, 4)
    pub.publish(deep, b"deep", 1)
    pub.publish(wide, b"wide", 1)
    assert (exact.get().topic, plus.get().topic, hash_.get().topic) == (deep, wide, deep)


def test_many_filters_in_one_subscribe(broker, mqtt):
    sub = mqtt(broker, 4)
    filters = [("many/%d/+" % i, i % 3) for i in range(500)]
    assert sub.subscribe(filters) == [q for _, q in filters]
    pub = mqtt(broker, 4)
    for i in (0, 250, 499):
        pub.publish("many/%d/x" % i, b"%d" % i, 2)
    got = sub.get_n(3)
    assert sorted((int(m.payload), m.qos) for m in got) == [(0, 0), (250, 1), (499, 1)]
