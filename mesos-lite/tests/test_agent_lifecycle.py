"""Operator calls on agents, as Mesos 1.11 answers them: DEACTIVATE_AGENT (offers stop,
outstanding ones are rescinded), REACTIVATE_AGENT, DRAIN_AGENT (tasks killed, DRAINING then
DRAINED), MARK_AGENT_GONE (tasks TASK_GONE_BY_OPERATOR, the agent shut down and refused when
it comes back); each kept in the registry across a master restart, each authorized."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mesos_http import SchedulerSession, command_task, framework_info, get_json, post_json

from mesos_lite.testing import Daemon, start_agent, start_master, wait_for_agents, wait_until

MASTER_FLAGS = ("--allocation_interval=100ms",)
AGENT_FLAGS = (
    "--resources=cpus:1;mem:512;disk:512;ports:[31000-31009]",
    "--executor_shutdown_grace_period=1secs",
    "--registration_backoff_factor=200ms",
)


@dataclass
class Lab:
    """A master (file registry under its work_dir, so a restart keeps it) and its agents."""

    directory: Path
    master: Daemon
    port: int
    agents: list[tuple[Daemon, int]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add_agent(self, name: str) -> tuple[Daemon, int]:
        agent = start_agent(self.directory, self.url, *AGENT_FLAGS, name=name)
        self.agents.append(agent)
        return agent

    def agent_id(self, port: int) -> str:
        wait_until(
            lambda: bool(get_json(f"127.0.0.1:{port}", "/state")["id"]), 15, "agent registered"
        )
        return str(get_json(f"127.0.0.1:{port}", "/state")["id"])

    def restart_master(self) -> None:
        self.master.stop()
        self.master, _ = start_master(self.directory, *MASTER_FLAGS, port=self.port)

    def slave(self, agent_id: str) -> dict[str, Any] | None:
        slaves = get_json(self.url, "/master/slaves")["slaves"]
        return next((s for s in slaves if s["id"] == agent_id), None)

    def v1_agent(self, agent_id: str) -> dict[str, Any] | None:
        status, _, body = post_json(self.url, "/api/v1", {"type": "GET_AGENTS"})
        assert status == 200
        agents = json.loads(body)["get_agents"]["agents"]
        return next((a for a in agents if a["agent_info"]["id"]["value"] == agent_id), None)

    def registry(self) -> dict[str, Any]:
        return dict(json.loads((self.directory / "master" / "registry").read_text()))

    def wait_for_registry(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The registry file once `predicate` holds (the registrar writes in batches)."""
        wait_until(lambda: predicate(self.registry()), 10, "the registry was written")
        return self.registry()

    def call(self, call_type: str, agent_id: str, **extra: Any) -> tuple[int, bytes]:
        status, _, body = post_json(
            self.url,
            "/api/v1",
            {"type": call_type, call_type.lower(): {"agent_id": {"value": agent_id}, **extra}},
        )
        return status, body


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    master, port = start_master(tmp_path, *MASTER_FLAGS)
    lab = Lab(tmp_path, master, port)
    try:
        yield lab
    finally:
        for agent, _ in lab.agents:
            if agent.alive():
                agent.stop()
        lab.master.stop()


def aware_framework(name: str) -> dict[str, Any]:
    return framework_info(name, capabilities=[{"type": "PARTITION_AWARE"}])


def running_task(
    lab: Lab, agent_id: str, name: str, command: str = "sleep 60", **task_fields: Any
) -> tuple[SchedulerSession, str]:
    """A partition-aware framework with one command task RUNNING on the agent."""
    session = SchedulerSession(f"http://{lab.url}", aware_framework(name))
    session.subscribe()
    try:
        task_id = f"{name}-{uuid.uuid4().hex[:6]}"
        offer = session.next_offers(start=0, agent_id=agent_id)[0]
        task = {**command_task(offer, command, task_id), **task_fields}
        assert session.launch(offer, [task])[0] == 202
        session.wait_update(task_id, {"TASK_RUNNING"})
    except BaseException:
        session.close()
        raise
    return session, task_id


def offers_from(session: SchedulerSession, agent_id: str, mark: int) -> list[dict[str, Any]]:
    return [
        offer
        for event in session.events_since(mark, "OFFERS")
        for offer in event["offers"]["offers"]
        if offer["agent_id"]["value"] == agent_id
    ]


def test_deactivate_rescinds_offers_survives_restart_and_reactivate_offers_again(
    lab: Lab,
) -> None:
    _, port = lab.add_agent("a")
    agent_id = lab.agent_id(port)
    session = SchedulerSession(f"http://{lab.url}", framework_info("deactivate"))
    session.subscribe()
    try:
        offer = session.next_offers(start=0, agent_id=agent_id)[0]
        assert lab.call("DEACTIVATE_AGENT", agent_id) == (200, b"")
        # Answered once the registry holds it, as Mesos answers after its registrar.
        assert [s.get("deactivated") for s in lab.registry()["slaves"]["slaves"]] == [True]
        rescind = session.wait_for(lambda e: e["type"] == "RESCIND", 5)
        assert rescind["rescind"]["offer_id"] == offer["id"]
        mark = session.mark()
        time.sleep(1.0)
        assert offers_from(session, agent_id, mark) == []
        slave = lab.slave(agent_id)
        assert slave is not None
        assert (slave["active"], slave["deactivated"]) == (False, True)
        v1 = lab.v1_agent(agent_id)
        assert v1 is not None
        assert (v1["active"], v1["deactivated"]) == (False, True)
        assert get_json(lab.url, "/master/state")["deactivated_slaves"] == 1
    finally:
        session.close()

    lab.restart_master()
    wait_for_agents(f"http://{lab.url}", 0)
    wait_until(lambda: lab.slave(agent_id) is not None, 20, "the agent re-registered")
    slave = lab.slave(agent_id)
    assert slave is not None
    assert (slave["active"], slave["deactivated"]) == (False, True)
    session = SchedulerSession(f"http://{lab.url}", framework_info("after-restart"))
    session.subscribe()
    try:
        time.sleep(1.0)
        assert offers_from(session, agent_id, 0) == []
        mark = session.mark()
        assert lab.call("REACTIVATE_AGENT", agent_id) == (200, b"")
        session.next_offers(start=mark, agent_id=agent_id, timeout=5)
        slave = lab.slave(agent_id)
        assert slave is not None
        assert (slave["active"], slave["deactivated"]) == (True, False)
        assert lab.call("REACTIVATE_AGENT", agent_id) == (400, b"Agent is not deactivated")
    finally:
        session.close()
    assert [s.get("deactivated") for s in lab.registry()["slaves"]["slaves"]] == [None]


def test_agent_calls_answer_as_mesos_for_unknown_agents_and_bad_bodies(lab: Lab) -> None:
    assert lab.call("DEACTIVATE_AGENT", "no-such-agent") == (400, b"Unknown agent")
    assert lab.call("DRAIN_AGENT", "no-such-agent") == (400, b"Unknown agent")
    assert lab.call("REACTIVATE_AGENT", "no-such-agent") == (400, b"Agent is not deactivated")
    assert lab.call("MARK_AGENT_GONE", "no-such-agent") == (
        404,
        b"Agent 'no-such-agent' not found",
    )
    for call_type in ("DEACTIVATE_AGENT", "MARK_AGENT_GONE", "DRAIN_AGENT"):
        status, _, body = post_json(lab.url, "/api/v1", {"type": call_type, call_type.lower(): {}})
        assert status == 400
        assert f"Missing required fields: {call_type.lower()}.agent_id".encode() in body
        status, _, body = post_json(
            lab.url, "/api/v1", {"type": call_type, call_type.lower(): {"agent_id": 5}}
        )
        assert status == 400
        assert b"'agent_id'" in body
    status, body = lab.call("DRAIN_AGENT", "x", max_grace_period={"seconds": "soon"})
    assert status == 400
    assert b"'seconds'" in body
    status, body = lab.call("DRAIN_AGENT", "x", mark_gone="yes")
    assert status == 400
    assert b"'mark_gone'" in body


def test_unauthorized_principals_are_refused(tmp_path: Path) -> None:
    deny = {"principals": {"type": "ANY"}, "agents": {"type": "NONE"}}
    allow = {"principals": {"type": "ANY"}, "agents": {"type": "ANY"}}
    acls = {
        "permissive": True,
        "deactivate_agents": [deny],
        "reactivate_agents": [deny],
        "mark_agents_gone": [deny],
        "drain_agents": [allow],
    }
    master, port = start_master(tmp_path, "--registry=in_memory", f"--acls={json.dumps(acls)}")
    lab = Lab(tmp_path, master, port)
    try:
        for call_type in ("DEACTIVATE_AGENT", "REACTIVATE_AGENT", "MARK_AGENT_GONE"):
            assert lab.call(call_type, "some-agent")[0] == 403, call_type
        # Draining is allowed, but marking gone after it is not.
        assert lab.call("DRAIN_AGENT", "some-agent", mark_gone=True)[0] == 403
        assert lab.call("DRAIN_AGENT", "some-agent") == (400, b"Unknown agent")
    finally:
        master.stop()


def test_drain_kills_tasks_then_drained_and_reactivate(lab: Lab) -> None:
    _, port = lab.add_agent("b")
    agent_id = lab.agent_id(port)
    # The task ignores SIGTERM: only the grace period's end (SIGKILL) stops it.
    session, task_id = running_task(
        lab,
        agent_id,
        "drained",
        "trap '' TERM; sleep 60",
        kill_policy={"grace_period": {"nanoseconds": 30_000_000_000}},
    )
    try:
        started = time.monotonic()
        status, body = lab.call("DRAIN_AGENT", agent_id, max_grace_period={"seconds": 1})
        assert (status, body) == (200, b"")
        v1 = lab.v1_agent(agent_id)
        assert v1 is not None
        assert v1["drain_info"] == {
            "state": "DRAINING",
            "config": {"mark_gone": False, "max_grace_period": {"seconds": 1}},
        }
        assert v1["deactivated"] is True
        assert "estimated_drain_start_time" in v1
        assert lab.call("REACTIVATE_AGENT", agent_id) == (
            400,
            b"Agent is still in the DRAINING state",
        )
        killed = session.wait_update(task_id, {"TASK_KILLED", "TASK_FAILED"}, timeout=20)
        assert killed["state"] == "TASK_KILLED"
        assert killed["reason"] == "REASON_AGENT_DRAINING"
        # max_grace_period capped the task's 30s grace period.
        assert time.monotonic() - started < 15
        wait_until(
            lambda: (lab.slave(agent_id) or {}).get("drain_info", {}).get("state") == "DRAINED",
            10,
            "the agent is DRAINED",
        )
        slave = lab.slave(agent_id)
        assert slave is not None
        assert slave["active"] is False
        assert "estimated_drain_start_time_seconds" in slave
        registry = lab.wait_for_registry(
            lambda r: r["slaves"]["slaves"][0].get("drain_info", {}).get("state") == "DRAINED"
        )
        assert registry["slaves"]["slaves"][0]["deactivated"] is True

        lab.restart_master()
        wait_until(lambda: lab.slave(agent_id) is not None, 20, "the agent re-registered")
        slave = lab.slave(agent_id)
        assert slave is not None
        assert slave["drain_info"]["state"] == "DRAINED"
        assert (slave["active"], slave["deactivated"]) == (False, True)
        assert lab.call("REACTIVATE_AGENT", agent_id) == (200, b"")
        slave = lab.slave(agent_id)
        assert slave is not None
        assert "drain_info" not in slave
        assert slave["active"] is True
    finally:
        session.close()


def test_drain_with_mark_gone_ends_gone(lab: Lab) -> None:
    agent, port = lab.add_agent("c")
    agent_id = lab.agent_id(port)
    session, task_id = running_task(lab, agent_id, "drain-gone")
    try:
        assert lab.call("DRAIN_AGENT", agent_id, mark_gone=True) == (200, b"")
        final = session.wait_update(task_id, {"TASK_KILLED", "TASK_GONE_BY_OPERATOR"}, timeout=20)
        # The draining agent reports its killed task gone (the agent is about to be).
        assert final["state"] == "TASK_GONE_BY_OPERATOR"
        assert final["reason"] == "REASON_AGENT_DRAINING"
        assert final["source"] != "SOURCE_MASTER"
        wait_until(lambda: lab.slave(agent_id) is None, 10, "the drained agent is gone")
        wait_until(lambda: not agent.alive(), 15, "the gone agent shut down")
        registry = lab.wait_for_registry(lambda r: bool(r["gone"]["slaves"]))
        assert [g["id"]["value"] for g in registry["gone"]["slaves"]] == [agent_id]
        assert registry["slaves"]["slaves"] == []
    finally:
        session.close()


def test_mark_agent_gone_ends_its_tasks_and_refuses_it_back(lab: Lab) -> None:
    agent, port = lab.add_agent("d")
    agent_id = lab.agent_id(port)
    aware, task_id = running_task(lab, agent_id, "gone-aware")
    try:
        mark = aware.mark()
        assert lab.call("MARK_AGENT_GONE", agent_id) == (200, b"")
        gone = aware.wait_update(task_id, {"TASK_GONE_BY_OPERATOR", "TASK_LOST"}, start=mark)
        assert gone["state"] == "TASK_GONE_BY_OPERATOR"
        assert gone["reason"] == "REASON_AGENT_REMOVED_BY_OPERATOR"
        assert gone["source"] == "SOURCE_MASTER"
        failure = aware.wait_for(lambda e: e["type"] == "FAILURE", 5, mark)
        assert failure["failure"]["agent_id"]["value"] == agent_id
        assert lab.slave(agent_id) is None
        wait_until(lambda: not agent.alive(), 15, "the gone agent shut down")
        assert agent.process.returncode == 0
        assert lab.call("MARK_AGENT_GONE", agent_id) == (200, b"")
        # Reconciliation knows the task is gone.
        status, _ = aware.call(
            "RECONCILE",
            {"tasks": [{"task_id": {"value": task_id}, "agent_id": {"value": agent_id}}]},
        )
        assert status == 202
    finally:
        aware.close()

    assert not (lab.directory / "d" / "meta" / "slaves" / "latest").exists(), (
        "the agent shut down by the master forgot its id"
    )


def test_a_gone_agent_coming_back_is_refused_after_a_master_restart(lab: Lab) -> None:
    agent, port = lab.add_agent("e")
    agent_id = lab.agent_id(port)
    # The agent crashes; the operator marks it gone while it is away.
    agent.stop(signal.SIGKILL)
    assert lab.call("MARK_AGENT_GONE", agent_id) == (200, b"")
    lab.restart_master()
    registry = lab.wait_for_registry(lambda r: bool(r["gone"]["slaves"]))
    assert [g["id"]["value"] for g in registry["gone"]["slaves"]] == [agent_id]
    assert lab.call("MARK_AGENT_GONE", agent_id) == (200, b"")
    # It comes back with its checkpointed id: told to shut down, and not admitted.
    # (It may be gone before it answers /health: not waited for.)
    back, _ = start_agent(lab.directory, lab.url, *AGENT_FLAGS, name="e", port=port, wait=False)
    lab.agents.append((back, port))
    wait_until(lambda: not back.alive(), 20, "the returning gone agent was shut down")
    assert back.process.returncode == 0
    assert "already marked gone" in lab.master.output()
    assert "Agent asked to shut down" in back.output()
    assert lab.slave(agent_id) is None
    # Its next start is a new agent.
    again, _ = start_agent(lab.directory, lab.url, *AGENT_FLAGS, name="e", port=port)
    lab.agents.append((again, port))
    new_id = lab.agent_id(port)
    assert new_id != agent_id
