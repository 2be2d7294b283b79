from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

# The test doubles live next to the tests.
sys.path.insert(0, str(Path(__file__).parent))

if TYPE_CHECKING:
    from ha_cluster import ZooKeeperServer


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
    from cluster import skip_or_fail
    from ha_cluster import ZooKeeperServer, zookeeper_available

    if not zookeeper_available():
        skip_or_fail("ZooKeeper (/usr/share/java/zookeeper.jar and java) is not installed")
    server = ZooKeeperServer(tmp_path_factory.mktemp("zookeeper")).start()
    yield server
    server.stop()
