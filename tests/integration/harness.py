"""Broker process management and a synchronous wrapper around paho-mqtt.

Target selection (environment):
  UNIMQ_TEST_TARGET=mosquitto   run against /usr/sbin/mosquitto (validates the tests)
  UNIMQ_TEST_TARGET=unimq       (default) run against UNIMQ_BIN
  UNIMQ_BIN=/path/to/unimq      default: <repo>/build/release/unimq
  MOSQUITTO_BIN=/path           default: /usr/sbin/mosquitto
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCodes
from paho.mqtt.subscribeoptions import SubscribeOptions

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGET = os.environ.get("UNIMQ_TEST_TARGET", "unimq").strip().lower() or "unimq"
if TARGET not in ("unimq", "mosquitto"):
    raise RuntimeError("UNIMQ_TEST_TARGET must be 'unimq' or 'mosquitto', not %r" % TARGET)
MOSQUITTO = TARGET == "mosquitto"
UNIMQ_BIN = os.environ.get("UNIMQ_BIN") or str(REPO_ROOT / "build" / "release" / "unimq")
MOSQUITTO_BIN = os.environ.get("MOSQUITTO_BIN", "/usr/sbin/mosquitto")

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
DEFAULT_TIMEOUT = 5.0

# `--set key=value` settings that mosquitto has an equivalent for.
MOSQUITTO_SETTING_MAP = {
    "mqtt.max_queued_messages": "max_queued_messages",
    "mqtt.max_packet_size": "max_packet_size",
    "mqtt.max_keepalive": "max_keepalive",
    "mqtt.sys_interval_s": "sys_interval",
    "mqtt.max_inflight": "max_inflight_messages",
    "mqtt.topic_alias_maximum": "max_topic_alias",
    "mqtt.retain_available": "retain_available",
    "mqtt.max_qos": "max_qos",
}


# ------------------------------------------------------------------ helpers
def free_ports(n: int) -> List[int]:
    """n distinct currently-free TCP ports on 127.0.0.1."""
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def port_open(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port: int, timeout: float = START_TIMEOUT, proc: Optional[subprocess.Popen] = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if port_open(port):
            return True
        time.sleep(0.02)
    return False


def listening_ports(pid: int) -> List[int]:
    """TCP ports process `pid` is listening on (from /proc; Linux only)."""
    inodes = set()
    fd_dir = Path("/proc/%d/fd" % pid)
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(str(fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 9 and f[3] == "0A" and f[9] in inodes:  # 0A = LISTEN
                ports.add(int(f[1].rsplit(":", 1)[1], 16))
    return sorted(ports)


def wait_until(pred: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT, interval: float = 0.02,
               msg: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, msg))
        time.sleep(interval)


def parse_settings(extra_args: Sequence[str]) -> Dict[str, str]:
    """Collect `--set k=v` / `--set=k=v` pairs from an argument list."""
    out: Dict[str, str] = {}
    args = list(extra_args)
    i = 0
    while i < len(args):
        a = args[i]
        kv = None
        if a == "--set" and i + 1 < len(args):
            kv = args[i + 1]
            i += 1
        elif a.startswith("--set="):
            kv = a[len("--set="):]
        if kv and "=" in kv:
            k, v = kv.split("=", 1)
            out[k.strip()] = v.strip()
        i += 1
    return out


# ------------------------------------------------------------------ broker
class Broker:
    """One broker process (UniMQ or mosquitto) on fresh ports."""

    def __init__(self, workdir: Path, extra_args: Sequence[str] = (), target: str = TARGET,
                 ws_port: Optional[int] = None, http_port: Optional[int] = None,
                 kafka_port: Optional[int] = 0, amqp_port: Optional[int] = 0):
        """Ports: None = a free port; 0 = listener disabled (UniMQ). Kafka and AMQP are off
        unless asked for (kafka_port=None / amqp_port=None)."""
        self.target = target
        self.workdir = Path(workdir)
        self.extra_args = list(extra_args)
        self.settings = parse_settings(self.extra_args)
        self.host = HOST
        # One call: two separate calls can hand out the same port twice (the first batch is
        # closed again before the second is drawn), and UniMQ refuses duplicate ports.
        self.port, free_ws, free_http, free_kafka, free_amqp = free_ports(5)
        self.ws_port = free_ws if ws_port is None else ws_port
        self.http_port = free_http if http_port is None else http_port
        self.kafka_port = free_kafka if kafka_port is None else kafka_port
        self.amqp_port = free_amqp if amqp_port is None else amqp_port
        self.log_path = self.workdir / "broker.log"
        self.proc: Optional[subprocess.Popen] = None
        self.returncode: Optional[int] = None
        self.unmapped: List[str] = []   # settings mosquitto has no equivalent for

    @property
    def is_mosquitto(self) -> bool:
        return self.target == "mosquitto"

    def command(self) -> List[str]:
        if self.is_mosquitto:
            return [MOSQUITTO_BIN, "-c", str(self._mosquitto_config())]
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        return [UNIMQ_BIN, "server", "--data-dir", str(data),
                "--mqtt-port", str(self.port), "--mqtt-ws-port", str(self.ws_port),
                "--http-port", str(self.http_port), "--kafka-port", str(self.kafka_port),
                "--amqp-port", str(self.amqp_port),
                "--log-level", "debug", "--set", "mqtt.sys_interval_s=1",
                # Two loops whatever the machine, so cross-loop paths are always exercised.
                "--set", "server.workers=2"] + self.extra_args

    def _mosquitto_config(self) -> Path:
        lines = [
            "per_listener_settings false",
            "allow_anonymous true",
            "persistence false",
            "sys_interval 1",
            "log_dest stderr",
            "log_type all",
            "connection_messages true",
            "log_timestamp true",
            "log_timestamp_format %H:%M:%S",
        ]
        for k, v in self.settings.items():
            if k in MOSQUITTO_SETTING_MAP:
                lines.append("%s %s" % (MOSQUITTO_SETTING_MAP[k], v))
            else:
                self.unmapped.append(k)
        lines += ["listener %d %s" % (self.port, HOST)]
        if self.ws_port:
            lines += ["listener %d %s" % (self.ws_port, HOST), "protocol websockets"]
        path = self.workdir / "mosquitto.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> "Broker":
        cmd = self.command()
        self._log = open(self.log_path, "wb")
        self._log.write(("$ " + " ".join(cmd) + "\n").encode())
        self._log.flush()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(self.workdir))
        deadline = time.monotonic() + START_TIMEOUT
        missing = [self.port]
        if wait_port(self.port, START_TIMEOUT, self.proc):
            missing = self._wait_other_listeners(deadline)
        if missing:
            rc = self.proc.poll()
            if rc is None:
                self.proc.kill()
                self.proc.wait()
            self.returncode = self.proc.returncode
            self._log.close()
            raise RuntimeError("broker did not start: no TCP listener on port(s) %r within %.0fs "
                               "(exit code %r)\n%s" % (missing, START_TIMEOUT, rc, self.log_tail()))
        return self

    def _wait_other_listeners(self, deadline: float) -> List[int]:
        """UniMQ opens MQTT first and the WebSocket, Kafka, AMQP and admin HTTP listeners
        after it: wait until every configured one listens (read from /proc, so no probe
        connection shows up in the broker). Returns the ports still missing."""
        if self.is_mosquitto:
            return []
        want = {p for p in (self.ws_port, self.http_port, self.kafka_port, self.amqp_port) if p}
        while True:
            try:
                missing = sorted(want - set(listening_ports(self.proc.pid)))
            except OSError:  # the process is gone
                return sorted(want)
            if not missing or self.proc.poll() is not None or time.monotonic() >= deadline:
                return missing
            time.sleep(0.01)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """SIGTERM and wait. Returns the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.returncode = None
        else:
            self.returncode = self.proc.returncode
        if not self._log.closed:
            self._log.close()
        return self.returncode

    def log_text(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 150) -> str:
        text = self.log_text().splitlines()
        head = "----- broker log %s (%d lines%s) -----" % (
            self.log_path, len(text), ", last %d" % lines if len(text) > lines else "")
        return "\n".join([head] + text[-lines:])

    def url(self, path: str) -> str:
        return "http://%s:%d%s" % (self.host, self.http_port, path)

    def __repr__(self) -> str:
        return "<Broker %s mqtt=%d ws=%d http=%d>" % (self.target, self.port, self.ws_port, self.http_port)


# ------------------------------------------------------------------ paho wrapper
class Msg(NamedTuple):
    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool
    props: Dict[str, Any]
    t: float


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel(name: str) -> str:
    """snake_case -> paho's CamelCase property name (CamelCase passes through)."""
    if "_" not in name and name[:1].isupper():
        return name
    return "".join(w.capitalize() for w in name.split("_"))


def props_to_dict(props: Optional[Properties]) -> Dict[str, Any]:
    if props is None:
        return {}
    out = {}
    for name in props.names:
        cname = name.replace(" ", "")
        if hasattr(props, cname):
            out[_snake(cname)] = getattr(props, cname)
    return out


def make_props(packet_type: int, d: Optional[Dict[str, Any]]) -> Optional[Properties]:
    if not d:
        return None
    p = Properties(packet_type)
    for k, v in d.items():
        setattr(p, _camel(k), v)
    return p


def _rc(v) -> Optional[int]:
    if v is None:
        return None
    return v.value if hasattr(v, "value") else int(v)


_ids = iter(range(1, 10 ** 9))


def new_client_id(prefix: str = "c") -> str:
    return "%s%d-%s" % (prefix, next(_ids), uuid.uuid4().hex[:8])


class Client:
    """paho client that connects synchronously and collects messages.

    version: 3 (MQTT 3.1), 4 (3.1.1), 5.
    """

    def __init__(self, broker: Broker, version: int = 4, client_id: Optional[str] = None,
                 clean: bool = True, keepalive: int = 60, transport: str = "tcp",
                 connect_props: Optional[Dict[str, Any]] = None,
                 will: Optional[Dict[str, Any]] = None, ws_path: str = "/mqtt",
                 port: Optional[int] = None):
        self.broker = broker
        self.version = version
        self.client_id = new_client_id() if client_id is None else client_id
        self.clean = clean
        self.keepalive = keepalive
        self.transport = transport
        self.connect_props = connect_props
        self.port = port or (broker.ws_port if transport == "websockets" else broker.port)
        proto = {3: paho.MQTTv31, 4: paho.MQTTv311, 5: paho.MQTTv5}[version]
        if version == 5:
            self.c = paho.Client(client_id=self.client_id, protocol=proto, transport=transport,
                                 reconnect_on_failure=False)
        else:
            self.c = paho.Client(client_id=self.client_id, clean_session=clean, protocol=proto,
                                 transport=transport, reconnect_on_failure=False)
        if transport == "websockets":
            self.c.ws_set_options(path=ws_path)
        if will:
            self.c.will_set(will["topic"], will.get("payload", b""), will.get("qos", 0),
                            will.get("retain", False),
                            make_props(PacketTypes.WILLMESSAGE, will.get("props")))
        self._cond = threading.Condition()
        self._msgs: List[Msg] = []
        self._subacks: Dict[int, List[int]] = {}
        self._unsubacks: Dict[int, Any] = {}
        self.connack: Optional[Dict[str, Any]] = None
        self.disconnect_rc: Optional[int] = None
        self.disconnected = threading.Event()
        self._loop_started = False
        self._sync_n = 0
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = self._on_disconnect
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        self.c.on_unsubscribe = self._on_unsubscribe

    # -- callbacks (paho thread)
    def _on_connect(self, client, userdata, flags, rc, properties=None):
        with self._cond:
            self.connack = {"rc": _rc(rc), "session_present": bool(flags.get("session present")),
                            "props": props_to_dict(properties)}
            self._cond.notify_all()

    def _on_disconnect(self, client, userdata, rc, properties=None):
        self.disconnect_rc = _rc(rc)
        self.disconnected.set()
        with self._cond:
            self._cond.notify_all()

    def _on_message(self, client, userdata, m):
        msg = Msg(m.topic, bytes(m.payload), m.qos, bool(m.retain), bool(m.dup),
                  props_to_dict(getattr(m, "properties", None)), time.monotonic())
        with self._cond:
            self._msgs.append(msg)
            self._cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        with self._cond:
            self._subacks[mid] = [_rc(g) for g in granted]
            self._cond.notify_all()

    def _on_unsubscribe(self, client, userdata, mid, properties=None, reasoncodes=None):
        with self._cond:
            self._unsubacks[mid] = reasoncodes
            self._cond.notify_all()

    def _wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                v = pred()
                if v:
                    return v
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("%s: timed out after %.1fs waiting for %s"
                                         % (self.client_id, timeout, what))
                self._cond.wait(min(left, 0.2))

    # -- connection
    def connect(self, timeout: float = DEFAULT_TIMEOUT, expect_rc: Optional[int] = 0,
                clean: Optional[bool] = None, props: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Connect and wait for CONNACK; returns {rc, session_present, props}."""
        clean = self.clean if clean is None else clean
        self.connack = None
        self.disconnected.clear()
        if self.version == 5:
            cp = make_props(PacketTypes.CONNECT, props if props is not None else self.connect_props)
            self.c.connect(self.broker.host, self.port, self.keepalive, clean_start=clean, properties=cp)
        else:
            self.c.connect(self.broker.host, self.port, self.keepalive)
        self.c.loop_start()
        self._loop_started = True
        self._wait(lambda: self.connack is not None or self.disconnected.is_set(), timeout, "CONNACK")
        assert self.connack is not None, "%s: connection closed before CONNACK" % self.client_id
        if expect_rc is not None:
            assert self.connack["rc"] == expect_rc, "CONNACK %r, expected rc %r" % (self.connack, expect_rc)
        return self.connack

    def disconnect(self, rc: Optional[int] = None, props: Optional[Dict[str, Any]] = None,
                   timeout: float = DEFAULT_TIMEOUT) -> None:
        """Normal DISCONNECT (v5: optional reason code / properties)."""
        if self.c.is_connected():
            if self.version == 5 and (rc is not None or props):
                reason = ReasonCodes(PacketTypes.DISCONNECT, identifier=rc or 0)
                self.c.disconnect(reasoncode=reason, properties=make_props(PacketTypes.DISCONNECT, props))
            else:
                self.c.disconnect()
            self.disconnected.wait(timeout)
        self.stop_loop()

    def kill(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Drop the TCP connection without DISCONNECT (abnormal disconnect)."""
        sock = self.c.socket()
        sock = getattr(sock, "_socket", sock)  # websockets: paho's WebsocketWrapper
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.disconnected.wait(timeout)
        self.stop_loop()

    def stop_loop(self) -> None:
        if self._loop_started:
            self._loop_started = False
            self.c.loop_stop()

    def wait_disconnected(self, timeout: float = DEFAULT_TIMEOUT) -> Optional[int]:
        assert self.disconnected.wait(timeout), "%s: still connected after %.1fs" % (self.client_id, timeout)
        return self.disconnect_rc

    def is_connected(self) -> bool:
        return self.c.is_connected()

    # -- operations
    def subscribe(self, topic, qos: int = 0, no_local: bool = False, rap: bool = False,
                  rh: int = 0, sub_id: Optional[int] = None, props: Optional[Dict[str, Any]] = None,
                  timeout: float = DEFAULT_TIMEOUT) -> List[int]:
        """Subscribe and wait for SUBACK. topic may be a list of (filter, qos).
        Returns the granted QoS / reason codes."""
        p = dict(props or {})
        if sub_id is not None:
            p["subscription_identifier"] = sub_id
        if self.version == 5:
            opts = lambda q: SubscribeOptions(qos=q, noLocal=no_local, retainAsPublished=rap,  # noqa: E731
                                              retainHandling=rh)
            arg = [(t, opts(q)) for t, q in topic] if isinstance(topic, list) else topic
            if isinstance(topic, list):
                rc, mid = self.c.subscribe(arg, properties=make_props(PacketTypes.SUBSCRIBE, p))
            else:
                rc, mid = self.c.subscribe(topic, options=opts(qos),
                                           properties=make_props(PacketTypes.SUBSCRIBE, p))
        else:
            rc, mid = self.c.subscribe(topic, qos)
        assert rc == paho.MQTT_ERR_SUCCESS, "subscribe failed locally: %s" % paho.error_string(rc)
        return self._wait(lambda: self._subacks.get(mid), timeout, "SUBACK")

    def unsubscribe(self, topic, timeout: float = DEFAULT_TIMEOUT) -> None:
        rc, mid = self.c.unsubscribe(topic)
        assert rc == paho.MQTT_ERR_SUCCESS
        self._wait(lambda: mid in self._unsubacks, timeout, "UNSUBACK")

    def publish(self, topic: str, payload=b"", qos: int = 0, retain: bool = False,
                props: Optional[Dict[str, Any]] = None, wait: bool = True,
                timeout: float = DEFAULT_TIMEOUT):
        """Publish; with wait=True block until sent (QoS 0) / acknowledged (QoS 1, 2)."""
        info = self.c.publish(topic, payload, qos, retain, make_props(PacketTypes.PUBLISH, props))
        assert info.rc in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_AGAIN), paho.error_string(info.rc)
        if wait:
            info.wait_for_publish(timeout)
            assert info.is_published(), "%s: publish to %r not acknowledged within %.1fs" % (
                self.client_id, topic, timeout)
        return info

    # -- received messages
    def get(self, timeout: float = DEFAULT_TIMEOUT, topic: Optional[str] = None) -> Msg:
        """Pop the oldest received message (optionally the oldest on `topic`)."""
        def find():
            for i, m in enumerate(self._msgs):
                if topic is None or m.topic == topic:
                    return i + 1
            return 0
        i = self._wait(find, timeout, "a message" + (" on %r" % topic if topic else ""))
        with self._cond:
            return self._msgs.pop(i - 1)

    def get_n(self, n: int, timeout: float = DEFAULT_TIMEOUT) -> List[Msg]:
        """Wait until n messages arrived, pop and return them."""
        try:
            self._wait(lambda: len(self._msgs) >= n, timeout, "%d messages" % n)
        except AssertionError:
            raise AssertionError("%s: got only %d of %d messages within %.1fs: %r" % (
                self.client_id, len(self._msgs), n, timeout, self._msgs[:10]))
        with self._cond:
            out, self._msgs[:] = self._msgs[:n], self._msgs[n:]
            return out

    def pending(self) -> List[Msg]:
        with self._cond:
            return list(self._msgs)

    def drain(self) -> List[Msg]:
        with self._cond:
            out, self._msgs[:] = list(self._msgs), []
            return out

    def expect_none(self, timeout: float = 0.5, topic: Optional[str] = None) -> None:
        """Assert that no message (on topic) arrives within timeout."""
        time.sleep(timeout)
        with self._cond:
            got = [m for m in self._msgs if topic is None or m.topic == topic]
        assert not got, "%s: unexpected messages: %r" % (self.client_id, got)

    def sync(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Round-trip a QoS 1 message through the broker to ourselves.

        When this returns, everything the broker had already queued for this client
        has been received (the broker delivers in order per connection)."""
        self._sync_n += 1
        t = "sync/%s/%d" % (self.client_id, self._sync_n)
        self.subscribe(t, 1)
        self.publish(t, b"sync", 1)
        self.get(timeout, topic=t)
        self.unsubscribe(t)
