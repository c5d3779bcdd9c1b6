"""Shared subscriptions ($share/{group}/{filter}, UniMQ's $queue/{filter}) and
UniMQ's selectable share strategies (mqtt.shared_strategy)."""
import time

import pytest

from harness import MOSQUITTO
from mqtt_raw import DISCONNECT, PUBLISH, SUBACK, sub_opts, subscribe_packet

N = 20


def members(mqtt, broker, share, n=2, version=5, qos=1, **kw):
    out = []
    for _ in range(n):
        c = mqtt(broker, version, **kw)
        c.subscribe(share, qos)
        out.append(c)
    return out


def collect(clients, expected_total, timeout=5.0):
    """Wait until `expected_total` messages arrived across clients; return per-client payload ints."""
    deadline = time.monotonic() + timeout
    while sum(len(c.pending()) for c in clients) < expected_total and time.monotonic() < deadline:
        time.sleep(0.02)
    for c in clients:
        c.sync()
    return [[int(m.payload) for m in c.drain() if not m.topic.startswith("sync/")] for c in clients]


@pytest.mark.parametrize("version", [4, 5], ids=["v311", "v5"])
def test_shared_group_splits_messages(broker, mqtt, version):
    group = members(mqtt, broker, "$share/g/sh/t", version=version)
    normal = mqtt(broker, version)
    normal.subscribe("sh/t", 1)
    pub = mqtt(broker, 4)
    for i in range(N):
        pub.publish("sh/t", b"%d" % i, 1)
    a, b = collect(group, N)
    assert sorted(a + b) == list(range(N)), "each message exactly once in the group: %r %r" % (a, b)
    assert a and b, "both members must get messages: %r %r" % (a, b)
    assert a == sorted(a) and b == sorted(b)
    assert [int(m.payload) for m in normal.get_n(N)] == list(range(N)), "normal subscriber gets all"


def test_two_groups_each_get_every_message(broker, mqtt):
    g1 = members(mqtt, broker, "$share/one/sh/two")
    g2 = members(mqtt, broker, "$share/two/sh/two")
    pub = mqtt(broker, 4)
    for i in range(N):
        pub.publish("sh/two", b"%d" % i, 1)
    for group in (g1, g2):
        a, b = collect(group, N)
        assert sorted(a + b) == list(range(N))


def test_shared_with_wildcard_filter(broker, mqtt):
    group = members(mqtt, broker, "$share/wg/sh/+/x")
    pub = mqtt(broker, 4)
    for i in range(N):
        pub.publish("sh/%d/x" % (i % 3), b"%d" % i, 1)
    pub.publish("sh/nope/y", b"99", 1)
    a, b = collect(group, N)
    assert sorted(a + b) == list(range(N))


def test_shared_qos_is_subscription_qos(broker, mqtt):
    group = members(mqtt, broker, "$share/q/sh/qos", qos=0)
    mqtt(broker, 4).publish("sh/qos", b"1", 2)
    deadline = time.monotonic() + 5
    while not any(c.pending() for c in group) and time.monotonic() < deadline:
        time.sleep(0.02)
    for c in group:
        c.sync()
    got = [m for c in group for m in c.drain() if m.topic == "sh/qos"]
    assert len(got) == 1 and got[0].qos == 0, got


def test_member_leaving_group(broker, mqtt):
    a, b = members(mqtt, broker, "$share/leave/sh/leave")
    a.disconnect()
    pub = mqtt(broker, 4)
    for i in range(10):
        pub.publish("sh/leave", b"%d" % i, 1)
    # Every message exactly once. Not necessarily in order: a message picked for the leaving
    # member on a shard that had not yet seen it leave is passed on one hop later.
    assert sorted(int(m.payload) for m in b.get_n(10)) == list(range(10))
    b.expect_none(0.2, topic="sh/leave")


def test_unsubscribe_from_share(broker, mqtt):
    a, b = members(mqtt, broker, "$share/un/sh/un")
    a.unsubscribe("$share/un/sh/un")
    pub = mqtt(broker, 4)
    for i in range(6):
        pub.publish("sh/un", b"%d" % i, 1)
    assert len(b.get_n(6)) == 6
    a.sync()
    assert [m for m in a.drain() if m.topic == "sh/un"] == []


def test_same_client_shared_and_normal(broker, mqtt):
    c = mqtt(broker, 5)
    c.subscribe("$share/self/sh/both", 1)
    c.subscribe("sh/both", 1)
    mqtt(broker, 4).publish("sh/both", b"x", 1)
    c.sync()
    got = [m for m in c.drain() if m.topic == "sh/both"]
    assert len(got) == 2, "one copy for the share group and one for the normal subscription: %r" % got


LENIENT = pytest.mark.xfail(MOSQUITTO, strict=True,
                            reason="mosquitto 2.0.11 accepts this malformed $share filter as an ordinary filter")


@pytest.mark.parametrize("bad", [pytest.param("$share/g", marks=LENIENT), pytest.param("$share//t", marks=LENIENT),
                                 "$share/g+/t", "$share/g#/t", pytest.param("$share/", marks=LENIENT)])
def test_invalid_share_filters_rejected(broker, raw, bad):
    r = raw(broker, 5)
    r.connect("badshare")
    r.send(subscribe_packet(1, [(bad, sub_opts(1))], 5))
    p = r.recv(5)
    if p is not None and p.type == SUBACK:
        assert p.codes and p.codes[0] >= 0x80, "invalid share filter %r accepted: %r" % (bad, p)
    else:
        got = ([p] if p else []) + r.wait_closed(5)
        assert all(x.type == DISCONNECT and x.rc in (0x81, 0x82, 0x8F) for x in got), got


@pytest.mark.xfail(MOSQUITTO, strict=True, reason="mosquitto 2.0.11 accepts No Local on shared subscriptions")
def test_no_local_on_shared_subscription_is_protocol_error(broker, raw):
    r = raw(broker, 5)
    r.connect("nl-share")
    r.send(subscribe_packet(1, [("$share/g/sh/nl", sub_opts(1, no_local=True))], 5))
    got = r.wait_closed(5)
    assert all(p.type == DISCONNECT and p.rc == 0x82 for p in got), got


def test_shared_delivery_to_offline_member_session(broker, mqtt):
    """A member with a persistent session that went offline: the group keeps
    delivering every message to someone (online member or queued for the offline one)."""
    online = mqtt(broker, 5)
    online.subscribe("$share/off/sh/off", 1)
    offline = mqtt(broker, 5, client_id="share-off", connect_props={"session_expiry_interval": 60})
    offline.subscribe("$share/off/sh/off", 1)
    offline.disconnect()
    pub = mqtt(broker, 4)
    for i in range(10):
        pub.publish("sh/off", b"%d" % i, 1)
    back = mqtt(broker, 5, client_id="share-off", clean=False, connect_props={"session_expiry_interval": 60})
    deadline = time.monotonic() + 5
    while len(online.pending()) + len(back.pending()) < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    online.sync()
    back.sync()
    online_got = [int(m.payload) for m in online.drain() if m.topic == "sh/off"]
    back_got = [int(m.payload) for m in back.drain() if m.topic == "sh/off"]
    assert sorted(online_got + back_got) == list(range(10)), (online_got, back_got)


# ---------------------------------------------------------------- UniMQ: $queue and strategies
@pytest.mark.unimq_only
def test_queue_prefix_is_one_group(broker, mqtt):
    group = members(mqtt, broker, "$queue/q/t")
    normal = mqtt(broker, 4)
    normal.subscribe("q/t", 1)
    pub = mqtt(broker, 4)
    for i in range(N):
        pub.publish("q/t", b"%d" % i, 1)
    a, b = collect(group, N)
    assert sorted(a + b) == list(range(N)) and a and b
    assert len(normal.get_n(N)) == N


@pytest.mark.unimq_only
def test_queue_and_share_groups_are_distinct(broker, mqtt):
    q = members(mqtt, broker, "$queue/qs/t", n=1)
    s = members(mqtt, broker, "$share/g/qs/t", n=1)
    pub = mqtt(broker, 4)
    for i in range(5):
        pub.publish("qs/t", b"%d" % i, 1)
    assert len(q[0].get_n(5)) == 5 and len(s[0].get_n(5)) == 5


def strategy_broker(broker_factory, name):
    return broker_factory(["--set", "mqtt.shared_strategy=%s" % name])


@pytest.mark.unimq_only
def test_strategy_round_robin_alternates(broker_factory, mqtt):
    b = strategy_broker(broker_factory, "round_robin")
    group = members(mqtt, b, "$share/rr/s/rr")
    pub = mqtt(b, 4)
    for i in range(10):
        pub.publish("s/rr", b"%d" % i, 1)
    a, c = collect(group, 10)
    assert sorted([a, c]) == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]], (a, c)


@pytest.mark.unimq_only
def test_strategy_sticky(broker_factory, mqtt):
    b = strategy_broker(broker_factory, "sticky")
    group = members(mqtt, b, "$share/st/s/st")
    pub = mqtt(b, 4)
    for i in range(10):
        pub.publish("s/st", b"%d" % i, 1)
    got = collect(group, 10)
    assert sorted(got, key=len) == [[], list(range(10))], got
    chosen = 0 if got[0] else 1
    group[chosen].disconnect()
    for i in range(10, 20):
        pub.publish("s/st", b"%d" % i, 1)
    other = group[1 - chosen]
    # All to the remaining member, each once (order may change around the hand-over: see
    # test_member_leaving_group).
    assert sorted(int(m.payload) for m in other.get_n(10)) == list(range(10, 20))
    other.expect_none(0.2, topic="s/st")


@pytest.mark.unimq_only
def test_strategy_hash_clientid(broker_factory, mqtt):
    b = strategy_broker(broker_factory, "hash_clientid")
    group = members(mqtt, b, "$share/h/s/h")
    pubs = [mqtt(b, 4, client_id="publisher-%d" % i) for i in range(6)]
    for k in range(5):
        for i, p in enumerate(pubs):
            p.publish("s/h", b"%d" % (i * 100 + k), 1)
    got = collect(group, 30)
    assert sorted(got[0] + got[1]) == sorted(i * 100 + k for i in range(6) for k in range(5))
    for i in range(6):
        where = {m for m, lst in enumerate(got) for x in lst if x // 100 == i}
        assert len(where) == 1, "messages of publisher %d went to members %r" % (i, where)


@pytest.mark.unimq_only
def test_strategy_random_covers_members(broker_factory, mqtt):
    b = strategy_broker(broker_factory, "random")
    group = members(mqtt, b, "$share/r/s/r")
    pub = mqtt(b, 4)
    for i in range(100):
        pub.publish("s/r", b"%d" % i, 1, wait=(i == 99))
    a, c = collect(group, 100)
    assert sorted(a + c) == list(range(100))
    assert a and c, "random strategy used only one member over 100 messages"


def unacking_member(raw, broker, share, qos=1, receive_maximum=2):
    """A member that reads PUBLISHes but never acknowledges them (its window fills, the rest
    queues in its session)."""
    r = raw(broker, 5)
    r.connect(props={"receive_maximum": receive_maximum})
    r.subscribe([(share, sub_opts(qos))])
    return r


@pytest.mark.unimq_only
@pytest.mark.parametrize("how", ["disconnect", "drop"])
def test_unfinished_messages_of_ending_member_go_to_another(broker_factory, mqtt, raw, how):
    """[MQTT-4.8.2]: when a member's session ends with messages it was given but did not
    acknowledge (in flight or still queued behind its receive maximum), the server should
    send them to another member of the same group."""
    b = strategy_broker(broker_factory, "round_robin")
    stuck = unacking_member(raw, b, "$share/fin/sh/fin")
    live = mqtt(b, 5)
    live.subscribe("$share/fin/sh/fin", 1)
    pub = mqtt(b, 4)
    for i in range(N):
        pub.publish("sh/fin", b"%d" % i, 1)
    first = [stuck.expect(PUBLISH), stuck.expect(PUBLISH)]
    assert all(p.qos == 1 for p in first), first
    stuck.expect_nothing(0.2)  # receive maximum 2: the rest of its share waits in its session
    if how == "disconnect":
        stuck.disconnect()  # session expiry 0: the session ends now
    else:
        stuck.close()  # connection lost without DISCONNECT: the session ends too
    got = [int(m.payload) for m in live.get_n(N)]
    assert sorted(got) == list(range(N)), got
    live.expect_none(0.3, topic="sh/fin")


@pytest.mark.unimq_only
def test_persistent_member_keeps_its_messages_while_session_lives(broker_factory, mqtt, raw):
    """Only an ending session hands its messages on: a member whose session outlives the
    connection keeps them and gets them back on reconnect."""
    b = strategy_broker(broker_factory, "round_robin")
    r = raw(b, 5)
    r.connect("keep-mine", props={"session_expiry_interval": 60, "receive_maximum": 1})
    r.subscribe([("$share/keep/sh/keep", sub_opts(1))])
    live = mqtt(b, 5)
    live.subscribe("$share/keep/sh/keep", 1)
    pub = mqtt(b, 4)
    for i in range(10):
        pub.publish("sh/keep", b"%d" % i, 1)
    r.expect(PUBLISH)
    r.disconnect()
    live_got = [int(m.payload) for m in live.get_n(5)]
    live.expect_none(0.3, topic="sh/keep")
    back = mqtt(b, 5, client_id="keep-mine", clean=False,
                connect_props={"session_expiry_interval": 60})
    back_got = [int(m.payload) for m in back.get_n(5)]
    assert sorted(live_got + back_got) == list(range(10)), (live_got, back_got)
