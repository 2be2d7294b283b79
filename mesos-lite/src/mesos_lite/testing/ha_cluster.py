"""A loopback high-availability cluster: masters contending through one ZooKeeper.

Several masters (`--zk`, `--quorum`, a short `--zk_session_timeout`), each kept alive by a
supervisor that restarts it when it exits (as systemd's Restart=always does), and agents
that find the leader in ZooKeeper. Every piece can be killed with SIGKILL to play a crashed
host.
"""

from __future__ import annotations

import time
import urllib.error
import uuid
from pathlib import Path
from typing import Any

from .cluster import LoopbackCluster
from .daemons import MASTER_COMMAND
from .network import free_port, get_json, wait_until
from .processes import SupervisedProcess, resolve_command
from .zookeeper import ZooKeeperServer


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
        super().__init__(
            agents=agents,
            workdir=workdir,
            agent_flags=[f"--zk_session_timeout={session_timeout:g}secs"],
        )
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

    @property
    def master_url(self) -> str:
        return f"http://{self.leader_address}"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> HACluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for index, port in enumerate(self.master_ports):
            argv = [
                *resolve_command(MASTER_COMMAND),
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
        self.wait_for_agents(self.wanted_agents)
        return self

    def agent_master_flag(self) -> str:
        return self.zk_url

    def close(self) -> None:
        for master in self.masters:
            master.close()
        super().close()

    def exit_reason(self) -> str | None:
        """Masters come and go under supervision; none of them exiting is final."""
        return None

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

        def elected() -> tuple[int, float] | None:
            for index in range(self.master_count):
                if index != exclude and self.elected(index):
                    return index, time.time()
            return None

        try:
            found = wait_until(elected, timeout, "a master elected", poll=poll)
        except TimeoutError:
            logs = "\n".join(self.log(f"master{i}")[-1500:] for i in range(self.master_count))
            raise RuntimeError(f"no master was elected within {timeout}s\n{logs}") from None
        assert found is not None  # wait_until returns only a true value
        return found

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

        def seen() -> float | None:
            times = sorted(when for master in self.masters for when, _ in master.exits)
            return times[count - 1] if len(times) >= count else None

        try:
            return wait_until(seen, timeout, f"{count} master exits")
        except TimeoutError:
            return None
