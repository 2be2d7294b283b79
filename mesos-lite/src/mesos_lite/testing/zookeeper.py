"""A standalone ZooKeeper on loopback, from Debian's `zookeeper` package."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .environment import skip_or_fail
from .network import free_port, wait_until
from .processes import Daemon, signal_group

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
ZOOKEEPER_CONF = Path("/etc/zookeeper/conf")
TICK_MS = 250  # sessions may then be as short as 2 ticks (0.5 s)


def zookeeper_missing() -> str | None:
    """What is missing to run ZooKeeper here (named for the reader), or None."""
    if not ZOOKEEPER_JAR.exists():
        return (
            f"ZooKeeper is not installed: {ZOOKEEPER_JAR} is missing "
            "(Debian package 'zookeeper')"
        )
    if shutil.which("java") is None:
        return "ZooKeeper needs java, and no java is on PATH (Debian package 'zookeeper')"
    return None


def zookeeper_available() -> bool:
    return zookeeper_missing() is None


def require_zookeeper() -> None:
    """Skip (or fail, see `skip_or_fail`) the test or module where ZooKeeper is missing."""
    missing = zookeeper_missing()
    if missing:
        skip_or_fail(missing)


class ZooKeeperServer:
    """A standalone ZooKeeper on 127.0.0.1 that can be stopped and started again on the same
    port and data directory (it then restores the sessions it had)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.daemon: Daemon | None = None

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ZooKeeperServer:
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.directory / "zoo.cfg"
        config.write_text(
            f"tickTime={TICK_MS}\ndataDir={data}\nclientPort={self.port}\n"
            "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
            "4lw.commands.whitelist=ruok\nmaxClientCnxns=0\n"
            # Without this the server caps sessions at 20 ticks (5 s), whatever clients ask.
            "maxSessionTimeout=120000\n"
        )
        daemon = Daemon(
            "zookeeper",
            [
                "java",
                "-Xmx128m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                f"{ZOOKEEPER_CONF}:{ZOOKEEPER_JAR}",
                f"-Dzookeeper.log.dir={self.directory}",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                str(config),
            ],
            self.directory / "zookeeper.log",
        )
        self.daemon = daemon
        wait_until(self.healthy, timeout, "ZooKeeper answering ruok", poll=0.1,
                   abort=daemon.exit_reason)
        return self

    def healthy(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"ruok")
                return sock.recv(4) == b"imok"
        except OSError:
            return False

    def stop(self) -> None:
        """Stop at once (SIGKILL): clients see the server vanish, as in a crash."""
        if self.daemon is not None and self.daemon.alive():
            signal_group(self.daemon.process, signal.SIGKILL)
            self.daemon.process.wait(10)
        self.daemon = None

    def pause(self, seconds: float) -> None:
        """Freeze the server (SIGSTOP) for `seconds`: a blip that keeps its sockets open,
        like a long GC pause or a short network stall."""
        assert self.daemon is not None, "ZooKeeper is not running"
        os.kill(self.daemon.pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.kill(self.daemon.pid, signal.SIGCONT)

    def log(self) -> str:
        path = self.directory / "zookeeper.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def running_zookeeper(directory: Path) -> Iterator[ZooKeeperServer]:
    """A ZooKeeper in `directory`, stopped afterwards. Where ZooKeeper is not installed the
    test is skipped, or fails when the run must be complete (see `skip_or_fail`)."""
    require_zookeeper()
    server = ZooKeeperServer(directory).start()
    try:
        yield server
    finally:
        server.stop()
