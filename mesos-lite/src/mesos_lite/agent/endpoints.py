"""The agent's operator endpoints: /state, /health, /metrics/snapshot, /files/*, /api/v1."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from mesos_lite.agent import sandbox_files
from mesos_lite.agent.core import Agent
from mesos_lite.agent.model import ExecutorRun, FrameworkRun
from mesos_lite.agent.view_filter import AgentViewFilter
from mesos_lite.authentication import HttpSecurity, forbidden, principal_of
from mesos_lite.authorization import executor_user
from mesos_lite.build_info import version_info
from mesos_lite.httpd import CallError, json_response, read_json_call
from mesos_lite.protocol import AGENT_CAPABILITIES, TERMINAL_STATES, value_of
from mesos_lite.resources import Resources, attributes_summary, parse_resources_json

# Mesos reads at most 16 pages per /files/read request.
MAX_READ_LENGTH = 16 * 4096


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
            web.get("/files/read", self.files_read),
            web.get("/files/read.json", self.files_read),
            web.get("/files/browse", self.files_browse),
            web.get("/files/browse.json", self.files_browse),
            web.get("/files/download", self.files_download),
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
    def _attached(self) -> dict[str, tuple[str, str | None]]:
        """What the agent serves, as Mesos attaches it, each path with the authorization it
        needs: every executor run's sandbox (live and completed) ACCESS_SANDBOX, whose object
        is the user the executor runs as; --log_dir ACCESS_MESOS_LOG."""
        agent = self.agent
        roots: dict[str, tuple[str, str | None]] = {}
        for framework in [*agent.frameworks.values(), *agent.completed_frameworks]:
            framework_user = str(framework.info.get("user", ""))
            for run in [*framework.executors.values(), *framework.completed_executors]:
                user = executor_user(run.info, framework_user)
                roots[run.directory] = ("access_sandboxes", user)
        if agent.config.log_dir:
            roots[agent.config.log_dir] = ("access_mesos_logs", None)
        return roots

    @contextlib.contextmanager
    def _opened(self, request: web.Request, path: str) -> Iterator[sandbox_files.OpenedFile]:
        """Opens an attached path the caller may read: 404 when it is not attached, 403 when
        the ACLs deny the principal (as Mesos's /files answers)."""
        attached = self._attached()
        # The innermost attached directory decides, as Mesos's longest attached prefix.
        root, components = sandbox_files.attached_root(
            path, sorted(attached, key=len, reverse=True)
        )
        action, user = attached[root]
        if not self.security.approved(request, action, user):
            raise CallError(403, "")
        handle = sandbox_files.open_beneath(root, components)
        try:
            yield handle
        finally:
            handle.close()

    @staticmethod
    def _number(request: web.Request, name: str) -> int | None:
        text = request.query.get(name)
        if text is None:
            return None
        try:
            value = int(text)
        except ValueError:
            raise CallError(
                400, f"Failed to parse {name}: Failed to convert '{text}' to number.\n"
            ) from None
        if value < -1:
            raise CallError(400, f"Negative {name} provided: {value}.\n")
        return value

    async def files_read(self, request: web.Request) -> web.Response:
        """Mesos's /files/read: offset -1 (or none) asks for the size; reads are capped at
        16 pages."""
        path = sandbox_files.requested_path(request.query.get("path"))
        offset = self._number(request, "offset")
        if offset is None:
            offset = -1
        length = self._number(request, "length")
        if length == -1:
            length = None
        with self._opened(request, path) as handle:
            if handle.is_directory:
                raise CallError(400, "Cannot read a directory.\n")
            if not handle.is_regular:
                raise CallError(400, "Cannot read a file that is not a regular file.\n")
            size = handle.info.st_size
            if offset == -1:
                return json_response({"data": "", "offset": size})
            if offset >= size or length == 0:
                return json_response({"data": "", "offset": offset})
            if length is None:
                length = size - offset
            data = os.pread(handle.fd, min(length, MAX_READ_LENGTH), offset)
        return json_response({"data": data.decode("utf-8", errors="replace"), "offset": offset})

    async def files_browse(self, request: web.Request) -> web.Response:
        path = sandbox_files.requested_path(request.query.get("path"))
        with self._opened(request, path) as handle:
            if not handle.is_directory:
                return json_response([sandbox_files.entry_json(path, handle.info)])
            return json_response(sandbox_files.list_directory(path, handle))

    async def files_download(self, request: web.Request) -> web.StreamResponse:
        path = sandbox_files.requested_path(request.query.get("path"))
        with self._opened(request, path) as handle:
            if handle.is_directory:
                raise CallError(400, "Cannot download a directory.\n")
            if not handle.is_regular:
                raise CallError(400, "Cannot download a file that is not a regular file.\n")
            response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
            await response.prepare(request)
            for chunk in sandbox_files.read_chunks(handle):
                await response.write(chunk)
            await response.write_eof()
        return response

    # ----- v1 operator API -----
    async def operator_api(self, request: web.Request) -> web.Response:
        body = await read_json_call(request, "Call")
        call_type = body.get("type")
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
        if not isinstance(call_type, str):
            raise CallError(400, "Failed to validate agent::Call: Expecting 'type' to be present")
        handler = handlers.get(call_type)
        if handler is None:
            raise CallError(
                400,
                f"Failed to parse body into Call protobuf: Failed to find enum for '{call_type}'",
            )
        result = handler()
        view = self._view_filter(request)
        if view is not None and isinstance(result, dict):
            result = view.v1(call_type, result)
        return json_response({"type": call_type, call_type.lower(): result})

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
