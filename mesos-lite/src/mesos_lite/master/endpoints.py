"""The master's operator endpoints: /master/state and friends, /metrics/snapshot, /api/v1."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity, forbidden, principal_of
from mesos_lite.build_info import version_info
from mesos_lite.httpd import CallError, EventStream, accepts_json, json_response, read_json_call
from mesos_lite.master.core import Master
from mesos_lite.master.model import Agent, Framework, Offer
from mesos_lite.master.scheduler_api import NOT_ACCEPTABLE
from mesos_lite.master.view_filter import ViewFilter
from mesos_lite.protocol import TERMINAL_STATES, framework_roles, value_of, wrap
from mesos_lite.resources import Resources, attributes_summary

logger = logging.getLogger(__name__)

# Mesos's operator event stream heartbeat (DEFAULT_HEARTBEAT_INTERVAL).
OPERATOR_HEARTBEAT_SECONDS = 15.0
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


def _time_info(seconds: float | None) -> dict[str, int]:
    return {"nanoseconds": int((seconds or 0.0) * 1e9)}


class MasterEndpoints:
    def __init__(self, master: Master, security: HttpSecurity | None = None) -> None:
        self.master = master
        self.security = security or HttpSecurity(lambda path: None)

    def routes(self) -> list[web.RouteDef]:
        get = web.get
        return [
            get("/health", self.health),
            get("/master/health", self.health),
            get("/version", self.version),
            get("/master/state", self.state),
            get("/state", self.state),
            get("/master/state.json", self.state),
            get("/state.json", self.state),
            get("/master/state-summary", self.state_summary),
            get("/master/frameworks", self.frameworks),
            get("/frameworks", self.frameworks),
            get("/master/slaves", self.slaves),
            get("/slaves", self.slaves),
            get("/master/tasks", self.tasks),
            get("/tasks", self.tasks),
            get("/master/flags", self.flags),
            get("/flags", self.flags),
            get("/master/redirect", self.redirect),
            get("/redirect", self.redirect),
            get("/metrics/snapshot", self.metrics),
            web.route("*", "/master/teardown", self.teardown),
            web.route("*", "/teardown", self.teardown),
            web.route("*", "/api/v1", self.operator_api),
        ]

    # ----- plain endpoints -----
    async def health(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def version(self, request: web.Request) -> web.Response:
        return json_response(version_info())

    async def redirect(self, request: web.Request) -> web.Response:
        location = await self.master.current_leader_location()
        if location is None:
            return web.Response(status=503, text="No leader elected")
        return web.Response(status=307, headers={"Location": location})

    async def flags(self, request: web.Request) -> web.Response:
        if not self.security.approved(request, "view_flags", None):
            return forbidden()
        return json_response({"flags": self.master.config.flags})

    async def state(self, request: web.Request) -> web.Response:
        return json_response(self._visible(request, self.state_body()))

    # ----- authorization -----
    def _view_filter(self, request: web.Request) -> ViewFilter | None:
        authorizer = self.security.authorizer
        if authorizer is None:
            return None
        return ViewFilter(self.master, authorizer, principal_of(request))

    def _visible_response(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        return json_response(self._visible(request, body))

    def _visible(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """The body without what the view_* ACLs hide from this request's principal."""
        view = self._view_filter(request)
        return body if view is None else view.master_json(body)

    async def teardown(self, request: web.Request) -> web.Response:
        """POST /master/teardown with frameworkId=<id> (form-encoded body)."""
        if not self.master.elected:
            raise await self.master.redirect_to_current_leader(request.path_qs)
        if request.method != "POST":
            raise CallError(405, f"Expecting one of {{ 'POST' }}, but received '{request.method}'")
        form = await request.post()
        framework_id = form.get("frameworkId")
        if not isinstance(framework_id, str):
            raise CallError(400, "Missing 'frameworkId' query parameter in the request body")
        self._teardown(request, framework_id)
        return web.Response(status=200)

    def _teardown(self, request: web.Request, framework_id: str) -> None:
        framework = self.master.frameworks.get(framework_id)
        if framework is None:
            raise CallError(400, "No framework found with specified ID")
        principal = framework.info.get("principal")
        if not self.security.approved(
            request, "teardown_frameworks", principal if isinstance(principal, str) else None
        ):
            raise CallError(403, "")
        logger.info("Tearing down framework %s on operator request", framework_id)
        self.master.remove_framework(framework)

    async def state_summary(self, request: web.Request) -> web.Response:
        master = self.master
        return self._visible_response(
            request,
            {
                "hostname": master.config.hostname,
                "cluster": master.config.cluster or "",
                "slaves": [
                    self._agent_json(a) | {"framework_ids": self._agent_framework_ids(a)}
                    for a in master.agents.values()
                ],
                "frameworks": [self._framework_summary(f) for f in master.frameworks.values()],
            },
        )

    async def frameworks(self, request: web.Request) -> web.Response:
        master = self.master
        return self._visible_response(
            request,
            {
                "frameworks": [self._framework_json(f) for f in master.frameworks.values()],
                "completed_frameworks": [
                    self._framework_json(f) for f in master.completed_frameworks
                ],
                "unregistered_frameworks": [],
            },
        )

    async def slaves(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "slaves": [self._agent_json(a) for a in self.master.agents.values()],
                "recovered_slaves": self._recovered_agents_json(),
            }
        )

    async def tasks(self, request: web.Request) -> web.Response:
        tasks: list[dict[str, Any]] = []
        for framework in [*self.master.frameworks.values(), *self.master.completed_frameworks]:
            tasks.extend(t.to_json() for t in framework.tasks.values())
            tasks.extend(t.to_json() for t in framework.completed_tasks)
        return self._visible_response(request, {"tasks": tasks})

    async def metrics(self, request: web.Request) -> web.Response:
        if not self.security.approved(request, "get_endpoints", "/metrics/snapshot"):
            return forbidden()
        return json_response(self.metrics_body())

    # ----- bodies -----
    def state_body(self) -> dict[str, Any]:
        master = self.master
        config = master.config
        agents = list(master.agents.values())
        body: dict[str, Any] = {
            **version_info(),
            "start_time": master.start_time,
            "id": master.id,
            "pid": master.pid,
            "hostname": config.hostname,
            "capabilities": ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"],
            "activated_slaves": sum(1 for a in agents if a.active),
            "deactivated_slaves": sum(1 for a in agents if not a.active),
            "unreachable_slaves": len(master.unreachable_agents),
            "flags": config.flags,
            "slaves": [self._agent_json(a) for a in agents],
            "recovered_slaves": self._recovered_agents_json(),
            "frameworks": [self._framework_json(f) for f in master.frameworks.values()],
            "completed_frameworks": [self._framework_json(f) for f in master.completed_frameworks],
            "orphan_tasks": [],
            "unregistered_frameworks": [],
        }
        if master.elected_time is not None:
            body["elected_time"] = master.elected_time
        if config.cluster:
            body["cluster"] = config.cluster
        if master.leader_info is not None:
            body["leader"] = master.leader_info["pid"]
            body["leader_info"] = master.leader_info
        if config.log_dir:
            body["log_dir"] = config.log_dir
        return body

    def _agent_framework_ids(self, agent: Agent) -> list[str]:
        ids = {
            f.id
            for f in self.master.frameworks.values()
            if any(t.agent_id == agent.id for t in f.tasks.values())
        }
        return sorted(ids)

    def _recovered_agents_json(self) -> list[dict[str, Any]]:
        """Agents from the registry not re-registered since the failover (Mesos's SlaveInfo
        model: id, hostname, port, attributes)."""
        return [
            {
                "id": agent_id,
                "hostname": info.get("hostname", ""),
                "port": info.get("port", 5051),
                "attributes": attributes_summary(info.get("attributes", [])),
            }
            for agent_id, info in self.master.recovered_agents.items()
        ]

    def _agent_json(self, agent: Agent) -> dict[str, Any]:
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
            "deactivated": not agent.active,
            "version": agent.version,
            "capabilities": agent.capabilities,
            "reserved_resources_full": {},
            "unreserved_resources_full": unreserved.to_json(),
            "used_resources_full": agent.used.to_json(),
            "offered_resources_full": agent.offered.to_json(),
        }
        if agent.reregistered_time is not None:
            body["reregistered_time"] = agent.reregistered_time
        return body

    def _offer_json(self, offer: Offer) -> dict[str, Any]:
        return {
            "id": offer.id,
            "framework_id": offer.framework_id,
            "slave_id": offer.agent_id,
            "resources": offer.resources.summary(),
            "allocation_info": {"role": offer.role},
        }

    def _framework_summary(self, framework: Framework) -> dict[str, Any]:
        counts = {state: 0 for state in TASK_STATE_KEYS}
        for task in framework.tasks.values():
            counts[task.state] = counts.get(task.state, 0) + 1
        used = Resources()
        for task in framework.tasks.values():
            if task.state not in TERMINAL_STATES:
                used = used + task.resources
        offered = Resources()
        for offer in framework.offers.values():
            offered = offered + offer.resources
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

    def _framework_json(self, framework: Framework) -> dict[str, Any]:
        info = framework.info
        roles = framework_roles(info)
        executors = []
        for (agent_id, _executor_id), executor_info in framework.executors.items():
            executors.append({**executor_info, "slave_id": agent_id})
        body = self._framework_summary(framework)
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
                "offers": [self._offer_json(o) for o in framework.offers.values()],
                "executors": executors,
            }
        )
        if "principal" in info:
            body["principal"] = info["principal"]
        if any(
            c.get("type") == "MULTI_ROLE"
            for c in info.get("capabilities", [])
            if isinstance(c, dict)
        ):
            body["roles"] = roles
            body.pop("role")
        if framework.reregistered_time is not None:
            body["reregistered_time"] = framework.reregistered_time
        return body

    def metrics_body(self) -> dict[str, Any]:
        master = self.master
        agents = list(master.agents.values())
        frameworks = list(master.frameworks.values())
        current: dict[str, int] = {}
        for framework in frameworks:
            for task in framework.tasks.values():
                current[task.state] = current.get(task.state, 0) + 1
        counters = master.task_counters
        totals = {
            name: sum(a.total.scalar(name) for a in agents)
            for name in ("cpus", "mem", "disk", "gpus")
        }
        used = {
            name: sum(a.used.scalar(name) for a in agents)
            for name in ("cpus", "mem", "disk", "gpus")
        }
        body: dict[str, Any] = {
            "master/elected": 1.0 if master.elected else 0.0,
            "master/uptime_secs": time.time() - master.start_time,
            "master/slaves_active": float(sum(1 for a in agents if a.active)),
            "master/slaves_inactive": float(sum(1 for a in agents if not a.active)),
            "master/slaves_connected": float(sum(1 for a in agents if a.connected)),
            "master/slaves_disconnected": float(sum(1 for a in agents if not a.connected)),
            "master/slaves_unreachable": float(len(master.unreachable_agents)),
            "master/recovery_slave_removals": float(master.recovery_agent_removals),
            "master/frameworks_active": float(sum(1 for f in frameworks if f.active)),
            "master/frameworks_inactive": float(sum(1 for f in frameworks if not f.active)),
            "master/frameworks_connected": float(sum(1 for f in frameworks if f.connected)),
            "master/frameworks_disconnected": float(sum(1 for f in frameworks if not f.connected)),
            "master/tasks_staging": float(current.get("TASK_STAGING", 0)),
            "master/tasks_starting": float(current.get("TASK_STARTING", 0)),
            "master/tasks_running": float(current.get("TASK_RUNNING", 0)),
            "master/tasks_killing": float(current.get("TASK_KILLING", 0)),
            "master/tasks_unreachable": float(current.get("TASK_UNREACHABLE", 0)),
            "master/tasks_finished": float(counters.get("TASK_FINISHED", 0)),
            "master/tasks_failed": float(counters.get("TASK_FAILED", 0)),
            "master/tasks_killed": float(counters.get("TASK_KILLED", 0)),
            "master/tasks_lost": float(counters.get("TASK_LOST", 0)),
            "master/tasks_error": float(counters.get("TASK_ERROR", 0)),
            "master/tasks_dropped": float(counters.get("TASK_DROPPED", 0)),
            "master/tasks_gone": float(counters.get("TASK_GONE", 0)),
            "master/outstanding_offers": float(sum(len(f.offers) for f in frameworks)),
            "master/messages_framework_to_executor": float(
                master.messages_counter.get("framework_to_executor", 0)
            ),
            "master/messages_executor_to_framework": float(
                master.messages_counter.get("executor_to_framework", 0)
            ),
        }
        for name in ("cpus", "mem", "disk", "gpus"):
            body[f"master/{name}_total"] = totals[name]
            body[f"master/{name}_used"] = used[name]
            body[f"master/{name}_percent"] = used[name] / totals[name] if totals[name] else 0.0
        return body

    # ----- v1 operator API -----
    async def operator_api(self, request: web.Request) -> web.StreamResponse:
        body = await read_json_call(request, "Call")
        call_type = body.get("type")
        if call_type == "SUBSCRIBE":
            return await self._operator_subscribe(request)
        if call_type == "GET_FLAGS" and not self.security.approved(request, "view_flags", None):
            return forbidden()
        if call_type == "TEARDOWN":
            return self._operator_teardown(request, body)
        handlers = {
            "GET_HEALTH": lambda: {"healthy": True},
            "GET_VERSION": lambda: {"version_info": version_info()},
            "GET_FLAGS": lambda: {
                "flags": [{"name": k, "value": v} for k, v in self.master.config.flags.items()]
            },
            "GET_METRICS": lambda: {
                "metrics": [{"name": k, "value": v} for k, v in self.metrics_body().items()]
            },
            "GET_LOGGING_LEVEL": lambda: {"level": 0},
            "GET_STATE": self._v1_state,
            "GET_AGENTS": self._v1_agents,
            "GET_FRAMEWORKS": self._v1_frameworks,
            "GET_TASKS": self._v1_tasks,
            "GET_EXECUTORS": self._v1_executors,
            "GET_ROLES": self._v1_roles,
            "GET_MASTER": self._v1_master,
        }
        if not isinstance(call_type, str):
            raise CallError(400, "Failed to validate master::Call: Expecting 'type' to be present")
        handler = handlers.get(call_type)
        if handler is None:
            if call_type in KNOWN_OPERATOR_CALLS:
                raise CallError(501, f"Call type {call_type} is not implemented by mesos-lite")
            raise CallError(
                400,
                f"Failed to parse body into Call protobuf: Failed to find enum for '{call_type}'",
            )
        result = handler()
        if isinstance(result, dict):
            result = self._visible_v1(request, call_type, result)
        return json_response({"type": call_type, call_type.lower(): result})

    def _visible_v1(
        self, request: web.Request, call_type: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        view = self._view_filter(request)
        return body if view is None else view.v1(call_type, body)

    def _operator_teardown(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        teardown = body.get("teardown")
        framework_id = value_of(teardown, "framework_id") if isinstance(teardown, dict) else None
        if framework_id is None:
            raise CallError(
                400, "Failed to validate master::Call: Expecting 'teardown' to be present"
            )
        self._teardown(request, framework_id)
        return web.Response(status=200)

    async def _operator_subscribe(self, request: web.Request) -> web.StreamResponse:
        """The operator event stream: SUBSCRIBED (with GET_STATE), then TASK_ADDED,
        TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_ADDED/UPDATED/REMOVED, HEARTBEAT."""
        if not accepts_json(request):
            raise CallError(406, NOT_ACCEPTABLE)
        stream = EventStream(request)

        def listener(kind: str, payload: Any) -> None:
            event = self._operator_event(kind, payload)
            view = self._view_filter(request)
            if event is not None and (view is None or view.event(event)):
                stream.send(event)

        async def heartbeats() -> None:
            # Unlike the scheduler stream, the first heartbeat comes one interval after
            # SUBSCRIBED.
            while True:
                await asyncio.sleep(OPERATOR_HEARTBEAT_SECONDS)
                stream.send({"type": "HEARTBEAT"})

        async def on_open() -> None:
            stream.send(
                {
                    "type": "SUBSCRIBED",
                    "subscribed": {
                        "get_state": self._visible_v1(request, "GET_STATE", self._v1_state()),
                        "heartbeat_interval_seconds": OPERATOR_HEARTBEAT_SECONDS,
                    },
                }
            )
            self.master.listeners.add(listener)
            beats.append(asyncio.get_running_loop().create_task(heartbeats()))

        beats: list[asyncio.Task[None]] = []
        try:
            return await stream.serve(on_open)
        finally:
            for beat in beats:
                beat.cancel()
            self.master.listeners.discard(listener)

    def _operator_event(self, kind: str, payload: Any) -> dict[str, Any] | None:
        if kind == "task_added":
            return {"type": "TASK_ADDED", "task_added": {"task": payload.to_v1()}}
        if kind == "task_updated":
            framework_id, status, state = payload
            return {
                "type": "TASK_UPDATED",
                "task_updated": {
                    "framework_id": wrap(framework_id),
                    "status": status,
                    "state": state,
                },
            }
        if kind == "agent_added":
            return {"type": "AGENT_ADDED", "agent_added": {"agent": self._v1_agent(payload)}}
        if kind == "agent_removed":
            return {"type": "AGENT_REMOVED", "agent_removed": {"agent_id": wrap(payload)}}
        if kind in ("framework_added", "framework_updated"):
            return {"type": kind.upper(), kind: {"framework": self._v1_framework(payload)}}
        if kind == "framework_removed":
            return {
                "type": "FRAMEWORK_REMOVED",
                "framework_removed": {"framework_info": payload.info},
            }
        return None

    def _v1_agent(self, agent: Agent) -> dict[str, Any]:
        body: dict[str, Any] = {
            "agent_info": agent.info_json(),
            "active": agent.active,
            "deactivated": not agent.active,
            "version": agent.version,
            "pid": agent.pid,
            "registered_time": _time_info(agent.registered_time),
            "total_resources": agent.total.to_json(),
            "allocated_resources": agent.used.to_json(),
            "offered_resources": agent.offered.to_json(),
            "capabilities": [{"type": c} for c in agent.capabilities],
        }
        if agent.reregistered_time is not None:
            body["reregistered_time"] = _time_info(agent.reregistered_time)
        return body

    def _v1_agents(self) -> dict[str, Any]:
        agents = [self._v1_agent(agent) for agent in self.master.agents.values()]
        return {"agents": agents, "recovered_agents": list(self.master.recovered_agents.values())}

    def _v1_framework(self, framework: Framework) -> dict[str, Any]:
        offered = Resources()
        for offer in framework.offers.values():
            offered = offered + offer.resources
        body: dict[str, Any] = {
            "framework_info": framework.info,
            "active": framework.active,
            "connected": framework.connected,
            "recovered": framework.recovered,
            "registered_time": _time_info(framework.registered_time),
            "offers": [
                self.master.offer_json(o)
                for o in framework.offers.values()
                if o.agent_id in self.master.agents
            ],
            "inverse_offers": [],
            "allocated_resources": framework.allocated.to_json(),
            "offered_resources": offered.to_json(),
        }
        if framework.reregistered_time is not None:
            body["reregistered_time"] = _time_info(framework.reregistered_time)
        return body

    def _v1_frameworks(self) -> dict[str, Any]:
        return {
            "frameworks": [self._v1_framework(f) for f in self.master.frameworks.values()],
            "completed_frameworks": [
                self._v1_framework(f) for f in self.master.completed_frameworks
            ],
        }

    def _v1_tasks(self) -> dict[str, Any]:
        tasks: list[dict[str, Any]] = []
        completed: list[dict[str, Any]] = []
        for framework in [*self.master.frameworks.values(), *self.master.completed_frameworks]:
            tasks.extend(t.to_v1() for t in framework.tasks.values())
            completed.extend(t.to_v1() for t in framework.completed_tasks)
        return {
            "pending_tasks": [],
            "tasks": tasks,
            "unreachable_tasks": [],
            "completed_tasks": completed,
            "orphan_tasks": [],
        }

    def _v1_executors(self) -> dict[str, Any]:
        executors = []
        for framework in self.master.frameworks.values():
            for (agent_id, _executor_id), info in framework.executors.items():
                executors.append({"executor_info": info, "agent_id": wrap(agent_id)})
        return {"executors": executors, "orphan_executors": []}

    def _v1_roles(self) -> dict[str, Any]:
        roles: dict[str, list[str]] = {}
        for framework in self.master.frameworks.values():
            for role in framework_roles(framework.info):
                roles.setdefault(role, []).append(framework.id)
        return {
            "roles": [
                {"name": name, "weight": 1.0, "frameworks": [wrap(f) for f in ids]}
                for name, ids in sorted(roles.items())
            ]
        }

    def _v1_state(self) -> dict[str, Any]:
        return {
            "get_tasks": self._v1_tasks(),
            "get_executors": self._v1_executors(),
            "get_frameworks": self._v1_frameworks(),
            "get_agents": self._v1_agents(),
        }

    def _v1_master(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "master_info": self.master.master_info(),
            "start_time": self.master.start_time,
        }
        if self.master.elected_time is not None:
            body["elected_time"] = self.master.elected_time
        return body


KNOWN_OPERATOR_CALLS = frozenset(
    {
        "SET_LOGGING_LEVEL",
        "LIST_FILES",
        "READ_FILE",
        "GET_OPERATIONS",
        "RESERVE_RESOURCES",
        "UNRESERVE_RESOURCES",
        "CREATE_VOLUMES",
        "DESTROY_VOLUMES",
        "GROW_VOLUME",
        "SHRINK_VOLUME",
        "GET_MAINTENANCE_STATUS",
        "GET_MAINTENANCE_SCHEDULE",
        "UPDATE_MAINTENANCE_SCHEDULE",
        "START_MAINTENANCE",
        "STOP_MAINTENANCE",
        "DRAIN_AGENT",
        "DEACTIVATE_AGENT",
        "REACTIVATE_AGENT",
        "GET_QUOTA",
        "UPDATE_QUOTA",
        "SET_QUOTA",
        "REMOVE_QUOTA",
        "GET_WEIGHTS",
        "UPDATE_WEIGHTS",
        "MARK_AGENT_GONE",
        "TEARDOWN",
    }
)
