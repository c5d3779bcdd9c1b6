"""UniMQ admin HTTP API: /health, /metrics (Prometheus text), /api/v1/clients,
/api/v1/subscriptions, /api/v1/topics.

Metric names expected:
  unimq_connections (gauge)            unimq_sessions (gauge)
  unimq_subscriptions (gauge)          unimq_retained_messages (gauge)
  unimq_inflight_messages (gauge)      unimq_messages_dropped_total (counter)
  unimq_messages_received_total{qos="0|1|2"}   unimq_messages_sent_total{qos="0|1|2"}
  unimq_bytes_received_total           unimq_bytes_sent_total
"""
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from harness import wait_port

pytestmark = pytest.mark.unimq_only

GAUGES = ["unimq_connections", "unimq_sessions", "unimq_subscriptions", "unimq_retained_messages",
          "unimq_inflight_messages"]
COUNTERS = ["unimq_messages_received_total", "unimq_messages_sent_total", "unimq_messages_dropped_total",
            "unimq_bytes_received_total", "unimq_bytes_sent_total"]


def http_get(broker, path, timeout=5.0):
    """(status, content-type, body str); HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(broker.url(path), timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


def get_json(broker, path):
    status, ctype, body = http_get(broker, path)
    assert status == 200, "GET %s -> %d %s" % (path, status, body[:300])
    assert "json" in ctype, "GET %s: Content-Type %r" % (path, ctype)
    return json.loads(body)


def as_list(doc, key):
    """Accept a bare JSON array or an object wrapping it (e.g. {"clients": [...]})."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for k in (key, "items", "data", "results"):
            if isinstance(doc.get(k), list):
                return doc[k]
    raise AssertionError("expected a JSON list of %s, got %r" % (key, doc))


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eE]+|NaN|[+-]Inf)(\s+\d+)?$')


def parse_metrics(text):
    """{name: {labels_str: value}}, {name: type}"""
    samples, types = {}, {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(None, 3)
            types[name] = typ.strip()
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line.strip())
        assert m, "not a Prometheus text sample line: %r" % line
        samples.setdefault(m.group(1), {})[m.group(2) or ""] = float(m.group(3))
    return samples, types


def metric(samples, name, **labels):
    series = samples.get(name, {})
    want = {k: str(v) for k, v in labels.items()}
    total, found = 0.0, False
    for lab, v in series.items():
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', lab))
        if all(got.get(k) == v for k, v in want.items()):
            total += v
            found = True
    assert found, "no sample for %s%r (have %r)" % (name, labels, series)
    return total


@pytest.fixture
def admin(broker):
    assert wait_port(broker.http_port, 5), "admin HTTP port %d not listening" % broker.http_port
    return broker


def scrape(broker):
    status, ctype, body = http_get(broker, "/metrics")
    assert status == 200
    assert ctype.startswith("text/plain"), ctype
    return parse_metrics(body)


def test_health(admin):
    status, _, body = http_get(admin, "/health")
    assert status == 200, body


def test_unknown_path_404(admin):
    status, _, _ = http_get(admin, "/definitely/not/here")
    assert status == 404


def test_metrics_names_and_types(admin, mqtt):
    mqtt(admin, 4)
    samples, types = scrape(admin)
    for g in GAUGES:
        assert g in samples, "missing metric %s" % g
        assert types.get(g) == "gauge", "%s type %r" % (g, types.get(g))
    for c in COUNTERS:
        assert c in samples, "missing metric %s" % c
        assert types.get(c) == "counter", "%s type %r" % (c, types.get(c))
    for q in (0, 1, 2):
        metric(samples, "unimq_messages_received_total", qos=q)
        metric(samples, "unimq_messages_sent_total", qos=q)


def test_metrics_track_activity(admin, mqtt):
    before, _ = scrape(admin)
    sub = mqtt(admin, 5, client_id="metrics-sub", connect_props={"session_expiry_interval": 60})
    pub = mqtt(admin, 4)
    sub.subscribe("m/#", 2)
    counts = {0: 3, 1: 4, 2: 5}
    for q, n in counts.items():
        for i in range(n):
            pub.publish("m/q%d" % q, b"x" * 10, q)
    pub.publish("m/retained", b"r", 1, retain=True)
    sub.get_n(sum(counts.values()) + 1)
    time.sleep(0.3)
    after, _ = scrape(admin)
    assert metric(after, "unimq_connections") >= 2
    assert metric(after, "unimq_sessions") >= 2
    assert metric(after, "unimq_subscriptions") >= 1
    assert metric(after, "unimq_retained_messages") >= 1
    for q, n in counts.items():
        extra = 1 if q == 1 else 0  # the retained publish
        assert metric(after, "unimq_messages_received_total", qos=q) - \
            metric(before, "unimq_messages_received_total", qos=q) >= n + extra
        assert metric(after, "unimq_messages_sent_total", qos=q) - \
            metric(before, "unimq_messages_sent_total", qos=q) >= n
    assert metric(after, "unimq_bytes_received_total") > metric(before, "unimq_bytes_received_total")
    assert metric(after, "unimq_bytes_sent_total") > metric(before, "unimq_bytes_sent_total")


def test_metrics_connections_gauge_decreases(admin, mqtt):
    cs = [mqtt(admin, 4) for _ in range(3)]
    samples, _ = scrape(admin)
    n = metric(samples, "unimq_connections")
    assert n >= 3
    for c in cs:
        c.disconnect()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        samples, _ = scrape(admin)
        if metric(samples, "unimq_connections") <= n - 3:
            break
        time.sleep(0.1)
    assert metric(samples, "unimq_connections") <= n - 3


def test_metrics_inflight_and_dropped(broker_factory, raw, mqtt):
    b = broker_factory(["--set", "mqtt.max_queued_messages=2"])
    assert wait_port(b.http_port, 5)
    r = raw(b, 5)
    r.connect("slow-consumer", props={"receive_maximum": 1})
    r.subscribe("drop/t", 1)
    pub = mqtt(b, 4)
    for i in range(10):
        pub.publish("drop/t", b"%d" % i, 1)
    r.expect(3)  # one in flight, never acknowledged
    time.sleep(0.3)
    samples, _ = scrape(b)
    assert metric(samples, "unimq_inflight_messages") >= 1
    assert metric(samples, "unimq_messages_dropped_total") >= 1


def test_api_clients(admin, mqtt):
    c = mqtt(admin, 5, client_id="api-client-1")
    mqtt(admin, 4, client_id="api-client-2")
    clients = as_list(get_json(admin, "/api/v1/clients"), "clients")
    ids = [x.get("client_id") for x in clients]
    assert "api-client-1" in ids and "api-client-2" in ids, ids
    one = get_json(admin, "/api/v1/clients/api-client-1")
    assert one.get("client_id") == "api-client-1"
    assert one.get("protocol_version", 5) == 5
    status, _, _ = http_get(admin, "/api/v1/clients/no-such-client")
    assert status == 404
    c.disconnect()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        clients = as_list(get_json(admin, "/api/v1/clients"), "clients")
        if not [x for x in clients if x.get("client_id") == "api-client-1" and x.get("connected", False)]:
            break
        time.sleep(0.1)
    assert not [x for x in clients if x.get("client_id") == "api-client-1" and x.get("connected", False)]


def test_api_client_id_with_special_characters(admin, mqtt):
    mqtt(admin, 4, client_id="a/b c")
    one = get_json(admin, "/api/v1/clients/" + urllib.parse.quote("a/b c", safe=""))
    assert one.get("client_id") == "a/b c"


def test_api_subscriptions(admin, mqtt):
    c = mqtt(admin, 5, client_id="api-sub")
    c.subscribe("api/+/filter", 1)
    c.subscribe("$share/grp/api/shared", 2)
    other = mqtt(admin, 4, client_id="api-other")
    other.subscribe("other/#", 0)
    subs = as_list(get_json(admin, "/api/v1/subscriptions"), "subscriptions")
    mine = [s for s in subs if s.get("client_id") == "api-sub"]
    filters = {s.get("filter") for s in mine}
    assert "api/+/filter" in filters, subs
    assert "api/shared" in filters or "$share/grp/api/shared" in filters, subs
    plain = [s for s in mine if s.get("filter") == "api/+/filter"][0]
    assert plain.get("qos", 1) == 1
    only = as_list(get_json(admin, "/api/v1/subscriptions?client_id=api-other"), "subscriptions")
    assert [s.get("filter") for s in only] == ["other/#"], only


def test_api_topics_lists_retained(admin, mqtt):
    pub = mqtt(admin, 4)
    pub.publish("api/retained/topic", b"12345", 1, retain=True)
    time.sleep(0.2)
    topics = as_list(get_json(admin, "/api/v1/topics"), "topics")
    entry = [t for t in topics if t.get("topic") == "api/retained/topic"]
    assert entry, topics
    assert entry[0].get("retained", True) is True
    pub.publish("api/retained/topic", b"", 1, retain=True)  # cleared
    time.sleep(0.2)
    topics = as_list(get_json(admin, "/api/v1/topics"), "topics")
    assert not [t for t in topics if t.get("topic") == "api/retained/topic" and t.get("retained", True)]
