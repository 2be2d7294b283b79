"""Daemon-level checks: flags (check 23), recovery, timeouts, SIGTERM, agent loss (check 21),
ZooKeeper publication, and two masters for the HA checks 19-20.

These start their own daemons (MESOS_MASTER_COMMAND / MESOS_AGENT_COMMAND choose the
binaries), so they skip when MESOS_MASTER_URL points at an external cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymesos_programs
import pytest
from conftest import start_lite_cluster
from kazoo.client import KazooClient
from mesos_http import (
    SchedulerSession,
    command_task,
    executor_task,
    framework_info,
    get_json,
    post_json,
    request,
)

from mesos_lite.testing import (
    AGENT_COMMAND,
    MASTER_COMMAND,
    Daemon,
    LoopbackCluster,
    ZooKeeperServer,
    free_port,
    resolve_command,
    start_agent,
    start_master,
    wait_for_agents,
    wait_http_ok,
)
from mesos_lite.testing import ExternalCluster as Cluster

pytestmark = pytest.mark.usefixtures("local_only")


def processes_in(directory: str) -> list[int]:
    """Pids of processes whose working directory is `directory` (an executor's sandbox)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/cwd") == directory:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def _run(
    command: list[str], *args: str, env: dict[str, str] | None = None, timeout: float = 20
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*resolve_command(command), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


# ----- check 23 and flag handling -----
@pytest.mark.parametrize("command", [MASTER_COMMAND, AGENT_COMMAND], ids=["master", "agent"])
def test_unknown_flag_exits_nonzero_naming_it(command: list[str]) -> None:
    result = _run(command, "--no_such_flag=1", "--work_dir=/tmp/x", "--master=127.0.0.1:1")
    assert result.returncode != 0
    assert "Failed to load unknown flag 'no_such_flag'" in result.stderr


def test_version_flag() -> None:
    result = _run(MASTER_COMMAND, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "mesos 1.11.0"


def test_master_needs_work_dir_for_replicated_log() -> None:
    result = _run(MASTER_COMMAND, "--ip=127.0.0.1", f"--port={free_port()}")
    assert result.returncode != 0
    assert "--work_dir needed for replicated log based registry" in result.stderr


def test_master_needs_quorum_with_zk(tmp_path: Path) -> None:
    result = _run(
        MASTER_COMMAND, "--ip=127.0.0.1", f"--work_dir={tmp_path}", "--zk=zk://127.0.0.1:1/mesos"
    )
    assert result.returncode != 0
    assert "--quorum" in result.stderr


def test_bad_boolean_and_duration_are_refused(tmp_path: Path) -> None:
    result = _run(MASTER_COMMAND, "--registry=in_memory", "--hostname_lookup=maybe")
    assert result.returncode != 0
    assert "hostname_lookup" in result.stderr
    result = _run(MASTER_COMMAND, "--registry=in_memory", "--allocation_interval=5")
    assert result.returncode != 0
    assert "allocation_interval" in result.stderr


def test_flags_from_environment_file_values_and_no_prefix(tmp_path: Path) -> None:
    port = free_port()
    cluster_file = tmp_path / "cluster"
    cluster_file.write_text("from-a-file\n")
    daemon, _ = start_master(
        tmp_path,
        f"--cluster=file://{cluster_file}",
        "--no-hostname_lookup",
        "--webui_dir=/nonexistent",
        port=port,
        wait=False,
    )
    try:
        wait_http_ok(port)
        state = get_json(f"http://127.0.0.1:{port}", "/master/state")
        assert state["cluster"] == "from-a-file"
        assert state["flags"]["hostname_lookup"] == "false"
        assert "webui_dir" in daemon.output()
    finally:
        assert daemon.stop() == 0
    env_port = free_port()
    result_env = {
        "MESOS_PORT": str(env_port),
        "MESOS_IP": "127.0.0.1",
        "MESOS_REGISTRY": "in_memory",
        "MESOS_CLUSTER": "from-env",
        "MESOS_NOT_A_FLAG": "ignored",
    }
    process = subprocess.Popen(
        resolve_command(MASTER_COMMAND),
        env={**os.environ, **result_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http_ok(env_port)
        assert get_json(f"http://127.0.0.1:{env_port}", "/master/state")["cluster"] == "from-env"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0


def test_agent_requires_master_and_work_dir() -> None:
    result = _run(AGENT_COMMAND, "--work_dir=/tmp/x")
    assert result.returncode != 0
    assert "--master" in result.stderr
    result = _run(AGENT_COMMAND, "--master=127.0.0.1:5050")
    assert result.returncode != 0
    assert "work_dir" in result.stderr


# ----- agent recovery -----
def test_agent_recovers_id_and_refuses_incompatible_resources(tmp_path: Path) -> None:
    master, master_port = start_master(tmp_path, "--allocation_interval=200ms")
    master_url = f"http://127.0.0.1:{master_port}"
    agent_port = free_port()
    work_dir = tmp_path / f"agent-{agent_port}"
    try:
        agent, _ = start_agent(
            tmp_path, f"127.0.0.1:{master_port}", "--resources=cpus:1;mem:512", port=agent_port
        )
        wait_for_agents(master_url, 1)
        first_id = get_json(master_url, "/master/state")["slaves"][0]["id"]
        assert (work_dir / "meta" / "slaves" / "latest").is_symlink()
        assert agent.stop() == 0

        agent, _ = start_agent(
            tmp_path, f"127.0.0.1:{master_port}", "--resources=cpus:1;mem:512", port=agent_port
        )
        time.sleep(1.0)
        assert get_json(f"http://127.0.0.1:{agent_port}", "/state")["id"] == first_id
        assert agent.stop() == 0

        result = _run(
            AGENT_COMMAND,
            f"--master=127.0.0.1:{master_port}",
            "--ip=127.0.0.1",
            f"--port={agent_port}",
            "--hostname=127.0.0.1",
            f"--work_dir={work_dir}",
            "--resources=cpus:2;mem:512",
            "--no-switch_user",
        )
        assert result.returncode != 0
        assert "Incompatible agent info detected" in result.stderr
        assert f"rm -f {work_dir}/meta/slaves/latest" in result.stderr

        agent, _ = start_agent(
            tmp_path,
            f"127.0.0.1:{master_port}",
            "--resources=cpus:2;mem:512",
            "--reconfiguration_policy=additive",
            port=agent_port,
        )
        time.sleep(1.0)
        assert get_json(f"http://127.0.0.1:{agent_port}", "/state")["id"] == first_id
        assert agent.stop() == 0

        (work_dir / "meta" / "slaves" / "latest").unlink()
        agent, _ = start_agent(
            tmp_path, f"127.0.0.1:{master_port}", "--resources=cpus:3;mem:512", port=agent_port
        )
        deadline = time.monotonic() + 10
        new_id = ""
        while time.monotonic() < deadline and not new_id:
            new_id = get_json(f"http://127.0.0.1:{agent_port}", "/state")["id"]
            time.sleep(0.1)
        assert new_id and new_id != first_id
        assert agent.stop() == 0
    finally:
        master.stop()


# ----- a small cluster with short timeouts -----
@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    cluster = start_lite_cluster(
        tmp_path_factory.mktemp("lab"),
        2,
        "--offer_timeout=1secs",
        "--agent_ping_timeout=1secs",
        "--max_agent_ping_timeouts=2",
        agent_flags=("--executor_registration_timeout=2secs",),
    )
    try:
        yield cluster
    finally:
        cluster.close()


def test_offer_timeout_rescinds(lab: Cluster) -> None:
    session = SchedulerSession(lab.master_url, framework_info("offer-timeout"))
    session.subscribe()
    try:
        offer = session.next_offers(start=0)[0]
        rescind = session.wait_for(lambda e: e["type"] == "RESCIND", 5)
        assert rescind["rescind"]["offer_id"]["value"]
        assert offer["id"]["value"]
    finally:
        session.teardown()


def test_executor_registration_timeout(lab: Cluster) -> None:
    session = SchedulerSession(lab.master_url, framework_info("registration-timeout"))
    session.subscribe()
    try:
        offer = session.next_offers(start=0)[0]
        status, text = session.launch(
            offer, [executor_task(offer, "sleep 60", "silent", "silent-executor")]
        )
        assert status == 202, text
        final = session.wait_update("silent", {"TASK_FAILED", "TASK_LOST"}, timeout=15)
        assert final["reason"] == "REASON_EXECUTOR_REGISTRATION_TIMEOUT"
        assert final["source"] == "SOURCE_AGENT"
    finally:
        session.teardown()


def test_failover_timeout_expiry_removes_framework(lab: Cluster) -> None:
    session = SchedulerSession(
        lab.master_url, framework_info("short-failover", failover_timeout=1.0)
    )
    session.subscribe()
    session.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = lab.state()
        if any(f["id"] == session.framework_id for f in state["completed_frameworks"]):
            return
        time.sleep(0.2)
    raise AssertionError("framework was not removed after its failover_timeout")


def test_agent_sigterm_shuts_executors_down(lab: Cluster, tmp_path: Path) -> None:
    agent, port = start_agent(
        tmp_path,
        lab.master_url.removeprefix("http://"),
        "--resources=cpus:1;mem:256",
        "--executor_shutdown_grace_period=1secs",
    )
    wait_for_agents(lab.master_url, 3)
    agent_id = get_json(f"http://127.0.0.1:{port}", "/state")["id"]
    session = SchedulerSession(lab.master_url, framework_info("sigterm"))
    session.subscribe()
    try:
        offer = session.next_offers(start=0, agent_id=agent_id, timeout=10)
        ours = next(o for o in offer if o["agent_id"]["value"] == agent_id)
        status, _ = session.launch(ours, [command_task(ours, "sleep 120", "sleeper")])
        assert status == 202
        session.wait_update("sleeper", {"TASK_RUNNING"})
        executors = get_json(f"http://127.0.0.1:{port}", "/state")["frameworks"][0]["executors"]
        directory = executors[0]["directory"]
        assert processes_in(directory), "the task is not running in its sandbox"
        assert agent.stop(signal.SIGTERM) == 0
        assert not processes_in(directory), "executor or task survived the agent's SIGTERM"
        assert Path(directory, "stdout").exists()
    finally:
        session.teardown()


def test_killed_agent_becomes_unreachable(lab: Cluster, tmp_path: Path) -> None:
    """Check 21: its tasks go TASK_LOST and it leaves activated_slaves."""
    agent, port = start_agent(
        tmp_path, lab.master_url.removeprefix("http://"), "--resources=cpus:1;mem:256"
    )
    deadline = time.monotonic() + 10
    agent_id = ""
    directory = "/nonexistent"
    while time.monotonic() < deadline and not agent_id:
        agent_id = get_json(f"http://127.0.0.1:{port}", "/state")["id"]
        time.sleep(0.1)
    session = SchedulerSession(lab.master_url, framework_info("agent-loss"))
    session.subscribe()
    try:
        offers = session.next_offers(start=0, agent_id=agent_id, timeout=10)
        ours = next(o for o in offers if o["agent_id"]["value"] == agent_id)
        status, _ = session.launch(ours, [command_task(ours, "sleep 120", "doomed")])
        assert status == 202
        session.wait_update("doomed", {"TASK_RUNNING"})
        before = lab.state()["activated_slaves"]
        executors = get_json(f"http://127.0.0.1:{port}", "/state")["frameworks"][0]["executors"]
        directory = executors[0]["directory"]
        agent.stop(signal.SIGKILL)
        lost = session.wait_update("doomed", {"TASK_LOST", "TASK_UNREACHABLE"}, timeout=30)
        assert lost["state"] == "TASK_LOST"
        session.wait_for(
            lambda e: e["type"] == "FAILURE" and e["failure"]["agent_id"]["value"] == agent_id, 10
        )
        state = lab.state()
        assert agent_id not in [a["id"] for a in state["slaves"] if a["active"]]
        assert state["activated_slaves"] == before - 1
    finally:
        session.teardown()
        # The killed agent leaves its executor behind, as a SIGKILLed Mesos agent does.
        for pid in processes_in(directory):
            os.kill(pid, signal.SIGKILL)


# ----- ZooKeeper -----
@pytest.mark.zookeeper
def test_zookeeper_publication_and_detection(zookeeper: ZooKeeperServer, tmp_path: Path) -> None:
    zk_url = f"zk://{zookeeper.hosts}/mesos"
    master, master_port = start_master(
        tmp_path, f"--zk={zk_url}", "--quorum=1", "--allocation_interval=200ms"
    )
    agents = [start_agent(tmp_path, zk_url, "--resources=cpus:1;mem:512")[0] for _ in range(2)]
    client = KazooClient(hosts=zookeeper.hosts)
    client.start()
    try:
        children = [c for c in client.get_children("/mesos") if c.startswith("json.info_")]
        assert len(children) == 1
        assert len(children[0]) == len("json.info_") + 10
        info = json.loads(client.get(f"/mesos/{children[0]}")[0])
        assert info["address"]["port"] == master_port
        assert info["address"]["ip"] == "127.0.0.1"
        assert info["pid"] == f"master@127.0.0.1:{master_port}"
        assert info["version"] == "1.11.0"
        assert client.get(f"/mesos/{children[0]}")[1].ephemeralOwner != 0
        wait_for_agents(f"http://127.0.0.1:{master_port}", 2)

        result = pymesos_programs.run_scheduler(
            zk_url, f"{sys.executable} {pymesos_programs.__file__} executor", 2, timeout=60
        )
        assert sorted(u["state"] for u in result.updates if u["state"] == "TASK_FINISHED") == [
            "TASK_FINISHED",
            "TASK_FINISHED",
        ]

        master.stop()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and [
            c for c in client.get_children("/mesos") if c.startswith("json.info_")
        ]:
            time.sleep(0.2)
        assert not [c for c in client.get_children("/mesos") if c.startswith("json.info_")]
    finally:
        client.stop()
        for agent in agents:
            agent.stop()
        master.stop()


@pytest.mark.zookeeper
def test_high_availability_redirect_and_failover(
    zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    """Checks 19 and 20: a non-leading master redirects to the leader; when the leader dies
    the other master is elected (its json.info_ node is the lowest), the agent re-registers
    and the framework re-subscribes with its id and reconciles its running task."""
    zk_url = f"zk://{zookeeper.hosts}/mesos-ha"
    # Quorum 1: with 2 the surviving master alone could not recover the registry (as Mesos).
    flags = (
        f"--zk={zk_url}",
        "--quorum=1",
        "--allocation_interval=200ms",
        "--zk_session_timeout=2secs",
    )
    first, first_port = start_master(tmp_path / "m1", *flags)
    time.sleep(0.5)
    second, second_port = start_master(tmp_path / "m2", *flags)
    agent, _ = start_agent(tmp_path, zk_url, "--resources=cpus:1;mem:512")
    leader_url = f"http://127.0.0.1:{first_port}"
    standby_url = f"http://127.0.0.1:{second_port}"
    session = SchedulerSession(leader_url, framework_info("ha", failover_timeout=120.0))
    again: SchedulerSession | None = None
    try:
        wait_for_agents(leader_url, 1)
        # Check 19: the standby redirects.
        status, headers, _ = request(standby_url, "GET", "/master/redirect")
        assert status == 307
        assert headers["Location"] == f"//127.0.0.1:{first_port}"
        subscribe = {"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info("x")}}
        status, headers, _ = post_json(standby_url, "/api/v1/scheduler", subscribe)
        assert status == 307
        assert headers["Location"] == f"//127.0.0.1:{first_port}/api/v1/scheduler"
        # So do operator calls (a standby must not take DEACTIVATE_AGENT and the like).
        status, headers, _ = post_json(standby_url, "/api/v1", {"type": "GET_AGENTS"})
        assert status == 307
        assert headers["Location"] == f"//127.0.0.1:{first_port}/api/v1"
        assert get_json(standby_url, "/metrics/snapshot")["master/elected"] == 0
        assert get_json(leader_url, "/metrics/snapshot")["master/elected"] == 1
        # Master::Http redirects what only the leader knows (state, frameworks, slaves,
        # tasks, the operator API), path and query kept; the rest answers anywhere.
        leader = f"//127.0.0.1:{first_port}"
        for path in ("/master/state", "/state", "/master/slaves", "/master/frameworks/",
                     "/master/tasks?task_id=x", "/master/state-summary"):
            status, headers, _ = request(standby_url, "GET", path)
            assert (status, headers.get("Location")) == (307, leader + path), path
        status, headers, _ = post_json(standby_url, "/api/v1", {"type": "GET_HEALTH"})
        assert (status, headers.get("Location")) == (307, leader + "/api/v1")
        for path in ("/health", "/version", "/master/flags", "/metrics/snapshot"):
            assert request(standby_url, "GET", path)[0] == 200, path

        session.subscribe()
        session.launch_running("sleep 120", "long-lived")

        # Check 20: kill the leader.
        first.stop(signal.SIGKILL)
        session.close()
        deadline = time.monotonic() + 20
        while get_json(standby_url, "/metrics/snapshot")["master/elected"] != 1:
            assert time.monotonic() < deadline, "the standby master was not elected"
            time.sleep(0.2)
        client = KazooClient(hosts=zookeeper.hosts)
        client.start()
        try:
            nodes = sorted(c for c in client.get_children("/mesos-ha") if c.startswith("json."))
            assert json.loads(client.get(f"/mesos-ha/{nodes[0]}")[0])["port"] == second_port
        finally:
            client.stop()
        wait_for_agents(standby_url, 1)
        again = SchedulerSession(standby_url, session.info, framework_id=session.framework_id)
        subscribed = again.subscribe()
        assert subscribed["subscribed"]["framework_id"]["value"] == session.framework_id
        status, _ = again.call("RECONCILE", {"tasks": [{"task_id": {"value": "long-lived"}}]})
        assert status == 202
        update = again.wait_update(
            "long-lived", {"TASK_RUNNING", "TASK_LOST", "TASK_FAILED"}, acknowledge=False
        )
        assert update["state"] == "TASK_RUNNING"
    finally:
        if again is not None:
            again.teardown()
        agent.stop()
        second.stop()
        first.stop()


class RestartableAgent:
    """One agent on a port and work_dir of its own, to crash (SIGKILL) and start again: the
    restarted agent recovers from its checkpoint."""

    def __init__(self, directory: Path, master: str, *flags: str) -> None:
        self.directory = directory
        self.master = master
        self.flags = ("--resources=cpus:1;mem:512", *flags)
        self.port = free_port()
        self.daemon = self.start()

    def start(self) -> Daemon:
        self.daemon, _ = start_agent(self.directory, self.master, *self.flags, port=self.port)
        return self.daemon

    def crash(self) -> None:
        self.daemon.stop(signal.SIGKILL)

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = get_json(f"http://127.0.0.1:{self.port}", "/state")
        return state

    def first_executor_directory(self) -> str:
        return str(self.state()["frameworks"][0]["executors"][0]["directory"])


@contextlib.contextmanager
def checkpointing_framework(
    tmp_path: Path, name: str, *agent_flags: str
) -> Iterator[tuple[SchedulerSession, RestartableAgent]]:
    """A master, one restartable agent and a subscribed checkpointing framework (its tasks
    survive an agent restart), all stopped afterwards."""
    master, master_port = start_master(tmp_path, "--allocation_interval=200ms")
    master_url = f"http://127.0.0.1:{master_port}"
    agent = RestartableAgent(tmp_path, f"127.0.0.1:{master_port}", *agent_flags)
    session = SchedulerSession(
        master_url, framework_info(name, checkpoint=True, failover_timeout=60.0)
    )
    try:
        wait_for_agents(master_url, 1)
        session.subscribe()
        yield session, agent
    finally:
        session.teardown()
        agent.daemon.stop()
        master.stop()


def test_agent_restart_recovers_checkpointed_executors(tmp_path: Path) -> None:
    """A SIGKILLed agent restarted on the same work_dir re-adopts a checkpointing
    framework's running executor: the task stays TASK_RUNNING and can still be killed."""
    with checkpointing_framework(
        tmp_path, "checkpointing", "--executor_reregistration_timeout=10secs"
    ) as (session, agent):
        session.launch_running("sleep 120", "survivor")
        directory = agent.first_executor_directory()
        agent.crash()
        assert processes_in(directory), "the executor died with the agent"
        agent.start()
        deadline = time.monotonic() + 15
        executors: list[Any] = []
        while time.monotonic() < deadline and not executors:
            frameworks = agent.state()["frameworks"]
            executors = [e for f in frameworks for e in f["executors"] if e["tasks"]]
            time.sleep(0.2)
        assert executors, "the restarted agent did not recover the executor"
        time.sleep(1.0)
        mark = session.mark()
        status, _ = session.call("RECONCILE", {"tasks": [{"task_id": {"value": "survivor"}}]})
        assert status == 202
        update = session.wait_update(
            "survivor", {"TASK_RUNNING", "TASK_LOST", "TASK_FAILED"}, start=mark, acknowledge=False
        )
        assert update["state"] == "TASK_RUNNING"
        status, _ = session.call(
            "KILL", {"task_id": {"value": "survivor"}, "agent_id": update["agent_id"]}
        )
        assert status == 202
        final = session.wait_update(
            "survivor", {"TASK_KILLED", "TASK_FAILED", "TASK_LOST"}, start=mark, timeout=20
        )
        assert final["state"] == "TASK_KILLED"


def test_recovered_executor_that_does_not_resubscribe_is_killed(tmp_path: Path) -> None:
    """An executor adopted by the restarted agent that does not subscribe again within
    --executor_reregistration_timeout (here: stopped with SIGSTOP) is killed, and its task
    fails with REASON_EXECUTOR_REREGISTRATION_TIMEOUT."""
    with checkpointing_framework(
        tmp_path, "checkpointing-stuck", "--executor_reregistration_timeout=1secs"
    ) as (session, agent):
        stopped: list[int] = []
        try:
            session.launch_running("sleep 120", "stuck")
            directory = agent.first_executor_directory()
            agent.crash()
            stopped = processes_in(directory)
            assert stopped, "the executor died with the agent"
            for pid in stopped:
                os.kill(pid, signal.SIGSTOP)
            mark = session.mark()
            agent.start()
            final = session.wait_update(
                "stuck", {"TASK_FAILED", "TASK_KILLED", "TASK_LOST"}, start=mark, timeout=20
            )
            assert final["state"] == "TASK_FAILED"
            assert final["reason"] == "REASON_EXECUTOR_REREGISTRATION_TIMEOUT"
            assert final["source"] == "SOURCE_AGENT"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and processes_in(directory):
                time.sleep(0.2)
            assert not processes_in(directory), "the agent left the executor running"
        finally:
            for pid in stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def test_unacknowledged_update_survives_agent_restart(tmp_path: Path) -> None:
    """A checkpointing framework's unacknowledged TASK_FINISHED is sent again (same uuid)
    by the agent restarted after a crash."""
    with checkpointing_framework(tmp_path, "checkpointing-updates") as (session, agent):
        session.launch_running("true", "quick")
        finished = session.wait_update("quick", {"TASK_FINISHED"}, acknowledge=False)
        agent.crash()
        mark = session.mark()
        agent.start()
        again = session.wait_for(
            lambda e: e["type"] == "UPDATE" and e["update"]["status"]["uuid"] == finished["uuid"],
            timeout=15,
            start=mark,
        )
        assert again["update"]["status"]["state"] == "TASK_FINISHED"
        status, _ = session.acknowledge(again["update"]["status"])
        assert status == 202
