from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from mesos_lite.testing import ZooKeeperServer, require_loopback, running_zookeeper

# The test doubles live next to the tests.
sys.path.insert(0, str(Path(__file__).parent))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the recovery times the fault tests measured (test_faults.py)."""
    from probe_run import TIMINGS

    if not TIMINGS:
        return
    terminalreporter.section("fault recovery times")
    for scenario, what, seconds in TIMINGS:
        terminalreporter.write_line(f"{scenario:<20} {what:<38} {seconds:6.2f}s")


class Closable(Protocol):
    def close(self) -> None: ...


@pytest.fixture
def masters() -> Iterator[list[Closable]]:
    """Scripted masters a test starts (appended to this list); closed after the test."""
    started: list[Closable] = []
    yield started
    for master in started:
        master.close()


@pytest.fixture(scope="module")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperServer]:
    """A loopback ZooKeeper shared by a module's tests (skipped, or failed when a cluster is
    required, where ZooKeeper is not installed)."""
    with running_zookeeper(tmp_path_factory.mktemp("zookeeper")) as server:
        yield server


@pytest.fixture
def local_only() -> None:
    """For a test that needs a loopback cluster of its own even when MESOS_MASTER_URL is set."""
    require_loopback("stops agents of its own cluster")
