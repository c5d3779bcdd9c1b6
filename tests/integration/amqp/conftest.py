"""Fixtures for the AMQP 0-9-1 integration suite.

UNIMQ_AMQP_TARGET=unimq (default) starts UniMQ with an AMQP listener; UNIMQ_AMQP_TARGET=rabbitmq
starts Debian's rabbitmq-server on free ports instead, to check that the tests describe what
RabbitMQ really does. One broker serves the whole session (names are unique per test); tests
that restart or kill the broker start their own (UniMQ only).
"""
from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pika
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from amqp_helpers import AMQP_TARGET, RABBIT, amqp_served, params, wait_amqp  # noqa: E402
from amqp_raw import RawAmqp  # noqa: E402
from harness import Broker  # noqa: E402
from rabbit import RabbitMQ  # noqa: E402



class Server:
    """Where the suite's AMQP broker listens."""

    def __init__(self, proc, host: str, port: int, kind: str):
        self.proc, self.host, self.port, self.kind = proc, host, port, kind

    def alive(self) -> bool:
        return self.proc.alive()

    def log_tail(self) -> str:
        return self.proc.log_tail()


def pytest_report_header(config):
    return "AMQP broker under test: %s" % AMQP_TARGET


@pytest.fixture(scope="session")
def amqp_server(tmp_path_factory):
    if os.environ.get("UNIMQ_AMQP_PORT"):  # an already running broker (developing the tests)
        class External:
            target = AMQP_TARGET
            returncode = 0

            def alive(self):
                return True

            def stop(self):
                pass

            def log_tail(self):
                return ""

        proc = External()
        srv = Server(proc, "127.0.0.1", int(os.environ["UNIMQ_AMQP_PORT"]), AMQP_TARGET)
    elif RABBIT:
        proc = RabbitMQ(tmp_path_factory.mktemp("rabbitmq")).start()
        srv = Server(proc, proc.host, proc.amqp_port, "rabbitmq")
    else:
        proc = Broker(tmp_path_factory.mktemp("amqp-broker"), amqp_port=None).start()
        srv = Server(proc, proc.host, proc.amqp_port, "unimq")
        deadline = time.monotonic() + 5  # the AMQP listener opens just after the MQTT one
        while not amqp_served(srv.host, srv.port) and time.monotonic() < deadline and proc.alive():
            time.sleep(0.02)
    try:
        if not amqp_served(srv.host, srv.port):
            pytest.fail("no AMQP 0-9-1 front end answers on %s" % srv.kind)
        yield srv
    finally:
        proc.stop()
        if not RABBIT and not os.environ.get("UNIMQ_AMQP_PORT"):
            rc = proc.returncode
            assert rc == 0, "UniMQ exited with %r after SIGTERM\n%s" % (rc, proc.log_tail())


@pytest.fixture(autouse=True)
def _broker_logs_on_failure(request):
    """Attach the session broker's log to failing AMQP tests (see the parent conftest)."""
    if "amqp_server" in request.fixturenames:
        srv = request.getfixturevalue("amqp_server")
        brokers = getattr(request.node, "_brokers", [])
        if srv.proc not in brokers:
            brokers.append(srv.proc)
        request.node._brokers = brokers
    yield
    if "amqp_server" in request.fixturenames:
        assert request.getfixturevalue("amqp_server").alive(), "the AMQP broker process died"


@pytest.fixture
def connect(amqp_server):
    """connect(server=None, **params kwargs) -> pika.BlockingConnection, closed after the test."""
    conns = []

    def make(server=None, **kw):
        c = pika.BlockingConnection(params(server or amqp_server, **kw))
        conns.append(c)
        return c

    yield make
    for c in conns:
        try:
            if c.is_open:
                c.close()
        except Exception:
            pass


@pytest.fixture
def conn(connect):
    return connect()


@pytest.fixture
def ch(conn):
    """A channel on a fresh connection."""
    return conn.channel()


@pytest.fixture
def cch(conn):
    """A channel in confirm mode on `conn`: basic_publish returns once the broker acked it."""
    c = conn.channel()
    c.confirm_delivery()
    return c


@pytest.fixture
def name(request):
    """name(suffix="") -> a queue/exchange name unique to this test."""
    base = "t-%s-%s" % (request.node.name[:40].replace("[", "-").replace("]", ""), uuid.uuid4().hex[:6])

    def make(suffix: str = "") -> str:
        return base + ("-" + suffix if suffix else "")

    return make


@pytest.fixture
def raw(amqp_server):
    """raw() -> amqp_raw.RawAmqp connected to the broker (nothing sent yet)."""
    socks = []

    def make():
        r = RawAmqp(amqp_server.host, amqp_server.port)
        socks.append(r)
        return r

    yield make
    for r in socks:
        r.close()


@pytest.fixture
def amqp_broker_factory(request, broker_factory, amqp_server, tmp_path_factory):
    """A private broker with an AMQP port, for restart and kill -9 tests: start(extra_args=())
    -> object with host, amqp_port, stop() (0 = clean exit), start(), proc."""
    if RABBIT:
        nodes = []

        def start_rabbit(extra_args=(), **ports):
            r = RabbitMQ(tmp_path_factory.mktemp("rabbitmq-private")).start()
            nodes.append(r)
            return r

        request.addfinalizer(lambda: [r.stop(kill=True) for r in nodes])
        return start_rabbit

    def start(extra_args=(), **ports):
        ports.setdefault("amqp_port", None)
        b = broker_factory(extra_args, **ports)
        wait_amqp(b)
        return b

    return start

