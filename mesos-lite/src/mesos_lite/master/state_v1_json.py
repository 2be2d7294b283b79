"""The master's state in the v1 operator API's forms (GET_STATE and its parts, GET_MASTER,
GET_ROLES, and the objects of the operator event stream)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mesos_lite.master.master import Master
from mesos_lite.master.model import Agent, Framework
from mesos_lite.master.state import MasterState
from mesos_lite.protocol import framework_roles, wrap
from mesos_lite.resources import Resources


def time_info(seconds: float | None) -> dict[str, int]:
    return {"nanoseconds": int((seconds or 0.0) * 1e9)}


def agent_v1(agent: Agent, marks: dict[str, Any] | None = None) -> dict[str, Any]:
    marks = marks or {}
    body: dict[str, Any] = {
        "agent_info": agent.info_json(),
        "active": agent.active,
        "deactivated": bool(marks.get("deactivated")),
        "version": agent.version,
        "pid": agent.pid,
        "registered_time": time_info(agent.registered_time),
        "total_resources": agent.total.to_json(),
        "allocated_resources": agent.used.to_json(),
        "offered_resources": agent.offered.to_json(),
        "capabilities": [{"type": c} for c in agent.capabilities],
    }
    if agent.reregistered_time is not None:
        body["reregistered_time"] = time_info(agent.reregistered_time)
    if "drain_info" in marks:
        body["drain_info"] = marks["drain_info"]
        if "drain_started" in marks:
            body["estimated_drain_start_time"] = time_info(marks["drain_started"])
    return body


def get_agents(state: MasterState) -> dict[str, Any]:
    agents = [agent_v1(a, state.operator_marks.get(a.id)) for a in state.agents.values()]
    return {"agents": agents, "recovered_agents": list(state.recovered_agents.values())}


def framework_v1(master: Master, framework: Framework) -> dict[str, Any]:
    offered = Resources()
    for offer in framework.offers.values():
        offered = offered + offer.resources
    body: dict[str, Any] = {
        "framework_info": framework.info,
        "active": framework.active,
        "connected": framework.connected,
        "recovered": framework.recovered,
        "registered_time": time_info(framework.registered_time),
        "offers": [
            master.allocator.offer_json(o)
            for o in framework.offers.values()
            if o.agent_id in master.state.agents
        ],
        "inverse_offers": [],
        "allocated_resources": framework.allocated.to_json(),
        "offered_resources": offered.to_json(),
    }
    if framework.reregistered_time is not None:
        body["reregistered_time"] = time_info(framework.reregistered_time)
    return body


def get_frameworks(master: Master) -> dict[str, Any]:
    state = master.state
    return {
        "frameworks": [framework_v1(master, f) for f in state.frameworks.values()],
        "completed_frameworks": [framework_v1(master, f) for f in state.completed_frameworks],
    }


def get_tasks(state: MasterState) -> dict[str, Any]:
    tasks: list[dict[str, Any]] = []
    completed: list[dict[str, Any]] = []
    for framework in [*state.frameworks.values(), *state.completed_frameworks]:
        tasks.extend(t.to_v1() for t in framework.tasks.values())
        completed.extend(t.to_v1() for t in framework.completed_tasks)
    return {
        "pending_tasks": [],
        "tasks": tasks,
        "unreachable_tasks": [],
        "completed_tasks": completed,
        "orphan_tasks": [],
    }


def get_executors(state: MasterState) -> dict[str, Any]:
    executors = []
    for framework in state.frameworks.values():
        for (agent_id, _executor_id), info in framework.executors.items():
            executors.append({"executor_info": info, "agent_id": wrap(agent_id)})
    return {"executors": executors, "orphan_executors": []}


def get_roles(
    state: MasterState, weights: Mapping[str, float] | None = None, quota_roles: Iterable[str] = ()
) -> dict[str, Any]:
    """Roles known to the master: those of frameworks, and those given a weight or quota."""
    weights = weights or {}
    roles: dict[str, list[str]] = {role: [] for role in [*weights, *quota_roles]}
    for framework in state.frameworks.values():
        for role in framework_roles(framework.info):
            roles.setdefault(role, []).append(framework.id)
    return {
        "roles": [
            {
                "name": name,
                "weight": weights.get(name, 1.0),
                "frameworks": [wrap(f) for f in ids],
            }
            for name, ids in sorted(roles.items())
        ]
    }


def get_state(master: Master) -> dict[str, Any]:
    state = master.state
    return {
        "get_tasks": get_tasks(state),
        "get_executors": get_executors(state),
        "get_frameworks": get_frameworks(master),
        "get_agents": get_agents(state),
    }


def get_master(master: Master) -> dict[str, Any]:
    leadership = master.leadership
    body: dict[str, Any] = {
        "master_info": leadership.master_info(),
        "start_time": leadership.start_time,
    }
    if leadership.elected_time is not None:
        body["elected_time"] = leadership.elected_time
    return body
