"""Start Debian's rabbitmq-server on free ports (reference broker for the AMQP suite).

UNIMQ_AMQP_TARGET=rabbitmq runs tests/integration/amqp against a real RabbitMQ to check that
the tests describe RabbitMQ's behaviour.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import free_ports, wait_port  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from amqp_helpers import amqp_served  # noqa: E402

RABBITMQ_SERVER = os.environ.get("RABBITMQ_SERVER", "/usr/lib/rabbitmq/bin/rabbitmq-server")


class RabbitMQ:
    """One private RabbitMQ node (own node name, data dir, epmd and distribution ports)."""

    target = "rabbitmq"

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.host = "127.0.0.1"
        self.amqp_port, self.dist_port, self.epmd_port = free_ports(3)
        self.node = "amqptest-%d-%d@localhost" % (os.getpid(), self.amqp_port)
        self.proc = None
        self.returncode = None
        self.log_path = self.workdir / "rabbitmq.log"

    def env(self):
        e = dict(os.environ)
        e.update({
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": self.host,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_MNESIA_BASE": str(self.workdir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.workdir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.workdir / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.workdir / "rabbitmq"),
            "HOME": str(self.workdir),  # the Erlang cookie
        })
        return e

    def start(self, timeout: float = 60.0) -> "RabbitMQ":
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "enabled_plugins").write_text("[].\n")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([RABBITMQ_SERVER], env=self.env(), stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=str(self.workdir), start_new_session=True)
        deadline = time.monotonic() + timeout
        # The port opens (and resets connections) before the node boots completely.
        while not (wait_port(self.amqp_port, 1.0, self.proc) and amqp_served(self.host, self.amqp_port)):
            if time.monotonic() > deadline or not self.alive():
                self.stop()
                raise RuntimeError("rabbitmq-server did not serve AMQP on port %d; see %s" % (
                    self.amqp_port, self.log_path))
            time.sleep(0.1)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        self.stop(kill=True)

    def stop(self, kill: bool = False):
        """SIGTERM (or SIGKILL) the node; 0 once it is gone."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            # rabbitmq-server runs beam + epmd in its own session: signal the whole group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._kill_epmd()
        self._log.close()
        self.returncode = 0
        return 0

    def _kill_epmd(self) -> None:
        """epmd daemonizes out of the node's process group; find ours by its environment."""
        marker = ("RABBITMQ_NODENAME=%s" % self.node).encode()
        for pid_dir in Path("/proc").iterdir():
            if not pid_dir.name.isdigit():
                continue
            try:
                if (pid_dir / "comm").read_text().strip() != "epmd":
                    continue
                if marker in (pid_dir / "environ").read_bytes().split(b"\0"):
                    os.kill(int(pid_dir.name), signal.SIGKILL)
            except OSError:
                continue

    def log_tail(self, lines: int = 60) -> str:
        text = []
        for p in [self.log_path] + sorted((self.workdir / "log").glob("*.log")):
            try:
                text += p.read_text(errors="replace").splitlines()
            except OSError:
                pass
        return "\n".join(text[-lines:])

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir / "mnesia", ignore_errors=True)


if __name__ == "__main__":  # manual use: python3 rabbit.py /tmp/dir  (Ctrl-C stops it)
    r = RabbitMQ(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rabbit-test")).start()
    print("RabbitMQ %s on port %d" % (r.node, r.amqp_port), flush=True)
    try:
        while r.alive():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    r.stop()
