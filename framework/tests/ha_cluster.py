"""A loopback high-availability mesos-lite cluster for fault tests and the failover bench.

One ZooKeeper server (Debian's jar), several masters contending through it (`--zk`,
`--quorum`, short `--zk_session_timeout`), each kept alive by a supervisor that restarts it
when it exits (as systemd's Restart=always does), and agents that find the leader in
ZooKeeper. Every piece can be killed with SIGKILL to play a crashed host.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import uuid
from pathlib import Path
from typing import Any

from cluster import (
    MASTER_COMMAND,
    LoopbackCluster,
    command_path,
    free_port,
    get_json,
    signal_group,
    spawn_logged,
    stop_group,
)

logger = logging.getLogger("ha_cluster")

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
ZOOKEEPER_CLASSPATH = f"/etc/zookeeper/conf:{ZOOKEEPER_JAR}"
ZOOKEEPER_TICK_MS = 250  # sessions may then be as short as 2 ticks (0.5 s)
RESTART_DELAY = 0.5  # systemd's RestartSec, kept short for tests


def zookeeper_available() -> bool:
    return ZOOKEEPER_JAR.exists() and shutil.which("java") is not None


class ZooKeeperServer:
    """A standalone ZooKeeper on loopback that can be stopped and started on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ZooKeeperServer:
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.directory / "zoo.cfg"
        config.write_text(
            f"tickTime={ZOOKEEPER_TICK_MS}\ndataDir={data}\nclientPort={self.port}\n"
            "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
            "4lw.commands.whitelist=ruok\nmaxClientCnxns=0\n"
            # Without this the server caps sessions at 20 ticks (5 s), whatever clients ask.
            "maxSessionTimeout=120000\n"
        )
        self.process = spawn_logged(
            self.directory / "zookeeper.log",
            [
                "java",
                "-Xmx128m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                ZOOKEEPER_CLASSPATH,
                f"-Dzookeeper.log.dir={self.directory}",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                str(config),
            ],
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ZooKeeper exited:\n{self.log()[-2000:]}")
            if self.healthy():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"ZooKeeper did not answer in {timeout}s:\n{self.log()[-2000:]}")

    def healthy(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"ruok")
                return sock.recv(4) == b"imok"
        except OSError:
            return False

    def stop(self) -> None:
        """Stop at once (SIGKILL): clients see the server vanish, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            signal_group(self.process, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def pause(self, seconds: float) -> None:
        """Freeze the server (SIGSTOP) for `seconds`: a blip that keeps its sockets open,
        like a long GC pause or a short network stall."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    def log(self) -> str:
        path = self.directory / "zookeeper.log"
        return path.read_text(errors="replace") if path.exists() else ""


class SupervisedProcess:
    """Restart a command whenever it exits, until closed: systemd's Restart=always."""

    def __init__(self, name: str, argv: list[str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.exits: list[tuple[float, int]] = []  # (wall time, exit status)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.process = spawn_logged(log_path, argv)
        self._thread = threading.Thread(target=self._watch, name=f"supervise-{name}", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        with self._lock:
            return self.process.pid

    def kill(self) -> float:
        """SIGKILL the current process group; return the wall time of the kill."""
        with self._lock:
            process = self.process
        killed_at = time.time()
        signal_group(process, signal.SIGKILL)
        return killed_at

    def close(self) -> None:
        self._closing.set()
        self._thread.join(5)
        with self._lock:
            process = self.process
        stop_group(process)

    def _watch(self) -> None:
        while not self._closing.wait(0.05):
            with self._lock:
                status = self.process.poll()
            if status is None:
                continue
            self.exits.append((time.time(), status))
            logger.info("%s exited with status %s; restarting it", self.name, status)
            if self._closing.wait(RESTART_DELAY):
                return
            with self._lock:
                self.process = spawn_logged(self.log_path, self.argv)


class HACluster(LoopbackCluster):
    """ZooKeeper + supervised masters + agents (found through ZooKeeper), on loopback."""

    def __init__(
        self,
        zookeeper: ZooKeeperServer,
        masters: int = 3,
        agents: int = 2,
        session_timeout: float = 2.0,
        agent_ping_timeout: float = 1.0,
        max_agent_ping_timeouts: int = 2,
        workdir: Path | None = None,
    ) -> None:
        super().__init__(agents=agents, workdir=workdir)
        self.zookeeper = zookeeper
        # A path of its own, so clusters sharing one ZooKeeper never see each other.
        self.zk_path = f"/mesos-{uuid.uuid4().hex[:8]}"
        self.master_count = masters
        self.session_timeout = session_timeout
        self.agent_ping_timeout = agent_ping_timeout
        self.max_agent_ping_timeouts = max_agent_ping_timeouts
        self.master_ports = [free_port() for _ in range(masters)]
        self.masters: list[SupervisedProcess] = []
        self.master = self.zk_url

    @property
    def zk_url(self) -> str:
        return f"zk://{self.zookeeper.hosts}{self.zk_path}"

    @property
    def master_list(self) -> str:
        """--master as a comma list of every master, the other way to name them."""
        return ",".join(f"127.0.0.1:{port}" for port in self.master_ports)

    @property
    def quorum(self) -> int:
        return self.master_count // 2 + 1

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> HACluster:
        master = command_path(MASTER_COMMAND)
        if not master:
            raise RuntimeError("mesos-lite is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for index, port in enumerate(self.master_ports):
            argv = [
                master,
                "--ip=127.0.0.1",
                f"--port={port}",
                "--hostname=127.0.0.1",
                f"--zk={self.zk_url}",
                f"--quorum={self.quorum}",
                f"--zk_session_timeout={self.session_timeout:g}secs",
                f"--work_dir={self.workdir / f'master{index}'}",
                "--allocation_interval=100ms",
                f"--agent_ping_timeout={self.agent_ping_timeout:g}secs",
                f"--max_agent_ping_timeouts={self.max_agent_ping_timeouts}",
            ]
            self.masters.append(
                SupervisedProcess(f"master{index}", argv, self.workdir / f"master{index}.log")
            )
        self.wait_for_leader()
        for index in range(self.wanted_agents):
            self.start_agent(index)
        self._wait(lambda: len(self.active_agents()) >= self.wanted_agents, "agents registered")
        return self

    def agent_master_flag(self) -> str:
        return self.zk_url

    def agent_extra_flags(self) -> list[str]:
        return [f"--zk_session_timeout={self.session_timeout:g}secs"]

    def close(self) -> None:
        for master in self.masters:
            master.close()
        super().close()

    # -- who leads ---------------------------------------------------------------------------
    def elected(self, index: int) -> bool:
        """Whether master `index` says it leads (`master/elected` = 1)."""
        try:
            metrics = get_json(
                f"http://127.0.0.1:{self.master_ports[index]}/metrics/snapshot", timeout=1
            )
        except (OSError, ValueError, urllib.error.URLError):
            return False
        return bool(metrics.get("master/elected"))

    def leader_index(self) -> int | None:
        leaders = [index for index in range(self.master_count) if self.elected(index)]
        return leaders[0] if len(leaders) == 1 else None

    def wait_for_leader(
        self, timeout: float = 30.0, exclude: int | None = None, poll: float = 0.05
    ) -> tuple[int, float]:
        """(index, wall time) of the first master seen elected, other than master `exclude`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index in range(self.master_count):
                if index == exclude:
                    continue
                if self.elected(index):
                    return index, time.time()
            time.sleep(poll)
        logs = "\n".join(self.log(f"master{i}")[-1500:] for i in range(self.master_count))
        raise RuntimeError(f"no master was elected within {timeout}s\n{logs}")

    @property
    def leader_address(self) -> str:
        index = self.leader_index()
        if index is None:
            index, _ = self.wait_for_leader()
        return f"127.0.0.1:{self.master_ports[index]}"

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = get_json(f"http://{self.leader_address}/master/state")
        return data

    def kill_leader(self) -> tuple[int, float]:
        """SIGKILL the leading master; (its index, wall time of the kill)."""
        index = self.leader_index()
        if index is None:
            index, _ = self.wait_for_leader()
        return index, self.masters[index].kill()

    def master_exits(self) -> int:
        return sum(len(master.exits) for master in self.masters)

    def wait_for_master_exits(self, count: int, timeout: float) -> float | None:
        """Wall time by which `count` master exits were seen, or None after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            times = sorted(when for master in self.masters for when, _ in master.exits)
            if len(times) >= count:
                return times[count - 1]
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def _check_alive(self) -> None:
        """Masters come and go under supervision; nothing to check here."""
