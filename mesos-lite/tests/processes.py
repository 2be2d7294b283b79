"""Starting real daemons on loopback for the conformance suite: ZooKeeper, masters, agents.

The commands default to mesos-lite's; MESOS_MASTER_COMMAND / MESOS_AGENT_COMMAND point the
process-level tests at Apache Mesos binaries instead.
"""

from __future__ import annotations

import http.client
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MASTER_COMMAND = shlex.split(os.environ.get("MESOS_MASTER_COMMAND", "mesos-lite-master"))
AGENT_COMMAND = shlex.split(os.environ.get("MESOS_AGENT_COMMAND", "mesos-lite-agent"))
ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar"
ZOOKEEPER_CLASSPATH = f"/etc/zookeeper/conf:{ZOOKEEPER_JAR}"


def _bin(command: list[str]) -> list[str]:
    """Resolve console scripts next to this interpreter (the venv may not be on PATH)."""
    found = shutil.which(command[0]) or shutil.which(
        command[0], path=os.path.dirname(sys.executable)
    )
    return [found or command[0], *command[1:]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http_ok(port: int, path: str = "/health", timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"nothing answered on 127.0.0.1:{port}{path}")


class Daemon:
    def __init__(
        self, name: str, argv: list[str], log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            argv,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def resume_if_alive(self) -> None:
        """Undoes a test's SIGSTOP, so that cleanup can stop the daemon."""
        if self.alive():
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")


class ZooKeeper:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        data = directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = directory / "zoo.cfg"
        config.write_text(
            f"tickTime=500\ndataDir={data}\nclientPort={self.port}\n"
            "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
            "4lw.commands.whitelist=ruok\n"
        )
        self.daemon = Daemon(
            "zookeeper",
            [
                "java",
                "-Xmx256m",
                "-cp",
                ZOOKEEPER_CLASSPATH,
                f"-Dzookeeper.log.dir={directory}",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                str(config),
            ],
            directory / "zookeeper.log",
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"ruok")
                    if sock.recv(4) == b"imok":
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError("ZooKeeper did not start: " + self.daemon.output()[-2000:])

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.daemon.stop()


def start_master(
    directory: Path, *flags: str, port: int | None = None, wait: bool = True
) -> tuple[Daemon, int]:
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    argv = [
        *_bin(MASTER_COMMAND),
        "--ip=127.0.0.1",
        f"--port={port}",
        "--hostname=127.0.0.1",
        f"--work_dir={directory / 'master'}",
        *flags,
    ]
    daemon = Daemon("master", argv, directory / f"master-{port}.log")
    if wait:
        wait_http_ok(port)
    return daemon, port


def start_agent(
    directory: Path, master: str, *flags: str, port: int | None = None, wait: bool = True
) -> tuple[Daemon, int]:
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    argv = [
        *_bin(AGENT_COMMAND),
        f"--master={master}",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--hostname=127.0.0.1",
        f"--work_dir={directory / f'agent-{port}'}",
        "--no-switch_user",
        "--launcher=posix",
        "--isolation=posix/cpu,posix/mem",
        "--systemd_enable_support=false",
        *flags,
    ]
    daemon = Daemon("agent", argv, directory / f"agent-{port}.log")
    if wait:
        wait_http_ok(port)
    return daemon, port


@contextmanager
def running_zookeeper(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[ZooKeeper]:
    """A ZooKeeper in a fresh temp directory `name`, stopped afterwards; skips the test where
    the Debian package is not installed."""
    if not Path(ZOOKEEPER_JAR).exists():
        pytest.skip("ZooKeeper (Debian package 'zookeeper') is not installed")
    server = ZooKeeper(tmp_path_factory.mktemp(name))
    try:
        yield server
    finally:
        server.stop()
