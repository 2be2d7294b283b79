"""A cluster to test against: an existing one (only its master is known) or one master and
N agents started here on loopback."""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .daemons import START_TIMEOUT, start_agent, start_master
from .network import free_port, get_json, wait_until
from .processes import Daemon, kill_leftover_executors, signal_group, wait_or_kill_group

# The loopback cluster's defaults: a master that forgets everything when stopped and
# notices a lost agent within 2 s, agents that each offer a small host.
QUICK_MASTER_FLAGS = (
    "--registry=in_memory",
    "--allocation_interval=100ms",
    "--agent_ping_timeout=1secs",
    "--max_agent_ping_timeouts=2",
)
QUICK_AGENT_FLAGS = ("--resources=cpus:2;mem:1024;disk:1024;ports:[31000-32000]",)


def merge_flags(*groups: Sequence[str]) -> list[str]:
    """Flags of every group in order, a later `--name=value` replacing an earlier `--name`."""
    merged: dict[str, str] = {}
    for group in groups:
        for flag in group:
            merged[flag.partition("=")[0]] = flag
    return list(merged.values())


def wait_for_agents(master_url: str, count: int, timeout: float = 20.0) -> None:
    """Wait until the master at `master_url` (http://host:port) has `count` active agents."""
    last: dict[str, Any] = {}

    def registered() -> bool:
        last.update(get_json(f"{master_url}/master/state"))
        return sum(1 for a in last.get("slaves", []) if a.get("active")) >= count

    try:
        wait_until(registered, timeout, f"{count} agents registered at {master_url}", poll=0.1)
    except TimeoutError as error:
        raise AssertionError(f"{error}: {str(last.get('slaves'))[:500]}") from None


class ExternalCluster:
    """A cluster somebody else runs (a real Apache Mesos, say): only its master is known."""

    is_external = True
    can_stop_agents = False

    def __init__(self, master: str) -> None:
        self.master = master.removeprefix("http://").rstrip("/")

    @property
    def master_url(self) -> str:
        return f"http://{self.master}"

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = get_json(f"{self.master_url}/master/state")
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

    def agent_url(self, agent_id: str) -> str:
        """http://host:port of the agent `agent_id`, from its pid in /master/state."""
        for agent in self.state()["slaves"]:
            if agent["id"] == agent_id:
                return "http://" + str(agent["pid"]).split("@", 1)[1]
        raise AssertionError(f"agent {agent_id} is not in /master/state")


class LoopbackCluster(ExternalCluster):
    """One master and `agents` agents, started by `start()` as processes on 127.0.0.1 under
    `workdir` (a temporary directory by default, removed by `close()`).

    `master_flags` / `agent_flags` are added to `base_master_flags` / `base_agent_flags`
    (QUICK_* by default), a flag of the same name replacing the base one. Agent `index` is
    called `agent_hostname.format(index=index)` and works in `workdir`/agent`index`."""

    is_external = False
    can_stop_agents = True

    def __init__(
        self,
        agents: int = 3,
        workdir: Path | None = None,
        master_flags: Sequence[str] = (),
        agent_flags: Sequence[str] = (),
        *,
        base_master_flags: Sequence[str] = QUICK_MASTER_FLAGS,
        base_agent_flags: Sequence[str] = QUICK_AGENT_FLAGS,
        agent_hostname: str = "agent{index}.test",
    ) -> None:
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="mesos-lite-cluster-"))
        self.master_port = free_port()
        super().__init__(f"127.0.0.1:{self.master_port}")
        self.wanted_agents = agents
        self.master_flags = merge_flags(base_master_flags, master_flags)
        self.agent_flags = merge_flags(base_agent_flags, agent_flags)
        self.agent_hostname = agent_hostname
        self.master_daemon: Daemon | None = None
        self.agent_daemons: list[Daemon] = []
        self.agent_ports: list[int] = []

    @property
    def daemons(self) -> list[Daemon]:
        master = [self.master_daemon] if self.master_daemon is not None else []
        return [*self.agent_daemons, *master]

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LoopbackCluster:
        self.master_daemon, _ = start_master(
            self.workdir, *self.master_flags, port=self.master_port, name="master"
        )
        for index in range(self.wanted_agents):
            self.start_agent(index)
        self.wait_for_agents(self.wanted_agents)
        return self

    def start_agent(self, index: int) -> None:
        daemon, port = start_agent(
            self.workdir,
            self.agent_master_flag(),
            *self.agent_flags,
            name=f"agent{index}",
            hostname=self.agent_hostname.format(index=index),
            wait=False,
        )
        self.agent_daemons.append(daemon)
        self.agent_ports.append(port)

    def wait_for_agents(self, count: int) -> None:
        wait_until(
            lambda: len(self.active_agents()) >= count,
            START_TIMEOUT,
            f"loopback cluster: {count} agents registered",
            poll=0.1,
            abort=self.exit_reason,
        )

    def agent_master_flag(self) -> str:
        """What the agents get as --master."""
        return self.master

    def agent_work_dir(self, index: int) -> Path:
        return self.workdir / f"agent{index}"

    def stop_agent(self, index: int) -> None:
        """Kill an agent and everything in its process group, as a crashed host would go."""
        process = self.agent_daemons[index].process
        signal_group(process, signal.SIGKILL)
        process.wait(10)

    def close(self) -> None:
        processes = [daemon.process for daemon in self.daemons]
        # All asked to stop first, so that they shut down side by side.
        for process in processes:
            if process.poll() is None:
                signal_group(process, signal.SIGTERM)
        for process in processes:
            wait_or_kill_group(process)
        kill_leftover_executors(self.workdir)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- what it is doing --------------------------------------------------------------------
    def agent_id_of(self, index: int) -> str:
        hostname = self.agent_hostname.format(index=index)
        port = self.agent_ports[index]
        for agent in self.state().get("slaves", []):
            if agent.get("hostname") == hostname or agent.get("port") == port:
                return str(agent["id"])
        raise LookupError(f"agent {index} is not registered")

    def launched_executors(self, framework_id: str) -> dict[str, list[str]]:
        """Executor (= task) ids each agent actually started for the framework, from the
        agents' sandboxes on disk: the ground truth for "no task launched twice", whatever
        any master remembers after a failover. Keyed by the agent's hostname."""
        pattern = f"slaves/*/frameworks/{framework_id}/executors/*"
        return {
            self.agent_hostname.format(index=index): sorted(
                path.name for path in self.agent_work_dir(index).glob(pattern)
            )
            for index in range(len(self.agent_ports))
        }

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def exit_reason(self) -> str | None:
        """Why the cluster cannot become ready (its master exited), or None."""
        if self.master_daemon is None:
            return None
        return self.master_daemon.exit_reason()

    @classmethod
    @contextlib.contextmanager
    def maybe(cls, master_url: str | None, agents: int = 3) -> Iterator[ExternalCluster]:
        """The cluster at `master_url` when given, else a loopback one closed afterwards."""
        if master_url:
            yield ExternalCluster(master_url)
            return
        cluster = cls(agents=agents)
        try:
            yield cluster.start()
        finally:
            cluster.close()
