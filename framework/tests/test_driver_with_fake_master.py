"""A whole submit through pymesos' real driver, against a scripted scheduler-API master."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_master import FakeMaster

from mesos_probe.scheduler_host import state_file
from mesos_probe.scheduler_host.driver import Driver
from mesos_probe.scheduler_host.leader_lookup import parse_master
from mesos_probe.scheduler_host.plan import RunPlan


@pytest.fixture
def master() -> Iterator[FakeMaster]:
    fake = FakeMaster(agents=3, failures_per_agent=1)
    yield fake
    fake.close()


def test_submit_through_pymesos(master: FakeMaster) -> None:
    plan = RunPlan(
        master=parse_master(master.address), timeout=20, user="probe", max_attempts=2, role="probes"
    )
    report = Driver(plan).run()
    assert report.ok, report.summary()
    assert sorted(row.agent_id for row in report.agents) == master.agents
    for row in report.agents:
        assert row.attempts == 2 and row.failures[0]["message"] == "scripted failure"
        assert json.loads(row.result or "")["hostname"] == row.hostname

    info = master.subscribe_bodies[0]["subscribe"]["framework_info"]
    assert info["user"] == "probe" and info["roles"] == ["probes"]
    assert info["checkpoint"] is True and info["failover_timeout"] == 600.0
    capabilities = {c["type"] for c in info["capabilities"]}
    assert {"MULTI_ROLE", "PARTITION_AWARE"} <= capabilities
    # Explicit acknowledgements: one per update (RUNNING + FAILED/FINISHED per attempt).
    assert len(master.calls_of("ACKNOWLEDGE")) == 3 * 2 * 2
    assert master.calls_of("REVIVE") and master.calls_of("SUPPRESS")
    assert len(master.calls_of("ACCEPT")) == 6
    assert master.calls_of("TEARDOWN")


def test_expected_agents_that_never_show_up_time_out_naming_the_gap(master: FakeMaster) -> None:
    plan = RunPlan(master=parse_master(master.address), timeout=3, expect_agents=4, max_attempts=2)
    report = Driver(plan).run()
    assert not report.ok and report.timed_out
    assert len(report.finished) == 3
    assert report.to_dict()["summary"]["missing"] == 1


def test_resumed_run_keeps_its_framework_id(master: FakeMaster, tmp_path: Path) -> None:
    path = tmp_path / "run.state"
    state_file.save(path, state_file.SavedRun("probe-resumed", "fw-fake", expected_agents=3))
    plan = RunPlan(master=parse_master(master.address), timeout=20, max_attempts=2, state_file=path)
    report = Driver(plan).run()
    assert report.ok, report.summary()
    assert report.framework_id == "fw-fake" and report.run_id == "probe-resumed"
    # pymesos re-subscribes with the saved id (and reports it as a re-registration).
    assert master.subscribe_bodies[0]["framework_id"] == {"value": "fw-fake"}
    saved = state_file.load(path)
    assert saved is not None and saved.framework_id == "fw-fake" and saved.finished
