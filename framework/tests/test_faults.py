"""mesos-probe survives failures: loopback fault tests against an HA mesos-lite cluster.

Each test starts a fresh cluster (3 masters under a restart-always supervisor, 2 agents,
one shared ZooKeeper with a short session timeout), runs `mesos-probe submit` as a
separate process against the zk:// URL with tasks that last a few seconds, breaks something
while the tasks run, and then checks that no task was lost or launched twice: in the run's
report, in the leading master's state and in the agents' sandboxes on disk. The measured
recovery times are logged and listed at the end of the pytest run.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mesos_lite.testing import (
    HACluster,
    ZooKeeperServer,
    cluster_available,
    get_json,
    require_zookeeper,
    skip_or_fail,
    wait_for_running_tasks,
    wait_until,
)
from probe_run import (
    ProbeRun,
    kill_leader_mid_run,
    record_timing,
)

pytestmark = pytest.mark.integration

if not cluster_available():
    skip_or_fail("mesos-lite is not installed")
require_zookeeper()

logger = logging.getLogger("fault_tests")

SESSION_TIMEOUT = 2.0  # --zk_session_timeout of masters and agents
AGENTS = 2
# The built-in probe, held running long enough for the fault to hit while tasks run.
TASK = ("--hold", "4")
RUN_TIMEOUT = 60.0


@pytest.fixture
def cluster(zookeeper: ZooKeeperServer, tmp_path: Path) -> Iterator[HACluster]:
    if not zookeeper.healthy():  # a previous test stopped it and failed half-way
        zookeeper.start()
    running = HACluster(
        zookeeper,
        masters=3,
        agents=AGENTS,
        session_timeout=SESSION_TIMEOUT,
        workdir=tmp_path / "cluster",
    )
    try:
        yield running.start()
    finally:
        running.close()


def start_run(cluster: HACluster, directory: Path, name: str, *flags: str) -> ProbeRun:
    """A mesos-probe run against the zk:// URL whose tasks last a few seconds."""
    return ProbeRun(directory, name, cluster.zk_url, *TASK, *flags, timeout=RUN_TIMEOUT)


def run_with_tasks_running(cluster: HACluster, directory: Path, name: str, *flags: str) -> ProbeRun:
    """A run started as `start_run`, once every agent runs its task."""
    run = start_run(cluster, directory, name, *flags)
    wait_for_running_tasks(cluster, AGENTS, run=run)
    return run


def wait_for_success(run: ProbeRun) -> float:
    """Wait for `run` to exit 0; the wall time it ended."""
    code = run.wait(RUN_TIMEOUT)
    ended_at = time.time()
    assert code == 0, run.stderr_tail()
    return ended_at


def assert_one_finished_task_per_agent(
    cluster: HACluster,
    report: dict[str, Any],
    launched_by_this_process: int = AGENTS,
    leader_saw_the_end: bool = True,
) -> None:
    """Exactly one task per agent in the whole run, finished: none lost, none duplicated."""
    hostnames = sorted(f"agent{i}.test" for i in range(AGENTS))
    rows = report["agents"]
    assert sorted(row["hostname"] for row in rows) == hostnames, rows
    for row in rows:
        assert row["state"] == "TASK_FINISHED", row
        assert row["attempts"] == 1, row
        if row["result"]:  # a result lost with a dead master is re-read by reconciliation
            assert json.loads(row["result"])["hostname"] == row["hostname"]
    assert report["summary"]["finished"] == AGENTS and report["summary"]["failed"] == 0
    assert report["offers"]["launched"] == launched_by_this_process, report["offers"]

    # The agents' sandboxes: every executor (one per task) that was ever started.
    launched = cluster.launched_executors(report["framework_id"])
    assert all(len(ids) == 1 for ids in launched.values()), launched

    if not leader_saw_the_end:
        return
    # The leading master (possibly a new one) knows one finished task per agent.
    tasks = cluster.tasks_of(report["framework_id"])
    by_agent: dict[str, list[str]] = {}
    for task in tasks:
        by_agent.setdefault(task["slave_id"], []).append(task["state"])
    assert sorted(by_agent.values()) == [["TASK_FINISHED"]] * AGENTS, tasks


@pytest.mark.parametrize("named_by", ["zk", "list"])
def test_leading_master_killed_mid_run(cluster: HACluster, tmp_path: Path, named_by: str) -> None:
    # --master zk://... (pymesos follows the election) or h1:p,h2:p,h3:p (mesos-probe finds
    # the new leader through /master/redirect itself).
    master = cluster.zk_url if named_by == "zk" else cluster.master_list
    outcome = kill_leader_mid_run(cluster, tmp_path, *TASK, run_timeout=RUN_TIMEOUT, master=master)

    assert outcome.exit_code == 0, outcome.stderr_tail
    assert_one_finished_task_per_agent(cluster, outcome.report)
    assert outcome.lost == 0 and outcome.duplicated == 0
    # The same framework re-subscribed to the new leader, which knows no other.
    assert outcome.resubscribed_after is not None, outcome.stderr_tail
    assert cluster.framework_ids() == [outcome.report["framework_id"]]
    # Every agent re-registered with the new leader.
    assert len(cluster.active_agents()) == AGENTS
    scenario = f"leader killed ({named_by})"
    record_timing(scenario, "kill -> new leader elected", outcome.elected_after)
    record_timing(scenario, "kill -> framework re-subscribed", outcome.resubscribed_after)
    record_timing(scenario, "kill -> run finished", outcome.finished_after)
    assert outcome.elected_after <= 2 * SESSION_TIMEOUT + 0.5


def test_tasks_ending_while_no_master_leads_are_not_launched_again(
    cluster: HACluster, tmp_path: Path
) -> None:
    """Short tasks end while no master leads, and the agents re-register with the next
    leader before the framework re-subscribes (the order that once launched every task a
    second time: the new leader took the ended tasks for unknown and answered the
    framework's reconciliation with TASK_GONE). Each step is held until the previous one
    is done: the scheduler and the standby masters are frozen while the tasks end."""
    run = run_with_tasks_running(cluster, tmp_path, "run")
    leader, _ = cluster.wait_for_leader()
    standbys = [index for index in range(cluster.master_count) if index != leader]
    os.kill(run.process.pid, signal.SIGSTOP)
    try:
        for index in standbys:
            os.kill(cluster.masters[index].pid, signal.SIGSTOP)
        try:
            # Stopped for good: its supervisor would otherwise bring it back to lead at once.
            cluster.masters[leader].close()
            wait_until(lambda: ended_on_every_agent(cluster), 20, "the tasks' end on the agents")
        finally:
            for index in standbys:
                os.kill(cluster.masters[index].pid, signal.SIGCONT)
        cluster.wait_for_leader(exclude=leader)
        wait_until(lambda: len(cluster.active_agents()) == AGENTS, 30, "agents re-registered")
    finally:
        os.kill(run.process.pid, signal.SIGCONT)
    wait_for_success(run)

    report = run.report()
    assert_one_finished_task_per_agent(cluster, report)
    # Each result too: the run waited for what the master's reconciliation cannot carry.
    assert all(row["result"] for row in report["agents"]), report["agents"]


def ended_on_every_agent(cluster: HACluster) -> bool:
    """Every agent reports a task that ended (the agents answer with no master leading)."""
    for port in cluster.agent_ports:
        state = get_json(f"http://127.0.0.1:{port}/state")
        ended = [
            task
            for framework in state.get("frameworks", [])
            for executor in framework.get("executors", [])
            + framework.get("completed_executors", [])
            for task in executor.get("completed_tasks", [])
            if task.get("state") == "TASK_FINISHED"
        ]
        if not ended:
            return False
    return True


def test_agent_killed_mid_run_is_reported_by_name(cluster: HACluster, tmp_path: Path) -> None:
    run = run_with_tasks_running(cluster, tmp_path, "run", "--lost-agent-timeout", "1")
    victim = cluster.agent_id_of(1)
    cluster.stop_agent(1)
    killed_at = time.time()
    code = run.wait(RUN_TIMEOUT)
    ended_at = time.time()

    assert code == 1, run.stderr_tail()
    report = run.report()
    rows = {row["hostname"]: row for row in report["agents"]}
    assert rows["agent0.test"]["state"] == "TASK_FINISHED"
    assert json.loads(rows["agent0.test"]["result"])["hostname"] == "agent0.test"
    lost = rows["agent1.test"]
    assert lost["agent_id"] == victim and lost["attempts"] == 1
    assert lost["state"] in ("TASK_UNREACHABLE", "TASK_LOST"), lost
    assert "agent lost" in lost["problem"] and lost["state"] in lost["problem"], lost
    assert report["summary"]["failed_agents"] == [
        {"agent_id": victim, "hostname": "agent1.test", "problem": lost["problem"]}
    ]
    assert f"FAILED agent1.test ({victim})" in run.stderr()
    # No replacement task anywhere: one executor per agent.
    launched = cluster.launched_executors(report["framework_id"])
    assert [len(ids) for ids in launched.values()] == [1, 1], launched
    assert victim not in {a["id"] for a in cluster.active_agents()}
    reported = run.log_times(f"{lost['state']} on agent {victim}", after=killed_at)
    assert reported, run.stderr_tail()
    record_timing("agent killed", f"kill -> {lost['state']}", reported[0] - killed_at)
    record_timing("agent killed", "kill -> run ended", ended_at - killed_at)


def test_scheduler_killed_and_restarted_with_its_state_file(
    cluster: HACluster, tmp_path: Path
) -> None:
    state_file = tmp_path / "probe.state"
    first = run_with_tasks_running(cluster, tmp_path, "first", "--state-file", str(state_file))
    saved = wait_for_saved_attempts(state_file, AGENTS)
    killed_at = first.kill()

    second = start_run(cluster, tmp_path, "second", "--state-file", str(state_file))
    ended_at = wait_for_success(second)
    report = second.report()
    assert report["framework_id"] == saved["framework_id"]
    assert report["run_id"] == saved["run_id"]
    # The tasks were launched before the kill; the restarted process launched none.
    assert_one_finished_task_per_agent(cluster, report, launched_by_this_process=0)
    resumed = second.log_times("re-registered with master", after=killed_at)
    assert resumed, second.stderr_tail()
    assert "registered with master" not in second.stderr().replace("re-registered", "")
    assert cluster.framework_ids() == [saved["framework_id"]]
    # The restarted scheduler asked the master about the tasks it had launched.
    assert second.log_times(f"reconciling {AGENTS} task(s)", after=killed_at)
    record_timing("scheduler killed", "kill -> framework re-subscribed", resumed[0] - killed_at)
    record_timing("scheduler killed", "kill -> run finished", ended_at - killed_at)


def test_zookeeper_outage_longer_than_the_session(
    cluster: HACluster, zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    run = run_with_tasks_running(cluster, tmp_path, "run")
    stopped_at = time.time()
    zookeeper.stop()
    # The leader must give up leadership (Mesos exits, "Lost leadership... committing
    # suicide!") once its session is gone; keep ZooKeeper down until then.
    leader_exited_at = cluster.wait_for_master_exits(1, 6 * SESSION_TIMEOUT)
    time.sleep(max(0.0, stopped_at + 2 * SESSION_TIMEOUT - time.time()))
    zookeeper.start()
    restarted_at = time.time()
    _, elected_at = cluster.wait_for_leader(timeout=6 * SESSION_TIMEOUT)
    ended_at = wait_for_success(run)

    # Masters whose old sessions expire once ZooKeeper is back may still change leaders
    # after the run ended, and a new leader does not know completed frameworks (nor does
    # Mesos: they are not in the registry), so the sandboxes and the report are the record.
    assert_one_finished_task_per_agent(cluster, run.report(), leader_saw_the_end=False)
    # The masters gave up leadership by exiting; the supervisor brought them back.
    assert leader_exited_at is not None, "no master exited after losing its ZooKeeper session"
    # Mesos exits once the session timeout has passed without a connection.
    assert leader_exited_at - stopped_at <= 2 * SESSION_TIMEOUT + 1
    record_timing(
        "ZooKeeper outage", "ZooKeeper down -> leader exited", leader_exited_at - stopped_at
    )
    record_timing("ZooKeeper outage", "outage", restarted_at - stopped_at)
    record_timing("ZooKeeper outage", "ZooKeeper back -> leader elected", elected_at - restarted_at)
    record_timing("ZooKeeper outage", "ZooKeeper back -> run finished", ended_at - restarted_at)


def test_zookeeper_blip_shorter_than_the_session_loses_nothing(
    cluster: HACluster, zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    """ZooKeeper frozen for a quarter of the session timeout: nobody may notice."""
    run = run_with_tasks_running(cluster, tmp_path, "run")
    leader = cluster.leader_index()
    zookeeper.pause(SESSION_TIMEOUT / 4)
    wait_for_success(run)

    assert_one_finished_task_per_agent(cluster, run.report())
    assert cluster.master_exits() == 0
    assert cluster.leader_index() == leader


def wait_for_saved_attempts(path: Path, count: int, timeout: float = 10.0) -> dict[str, Any]:
    """The state file once it records the framework id and `count` launched attempts."""
    deadline = time.monotonic() + timeout
    saved: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = {}
        attempts = sum(len(slot["attempts"]) for slot in saved.get("slots", []))
        if saved.get("framework_id") and attempts >= count:
            return saved
        time.sleep(0.1)
    raise AssertionError(f"state file {path} never recorded {count} attempts: {saved}")
