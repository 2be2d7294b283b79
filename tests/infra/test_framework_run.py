"""The end-to-end proof: the framework run by the scenario's side effect put exactly one task on
every agent and no other task, each finished, and each task's probe reports what only the agent
host can tell — the OS hostname, /etc/machine-id and boot id seen from inside the task, the agent
id the agent handed its executor (MESOS_AGENT_ID), the sandbox path (MESOS_SANDBOX). Each is
compared with what testinfra reads on that host itself and with the leading master's
/master/slaves, never with what the scheduler put in the task."""

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
    master_agent_ids,
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


@pytest.fixture(scope="module")
def agent_ids() -> dict[str, str]:
    """hostname -> agent id for this scenario's agents, as the leading master knows them."""
    known = master_agent_ids()
    agents = sorted(hostname_of(agent) for agent in group_hosts("mesos_agents"))
    missing = [name for name in agents if name not in known]
    assert not missing, f"agents {missing} not in the leading master's /master/slaves {known}"
    return {name: known[name] for name in agents}


def result_for(last_run: dict[str, Any], hostname: str) -> dict[str, Any]:
    rows = [row for row in last_run["agents"] if row["hostname"] == hostname]
    assert len(rows) == 1, f"{len(rows)} results for agent {hostname} in {LAST_RUN_FILE}"
    return rows[0]


def host_evidence(last_run: dict[str, Any], host: Any, key: str) -> str:
    """One of the facts the probe read on its machine, from this host's finished task."""
    row = result_for(last_run, hostname_of(host))
    assert row["state"] == "TASK_FINISHED", row
    probe = json.loads(row["result"])
    value = probe.get(key)
    if not value:
        pytest.fail(f"probe result lacks {key} (it has {sorted(probe)}): "
                    f"{hostname_of(host)}'s task cannot prove where it ran")
    return str(value)


def read_on(host: Any, command: str) -> str:
    return str(host.check_output(command)).strip()


def test_run_reported_success_for_every_agent(last_run: dict[str, Any]) -> None:
    agents = {hostname_of(agent) for agent in group_hosts("mesos_agents")}
    assert {row["hostname"] for row in last_run["agents"]} == agents
    assert last_run["summary"]["finished"] == len(agents)
    assert last_run["summary"]["failed"] == 0


def test_framework_ran_one_finished_task_per_agent_and_no_other(
    framework_tasks: list[dict[str, Any]], agent_ids: dict[str, str]
) -> None:
    assert Counter(t["slave_id"] for t in framework_tasks) == dict.fromkeys(
        agent_ids.values(), 1), f"tasks per agent id; agents are {agent_ids}"
    assert Counter(t["state"] for t in framework_tasks) == {"TASK_FINISHED": len(agent_ids)}


def test_every_task_ran_on_a_different_machine(last_run: dict[str, Any]) -> None:
    agents = group_hosts("mesos_agents")
    machines = Counter(host_evidence(last_run, agent, "machine_id") for agent in agents)
    assert len(machines) == len(agents), f"machine ids reported: {machines}"


def test_task_saw_this_hosts_os_hostname(host: Any, last_run: dict[str, Any]) -> None:
    assert host_evidence(last_run, host, "os_hostname") == read_on(host, "hostname")


def test_task_saw_this_hosts_machine_and_boot_ids(host: Any, last_run: dict[str, Any]) -> None:
    assert host_evidence(last_run, host, "machine_id") == read_on(host, "cat /etc/machine-id")
    assert host_evidence(last_run, host, "boot_id") == read_on(
        host, "cat /proc/sys/kernel/random/boot_id")


def test_agent_id_given_to_the_executor_is_the_masters_id_for_this_host(
    host: Any, last_run: dict[str, Any], agent_ids: dict[str, str]
) -> None:
    expected = agent_ids[hostname_of(host)]
    assert host_evidence(last_run, host, "env_agent_id") == expected
    assert result_for(last_run, hostname_of(host))["agent_id"] == expected


def test_task_sandbox_is_on_this_host_under_the_agents_work_dir(
    host: Any, last_run: dict[str, Any], agent_ids: dict[str, str]
) -> None:
    sandbox = host_evidence(last_run, host, "sandbox")
    work_dir = env_file(host, AGENT_ENV_FILE)["MESOS_WORK_DIR"].rstrip("/")
    prefix = (f"{work_dir}/slaves/{agent_ids[hostname_of(host)]}"
              f"/frameworks/{last_run['framework_id']}/executors/")
    assert sandbox.startswith(prefix), f"sandbox {sandbox} is not under {prefix}"
    assert host.file(sandbox).is_directory, f"sandbox {sandbox} missing on {hostname_of(host)}"
    assert host.file(f"{sandbox}/stdout").exists, f"no stdout in the sandbox {sandbox}"


def test_master_saw_exactly_one_finished_task_on_this_agent(
    host: Any, framework_tasks: list[dict[str, Any]], agent_ids: dict[str, str]
) -> None:
    agent_id = agent_ids[hostname_of(host)]
    on_this_agent = [t["state"] for t in framework_tasks if t["slave_id"] == agent_id]
    assert on_this_agent == ["TASK_FINISHED"]
