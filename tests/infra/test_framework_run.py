"""The end-to-end proof: the framework run by playbooks/submit.yml put exactly one task on
every agent, each finished, and each agent's executor sent back its own hostname."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from mesos_facts import (
    AGENT_ENV_FILE,
    LAST_RUN_FILE,
    env_file,
    group_hosts,
    hostname_of,
    leading_master_state,
    read_json_file,
)

testinfra_hosts = ["ansible://mesos_agents"]


@pytest.fixture(scope="module")
def last_run() -> dict[str, Any]:
    submit_host = group_hosts("mesos_submit")[0]
    return read_json_file(submit_host, LAST_RUN_FILE,
                          written_by="the side effect (submit.yml or failover-drill.yml)")


@pytest.fixture(scope="module")
def framework_tasks(last_run: dict[str, Any]) -> list[dict[str, Any]]:
    state = leading_master_state()
    frameworks = state["frameworks"] + state["completed_frameworks"]
    matching = [f for f in frameworks if f["id"] == last_run["framework_id"]]
    assert matching, f"framework {last_run['framework_id']} unknown to the leading master"
    framework = matching[0]
    tasks: list[dict[str, Any]] = framework["tasks"] + framework["completed_tasks"]
    return tasks


def result_for(last_run: dict[str, Any], hostname: str) -> dict[str, Any]:
    rows = [row for row in last_run["agents"] if row["hostname"] == hostname]
    assert len(rows) == 1, f"{len(rows)} results for agent {hostname} in {LAST_RUN_FILE}"
    return rows[0]


def test_run_reported_success_for_every_agent(last_run: dict[str, Any]) -> None:
    agents = {hostname_of(agent) for agent in group_hosts("mesos_agents")}
    assert {row["hostname"] for row in last_run["agents"]} == agents
    assert last_run["summary"]["finished"] == len(agents)
    assert last_run["summary"]["failed"] == 0


def test_this_agent_finished_its_task_and_returned_its_own_hostname(
    host: Any, last_run: dict[str, Any]
) -> None:
    row = result_for(last_run, hostname_of(host))
    assert row["state"] == "TASK_FINISHED"
    probe = json.loads(row["result"])
    assert probe["hostname"] == hostname_of(host)
    assert probe["agent_id"] == row["agent_id"]


def test_master_saw_exactly_one_finished_task_on_this_agent(
    host: Any, last_run: dict[str, Any], framework_tasks: list[dict[str, Any]]
) -> None:
    agent_id = result_for(last_run, hostname_of(host))["agent_id"]
    finished = Counter(t["slave_id"] for t in framework_tasks if t["state"] == "TASK_FINISHED")
    assert finished[agent_id] == 1


def test_executor_sandbox_with_stdout_exists(host: Any, last_run: dict[str, Any]) -> None:
    work_dir = env_file(host, AGENT_ENV_FILE)["MESOS_WORK_DIR"]
    pattern = (f"{work_dir}/slaves/*/frameworks/{last_run['framework_id']}"
               "/executors/*/runs/latest/stdout")
    found = host.run(f"ls -1 {pattern}")
    assert found.rc == 0 and found.stdout.strip(), f"no sandbox stdout matching {pattern}"
