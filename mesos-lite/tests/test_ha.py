"""Master high availability: the registry survives failovers, agents recovered from it must
re-register within --agent_reregister_timeout, and ZooKeeper outages cost leadership only
once they outlast the session timeout (as Apache Mesos 1.11).

These start and kill their own daemons, so they skip against an external cluster.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError
from mesos_http import SchedulerSession, framework_info, get_json

from mesos_lite.httpd import CallError
from mesos_lite.master.leadership import Leadership
from mesos_lite.testing import (
    Daemon,
    ZooKeeperServer,
    master_config,
    running_zookeeper,
    start_agent,
    start_master,
    wait_for_agents,
)

pytestmark = pytest.mark.usefixtures("local_only")

PARTITION_AWARE = [{"type": "PARTITION_AWARE"}]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except OSError:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.1)


def is_elected(url: str) -> bool:
    try:
        return bool(get_json(url, "/metrics/snapshot")["master/elected"] == 1)
    except OSError:
        return False


def agent_id_at(port: int) -> str:
    return str(
        wait_until(lambda: get_json(f"http://127.0.0.1:{port}", "/state").get("id"), 10, "agent id")
    )


def restart_zookeeper(server: ZooKeeperServer) -> None:
    """Same port, same data directory: ZooKeeper restores the sessions it had."""
    server.start()


def read_zk_registry(hosts: str, path: str) -> dict[str, Any]:
    client = KazooClient(hosts=hosts)
    client.start()
    try:
        raw, _ = client.get(f"{path}/mesos-lite/registry")
    except NoNodeError:
        raw = b'{"slaves": {"slaves": []}, "unreachable": {"slaves": []}}'
    finally:
        client.stop()
        client.close()
    body: dict[str, Any] = json.loads(raw)
    return body


def admitted_ids(registry: dict[str, Any]) -> list[str]:
    return [entry["info"]["id"]["value"] for entry in registry["slaves"]["slaves"]]


def unreachable_ids(registry: dict[str, Any]) -> list[str]:
    return [entry["id"]["value"] for entry in registry["unreachable"]["slaves"]]


def wait_for_registry_file(path: Path, admitted: list[str], unreachable: list[str]) -> None:
    """Registry writes follow the change they record, so wait for them to land."""

    def matches() -> bool:
        registry = json.loads(path.read_text())
        return (admitted_ids(registry), unreachable_ids(registry)) == (admitted, unreachable)

    wait_until(matches, 5, f"{path} to list admitted {admitted}, unreachable {unreachable}")


def failover_framework(name: str) -> dict[str, Any]:
    """A checkpointing, partition-aware framework whose tasks outlive its scheduler by 2min."""
    return framework_info(
        name, failover_timeout=120.0, checkpoint=True, capabilities=PARTITION_AWARE
    )


def failover_master_flags(zk_url: str) -> tuple[str, ...]:
    """Masters of a failover test. Quorum 1: a standby alone must be able to recover the
    registry (see the quorum test)."""
    return (
        f"--zk={zk_url}",
        "--quorum=1",
        "--allocation_interval=200ms",
        "--zk_session_timeout=2secs",
        "--agent_reregister_timeout=60secs",
    )


def admitted_agent_id(
    zookeeper: ZooKeeperServer, zk_path: str, leader_url: str, agent_port: int
) -> str:
    """The id of the agent at `agent_port` once the leader registered it and the registry
    in ZooKeeper lists it (and no other agent) as admitted."""
    wait_for_agents(leader_url, 1)
    agent_id = agent_id_at(agent_port)
    wait_until(
        lambda: admitted_ids(read_zk_registry(zookeeper.hosts, zk_path)) == [agent_id],
        5,
        "the agent in the ZooKeeper registry",
    )
    return agent_id


def no_update_for(session: SchedulerSession, task_id: str, seconds: float) -> bool:
    mark = session.mark()
    time.sleep(seconds)
    return not session.updates_of(task_id, mark)


@pytest.fixture(scope="module")
def restartable_zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperServer]:
    """A ZooKeeper of these tests' own, since they stop and restart it."""
    with running_zookeeper(tmp_path_factory.mktemp("zookeeper-ha")) as server:
        yield server


def test_leader_failover_keeps_tasks_of_agents_that_reregister(
    restartable_zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    """The new leader recovers the registry from ZooKeeper: the agent is `recovered` (listed
    in recovered_slaves, reconciliation of its task gets no answer yet) until it re-registers
    with its running task, which then reconciles TASK_RUNNING and finishes."""
    zk_path = "/mesos-failover"
    zk_url = f"zk://{restartable_zookeeper.hosts}{zk_path}"
    flags = failover_master_flags(zk_url)
    first, first_port = start_master(tmp_path / "m1", *flags)
    wait_until(lambda: is_elected(f"http://127.0.0.1:{first_port}"), 10, "the first master")
    second, second_port = start_master(tmp_path / "m2", *flags)
    agent, agent_port = start_agent(tmp_path, zk_url, "--resources=cpus:1;mem:512")
    leader_url, standby_url = f"http://127.0.0.1:{first_port}", f"http://127.0.0.1:{second_port}"
    info = failover_framework("ha-failover")
    session = SchedulerSession(leader_url, info)
    again: SchedulerSession | None = None
    try:
        agent_id = admitted_agent_id(restartable_zookeeper, zk_path, leader_url, agent_port)
        session.subscribe()
        session.launch_running("sleep 8", "survivor")

        # The agent cannot re-register while stopped, so the new leader must recover it.
        os.kill(agent.process.pid, signal.SIGSTOP)
        first.stop(signal.SIGKILL)
        session.close()
        wait_until(lambda: is_elected(standby_url), 15, "the standby's election")
        state = get_json(standby_url, "/master/state")
        assert [a["id"] for a in state["recovered_slaves"]] == [agent_id]
        assert state["slaves"] == []
        again = SchedulerSession(standby_url, info, framework_id=session.framework_id)
        again.subscribe()
        reconcile = {"tasks": [{"task_id": {"value": "survivor"}, "agent_id": {"value": agent_id}}]}
        assert again.call("RECONCILE", reconcile)[0] == 202
        assert no_update_for(again, "survivor", 1.0), (
            "reconciliation answered before re-registration"
        )

        os.kill(agent.process.pid, signal.SIGCONT)
        wait_for_agents(standby_url, 1)
        state = get_json(standby_url, "/master/state")
        assert state["recovered_slaves"] == []
        assert "reregistered_time" in state["slaves"][0]
        assert "reregistered_time" in get_json(standby_url, "/master/slaves")["slaves"][0]
        mark = again.mark()
        assert again.call("RECONCILE", reconcile)[0] == 202
        running = again.wait_update("survivor", {"TASK_RUNNING"}, start=mark, acknowledge=False)
        assert running["reason"] == "REASON_RECONCILIATION"
        finished = again.wait_update(
            "survivor", {"TASK_FINISHED", "TASK_FAILED", "TASK_LOST", "TASK_UNREACHABLE"}, 20
        )
        assert finished["state"] == "TASK_FINISHED"
        assert get_json(standby_url, "/metrics/snapshot")["master/recovery_slave_removals"] == 0
    finally:
        agent.resume_if_alive()
        if again is not None:
            again.teardown()
        session.close()
        agent.stop()
        second.stop()
        first.stop()


def agent_task_state(agent_port: int, task_id: str) -> str | None:
    """The state the agent at `agent_port` reports for `task_id` (live or completed)."""
    state = get_json(f"http://127.0.0.1:{agent_port}", "/state")
    for framework in state.get("frameworks", []):
        for executor in [
            *framework.get("executors", []),
            *framework.get("completed_executors", []),
        ]:
            for task in [*executor.get("tasks", []), *executor.get("completed_tasks", [])]:
                if task.get("id") == task_id:
                    return str(task.get("state"))
    return None


def test_task_that_ends_while_no_master_leads_is_known_to_the_next_leader(
    restartable_zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    """A task ends while no master leads, so its terminal update waits on the agent,
    unacknowledged. Like Mesos's agent, the agent lists that task (with its latest state)
    when it re-registers with the next leader, which therefore answers a reconciliation
    with TASK_FINISHED. Answering TASK_GONE ("unknown to the agent") would tell the
    framework the task never ran: a framework that must run it launches it again."""
    zk_path = "/mesos-ended-in-failover"
    zk_url = f"zk://{restartable_zookeeper.hosts}{zk_path}"
    flags = failover_master_flags(zk_url)
    first, first_port = start_master(tmp_path / "m1", *flags)
    first_url = f"http://127.0.0.1:{first_port}"
    wait_until(lambda: is_elected(first_url), 10, "the first master")
    agent, agent_port = start_agent(tmp_path, zk_url, "--resources=cpus:1;mem:512")
    info = failover_framework("ended-in-failover")
    session = SchedulerSession(first_url, info)
    second: Daemon | None = None
    again: SchedulerSession | None = None
    try:
        agent_id = admitted_agent_id(restartable_zookeeper, zk_path, first_url, agent_port)
        session.subscribe()
        session.launch_running("sleep 1", "ended")
        first.stop(signal.SIGKILL)
        session.close()
        # No master leads until the task has ended on the agent.
        wait_until(lambda: agent_task_state(agent_port, "ended") == "TASK_FINISHED", 15, "the end")

        second, second_port = start_master(tmp_path / "m2", *flags)
        second_url = f"http://127.0.0.1:{second_port}"
        wait_until(lambda: is_elected(second_url), 15, "the second master's election")
        wait_for_agents(second_url, 1)
        again = SchedulerSession(second_url, info, framework_id=session.framework_id)
        again.subscribe()
        mark = again.mark()
        reconcile = {"tasks": [{"task_id": {"value": "ended"}, "agent_id": {"value": agent_id}}]}
        assert again.call("RECONCILE", reconcile)[0] == 202
        ended = again.wait_update(
            "ended",
            {"TASK_FINISHED", "TASK_GONE", "TASK_UNKNOWN", "TASK_LOST"},
            start=mark,
            acknowledge=False,
        )
        assert ended["state"] == "TASK_FINISHED", ended
        assert ended["reason"] == "REASON_RECONCILIATION"
        # An ended task holds no resources, while its end is still unacknowledged too.
        state = get_json(second_url, "/master/state")
        assert state["slaves"][0]["used_resources"]["cpus"] == 0, state["slaves"]
        # The agent's own updates (with a uuid; TASK_RUNNING first if its acknowledgement
        # died with the first master) follow; acknowledged, the task is complete.
        acknowledged: set[str] = set()

        def agent_finished_update() -> dict[str, Any] | None:
            assert again is not None
            for update in again.updates_of("ended", mark):
                if update.get("uuid") and update["uuid"] not in acknowledged:
                    assert update["source"] != "SOURCE_MASTER", update
                    assert again.acknowledge(update)[0] == 202
                    acknowledged.add(update["uuid"])
                    if update["state"] == "TASK_FINISHED":
                        return update
            return None

        wait_until(agent_finished_update, 40, "the agent's TASK_FINISHED update")

        def completed_states() -> list[str]:
            state = get_json(second_url, "/master/state")
            [framework] = [f for f in state["frameworks"] if f["id"] == session.framework_id]
            return [t["state"] for t in framework["completed_tasks"]]

        assert wait_until(completed_states, 5, "the task completed") == ["TASK_FINISHED"]
    finally:
        if again is not None:
            again.teardown()
        session.close()
        agent.stop()
        if second is not None:
            second.stop()
        first.stop()


def test_recovered_agent_missing_the_reregister_timeout_becomes_unreachable(
    tmp_path: Path,
) -> None:
    """Registry in <work_dir>/registry (no --zk): after a master restart an agent that does not
    re-register within --agent_reregister_timeout is marked unreachable: FAILURE, and its
    task reconciles TASK_UNREACHABLE (partition-aware), also after another restart. When the
    agent finally comes back it is admitted again with its task."""
    flags = ("--allocation_interval=200ms", "--agent_reregister_timeout=3secs")
    master, port = start_master(tmp_path, *flags)
    url = f"http://127.0.0.1:{port}"
    agent, agent_port = start_agent(tmp_path, f"127.0.0.1:{port}", "--resources=cpus:1;mem:512")
    info = failover_framework("ha-unreachable")
    session = SchedulerSession(url, info)
    again: SchedulerSession | None = None
    try:
        wait_for_agents(url, 1)
        agent_id = agent_id_at(agent_port)
        session.subscribe()
        session.launch_running("sleep 60", "stranded")
        registry_file = tmp_path / "master" / "registry"
        wait_for_registry_file(registry_file, [agent_id], [])

        os.kill(agent.process.pid, signal.SIGSTOP)
        master.stop(signal.SIGKILL)
        session.close()
        master, _ = start_master(tmp_path, *flags, port=port)
        wait_until(lambda: is_elected(url), 10, "the restarted master's election")
        assert [a["id"] for a in get_json(url, "/master/state")["recovered_slaves"]] == [agent_id]
        again = SchedulerSession(url, info, framework_id=session.framework_id)
        again.subscribe()
        reconcile = {"tasks": [{"task_id": {"value": "stranded"}, "agent_id": {"value": agent_id}}]}
        assert again.call("RECONCILE", reconcile)[0] == 202
        assert no_update_for(again, "stranded", 1.0), "reconciliation answered too early"

        again.wait_for(
            lambda e: e["type"] == "FAILURE" and e["failure"]["agent_id"]["value"] == agent_id, 10
        )
        mark = again.mark()
        assert again.call("RECONCILE", reconcile)[0] == 202
        status = again.wait_update("stranded", {"TASK_UNREACHABLE"}, 5, mark, acknowledge=False)
        assert status["reason"] == "REASON_RECONCILIATION"
        assert "unreachable_time" in status
        metrics = get_json(url, "/metrics/snapshot")
        assert metrics["master/recovery_slave_removals"] == 1
        assert metrics["master/slaves_unreachable"] == 1
        wait_for_registry_file(registry_file, [], [agent_id])

        # The unreachable mark survives another restart.
        again.close()
        master.stop(signal.SIGKILL)
        master, _ = start_master(tmp_path, *flags, port=port)
        wait_until(lambda: is_elected(url), 10, "the second restart's election")
        again = SchedulerSession(url, info, framework_id=session.framework_id)
        again.subscribe()
        assert again.call("RECONCILE", reconcile)[0] == 202
        status = again.wait_update("stranded", {"TASK_UNREACHABLE"}, 5, acknowledge=False)
        assert status["state"] == "TASK_UNREACHABLE"

        # Mesos lets unreachable agents re-register; the task is still running there.
        mark = again.mark()
        os.kill(agent.process.pid, signal.SIGCONT)
        back = again.wait_update("stranded", {"TASK_RUNNING"}, 10, mark, acknowledge=False)
        assert back["reason"] == "REASON_AGENT_REREGISTERED"
        assert back["message"] == "Unreachable agent re-reregistered"
        wait_for_agents(url, 1)
        mark = again.mark()
        assert again.call("RECONCILE", reconcile)[0] == 202
        status = again.wait_update("stranded", {"TASK_RUNNING"}, 5, mark, acknowledge=False)
        assert status["state"] == "TASK_RUNNING"
        wait_for_registry_file(registry_file, [agent_id], [])
    finally:
        agent.resume_if_alive()
        if again is not None:
            again.teardown()
        session.close()
        agent.stop()
        master.stop()


def test_agent_that_stops_answering_pings_becomes_unreachable_then_returns(
    tmp_path: Path,
) -> None:
    """A hung agent (SIGSTOP: its connection stays open) misses --max_agent_ping_timeouts
    pings: TASK_UNREACHABLE (partition-aware); when it answers again it re-registers and the
    framework gets TASK_RUNNING with REASON_AGENT_REREGISTERED; reconciliation agrees."""
    flags = (
        "--allocation_interval=200ms",
        "--agent_ping_timeout=500ms",
        "--max_agent_ping_timeouts=3",
    )
    master, port = start_master(tmp_path, *flags)
    url = f"http://127.0.0.1:{port}"
    agent, agent_port = start_agent(tmp_path, f"127.0.0.1:{port}", "--resources=cpus:1;mem:256")
    info = framework_info("ha-hung-agent", checkpoint=True, capabilities=PARTITION_AWARE)
    session = SchedulerSession(url, info)
    try:
        wait_for_agents(url, 1)
        agent_id = agent_id_at(agent_port)
        session.subscribe()
        session.launch_running("sleep 60", "hung")
        time.sleep(2)  # answered pings keep the agent registered
        assert get_json(url, "/master/state")["activated_slaves"] == 1

        mark = session.mark()
        os.kill(agent.process.pid, signal.SIGSTOP)
        stopped = time.monotonic()
        lost = session.wait_update("hung", {"TASK_UNREACHABLE"}, 10, mark, acknowledge=False)
        assert 1.0 <= time.monotonic() - stopped <= 4.0
        assert lost["reason"] == "REASON_AGENT_REMOVED"
        assert get_json(url, "/metrics/snapshot")["master/slaves_unreachable"] == 1

        mark = session.mark()
        os.kill(agent.process.pid, signal.SIGCONT)
        back = session.wait_update("hung", {"TASK_RUNNING"}, 10, mark, acknowledge=False)
        assert back["reason"] == "REASON_AGENT_REREGISTERED"
        wait_for_agents(url, 1)
        mark = session.mark()
        reconcile = {"tasks": [{"task_id": {"value": "hung"}, "agent_id": {"value": agent_id}}]}
        assert session.call("RECONCILE", reconcile)[0] == 202
        assert session.wait_update("hung", {"TASK_RUNNING"}, 5, mark, acknowledge=False)
        assert get_json(url, "/metrics/snapshot")["master/slaves_unreachable"] == 0
    finally:
        agent.resume_if_alive()
        session.teardown()
        agent.stop()
        master.stop()


def test_registry_forgets_agents_unreachable_longer_than_max_agent_age(tmp_path: Path) -> None:
    """Mesos's registry GC: --registry_max_agent_age (default 2weeks) bounds the unreachable
    list; a recovered registry keeps fresh entries and drops old ones."""
    registry_file = tmp_path / "master" / "registry"
    registry_file.parent.mkdir(parents=True)
    day_ns = 86400 * 10**9
    now_ns = time.time_ns()
    unreachable = [
        {"id": {"value": "old-S0"}, "timestamp": {"nanoseconds": now_ns - 15 * day_ns}},
        {"id": {"value": "fresh-S1"}, "timestamp": {"nanoseconds": now_ns - day_ns}},
    ]
    registry_file.write_text(
        json.dumps({"slaves": {"slaves": []}, "unreachable": {"slaves": unreachable}})
    )
    master, port = start_master(tmp_path)
    try:
        wait_until(lambda: is_elected(f"http://127.0.0.1:{port}"), 10, "election")
        wait_for_registry_file(registry_file, [], ["fresh-S1"])
        metrics = get_json(f"http://127.0.0.1:{port}", "/metrics/snapshot")
        assert metrics["master/slaves_unreachable"] == 1
    finally:
        master.stop()


def test_corrupt_registry_fails_recovery_at_once(tmp_path: Path) -> None:
    registry_file = tmp_path / "master" / "registry"
    registry_file.parent.mkdir(parents=True)
    registry_file.write_text("{not json")
    master, _ = start_master(tmp_path, wait=False)
    assert master.process.wait(timeout=10) == 1
    assert "Recovery failed" in master.output()
    assert f"{registry_file} is not valid JSON" in master.output()


def test_in_memory_registry_forgets_agents_on_restart(tmp_path: Path) -> None:
    """--registry=in_memory keeps Mesos's meaning: a restarted master recovers nobody."""
    flags = ("--registry=in_memory", "--agent_reregister_timeout=3secs")
    master, port = start_master(tmp_path, *flags)
    url = f"http://127.0.0.1:{port}"
    agent, _ = start_agent(tmp_path, f"127.0.0.1:{port}", "--resources=cpus:1;mem:256")
    try:
        wait_for_agents(url, 1)
        os.kill(agent.process.pid, signal.SIGSTOP)
        master.stop(signal.SIGKILL)
        master, _ = start_master(tmp_path, *flags, port=port)
        wait_until(lambda: is_elected(url), 10, "the restarted master's election")
        state = get_json(url, "/master/state")
        assert (state["recovered_slaves"], state["slaves"]) == ([], [])
        assert not (tmp_path / "master" / "registry").exists()
    finally:
        agent.resume_if_alive()
        agent.stop()
        master.stop()


def ha_masters(
    zookeeper: ZooKeeperServer, directory: Path, zk_path: str, session_timeout: str
) -> tuple[list[tuple[Daemon, int]], Daemon, tuple[str, ...]]:
    """Two masters (the first leads) and one agent, through ZooKeeper; quorum 1, so that
    either master alone can recover the registry."""
    zk_url = f"zk://{zookeeper.hosts}{zk_path}"
    flags = (
        f"--zk={zk_url}",
        "--quorum=1",
        "--allocation_interval=200ms",
        f"--zk_session_timeout={session_timeout}",
    )
    first = start_master(directory / "m1", *flags)
    wait_until(lambda: is_elected(f"http://127.0.0.1:{first[1]}"), 10, "the first master")
    second = start_master(directory / "m2", *flags)
    agent, _ = start_agent(directory, zk_url, "--resources=cpus:1;mem:256")
    wait_for_agents(f"http://127.0.0.1:{first[1]}", 1)
    return [first, second], agent, flags


def test_zookeeper_blip_shorter_than_the_session_keeps_the_leader(
    restartable_zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    # The blip lasts from the stop until the restarted JVM serves again, seconds on a loaded
    # machine; the session timeout leaves room for that, so the blip is really shorter.
    session_timeout = 10.0
    masters, agent, _ = ha_masters(
        restartable_zookeeper, tmp_path, "/mesos-blip", f"{session_timeout:g}secs"
    )
    leader_url = f"http://127.0.0.1:{masters[0][1]}"
    try:
        restartable_zookeeper.stop()
        stopped = time.monotonic()
        time.sleep(0.5)
        restart_zookeeper(restartable_zookeeper)
        blip = time.monotonic() - stopped
        assert blip < session_timeout / 2, f"ZooKeeper took {blip:.1f}s to come back"
        # Past the session timeout: a lost session would show by now.
        time.sleep(max(0.0, session_timeout + 1 - (time.monotonic() - stopped)))
        assert all(daemon.alive() for daemon, _ in masters)
        assert is_elected(leader_url)
        assert not is_elected(f"http://127.0.0.1:{masters[1][1]}")
        assert "committing suicide" not in masters[0][0].output()
        wait_for_agents(leader_url, 1)
        # Closing the session on SIGTERM is a clean shutdown, not a lost candidacy.
        assert masters[0][0].stop() == 0
    finally:
        agent.stop()
        for daemon, _ in masters:
            daemon.stop()


def test_zookeeper_outage_longer_than_the_session_costs_the_leader_only(
    restartable_zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    """The leader exits non-zero ("committing suicide", for its supervisor to restart it)
    about one session timeout after ZooKeeper went away; the standby keeps running. Once
    ZooKeeper and the old leader are back, a leader is elected and the agent re-registers."""
    masters, agent, flags = ha_masters(restartable_zookeeper, tmp_path, "/mesos-outage", "2secs")
    (leader, leader_port), (standby, standby_port) = masters
    try:
        restartable_zookeeper.stop()
        stopped = time.monotonic()
        leader.process.wait(timeout=10)
        exited_after = time.monotonic() - stopped
        assert leader.process.returncode == 1
        assert "Lost candidacy as a leader" in leader.output()
        assert "committing suicide!" in leader.output()
        assert 1.5 <= exited_after <= 4, f"leader exited {exited_after:.1f}s after ZooKeeper"
        time.sleep(1)
        assert standby.alive(), standby.output()[-2000:]

        restart_zookeeper(restartable_zookeeper)
        masters[0] = start_master(tmp_path / "m1", *flags, port=leader_port)  # the supervisor
        urls = [f"http://127.0.0.1:{port}" for port in (leader_port, standby_port)]
        new_leader = wait_until(
            lambda: next((url for url in urls if is_elected(url)), None), 20, "a new leader"
        )
        assert standby.alive()
        wait_for_agents(new_leader, 1)
        registry = read_zk_registry(restartable_zookeeper.hosts, "/mesos-outage")
        assert len(admitted_ids(registry)) == 1
        assert get_json(new_leader, "/master/state")["recovered_slaves"] == []
    finally:
        agent.stop()
        for daemon, _ in masters:
            daemon.stop()


def test_paused_leader_is_deposed_and_exits_when_it_resumes(
    restartable_zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    """A leader frozen longer than the session timeout (SIGSTOP: no chance to notice) loses
    its ZooKeeper session; the standby takes over and writes the registry. Resumed, the old
    leader must not go on leading: it exits 1 ("committing suicide")."""
    masters, agent, _ = ha_masters(restartable_zookeeper, tmp_path, "/mesos-paused", "2secs")
    (old, _), (standby, standby_port) = masters
    standby_url = f"http://127.0.0.1:{standby_port}"
    try:
        os.kill(old.process.pid, signal.SIGSTOP)
        wait_until(lambda: is_elected(standby_url), 15, "the standby's election")
        wait_for_agents(standby_url, 1)
        os.kill(old.process.pid, signal.SIGCONT)
        assert old.process.wait(timeout=10) == 1
        assert "committing suicide!" in old.output()
        assert is_elected(standby_url) and standby.alive()
        registry = read_zk_registry(restartable_zookeeper.hosts, "/mesos-paused")
        assert registry["master"]["info"]["port"] == standby_port
        assert len(admitted_ids(registry)) == 1
    finally:
        old.resume_if_alive()
        agent.stop()
        for daemon, _ in masters:
            daemon.stop()


def standby_master(leader_port: int, leader_still_there: bool) -> Leadership:
    config = master_config("--hostname=standby")
    master = Leadership(config)
    master.leader_info = {"hostname": "leader", "port": leader_port, "pid": "master@x:1"}

    async def check() -> bool:
        return leader_still_there

    master.leader_check = check
    return master


@pytest.mark.parametrize("still_there", [True, False])
def test_standby_redirects_only_to_a_leader_that_still_holds_its_node(still_there: bool) -> None:
    """Watches arrive late: a standby must not send clients (pymesos follows a 307 and never
    comes back) to a leader whose ZooKeeper node is already gone; it answers 503 instead."""
    master = standby_master(5051, still_there)
    answer: CallError = asyncio.run(master.redirect_to_current_leader("/api/v1/scheduler"))
    if still_there:
        assert (answer.status, answer.headers) == (
            307,
            {"Location": "//leader:5051/api/v1/scheduler"},
        )
    else:
        assert (answer.status, answer.message) == (503, "No leader elected")
    master.recovering = True
    answer = asyncio.run(master.redirect_to_current_leader("/api/v1/scheduler"))
    assert (answer.status, answer.message) == (503, "Master has not finished recovery")


def resubscribe(url: str, info: dict[str, Any], framework_id: str | None) -> str:
    """What a scheduler that re-subscribes at once finds at `url`."""
    probe = SchedulerSession(url, info, framework_id=framework_id)
    try:
        probe.subscribe(timeout=5)
    except AssertionError as error:
        return str(error)  # "SUBSCRIBE answered <status>: ..."
    except OSError:
        return "refused"
    probe.close()
    return "subscribed"


def test_sigterm_leader_stops_leading_before_closing_streams(
    restartable_zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    """SIGTERM: the master stops leading (503 to every call) and withdraws from ZooKeeper
    before it closes the streams, so a framework that re-subscribes as soon as its stream
    closes cannot re-attach to the dying master; the standby takes it."""
    masters, agent, _ = ha_masters(restartable_zookeeper, tmp_path, "/mesos-sigterm", "2secs")
    (old, old_port), (_, standby_port) = masters
    old_url, standby_url = f"http://127.0.0.1:{old_port}", f"http://127.0.0.1:{standby_port}"
    info = framework_info("ha-sigterm", failover_timeout=60.0)
    session = SchedulerSession(old_url, info)
    again: SchedulerSession | None = None
    try:
        session.subscribe()
        old.process.send_signal(signal.SIGTERM)
        with pytest.raises(AssertionError):  # returns the moment the stream closes
            session.wait_for(lambda event: False, 10)
        assert session.closed
        found = resubscribe(old_url, info, session.framework_id)
        assert found == "refused" or "answered 503" in found, found
        wait_until(lambda: is_elected(standby_url), 10, "the standby's election")
        again = SchedulerSession(standby_url, info, framework_id=session.framework_id)
        again.subscribe()
        assert old.process.wait(timeout=10) == 0
    finally:
        if again is not None:
            again.teardown()
        session.close()
        agent.stop()
        for daemon, _ in masters:
            daemon.stop()


def test_registry_needs_a_quorum_of_masters(
    restartable_zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    """As Mesos's replicated log: with --quorum=2 the last of two masters is elected but cannot
    recover the registry; after --registry_fetch_timeout it exits ("Recovery failed")."""
    zk_url = f"zk://{restartable_zookeeper.hosts}/mesos-quorum"
    flags = (
        f"--zk={zk_url}",
        "--quorum=2",
        "--zk_session_timeout=2secs",
        "--registry_fetch_timeout=2secs",
    )
    first, first_port = start_master(tmp_path / "m1", *flags)
    second, _ = start_master(tmp_path / "m2", *flags)
    try:
        wait_until(lambda: is_elected(f"http://127.0.0.1:{first_port}"), 10, "the first master")
        first.stop(signal.SIGKILL)
        assert second.process.wait(timeout=15) == 1
        output = second.output()
        assert "Elected as the leading master!" in output
        assert "Recovery failed: Failed to recover registrar" in output
        assert "only 1 of the --quorum=2 masters the registry needs are up" in output
    finally:
        first.stop()
        second.stop()
