"""UniMQ $SYS topics.

The broker publishes (every mqtt.sys_interval_s seconds; the harness sets 1) to
$SYS/brokers/{node}/... where {node} is "unimq@127.0.0.1":

  $SYS/brokers/{node}/version                 broker version string, e.g. "0.1.0"
  $SYS/brokers/{node}/uptime                  seconds since start (integer)
  $SYS/brokers/{node}/clients/connected       currently connected clients
  $SYS/brokers/{node}/clients/total           connected + persistent offline sessions
  $SYS/brokers/{node}/messages/received       PUBLISH packets received
  $SYS/brokers/{node}/messages/sent           PUBLISH packets sent
  $SYS/brokers/{node}/messages/dropped        messages dropped
  $SYS/brokers/{node}/subscriptions/count     subscriptions
  $SYS/brokers/{node}/retained/count          retained messages

The tests subscribe with a '+' for the node level, so the node name does not matter.
"""
import re
import time

import pytest

pytestmark = pytest.mark.unimq_only

TOPICS = ["version", "uptime", "clients/connected", "clients/total", "messages/received",
          "messages/sent", "messages/dropped", "subscriptions/count", "retained/count"]


def latest(sub, suffixes, timeout=3.5):
    """Collect live (not retained, i.e. fresh) $SYS messages until every suffix was
    seen; return {suffix: payload str}."""
    seen = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(s in seen for s in suffixes):
        try:
            m = sub.get(timeout=max(0.05, deadline - time.monotonic()))
        except AssertionError:
            break
        if m.retain:
            continue  # a retained value may predate this test's activity
        parts = m.topic.split("/", 3)
        if len(parts) == 4 and parts[0] == "$SYS" and parts[1] == "brokers":
            seen[parts[3]] = m.payload.decode()
    missing = [s for s in suffixes if s not in seen]
    assert not missing, "no $SYS/brokers/+/... message for %r within %.1fs (seen %r)" % (missing, timeout, seen)
    return seen


def test_sys_topics_published(broker, mqtt):
    sub = mqtt(broker, 4)
    sub.subscribe("$SYS/brokers/#", 0)
    seen = latest(sub, TOPICS)
    assert re.match(r"^\d+\.\d+", seen["version"]), seen["version"]
    for k in TOPICS[1:]:
        assert re.match(r"^\d+$", seen[k].strip()), "%s = %r is not a non-negative integer" % (k, seen[k])
    assert int(seen["clients/connected"]) >= 1


def test_sys_node_name(broker, mqtt):
    sub = mqtt(broker, 4)
    sub.subscribe("$SYS/brokers/+/uptime", 0)
    m = sub.get(timeout=3.5)
    assert m.topic == "$SYS/brokers/unimq@127.0.0.1/uptime", m.topic


def test_sys_uptime_increases(broker, mqtt):
    sub = mqtt(broker, 4)
    sub.subscribe("$SYS/brokers/+/uptime", 0)
    first = int(sub.get(timeout=3.5).payload)
    deadline = time.monotonic() + 3.5
    while True:
        later = int(sub.get(timeout=max(0.05, deadline - time.monotonic())).payload)
        assert later >= first, "uptime went backwards: %d -> %d" % (first, later)
        if later > first:
            break


def test_sys_counters_track_activity(broker, mqtt):
    sub = mqtt(broker, 4)
    pub = mqtt(broker, 4)
    extra = [mqtt(broker, 5) for _ in range(3)]
    for i, c in enumerate(extra):
        c.subscribe("sysc/%d" % i, 1)
    for i in range(10):
        pub.publish("sysc/r/%d" % i, b"x", 1, retain=True)
    sub.subscribe("$SYS/brokers/#", 0)
    time.sleep(1.2)  # let a fresh $SYS round start after the activity
    sub.drain()
    seen = latest(sub, ["clients/connected", "messages/received", "subscriptions/count", "retained/count"])
    assert int(seen["clients/connected"]) >= 5
    assert int(seen["messages/received"]) >= 10
    assert int(seen["subscriptions/count"]) >= 4
    assert int(seen["retained/count"]) >= 10


def test_sys_not_matched_by_hash(broker, mqtt):
    allsub = mqtt(broker, 4)
    allsub.subscribe("#", 0)
    syssub = mqtt(broker, 4)
    syssub.subscribe("$SYS/brokers/+/uptime", 0)
    syssub.get(timeout=3.5)
    assert not [m.topic for m in allsub.drain() if m.topic.startswith("$SYS")]


def test_clients_cannot_publish_to_sys(broker, mqtt):
    sub = mqtt(broker, 4)
    sub.subscribe("$SYS/brokers/+/version", 0)
    real = sub.get(timeout=3.5).payload
    fake = mqtt(broker, 4)
    try:
        fake.publish("$SYS/brokers/unimq@127.0.0.1/version", b"hacked", 1, timeout=2)
    except AssertionError:
        pass
    time.sleep(1.5)
    got = [m.payload for m in sub.drain()]
    assert b"hacked" not in got, "a client could publish into $SYS/brokers"
    assert all(p == real for p in got)
