"""The final report: rows, summary, JSON shape and exit codes."""

from __future__ import annotations

import json

from mesos_probe.placement import RunPlacement
from mesos_probe.report import EXIT_INCOMPLETE, EXIT_OK, RunReport, agent_result, missing_agent

PROBE = json.dumps(
    {
        "hostname": "h1",
        "agent_id": "a1",
        "cpus": 2,
        "memory": {"total_mib": 512},
        "load": [0.1, 0.2, 0.3],
        "kernel": "Linux 6.1",
        "python": {"version": "3.11.7"},
    }
)


def placement_with(outcomes: dict[str, list[str]]) -> RunPlacement:
    placement = RunPlacement("r", expected_agents=len(outcomes), max_attempts=3)
    for agent, states in outcomes.items():
        placement.add_slot(agent, f"host-{agent}")
        for state in states:
            attempt = placement.new_attempt(agent, now=100.0)
            placement.apply_status(
                attempt.task_id,
                state,
                now=102.5,
                reason="REASON_X",
                message="it broke",
                result=PROBE if state == "TASK_FINISHED" else None,
            )
    return placement


def test_all_finished_is_ok_and_json_has_the_contract_fields() -> None:
    placement = placement_with({"a1": ["TASK_FINISHED"], "a2": ["TASK_FAILED", "TASK_FINISHED"]})
    rows = [agent_result(slot, timed_out=False) for slot in placement.slots.values()]
    report = RunReport(run_id="r", master="m:5050", expected=2, agents=rows)
    assert report.ok and report.exit_code() == EXIT_OK
    data = json.loads(report.to_json())
    assert data["summary"]["expected"] == 2
    assert data["summary"]["finished"] == 2 and data["summary"]["failed"] == 0
    second = data["agents"][1]
    assert {"agent_id", "hostname", "state", "attempts", "duration_seconds", "result"} <= set(
        second
    )
    assert (second["state"], second["attempts"], second["duration_seconds"]) == (
        "TASK_FINISHED",
        2,
        2.5,
    )
    assert json.loads(second["result"])["hostname"] == "h1"
    assert second["failures"][0]["reason"] == "REASON_X"
    table = report.table()
    assert "cpus=2 mem=512MiB" in table and table.count("TASK_FINISHED") == 2


def test_failed_and_missing_agents_are_named_and_exit_nonzero() -> None:
    placement = placement_with(
        {"a1": ["TASK_FINISHED"], "a2": ["TASK_FAILED", "TASK_FAILED", "TASK_LOST"]}
    )
    rows = [agent_result(slot, timed_out=False) for slot in placement.slots.values()]
    rows.append(missing_agent("a3", "host-a3", "no usable offer"))
    report = RunReport(run_id="r", master="m", expected=3, agents=rows)
    assert not report.ok and report.exit_code() == EXIT_INCOMPLETE
    summary = report.summary()
    assert "1 of 3 agents finished" in summary
    assert (
        "FAILED host-a2 (a2): TASK_LOST after 3 attempt(s) (reason REASON_X: it broke)" in summary
    )
    assert "FAILED host-a3 (a3): no usable offer" in summary
    data = report.to_dict()["summary"]
    assert data["failed"] == 2
    assert [a["agent_id"] for a in data["failed_agents"]] == ["a2", "a3"]


def test_timed_out_task_is_reported_as_still_running() -> None:
    placement = placement_with({"a1": ["TASK_RUNNING"]})
    row = agent_result(placement.slots["a1"], timed_out=True)
    assert row.problem == "still TASK_RUNNING when the run ended (timed out)"
    assert not row.finished
