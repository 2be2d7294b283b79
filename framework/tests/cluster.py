"""A loopback mesos-lite cluster (1 master + N agents as real processes) for integration
tests and benchmarks, or an existing cluster named by MESOS_MASTER_URL."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
MASTER_COMMAND = "mesos-lite-master"
AGENT_COMMAND = "mesos-lite-agent"
START_TIMEOUT = 30.0


def command_path(name: str) -> str | None:
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def spawn_logged(log_path: Path, argv: list[str]) -> subprocess.Popen[bytes]:
    """Start `argv` in its own session (so its children can be killed with it), output
    appended to `log_path`, with this interpreter's bin directory first on PATH."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        env = dict(os.environ)
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        return subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


ENTRY_MODULES = ("mesos_lite.master.main", "mesos_lite.agent.main")


def cluster_available() -> bool:
    """mesos-lite's commands are installed and their modules exist (it is built in parallel)."""
    if command_path(MASTER_COMMAND) is None or command_path(AGENT_COMMAND) is None:
        return False
    try:
        return all(importlib.util.find_spec(name) is not None for name in ENTRY_MODULES)
    except ModuleNotFoundError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unused_address() -> str:
    """A loopback host:port nothing listens on (a master that is down)."""
    return f"127.0.0.1:{free_port()}"


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1) as response:
        return bool(200 <= response.status < 300)


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send `signum` to the process group `process` leads (started with its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def wait_or_kill_group(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Wait for `process` to exit; SIGKILL its group if it does not within `timeout`."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        process.wait(timeout)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, as a service manager stops it, SIGKILL if it lingers."""
    if process.poll() is None:
        signal_group(process, signal.SIGTERM)
        wait_or_kill_group(process)


class ExternalCluster:
    """A cluster somebody else runs (a real Apache Mesos, say): only its master is known."""

    can_stop_agents = False

    def __init__(self, master: str) -> None:
        self.master = master.removeprefix("http://").rstrip("/")

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = get_json(f"http://{self.master}/master/state")
        return data

    def frameworks(self) -> list[dict[str, Any]]:
        """Every framework the (leading) master knows, running or completed."""
        state = self.state()
        frameworks: list[dict[str, Any]] = state.get("frameworks", [])
        return frameworks + state.get("completed_frameworks", [])

    def framework_ids(self) -> list[str]:
        return sorted(str(framework["id"]) for framework in self.frameworks())

    def tasks_of(self, framework_id: str) -> list[dict[str, Any]]:
        """Every task the master knows for the framework (active, completed, unreachable)."""
        tasks: list[dict[str, Any]] = []
        for framework in self.frameworks():
            if framework.get("id") == framework_id:
                for key in ("tasks", "completed_tasks", "unreachable_tasks"):
                    tasks += framework.get(key, [])
        return tasks

    def active_agents(self) -> list[dict[str, Any]]:
        return [a for a in self.state().get("slaves", []) if a.get("active", True)]

    @property
    def agent_count(self) -> int:
        return len(self.active_agents())


class LoopbackCluster(ExternalCluster):
    can_stop_agents = True

    def __init__(
        self, agents: int = 3, workdir: Path | None = None, master_flags: list[str] | None = None
    ) -> None:
        self.master_flags = list(master_flags or [])
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="mesos-probe-cluster-"))
        self.master_port = free_port()
        super().__init__(f"127.0.0.1:{self.master_port}")
        self.wanted_agents = agents
        self.master_process: subprocess.Popen[bytes] | None = None
        self.agent_processes: list[subprocess.Popen[bytes]] = []
        self.agent_ports: list[int] = []

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LoopbackCluster:
        master = command_path(MASTER_COMMAND)
        agent = command_path(AGENT_COMMAND)
        if not master or not agent:
            raise RuntimeError("mesos-lite is not installed")
        self.master_process = self._spawn(
            "master",
            [
                master,
                "--ip=127.0.0.1",
                f"--port={self.master_port}",
                f"--work_dir={self.workdir / 'master'}",
                "--registry=in_memory",
                "--allocation_interval=100ms",
                "--agent_ping_timeout=1secs",
                "--max_agent_ping_timeouts=2",
                "--hostname=127.0.0.1",
                *self.master_flags,
            ],
        )
        self._wait(lambda: http_ok(f"http://{self.master}/health"), "master health")
        for index in range(self.wanted_agents):
            self.start_agent(index)
        self._wait(lambda: len(self.active_agents()) >= self.wanted_agents, "agents registered")
        return self

    def start_agent(self, index: int) -> None:
        agent = command_path(AGENT_COMMAND)
        assert agent
        port = free_port()
        self.agent_ports.append(port)
        self.agent_processes.append(
            self._spawn(
                f"agent{index}",
                [
                    agent,
                    f"--master={self.agent_master_flag()}",
                    "--ip=127.0.0.1",
                    f"--port={port}",
                    f"--work_dir={self.agent_work_dir(index)}",
                    f"--hostname=agent{index}.test",
                    "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-32000]",
                    *self.agent_extra_flags(),
                ],
            )
        )

    def agent_master_flag(self) -> str:
        return self.master

    def agent_extra_flags(self) -> list[str]:
        return []

    def agent_work_dir(self, index: int) -> Path:
        return self.workdir / f"agent{index}"

    def stop_agent(self, index: int) -> None:
        """Kill an agent and everything it started, as a crashed host would go."""
        process = self.agent_processes[index]
        signal_group(process, signal.SIGKILL)
        process.wait(10)

    def close(self) -> None:
        processes = [p for p in [*self.agent_processes, self.master_process] if p is not None]
        # All asked to stop first, so that they shut down side by side.
        for process in processes:
            if process.poll() is None:
                signal_group(process, signal.SIGTERM)
        for process in processes:
            wait_or_kill_group(process)
        self._kill_leftover_executors()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def agent_id_of(self, index: int) -> str:
        hostname = f"agent{index}.test"
        port = self.agent_ports[index]
        for agent in self.state().get("slaves", []):
            if agent.get("hostname") == hostname or agent.get("port") == port:
                return str(agent["id"])
        raise LookupError(f"agent {index} is not registered")

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- helpers -----------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        return spawn_logged(self.workdir / f"{name}.log", argv)

    def _check_alive(self) -> None:
        if self.master_process is not None and self.master_process.poll() is not None:
            raise RuntimeError(f"mesos-lite master exited:\n{self.log('master')[-3000:]}")

    def _wait(self, check: Any, what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        problem = "not yet"
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if check():
                    return
            except OSError as error:
                problem = str(error)
            time.sleep(0.1)
        raise RuntimeError(
            f"loopback cluster: {what} not ready in {START_TIMEOUT}s ({problem})"
            f"\n{self.log('master')[-3000:]}"
        )

    def _kill_leftover_executors(self) -> None:
        """Executors whose sandbox is under this cluster's work dir, if any outlived it."""
        marker = str(self.workdir)
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if marker.encode() in environ and b"MESOS_EXECUTOR_ID" in environ:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(proc.name), signal.SIGKILL)

    @classmethod
    @contextlib.contextmanager
    def maybe(cls, master_url: str | None, agents: int = 3) -> Iterator[ExternalCluster]:
        if master_url:
            yield ExternalCluster(master_url)
            return
        cluster = cls(agents=agents)
        try:
            yield cluster.start()
        finally:
            cluster.close()


def skip_or_fail(reason: str) -> None:
    """Skip (module level) when a loopback cluster cannot be built here, unless CI demands
    one with MESOS_PROBE_REQUIRE_CLUSTER=1: then the missing piece is an error."""
    import pytest

    if os.environ.get("MESOS_PROBE_REQUIRE_CLUSTER") == "1":
        raise RuntimeError(f"MESOS_PROBE_REQUIRE_CLUSTER=1 but {reason}")
    pytest.skip(reason, allow_module_level=True)
