"""The master's state as its read-only v0 endpoints show it: /master/state (and its parts
in /master/state-summary, /master/frameworks, /master/slaves, /master/tasks)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from mesos_lite.build_info import version_info
from mesos_lite.json_text import EncodedItems, Parts, assemble, dumps
from mesos_lite.master.master import Master
from mesos_lite.master.model import Agent, Framework, Offer
from mesos_lite.master.state import MasterState
from mesos_lite.protocol import TERMINAL_STATES, framework_roles
from mesos_lite.resources import Resources, attributes_summary

TASK_STATE_KEYS = (
    "TASK_STAGING",
    "TASK_STARTING",
    "TASK_RUNNING",
    "TASK_KILLING",
    "TASK_FINISHED",
    "TASK_KILLED",
    "TASK_FAILED",
    "TASK_LOST",
    "TASK_ERROR",
    "TASK_UNREACHABLE",
)


def state_text(master: Master) -> str:
    """/master/state as JSON text: what `state_json` holds, encoded as `json_response`
    encodes it, from the agents' and offers' texts kept since they last changed."""
    return assemble(state_json(master, encoded=True))


def slaves_text(master: Master) -> str:
    """/master/slaves as JSON text."""
    state = master.state
    return assemble(
        Parts(
            {
                "slaves": EncodedItems(
                    agent_text(a, state.operator_marks.get(a.id)) for a in state.agents.values()
                ),
                "recovered_slaves": recovered_agents_json(state),
            }
        )
    )


def state_json(master: Master, encoded: bool = False) -> dict[str, Any]:
    """/master/state (`encoded`: agents and offers as their JSON texts, for `assemble`)."""
    state = master.state
    config = master.config
    leadership = master.leadership
    agents = list(state.agents.values())
    body: dict[str, Any] = {
        **version_info(),
        "start_time": leadership.start_time,
        "id": leadership.id,
        "pid": leadership.pid,
        "hostname": config.hostname,
        "capabilities": ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"],
        "activated_slaves": sum(1 for a in agents if a.active),
        "deactivated_slaves": sum(1 for a in agents if not a.active),
        "unreachable_slaves": len(state.unreachable_agents),
        "flags": config.flags,
        "slaves": (
            EncodedItems(agent_text(a, state.operator_marks.get(a.id)) for a in agents)
            if encoded
            else [agent_json(a, state.operator_marks.get(a.id)) for a in agents]
        ),
        "recovered_slaves": recovered_agents_json(state),
        "frameworks": [framework_json(f, encoded) for f in state.frameworks.values()],
        "completed_frameworks": [framework_json(f, encoded) for f in state.completed_frameworks],
        "orphan_tasks": [],
        "unregistered_frameworks": [],
    }
    if leadership.elected_time is not None:
        body["elected_time"] = leadership.elected_time
    if config.cluster:
        body["cluster"] = config.cluster
    if leadership.leader_info is not None:
        body["leader"] = leadership.leader_info["pid"]
        body["leader_info"] = leadership.leader_info
    if config.log_dir:
        body["log_dir"] = config.log_dir
    return Parts(body) if encoded else body


def state_summary_json(master: Master) -> dict[str, Any]:
    """/master/state-summary."""
    state = master.state
    return {
        "hostname": master.config.hostname,
        "cluster": master.config.cluster or "",
        "slaves": [
            agent_json(a, state.operator_marks.get(a.id))
            | {"framework_ids": _agent_framework_ids(state, a)}
            for a in state.agents.values()
        ],
        "frameworks": [framework_summary_json(f) for f in state.frameworks.values()],
    }


def tasks_json(state: MasterState) -> list[dict[str, Any]]:
    """/master/tasks: every task of every framework, running or completed."""
    tasks: list[dict[str, Any]] = []
    for framework in [*state.frameworks.values(), *state.completed_frameworks]:
        tasks.extend(t.to_json() for t in framework.tasks.values())
        tasks.extend(t.to_json() for t in framework.completed_tasks)
    return tasks


# Mesos's default page of /master/tasks (TASK_LIMIT in src/master/constants.hpp).
TASK_LIMIT = 100
_INT32 = 2**31


def _size_parameter(text: str | None, default: int) -> int:
    """A limit/offset as Mesos reads it: numify<int>, else the default; a negative int
    becomes a huge size_t (no limit, or an offset past the end)."""
    if text is None or not re.fullmatch(r"[+-]?[0-9]+", text):
        return default
    value = int(text)
    if not -_INT32 <= value < _INT32:
        return default
    return value if value >= 0 else value + 2**64


def queried_tasks(tasks: list[dict[str, Any]], query: Mapping[str, str]) -> list[dict[str, Any]]:
    """/master/tasks's query (Master::ReadOnlyHandler::tasks): framework_id and task_id
    select (an empty value selects none), order=asc or else descending by the first
    status's timestamp (tasks without statuses last, or first in ascending order), then
    `limit` (default TASK_LIMIT) tasks from `offset`."""
    framework_id, task_id = query.get("framework_id"), query.get("task_id")
    selected = [
        t
        for t in tasks
        if (framework_id is None or t.get("framework_id") == framework_id)
        and (task_id is None or t.get("id") == task_id)
    ]

    def first_timestamp(task: dict[str, Any]) -> tuple[bool, float]:
        statuses = task.get("statuses") or []
        return (bool(statuses), float(statuses[0].get("timestamp", 0.0)) if statuses else 0.0)

    selected.sort(key=first_timestamp, reverse=query.get("order") != "asc")
    limit = _size_parameter(query.get("limit"), TASK_LIMIT)
    offset = _size_parameter(query.get("offset"), 0)
    return selected[offset : offset + limit]


def _agent_framework_ids(state: MasterState, agent: Agent) -> list[str]:
    ids = {
        f.id
        for f in state.frameworks.values()
        if any(t.agent_id == agent.id for t in f.tasks.values())
    }
    return sorted(ids)


def recovered_agents_json(state: MasterState) -> list[dict[str, Any]]:
    """Agents from the registry not re-registered since the failover (Mesos's SlaveInfo
    model: id, hostname, port, attributes)."""
    return [
        {
            "id": agent_id,
            "hostname": info.get("hostname", ""),
            "port": info.get("port", 5051),
            "attributes": attributes_summary(info.get("attributes", [])),
        }
        for agent_id, info in state.recovered_agents.items()
    ]


def agent_json(agent: Agent, marks: dict[str, Any] | None = None) -> dict[str, Any]:
    """An agent of /master/state (with what operators did to it, see agent_lifecycle.py)."""
    body: dict[str, Any] = json.loads(agent_text(agent, marks))
    return body


def agent_text(agent: Agent, marks: dict[str, Any] | None = None) -> str:
    """An agent of /master/state as JSON text; rendered again only when the agent changed
    (10,000 agents are listed on every request; only the text is kept, not its dicts)."""
    parts = (
        marks,
        agent.total,
        agent.used,
        agent.offered,
        agent.attributes,
        agent.active,
        agent.hostname,
        agent.port,
        agent.version,
        agent.capabilities,
        agent.reregistered_time,
    )
    return agent.remembered("state_text", parts, lambda: dumps(_render_agent(agent, marks or {})))


def _render_agent(agent: Agent, marks: dict[str, Any]) -> dict[str, Any]:
    unreserved = Resources(r for r in agent.total if r.role == "*")
    reserved: dict[str, Any] = {}
    for resource in agent.total:
        if resource.role != "*":
            reserved[resource.role] = Resources(
                r for r in agent.total if r.role == resource.role
            ).summary()
    body: dict[str, Any] = {
        "id": agent.id,
        "pid": agent.pid,
        "hostname": agent.hostname,
        "port": agent.port,
        "registered_time": agent.registered_time,
        "resources": agent.total.summary(),
        "used_resources": agent.used.summary(),
        "offered_resources": agent.offered.summary(),
        "reserved_resources": reserved,
        "unreserved_resources": unreserved.summary(),
        "attributes": attributes_summary(agent.attributes),
        "active": agent.active,
        "deactivated": bool(marks.get("deactivated")),
        "version": agent.version,
        "capabilities": agent.capabilities,
        "reserved_resources_full": {},
        "unreserved_resources_full": unreserved.to_json(),
        "used_resources_full": agent.used.to_json(),
        "offered_resources_full": agent.offered.to_json(),
    }
    if agent.reregistered_time is not None:
        body["reregistered_time"] = agent.reregistered_time
    if "drain_info" in marks:
        body["drain_info"] = marks["drain_info"]
        if "drain_started" in marks:
            body["estimated_drain_start_time_seconds"] = marks["drain_started"]
    return body


def _offer_text(offer: Offer) -> str:
    """An outstanding offer of /master/state as JSON text (an offer never changes: rendered
    once)."""
    if offer.rendered is None:
        offer.rendered = dumps(
            {
                "id": offer.id,
                "framework_id": offer.framework_id,
                "slave_id": offer.agent_id,
                "resources": offer.resources.summary(),
                "allocation_info": {"role": offer.role},
            }
        )
    return offer.rendered


def framework_summary_json(framework: Framework) -> dict[str, Any]:
    counts = {state: 0 for state in TASK_STATE_KEYS}
    for task in framework.tasks.values():
        counts[task.state] = counts.get(task.state, 0) + 1
    # One bag each, summed in the same order as one addition per task / offer would.
    used = Resources(
        item
        for task in framework.tasks.values()
        if task.state not in TERMINAL_STATES
        for item in task.resources
    )
    offered = Resources(item for offer in framework.offers.values() for item in offer.resources)
    info = framework.info
    return {
        "id": framework.id,
        "name": framework.name,
        "hostname": info.get("hostname", ""),
        "webui_url": info.get("webui_url", ""),
        "active": framework.active,
        "connected": framework.connected,
        "recovered": framework.recovered,
        "used_resources": used.summary(),
        "offered_resources": offered.summary(),
        "capabilities": [
            c.get("type") for c in info.get("capabilities", []) if isinstance(c, dict)
        ],
        "slave_ids": sorted({t.agent_id for t in framework.tasks.values()}),
        **counts,
    }


def framework_json(framework: Framework, encoded: bool = False) -> dict[str, Any]:
    info = framework.info
    roles = framework_roles(info)
    executors = []
    for (agent_id, _executor_id), executor_info in framework.executors.items():
        executors.append({**executor_info, "slave_id": agent_id})
    body = framework_summary_json(framework)
    body.update(
        {
            "user": info.get("user", ""),
            "failover_timeout": float(info.get("failover_timeout", 0.0) or 0.0),
            "checkpoint": bool(info.get("checkpoint", False)),
            "role": roles[0],
            "registered_time": framework.registered_time,
            "unregistered_time": framework.unregistered_time or 0,
            "resources": body["used_resources"],
            "tasks": [t.to_json() for t in framework.tasks.values()],
            "unreachable_tasks": [],
            "completed_tasks": [t.to_json() for t in framework.completed_tasks],
            "offers": EncodedItems(_offer_text(o) for o in framework.offers.values()),
            "executors": executors,
        }
    )
    if "principal" in info:
        body["principal"] = info["principal"]
    if any(
        c.get("type") == "MULTI_ROLE" for c in info.get("capabilities", []) if isinstance(c, dict)
    ):
        body["roles"] = roles
        body.pop("role")
    if framework.reregistered_time is not None:
        body["reregistered_time"] = framework.reregistered_time
    if not encoded:
        body["offers"] = [json.loads(o) for o in body["offers"]]
        return body
    return Parts(body)
