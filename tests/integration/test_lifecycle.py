"""UniMQ process lifecycle: graceful SIGTERM shutdown, command line help, and
port 0 disabling a listener."""
import re
import socket
import subprocess
import time

import pytest

import harness
from harness import free_ports, listening_ports, wait_port
from mqtt_raw import DISCONNECT, RC_SERVER_SHUTTING_DOWN

pytestmark = pytest.mark.unimq_only

FLAGS = ["--config", "--data-dir", "--mqtt-port", "--mqtt-ws-port", "--kafka-port", "--amqp-port",
         "--http-port", "--log-level"]


def test_sigterm_graceful_shutdown(broker_factory, raw, mqtt):
    b = broker_factory()
    v5 = [raw(b, 5) for _ in range(3)]
    for i, r in enumerate(v5):
        r.connect("shut5-%d" % i)
    v311 = raw(b, 4)
    v311.connect("shut311")
    persistent = mqtt(b, 5, client_id="shut-persist", connect_props={"session_expiry_interval": 60})
    persistent.subscribe("x/#", 1)
    t0 = time.monotonic()
    rc = b.stop()
    assert rc == 0, "exit code %r after SIGTERM (expected 0)" % rc
    assert time.monotonic() - t0 < 10
    for r in v5:
        got = r.wait_closed(2)
        assert [p.type for p in got] == [DISCONNECT], got
        assert got[0].rc == RC_SERVER_SHUTTING_DOWN, got
    assert v311.wait_closed(2) == []


def test_sigterm_with_traffic_in_flight(broker_factory, mqtt):
    b = broker_factory()
    sub = mqtt(b, 4)
    sub.subscribe("busy/#", 1)
    pub = mqtt(b, 5)
    for i in range(500):
        pub.publish("busy/%d" % (i % 10), b"x" * 100, i % 3, wait=False)
    rc = b.stop()
    assert rc == 0


def test_sigterm_idle_broker_exits_fast(broker_factory):
    b = broker_factory()
    t0 = time.monotonic()
    assert b.stop() == 0
    assert time.monotonic() - t0 < 3.0, "idle broker took %.1fs to exit" % (time.monotonic() - t0)


def run_cli(*args):
    return subprocess.run([harness.UNIMQ_BIN] + list(args), capture_output=True, text=True, timeout=10)


def test_top_level_help():
    p = run_cli("--help")
    assert p.returncode == 0, p.stderr
    out = p.stdout + p.stderr
    assert "server" in out


def test_server_help_lists_every_flag():
    p = run_cli("server", "--help")
    assert p.returncode == 0, p.stderr
    out = p.stdout + p.stderr
    missing = [f for f in FLAGS if not re.search(re.escape(f) + r"\b", out)]
    assert not missing, "flags missing from 'unimq server --help': %r\n%s" % (missing, out)
    assert "--set" in out


def test_unknown_setting_rejected(tmp_path):
    port = free_ports(1)[0]
    p = subprocess.run([harness.UNIMQ_BIN, "server", "--data-dir", str(tmp_path), "--mqtt-port", str(port),
                        "--mqtt-ws-port", "0", "--http-port", "0", "--kafka-port", "0", "--amqp-port", "0",
                        "--set", "mqtt.no_such_key=1"], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    assert "no_such_key" in p.stdout + p.stderr


def test_unknown_flag_rejected():
    p = run_cli("server", "--no-such-flag")
    assert p.returncode != 0


def test_port_zero_disables_ws_listener(broker_factory, mqtt):
    b = broker_factory(ws_port=0)
    assert wait_port(b.http_port, 5)
    time.sleep(0.3)
    ports = listening_ports(b.proc.pid)
    assert b.port in ports
    assert ports == sorted([b.port, b.http_port]), \
        "with --mqtt-ws-port 0 --kafka-port 0 --amqp-port 0 only MQTT and HTTP may listen: %r" % ports
    mqtt(b, 4).publish("still/works", b"x", 1)


def test_port_zero_disables_http_listener(broker_factory):
    free = free_ports(1)[0]
    b = broker_factory(http_port=0)
    assert wait_port(b.ws_port, 5)
    time.sleep(0.3)
    ports = listening_ports(b.proc.pid)
    assert ports == sorted([b.port, b.ws_port]), ports
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((b.host, free), timeout=2).close()


def test_all_configured_listeners_listen(broker):
    assert wait_port(broker.ws_port, 5) and wait_port(broker.http_port, 5)
    ports = listening_ports(broker.proc.pid)
    assert ports == sorted([broker.port, broker.ws_port, broker.http_port]), \
        "kafka/amqp port 0 must not listen: %r" % ports
