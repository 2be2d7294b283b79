"""The loopback harness itself (mesos_lite.testing): where the environment lacks something a
test needs, a complete run (CI, MESOS_PROBE_REQUIRE_CLUSTER) fails naming it, others skip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mesos_lite.testing import environment, zookeeper
from mesos_lite.testing.cluster import merge_flags

DEMANDS = ("CI", "MESOS_PROBE_REQUIRE_CLUSTER")
SKIPPED = pytest.skip.Exception
FAILED = pytest.fail.Exception


def outcome(call: Callable[[], None]) -> tuple[type[BaseException] | None, str]:
    """How `call` ends a test (skipped, failed, or not at all) and why. Caught here, since a
    skip escaping would skip this test itself and hide the breakage it looks for."""
    try:
        call()
    except (SKIPPED, FAILED) as stop:
        return type(stop), str(stop)
    return None, ""


@pytest.fixture
def relaxed(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment that demands nothing, whatever this run's own is."""
    for name in DEMANDS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_false_values_demand_nothing(relaxed: pytest.MonkeyPatch, value: str) -> None:
    relaxed.setenv("CI", value)
    assert environment.required_by() is None
    assert outcome(lambda: environment.skip_or_fail("ZooKeeper is gone")) == (
        SKIPPED,
        "ZooKeeper is gone",
    )


@pytest.mark.parametrize("name", DEMANDS)
def test_a_complete_run_fails_naming_what_is_missing(
    relaxed: pytest.MonkeyPatch, name: str
) -> None:
    relaxed.setenv(name, "1")
    assert environment.required_by() == f"{name}=1"
    assert outcome(lambda: environment.skip_or_fail("ZooKeeper is gone")) == (
        FAILED,
        f"{name}=1 requires this test to run, but ZooKeeper is gone",
    )


def test_a_master_url_fails_a_local_only_test_in_ci(relaxed: pytest.MonkeyPatch) -> None:
    relaxed.setenv("MESOS_MASTER_URL", "http://mesos.example:5050/")
    relaxed.setenv("CI", "true")
    ended, reason = outcome(environment.require_loopback)
    assert ended is FAILED
    assert "MESOS_MASTER_URL=http://mesos.example:5050 points at an external cluster" in reason
    relaxed.delenv("MESOS_MASTER_URL")
    assert outcome(environment.require_loopback) == (None, "")


def test_a_missing_zookeeper_jar_is_named(
    relaxed: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "zookeeper.jar"
    relaxed.setattr(zookeeper, "ZOOKEEPER_JAR", missing)
    assert zookeeper.zookeeper_missing() == (
        f"ZooKeeper is not installed: {missing} is missing (Debian package 'zookeeper')"
    )
    relaxed.setenv("CI", "1")
    ended, reason = outcome(zookeeper.require_zookeeper)
    assert ended is FAILED
    assert str(missing) in reason


def test_later_flags_replace_earlier_ones_of_the_same_name() -> None:
    assert merge_flags(
        ["--registry=in_memory", "--allocation_interval=100ms", "--quiet"],
        ["--allocation_interval=200ms", "--acls=file:///a"],
    ) == ["--registry=in_memory", "--allocation_interval=200ms", "--quiet", "--acls=file:///a"]
