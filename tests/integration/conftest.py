"""Fixtures for the UniMQ MQTT integration suite. See README.md."""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import MOSQUITTO, TARGET, Broker, Client  # noqa: E402
from mqtt_raw import RawClient  # noqa: E402

TEST_TIMEOUT = int(os.environ.get("UNIMQ_TEST_TIMEOUT", "60"))


# ------------------------------------------------------------------ session
def pytest_report_header(config):
    binary = harness.MOSQUITTO_BIN if MOSQUITTO else harness.UNIMQ_BIN
    return "broker under test: %s (%s)" % (TARGET, binary)


def pytest_sessionstart(session):
    binary = harness.MOSQUITTO_BIN if MOSQUITTO else harness.UNIMQ_BIN
    if not os.access(binary, os.X_OK):
        pytest.exit("broker binary %s not found or not executable (target %s). Build UniMQ, set "
                    "UNIMQ_BIN, or run with UNIMQ_TEST_TARGET=mosquitto." % (binary, TARGET),
                    returncode=4)


def pytest_collection_modifyitems(config, items):
    if not MOSQUITTO:
        return
    skip = pytest.mark.skip(reason="UniMQ-only feature (UNIMQ_TEST_TARGET=mosquitto)")
    for item in items:
        if "unimq_only" in item.keywords:
            item.add_marker(skip)


# ------------------------------------------------------------------ per-test timeout
class PerTestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise PerTestTimeout("test phase exceeded its per-test timeout (UNIMQ_TEST_TIMEOUT=%ds, or "
                         "the test's own timeout mark)" % TEST_TIMEOUT)


def _with_alarm(item=None):
    """Arms the alarm: UNIMQ_TEST_TIMEOUT, or a longer @pytest.mark.timeout(seconds)."""
    seconds = TEST_TIMEOUT
    mark = item.get_closest_marker("timeout") if item is not None else None
    if mark is not None:
        seconds = max(seconds, int(mark.args[0]))
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    return old


def _clear_alarm(old):
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# SIGALRM-based timeout (no plugin needed): armed separately for setup, call and
# teardown so the exception is always raised inside a phase pytest reports on.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    old = _with_alarm()
    try:
        yield
    finally:
        _clear_alarm(old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    old = _with_alarm(item)
    try:
        yield
    finally:
        _clear_alarm(old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    old = _with_alarm()
    try:
        yield
    finally:
        _clear_alarm(old)


# ------------------------------------------------------------------ broker log on failure
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for b in getattr(item, "_brokers", []):
            report.sections.append(("broker log (%s, %s)" % (b.target, call.when), b.log_tail()))


# ------------------------------------------------------------------ fixtures
@pytest.fixture
def broker_factory(request, tmp_path_factory):
    """broker_factory(extra_args=(), ws_port=None, http_port=None) -> started Broker
    (ports: None = pick a free one, 0 = disabled). Every broker is stopped
    (SIGTERM) at the end of the test; it must still be alive then, and UniMQ must
    exit with code 0 within 10 s."""
    brokers = []
    request.node._brokers = brokers

    def start(extra_args=(), **ports):
        b = Broker(tmp_path_factory.mktemp("broker"), extra_args, **ports)
        brokers.append(b)
        b.start()
        return b

    yield start

    problems = []
    for b in brokers:
        if b.proc is None:
            continue
        if b.returncode is None and not b.alive():
            problems.append("%r died during the test with exit code %r" % (b, b.proc.returncode))
            b.stop()
            continue
        already = b.returncode is not None
        rc = b.stop()
        if already:
            continue  # the test stopped it and checked the result itself
        if rc is None:
            problems.append("%r did not exit within %.0fs of SIGTERM (killed)" % (b, harness.STOP_TIMEOUT))
        elif rc != 0 and not b.is_mosquitto:
            problems.append("%r exited with code %r after SIGTERM (expected 0)" % (b, rc))
    if problems:
        pytest.fail("\n".join(problems + [b.log_tail() for b in brokers]), pytrace=False)


@pytest.fixture
def broker(broker_factory):
    """A fresh broker with default settings."""
    return broker_factory()


@pytest.fixture
def mqtt(broker_factory):
    """mqtt(broker, version=4, connect=True, **Client kwargs) -> connected harness.Client.

    Clients still connected at the end of the test are disconnected."""
    clients = []

    def make(b, version=4, connect=True, **kw):
        c = Client(b, version=version, **kw)
        clients.append(c)
        if connect:
            c.connect()
        return c

    yield make
    for c in clients:
        try:
            if c.is_connected():
                c.c.disconnect()
            c.stop_loop()
        except Exception:
            pass


@pytest.fixture
def raw(broker_factory):
    """raw(broker, version=4) -> mqtt_raw.RawClient (TCP connected, nothing sent)."""
    conns = []

    def make(b, version=4):
        r = RawClient(b.port, b.host, version)
        conns.append(r)
        return r

    yield make
    for r in conns:
        r.close()


@pytest.fixture
def canary(broker, mqtt):
    """A subscriber/publisher pair on the default broker; call canary() to check
    that the broker still routes messages."""
    sub = mqtt(broker, 4)
    pub = mqtt(broker, 5)
    sub.subscribe("canary/#", 1)
    n = [0]

    def check():
        assert broker.alive(), "broker process died"
        n[0] += 1
        payload = b"canary-%d" % n[0]
        pub.publish("canary/x", payload, 1)
        m = sub.get(topic="canary/x")
        assert m.payload == payload
        # a brand-new connection must work too
        fresh = mqtt(broker, 4)
        fresh.publish("canary/y", payload, 1)
        assert sub.get(topic="canary/y").payload == payload
        fresh.disconnect()

    check()
    return check
