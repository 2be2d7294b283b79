"""The final report: rows, summary, JSON shape and exit codes."""

from __future__ import annotations

import json

import pytest

from mesos_probe.scheduler_host.placement import RunPlacement
from mesos_probe.scheduler_host.report import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    RESULT_REJECTED,
    RunReport,
    agent_result,
    missing_agent,
)


def probe_from(agent: str, hostname: str) -> str:
    """The built-in probe's result as the executor on `agent` (named `hostname`) reports it."""
    return json.dumps(
        {
            "hostname": hostname,
            "agent_id": agent,
            "env_agent_id": agent,
            "cpus": 2,
            "memory": {"total_mib": 512},
            "load": [0.1, 0.2, 0.3],
            "kernel": "Linux 6.1",
            "python": {"version": "3.11.7"},
        }
    )


PROBE = probe_from("a1", "h1")


def placement_with(
    outcomes: dict[str, list[str]], results: dict[str, str] | None = None
) -> RunPlacement:
    """Agent aN is on host-aN; a finished task returns results[aN], else its own probe."""
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
                result=(
                    (results or {}).get(agent, probe_from(agent, f"host-{agent}"))
                    if state == "TASK_FINISHED"
                    else None
                ),
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
    assert json.loads(second["result"])["hostname"] == "host-a2"
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


def test_a_result_from_another_host_is_rejected() -> None:
    """A probe from h1 (agent a1) cannot be the result of the task placed on host-a2."""
    placement = placement_with(
        {"a1": ["TASK_FINISHED"], "a2": ["TASK_FINISHED"]}, results={"a2": PROBE}
    )
    rows = [agent_result(slot, timed_out=False) for slot in placement.slots.values()]
    report = RunReport(run_id="r", master="m:5050", expected=2, agents=rows)
    assert not report.ok and report.exit_code() == EXIT_INCOMPLETE
    first, second = report.to_dict()["agents"]
    assert first["state"] == "TASK_FINISHED" and first["problem"] is None
    assert second["state"] == RESULT_REJECTED
    assert second["problem"] == (
        "result rejected: the agent's environment says agent a1, but the task was placed on"
        " agent a2; it names host h1, but the task was placed on host-a2"
    )
    assert "FAILED host-a2 (a2): result rejected:" in report.summary()
    assert report.to_dict()["summary"]["failed"] == 1


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (probe_from("a9", "host-a1"), "environment says agent a9, but the task was placed on"),
        (probe_from("a1", "host-a9"), "it names host host-a9, but the task was placed on host-a1"),
        (
            json.dumps({"hostname": "host-a1", "agent_id": "a1", "env_agent_id": None}),
            "no agent id from the agent's environment",
        ),
        (json.dumps({"env_agent_id": "a1"}), "it carries no hostname"),
        ("not json", "not the executor's JSON report"),
        (None, "not the executor's JSON report"),
    ],
)
def test_a_result_that_does_not_prove_its_agent_is_rejected(
    result: str | None, reason: str
) -> None:
    placement = RunPlacement("r", expected_agents=1, max_attempts=1)
    placement.add_slot("a1", "host-a1")
    attempt = placement.new_attempt("a1", now=1.0)
    placement.apply_status(attempt.task_id, "TASK_FINISHED", now=2.0, result=result)
    row = agent_result(placement.slots["a1"], timed_out=False)
    assert row.state == RESULT_REJECTED and not row.finished
    assert row.problem is not None and reason in row.problem
