"""Fixtures: the cluster under test.

With MESOS_MASTER_URL=http://host:port the suite drives that (Apache Mesos or mesos-lite)
cluster and starts nothing; otherwise it starts a mesos-lite master and three agents on
loopback (mesos_lite.testing). Tests that must start or kill daemons themselves skip against
an external cluster, and fail instead where the run must be complete (CI, or
MESOS_PROBE_REQUIRE_CLUSTER=1).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mesos_http import SchedulerSession

from mesos_lite.testing import (
    ExternalCluster,
    LoopbackCluster,
    ZooKeeperServer,
    external_master_url,
    require_loopback,
    running_zookeeper,
)

AGENT_COUNT = 3
# The conformance suite's cluster: agents with room for several frameworks' tasks, as
# 127.0.0.1, and executors given time to register on a loaded machine.
MASTER_FLAGS = ("--allocation_interval=200ms",)
AGENT_FLAGS = (
    "--resources=cpus:2;mem:2048;disk:4096;ports:[31000-31099]",
    "--executor_registration_timeout=10secs",
    "--executor_shutdown_grace_period=2secs",
)
PROGRAMS = Path(__file__).parent / "pymesos_programs.py"


def executor_command(mode: str = "echo") -> str:
    return f"{sys.executable} {PROGRAMS} executor {mode}"


def start_lite_cluster(
    directory: Path,
    agents: int = AGENT_COUNT,
    *master_flags: str,
    agent_flags: tuple[str, ...] = (),
) -> LoopbackCluster:
    """The suite's loopback cluster, `master_flags` / `agent_flags` added to its own."""
    return LoopbackCluster(
        agents,
        directory,
        master_flags,
        agent_flags,
        base_master_flags=MASTER_FLAGS,
        base_agent_flags=AGENT_FLAGS,
        agent_hostname="127.0.0.1",
    ).start()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExternalCluster]:
    url = external_master_url()
    if url:
        yield ExternalCluster(url)
        return
    lite = start_lite_cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield lite
    finally:
        lite.close()


@pytest.fixture
def master_url(cluster: ExternalCluster) -> str:
    return cluster.master_url


@pytest.fixture
def local_only() -> None:
    require_loopback()


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
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperServer]:
    with running_zookeeper(tmp_path_factory.mktemp("zookeeper")) as server:
        yield server
