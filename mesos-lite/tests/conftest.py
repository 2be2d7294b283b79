"""Fixtures: the cluster under test.

With MESOS_MASTER_URL=http://host:port the suite drives that (Apache Mesos or mesos-lite)
cluster and starts nothing; otherwise it starts a mesos-lite master and three agents on
loopback. Tests that must start or kill daemons themselves skip against an external cluster.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mesos_http import SchedulerSession, get_json
from processes import Daemon, ZooKeeper, running_zookeeper, start_agent, start_master

EXTERNAL_URL = os.environ.get("MESOS_MASTER_URL")
AGENT_COUNT = 3
AGENT_RESOURCES = "cpus:2;mem:2048;disk:4096;ports:[31000-31099]"
PROGRAMS = Path(__file__).parent / "pymesos_programs.py"


@dataclass
class Cluster:
    master_url: str
    daemons: list[Daemon] = field(default_factory=list)
    directory: Path | None = None

    @property
    def is_external(self) -> bool:
        return not self.daemons

    def state(self) -> dict:
        return get_json(self.master_url, "/master/state")

    def agents(self) -> list[dict]:
        return [a for a in self.state()["slaves"] if a["active"]]

    def agent_url(self, agent_id: str) -> str:
        for agent in self.state()["slaves"]:
            if agent["id"] == agent_id:
                return "http://" + agent["pid"].split("@", 1)[1]
        raise AssertionError(f"agent {agent_id} is not in /master/state")

    def stop(self) -> None:
        for daemon in reversed(self.daemons):
            daemon.stop()


def executor_command(mode: str = "echo") -> str:
    return f"{sys.executable} {PROGRAMS} executor {mode}"


def start_lite_cluster(
    directory: Path,
    agents: int = AGENT_COUNT,
    *master_flags: str,
    agent_flags: tuple[str, ...] = (),
) -> Cluster:
    master, port = start_master(directory, "--allocation_interval=200ms", *master_flags)
    cluster = Cluster(f"http://127.0.0.1:{port}", [master], directory)
    defaults = {
        "--resources": AGENT_RESOURCES,
        "--executor_registration_timeout": "10secs",
        "--executor_shutdown_grace_period": "2secs",
    }
    for flag in agent_flags:
        name, _, value = flag.partition("=")
        defaults[name] = value
    flags = [f"{name}={value}" for name, value in defaults.items()]
    for _ in range(agents):
        agent, _port = start_agent(directory, f"127.0.0.1:{port}", *flags)
        cluster.daemons.append(agent)
    wait_for_agents(cluster.master_url, agents)
    return cluster


def wait_for_agents(master_url: str, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = get_json(master_url, "/master/state")
        if sum(1 for a in state["slaves"] if a["active"]) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{count} agents did not register: {json.dumps(state)[:500]}")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if EXTERNAL_URL:
        yield Cluster(EXTERNAL_URL.rstrip("/"))
        return
    lite = start_lite_cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield lite
    finally:
        lite.stop()


@pytest.fixture
def master_url(cluster: Cluster) -> str:
    return cluster.master_url


@pytest.fixture
def local_only(cluster: Cluster) -> None:
    if cluster.is_external:
        pytest.skip(
            "starts or kills daemons itself; MESOS_MASTER_URL points at an external cluster"
        )


@pytest.fixture
def scheduler(master_url: str, request: pytest.FixtureRequest) -> Iterator[SchedulerSession]:
    """A subscribed framework, torn down after the test."""
    session = SchedulerSession(master_url)
    session.info["name"] = f"conformance-{request.node.name}"[:100]
    session.subscribe()
    try:
        yield session
    finally:
        session.teardown()


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeper]:
    with running_zookeeper(tmp_path_factory, "zookeeper") as server:
        yield server
