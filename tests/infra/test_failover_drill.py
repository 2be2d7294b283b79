"""The failover drill (playbooks/failover-drill.yml, molecule/ha's side effect): the leading
master was stopped while every agent ran a task, another master took over, the agents
re-registered with it, the run finished exactly one task per agent, and a second run
finished with the ZooKeeper ensemble's leader stopped. Collected in molecule/ha only."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pytest
from mesos_facts import (
    MASTER_SERVICE,
    ZOOKEEPER_SERVICE,
    group_hosts,
    hostname_of,
    http_get_json,
    leading_master_state,
    master_url,
    read_json_file,
)

testinfra_hosts = ["ansible://mesos_submit"]
# The scenario whose side effect is the drill; a single-master scenario has nothing to fail over to.
pytestmark = pytest.mark.scenarios("ha")
logger = logging.getLogger(__name__)

DRILL_DIR = "/var/lib/mesos-probe"


def _read_json(host: Any, path: str) -> dict[str, Any]:
    return read_json_file(host, path, written_by="playbooks/failover-drill.yml")


@pytest.fixture(scope="module")
def master_drill(host: Any) -> dict[str, Any]:
    return _read_json(host, f"{DRILL_DIR}/failover-drill-master.json")


@pytest.fixture(scope="module")
def zookeeper_drill(host: Any) -> dict[str, Any]:
    return _read_json(host, f"{DRILL_DIR}/failover-drill-zookeeper.json")


def _masters_by_name() -> dict[str, Any]:
    return {master.backend.get_hostname(): master for master in group_hosts("mesos_masters")}


def test_another_master_took_over(master_drill: dict[str, Any]) -> None:
    masters = _masters_by_name()
    assert master_drill["stopped_leader"] in masters
    assert master_drill["new_leader"] in masters
    assert master_drill["new_leader"] != master_drill["stopped_leader"]
    logger.info("new leader %s elected %.1f s after %s stopped", master_drill["new_leader"],
                master_drill["seconds_to_new_leader"], master_drill["stopped_leader"])


def test_stopped_master_rejoined_as_a_standby(master_drill: dict[str, Any]) -> None:
    stopped = _masters_by_name()[master_drill["stopped_leader"]]
    assert stopped.service(MASTER_SERVICE).is_running
    metrics = http_get_json(stopped, f"{master_url(stopped)}/metrics/snapshot")
    assert metrics["master/elected"] == 0


def test_agents_reregistered_with_the_new_leader(master_drill: dict[str, Any]) -> None:
    state = leading_master_state()
    assert state["hostname"] == hostname_of(_masters_by_name()[master_drill["new_leader"]])
    agents = {hostname_of(agent) for agent in group_hosts("mesos_agents")}
    reregistered = {slave["hostname"] for slave in state["slaves"]
                    if slave["active"] and "reregistered_time" in slave}
    assert reregistered == agents


def test_run_across_the_failover_finished_one_task_per_agent_and_lost_none(
    host: Any, master_drill: dict[str, Any]
) -> None:
    assert master_drill["run_exit_code"] == 0
    report = _read_json(host, master_drill["run_report"])
    state = leading_master_state()
    frameworks = [f for f in state["frameworks"] + state["completed_frameworks"]
                  if f["id"] == report["framework_id"]]
    assert len(frameworks) == 1, f"framework {report['framework_id']} unknown to the new leader"
    tasks = frameworks[0]["tasks"] + frameworks[0]["completed_tasks"]
    agent_ids = {row["agent_id"] for row in report["agents"]}
    assert len(agent_ids) == len(group_hosts("mesos_agents"))
    assert Counter(t["state"] for t in tasks) == {"TASK_FINISHED": len(agent_ids)}
    assert Counter(t["slave_id"] for t in tasks) == dict.fromkeys(agent_ids, 1)


def test_run_with_a_zookeeper_server_down_finished_on_every_agent(
    host: Any, zookeeper_drill: dict[str, Any]
) -> None:
    assert len(zookeeper_drill["stopped_zookeeper"]) == 1
    assert zookeeper_drill["run_exit_code"] == 0
    report = _read_json(host, zookeeper_drill["run_report"])
    finished = [row["hostname"] for row in report["agents"] if row["state"] == "TASK_FINISHED"]
    assert sorted(finished) == sorted(hostname_of(agent) for agent in group_hosts("mesos_agents"))


def test_stopped_zookeeper_server_serves_again(zookeeper_drill: dict[str, Any]) -> None:
    servers = {server.backend.get_hostname(): server for server in group_hosts("zookeeper")}
    stopped = servers[zookeeper_drill["stopped_zookeeper"][0]]
    assert stopped.service(ZOOKEEPER_SERVICE).is_running
