"""Helpers shared by the Kafka integration tests (imported by the tests and conftest.py)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import List, Optional, Sequence

import pytest

import harness
from harness import wait_until  # noqa: F401  (re-exported for the tests)

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
CLIENT_TIMEOUT = 10.0


class KafkaBroker:
    """A started UniMQ with a Kafka listener; `bootstrap` is "127.0.0.1:<port>"."""

    def __init__(self, broker: harness.Broker):
        self.broker = broker
        self.port = broker.kafka_port
        self.bootstrap = "%s:%d" % (broker.host, broker.kafka_port)
        if not harness.wait_port(self.port, harness.START_TIMEOUT, broker.proc):
            raise RuntimeError("no Kafka listener on port %d\n%s" % (self.port, broker.log_tail()))

    def kill(self) -> None:
        """kill -9 the broker and wait for it to be gone."""
        b = self.broker
        b.proc.kill()
        b.proc.wait()
        b._log.close()

    def start_again(self) -> "KafkaBroker":
        """Start the broker again on the same data dir and ports (after kill or stop)."""
        b = self.broker
        b.returncode = None
        b.start()
        assert harness.wait_port(self.port, harness.START_TIMEOUT, b.proc), b.log_tail()
        return self

    def restart(self, kill: bool = False) -> "KafkaBroker":
        """Stop (SIGTERM, or SIGKILL with kill=True) and start again."""
        if kill:
            self.kill()
        else:
            assert self.broker.stop() == 0, "broker did not exit cleanly\n%s" % self.broker.log_tail()
        return self.start_again()

    def alive(self) -> bool:
        return self.broker.alive()


def metric(k: KafkaBroker, name: str) -> float:
    """The value of an unlabelled (or first labelled) series in the broker's /metrics."""
    with urllib.request.urlopen(k.broker.url("/metrics"), timeout=5) as r:
        text = r.read().decode()
    m = re.search(r"^%s(?:\{[^}]*\})? ([0-9.eE+-]+)$" % name, text, re.M)
    assert m, "no %s in /metrics" % name
    return float(m.group(1))


# ------------------------------------------------------------------ librdkafka helpers
def admin(bootstrap: str, **conf):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap, **conf})


def create_topic(bootstrap: str, name: str, partitions: int = 1, config: Optional[dict] = None) -> str:
    """CreateTopics through the admin client; waits for the answer (raises on error)."""
    from confluent_kafka.admin import NewTopic
    a = admin(bootstrap)  # keep the handle alive until the answer (else: _DESTROY)
    fs = a.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1, config=config or {})],
                         operation_timeout=CLIENT_TIMEOUT)
    fs[name].result(CLIENT_TIMEOUT)
    return name


def producer(bootstrap: str, **conf):
    from confluent_kafka import Producer
    base = {"bootstrap.servers": bootstrap, "linger.ms": 5, "message.timeout.ms": int(CLIENT_TIMEOUT * 1000)}
    base.update({k.replace("_", "."): v for k, v in conf.items()})
    return Producer(base)


def produce_all(p, topic: str, records: Sequence[dict], timeout: float = CLIENT_TIMEOUT) -> List:
    """Produces records (dicts of Producer.produce kwargs), flushes, returns the delivered
    messages in order; fails on any delivery error."""
    delivered, errors = [], []

    def cb(err, msg):
        (errors if err else delivered).append(err or msg)
    for r in records:
        p.produce(topic, on_delivery=cb, **r)
        p.poll(0)
    left = p.flush(timeout)
    assert left == 0, "%d records not delivered within %.0fs" % (left, timeout)
    assert not errors, "delivery errors: %r" % errors[:5]
    return delivered


def consumer(bootstrap: str, group: Optional[str] = None, **conf):
    from confluent_kafka import Consumer
    base = {"bootstrap.servers": bootstrap, "group.id": group or "g-" + uuid.uuid4().hex[:8],
            "auto.offset.reset": "earliest", "enable.auto.commit": False}
    base.update({k.replace("_", "."): v for k, v in conf.items()})
    return Consumer(base)


def consume_n(c, n: int, timeout: float = CLIENT_TIMEOUT) -> List:
    """Polls until n messages (errors fail the test) or the timeout."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        assert not m.error(), "consumer error: %s" % m.error()
        out.append(m)
    assert len(out) == n, "consumed %d of %d messages within %.0fs" % (len(out), n, timeout)
    return out


def consume_topic(bootstrap: str, topic: str, n: int, timeout: float = CLIENT_TIMEOUT, **conf) -> List:
    """A fresh consumer assigned every partition of topic from the beginning (no consumer
    group involved) reads n messages, in partition then offset order when one partition."""
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition
    c = consumer(bootstrap, **conf)
    try:
        md = c.list_topics(topic, timeout=timeout)
        parts = sorted(md.topics[topic].partitions)
        assert parts, "topic %s has no partitions" % topic
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        return consume_n(c, n, timeout)
    finally:
        c.close()


def expect_no_more(c, wait: float = 1.0) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        m = c.poll(0.1)
        assert m is None or m.error(), "unexpected extra message at offset %s: %r" % (
            m.offset(), m.value())


# ------------------------------------------------------------------ other clients
def kcat(bootstrap: str, *args: str, input: Optional[bytes] = None, timeout: float = 20) -> bytes:
    cmd = ["kcat", "-b", bootstrap] + list(args)
    p = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    assert p.returncode == 0, "%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.decode()[-2000:])
    return p.stdout


def node(script: str, *args: str, timeout: float = 40) -> dict:
    """Runs tests/integration/node/<script> and parses the JSON it prints on its last line."""
    if not (NODE_DIR / "node_modules" / "kafkajs").is_dir():
        pytest.fail("kafkajs missing: run `bash scripts/install-deps.sh`")
    env = dict(os.environ, KAFKAJS_NO_PARTITIONER_WARNING="1")
    p = subprocess.run(["node", str(NODE_DIR / script)] + list(args), cwd=str(NODE_DIR), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    assert p.returncode == 0, "node %s failed (%d):\n%s\n%s" % (
        script, p.returncode, p.stdout.decode()[-2000:], p.stderr.decode()[-3000:])
    return json.loads(p.stdout.decode().strip().splitlines()[-1])
