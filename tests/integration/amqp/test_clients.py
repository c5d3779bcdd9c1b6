"""Other client libraries: amqplib (Node.js) and amqp-tools (rabbitmq-c command line)."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pika
import pytest
from amqp_helpers import drain

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


def require_amqplib():
    """make test installs amqplib (scripts/install-deps.sh): its absence is a failure."""
    if not (NODE_DIR / "node_modules" / "amqplib").is_dir() or not shutil.which("node"):
        pytest.fail("amqplib missing: run `bash scripts/install-deps.sh`")


def url(server):
    return "amqp://guest:guest@%s:%d" % (server.host, server.port)  # no path: vhost "/"


def test_amqplib_confirm_channel_publish_and_consume(amqp_server, name):
    require_amqplib()
    out = subprocess.run(["node", str(NODE_DIR / "amqp_pubsub.js"), url(amqp_server), name(), "200"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout.strip().splitlines()[-1])
    assert s["confirmed"] == 200 and s["received"] == 200 and s["inOrder"], s
    assert s["props"] == {"contentType": "text/plain", "messageId": "m0", "deliveryMode": 2,
                          "correlationId": "c0", "headers": {"idx": 0, "nested": {"a": "b"}}}
    assert s["topic"] == "topic-msg"


def tool(server, *args, input=None):
    out = subprocess.run(list(args[:1]) + ["--url", url(server)] + list(args[1:]), input=input,
                         capture_output=True, timeout=15)
    assert out.returncode == 0, "%s failed: %s" % (args[0], out.stderr.decode(errors="replace"))
    return out.stdout


def test_amqp_tools_declare_publish_get_consume_delete(amqp_server, ch, name):
    q = tool(amqp_server, "amqp-declare-queue", "-q", name()).decode().strip()
    assert q == name()
    for i in range(3):
        tool(amqp_server, "amqp-publish", "-r", q, "-C", "text/plain", "-b", "hello %d" % i)
    assert tool(amqp_server, "amqp-get", "-q", q) == b"hello 0"
    got = tool(amqp_server, "amqp-consume", "-q", q, "-c", "1", "cat")
    assert got == b"hello 1"
    assert drain(ch, q) == [b"hello 2"]
    tool(amqp_server, "amqp-publish", "-e", "amq.direct", "-r", "nobody", "-b", "x")
    tool(amqp_server, "amqp-delete-queue", "-q", q)
    with pytest.raises(Exception):
        ch.queue_declare(q, passive=True)


def test_amqp_tools_consume_from_exchange_binding(amqp_server, connect, name):
    proc = subprocess.Popen(["amqp-consume", "--url", url(amqp_server), "-e", "amq.topic", "-r", name() + ".#",
                             "-x", "-c", "2", "cat"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        c = connect().channel()
        c.confirm_delivery()
        deadline = time.monotonic() + 5
        # Publish until the consumer's queue is bound (the binding is made asynchronously).
        while True:
            try:
                c.basic_publish("amq.topic", name() + ".x", b"one", mandatory=True)
                break
            except pika.exceptions.UnroutableError:
                assert time.monotonic() < deadline, "amqp-consume never bound its queue"
                time.sleep(0.05)
        c.basic_publish("amq.topic", name() + ".y.z", b"two", mandatory=True)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert out == b"onetwo"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_amqplib_nack_requeue_and_server_cancel(amqp_server, name):
    require_amqplib()
    out = subprocess.run(["node", str(NODE_DIR / "amqp_cancel.js"), url(amqp_server), name()],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout.strip().splitlines()[-1])
    assert s == {"redelivered": True, "cancelled": True, "channelOpen": True}, s
