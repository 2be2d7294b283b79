"""--state-file: a resumed run re-subscribes as the same framework and never re-places an
agent that already has (or had) its task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_master import FakeMaster

from mesos_probe.scheduler_host import state_file
from mesos_probe.scheduler_host.driver import Driver, SubmitError
from mesos_probe.scheduler_host.leader_lookup import parse_master
from mesos_probe.scheduler_host.plan import RunPlan


def test_resume_skips_agents_already_done_and_reuses_the_framework(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    state_file.save(
        path,
        state_file.SavedRun(
            run_id="probe-old",
            framework_id="fw-earlier",
            expected_agents=3,
            finished=False,
            slots=[
                {
                    "agent_id": "agent-0",
                    "hostname": "agent-0.test",
                    "index": 0,
                    "attempts": [
                        {
                            "number": 1,
                            "task_id": "probe-old.0.1",
                            "launched_at": 1.0,
                            "state": "TASK_FINISHED",
                            "ended_at": 2.0,
                            "result": '{"hostname": "agent-0.test", "env_agent_id": "agent-0"}',
                        }
                    ],
                }
            ],
        ),
    )
    master = FakeMaster(agents=3)
    try:
        report = Driver(
            RunPlan(master=parse_master(master.address), timeout=15, state_file=path)
        ).run()
    finally:
        master.close()
    assert report.ok, report.summary()
    assert report.run_id == "probe-old"
    assert master.subscribe_bodies[0]["framework_id"] == {"value": "fw-earlier"}
    launched = [
        t["agent_id"]["value"]
        for call in master.calls_of("ACCEPT")
        for op in call["accept"]["operations"]
        for t in op["launch"]["task_infos"]
    ]
    assert sorted(launched) == ["agent-1", "agent-2"]
    saved = json.loads(path.read_text())
    assert saved["finished"] is True and len(saved["slots"]) == 3


def test_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text("{not json")
    with pytest.raises(SubmitError, match="cannot read state file"):
        Driver(RunPlan(master=parse_master("127.0.0.1:9"), timeout=1, state_file=path)).run()
