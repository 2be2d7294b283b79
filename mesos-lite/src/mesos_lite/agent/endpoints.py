"""The agent's operator endpoints: /state, /health, /metrics/snapshot, /files/*, /api/v1."""

from __future__ import annotations

import socket
import time
from typing import Any

from aiohttp import web

from mesos_lite.agent.core import Agent
from mesos_lite.agent.model import ExecutorRun, FrameworkRun
from mesos_lite.agent.view_filter import AgentViewFilter
from mesos_lite.authentication import HttpSecurity, forbidden, principal_of
from mesos_lite.authorization import executor_user
from mesos_lite.build_info import version_info
from mesos_lite.files import AGENT_LOG, Attachment, Files, log_attachment
from mesos_lite.httpd import (
    call_response,
    in_media_type,
    json_response,
    read_call,
    response_media_type,
)
from mesos_lite.logging_level import LoggingLevel
from mesos_lite.logs import AGENT_PROGRAM
from mesos_lite.operator_calls import not_implemented, validated_type
from mesos_lite.protocol import AGENT_CAPABILITIES, TERMINAL_STATES, value_of
from mesos_lite.resources import Resources, attributes_summary, parse_resources_json


def _reverse_dns(ip: object) -> str | None:
    """The master_hostname Mesos reports: the name of the master's IP as getnameinfo gives it
    (stout's net::getHostname; the IP itself when no name resolves), not its --hostname."""
    if not isinstance(ip, str) or not ip:
        return None
    try:
        return socket.getnameinfo((ip, 0), 0)[0]
    except OSError:
        return None


def _task_json(
    task: dict[str, Any], framework_id: str, executor_id: str, agent_id: str, state: str
) -> dict[str, Any]:
    try:
        resources = parse_resources_json(task.get("resources", [])).summary()
    except ValueError:
        resources = Resources().summary()
    return {
        "id": value_of(task, "task_id"),
        "name": task.get("name", ""),
        "framework_id": framework_id,
        "executor_id": executor_id,
        "slave_id": agent_id,
        "state": state,
        "resources": resources,
        "statuses": [],
    }


class AgentEndpoints:
    def __init__(self, agent: Agent, security: HttpSecurity | None = None) -> None:
        self.agent = agent
        self.security = security or HttpSecurity(lambda path: None)
        self._log = log_attachment(agent.config.log_dir, AGENT_PROGRAM)
        self.files = Files(self.security, self._attached)
        self.logging_level = LoggingLevel(self.security)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/health", self.health),
            web.get("/slave(1)/health", self.health),
            web.get("/version", self.version),
            web.get("/state", self.state),
            web.get("/state.json", self.state),
            web.get("/slave(1)/state", self.state),
            web.get("/slave(1)/state.json", self.state),
            web.get("/flags", self.flags),
            web.get("/slave(1)/flags", self.flags),
            web.get("/metrics/snapshot", self.metrics),
            *self.files.routes(),
            self.logging_level.route(),
            web.route("*", "/api/v1", self.operator_api),
        ]

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def version(self, request: web.Request) -> web.Response:
        return json_response(version_info())

    async def flags(self, request: web.Request) -> web.Response:
        if not self.security.approved(request, "view_flags", None):
            return forbidden()
        return json_response({"flags": self.agent.config.flags})

    async def state(self, request: web.Request) -> web.Response:
        body = self.state_body()
        view = self._view_filter(request)
        return json_response(body if view is None else view.state_json(body))

    async def metrics(self, request: web.Request) -> web.Response:
        if not self.security.approved(request, "get_endpoints", "/metrics/snapshot"):
            return forbidden()
        return json_response(self.metrics_body())

    def _executor_json(self, framework: FrameworkRun, run: ExecutorRun) -> dict[str, Any]:
        agent_id = self.agent.id or ""
        tasks = [
            _task_json(
                t, framework.id, run.executor_id, agent_id, run.task_states.get(tid, "TASK_STAGING")
            )
            for tid, t in run.launched_tasks.items()
        ]
        queued = [
            _task_json(t, framework.id, run.executor_id, agent_id, "TASK_STAGING")
            for t in run.queued_tasks.values()
        ]
        completed = [
            _task_json(t, framework.id, run.executor_id, agent_id, t.get("state", ""))
            for t in run.completed_tasks
        ]
        try:
            resources = parse_resources_json(run.info.get("resources", []))
        except ValueError:
            resources = Resources()
        for task in run.launched_tasks.values():
            resources = resources + parse_resources_json(task.get("resources", []))
        return {
            "id": run.executor_id,
            "name": run.info.get("name", ""),
            "source": run.info.get("source", ""),
            "framework_id": framework.id,
            "container": run.container_id,
            "directory": run.directory,
            "resources": resources.summary(),
            "role": framework.info.get("role", "*"),
            "type": "COMMAND" if run.is_command_executor else "CUSTOM",
            "tasks": tasks,
            "queued_tasks": queued,
            "completed_tasks": completed,
        }

    def _framework_json(self, framework: FrameworkRun) -> dict[str, Any]:
        info = framework.info
        return {
            "id": framework.id,
            "name": info.get("name", ""),
            "user": info.get("user", ""),
            "failover_timeout": float(info.get("failover_timeout", 0.0) or 0.0),
            "checkpoint": framework.checkpoint,
            "hostname": info.get("hostname", ""),
            "role": info.get("role", "*"),
            "executors": [self._executor_json(framework, r) for r in framework.executors.values()],
            "completed_executors": [
                self._executor_json(framework, r) for r in framework.completed_executors
            ],
        }

    def state_body(self) -> dict[str, Any]:
        agent = self.agent
        config = agent.config
        master_hostname = _reverse_dns(((agent.master_info or {}).get("address") or {}).get("ip"))
        body: dict[str, Any] = {
            **version_info(),
            "start_time": agent.start_time,
            "id": agent.id or "",
            "pid": agent.pid,
            "hostname": config.hostname,
            "capabilities": list(AGENT_CAPABILITIES),
            "resources": config.resources.summary(),
            "reserved_resources": {},
            "unreserved_resources": config.resources.summary(),
            "reserved_resources_full": {},
            "unreserved_resources_full": config.resources.to_json(),
            "attributes": attributes_summary(config.attributes),
            "flags": config.flags,
            "frameworks": [self._framework_json(f) for f in agent.frameworks.values()],
            "completed_frameworks": [self._framework_json(f) for f in agent.completed_frameworks],
        }
        if master_hostname:
            body["master_hostname"] = master_hostname
        if config.log_dir:
            body["log_dir"] = config.log_dir
        return body

    def metrics_body(self) -> dict[str, Any]:
        agent = self.agent
        states: dict[str, int] = {}
        executors = 0
        for framework in agent.frameworks.values():
            for run in framework.executors.values():
                executors += 1
                for task_id in run.launched_tasks:
                    state = run.task_states.get(task_id, "TASK_STAGING")
                    states[state] = states.get(state, 0) + 1
                states["TASK_STAGING"] = states.get("TASK_STAGING", 0) + len(run.queued_tasks)
        body: dict[str, Any] = {
            "slave/registered": 1.0 if agent.registered else 0.0,
            "slave/uptime_secs": time.time() - agent.start_time,
            "slave/frameworks_active": float(len(agent.frameworks)),
            "slave/executors_running": float(executors),
            "slave/tasks_staging": float(states.get("TASK_STAGING", 0)),
            "slave/tasks_starting": float(states.get("TASK_STARTING", 0)),
            "slave/tasks_running": float(states.get("TASK_RUNNING", 0)),
            "slave/tasks_killing": float(states.get("TASK_KILLING", 0)),
            "slave/valid_status_updates": float(agent.counters.get("status_updates", 0)),
            "slave/valid_framework_messages": float(agent.counters.get("messages_received", 0)),
            "slave/executors_registering": 0.0,
        }
        for name in ("cpus", "mem", "disk", "gpus"):
            body[f"slave/{name}_total"] = agent.config.resources.scalar(name)
        return body

    # ----- files -----
    def _attached(self) -> dict[str, Attachment]:
        """What the agent serves, as Mesos attaches it: every executor run's sandbox (live
        and completed) under its own path, readable as the access_sandboxes ACL allows for
        the user the executor runs as, and its log file as /slave/log."""
        agent = self.agent
        attached: dict[str, Attachment] = {}
        for framework in [*agent.frameworks.values(), *agent.completed_frameworks]:
            framework_user = str(framework.info.get("user", ""))
            for run in [*framework.executors.values(), *framework.completed_executors]:
                user = executor_user(run.info, framework_user)
                attached[run.directory] = Attachment(run.directory, "access_sandboxes", user)
        if self._log is not None:
            attached[AGENT_LOG] = self._log
        return attached

    # ----- v1 operator API -----
    async def operator_api(self, request: web.Request) -> web.StreamResponse:
        body = await read_call(request, "Call", "AgentOperatorCall")
        media_type = response_media_type(request)
        call_type = validated_type(body, "agent")
        if call_type == "SET_LOGGING_LEVEL":
            return in_media_type(
                self.logging_level.set_call(request, body), media_type, "AgentResponse"
            )
        if call_type == "GET_FLAGS" and not self.security.approved(request, "view_flags", None):
            return forbidden()
        handlers = {
            "GET_HEALTH": lambda: {"healthy": True},
            "GET_VERSION": lambda: {"version_info": version_info()},
            "GET_FLAGS": lambda: {
                "flags": [{"name": k, "value": v} for k, v in self.agent.config.flags.items()]
            },
            "GET_METRICS": lambda: {
                "metrics": [{"name": k, "value": v} for k, v in self.metrics_body().items()]
            },
            "GET_AGENT": lambda: {"agent_info": self.agent.agent_info()},
            "GET_LOGGING_LEVEL": self.logging_level.get_call,
            "LIST_FILES": lambda: self.files.list_files(request, body),
            "READ_FILE": lambda: self.files.read_file(request, body),
            "GET_STATE": lambda: {
                "get_tasks": self._v1_tasks(),
                "get_frameworks": {
                    "frameworks": [
                        {"framework_info": f.info} for f in self.agent.frameworks.values()
                    ]
                },
            },
            "GET_TASKS": self._v1_tasks,
            "GET_CONTAINERS": lambda: {
                "containers": [
                    {
                        "framework_id": {"value": f.id},
                        "executor_id": {"value": r.executor_id},
                        "executor_name": r.info.get("name", ""),
                        "container_id": {"value": r.container_id},
                    }
                    for f in self.agent.frameworks.values()
                    for r in f.executors.values()
                ]
            },
        }
        handler = handlers.get(call_type)
        if handler is None:
            raise not_implemented(call_type)
        result = handler()
        view = self._view_filter(request)
        if view is not None and isinstance(result, dict):
            result = view.v1(call_type, result)
        response = {"type": call_type, call_type.lower(): result}
        return call_response(response, media_type, "AgentResponse")

    def _view_filter(self, request: web.Request) -> AgentViewFilter | None:
        authorizer = self.security.authorizer
        if authorizer is None:
            return None
        return AgentViewFilter(self.agent, authorizer, principal_of(request))

    def _v1_tasks(self) -> dict[str, Any]:
        tasks: list[dict[str, Any]] = []
        completed: list[dict[str, Any]] = []
        for framework in self.agent.frameworks.values():
            for run in framework.executors.values():
                for task_id, task in run.launched_tasks.items():
                    state = run.task_states.get(task_id, "TASK_STAGING")
                    entry = {
                        "name": task.get("name", ""),
                        "task_id": task.get("task_id"),
                        "framework_id": {"value": framework.id},
                        "agent_id": {"value": self.agent.id or ""},
                        "state": state,
                        "resources": task.get("resources", []),
                    }
                    (completed if state in TERMINAL_STATES else tasks).append(entry)
        return {
            "pending_tasks": [],
            "queued_tasks": [],
            "launched_tasks": tasks,
            "terminated_tasks": [],
            "completed_tasks": completed,
        }
