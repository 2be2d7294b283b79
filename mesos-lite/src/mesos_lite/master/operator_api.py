"""`POST /api/v1`: the master's v1 operator API and its SUBSCRIBE event stream. A dispatcher:
calls are validated by validation.py and operator_calls.py, and handled by the parts named
below (logging_level.py, operator_files.py, agent_lifecycle_calls.py)."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity, forbidden
from mesos_lite.build_info import version_info
from mesos_lite.httpd import (
    CallError,
    EventStream,
    call_response,
    in_media_type,
    read_call,
    response_media_type,
)
from mesos_lite.logging_level import LoggingLevel
from mesos_lite.master import state_v1_json as v1
from mesos_lite.master.agent_lifecycle_calls import AgentLifecycleCalls
from mesos_lite.master.maintenance_calls import MaintenanceCalls
from mesos_lite.master.master import Master
from mesos_lite.master.metrics import metrics_json
from mesos_lite.master.operator_files import master_files
from mesos_lite.master.quota_calls import QuotaCalls
from mesos_lite.master.view_filter import view_filter_for
from mesos_lite.master.weights import WeightsCalls
from mesos_lite.operator_calls import not_implemented, validated_type
from mesos_lite.protocol import value_of, wrap

logger = logging.getLogger(__name__)

# Mesos's operator event stream heartbeat (DEFAULT_HEARTBEAT_INTERVAL).
OPERATOR_HEARTBEAT_SECONDS = 15.0


class OperatorApi:
    def __init__(self, master: Master, security: HttpSecurity) -> None:
        self.master = master
        self.security = security
        state = master.state
        self.logging_level = LoggingLevel(security)
        self.files = master_files(master, security)
        self.agent_calls = AgentLifecycleCalls(master, security)
        # Calls that act (or need the request): handler(request, body).
        self.actions: dict[str, Callable[[web.Request, dict[str, Any]], Any]] = {
            "SET_LOGGING_LEVEL": self.logging_level.set_call,
            **self.files.v1_actions(),
            **self.agent_calls.actions(),
            # Calls that change the cluster, each family in its own module.
            **MaintenanceCalls(master.maintenance, security).commands(),
            **QuotaCalls(master.quotas, security).commands(),
            **WeightsCalls(master.weights, security).commands(),
        }
        self.queries: dict[str, Callable[[], Any]] = {
            "GET_HEALTH": lambda: {"healthy": True},
            "GET_VERSION": lambda: {"version_info": version_info()},
            "GET_FLAGS": lambda: {
                "flags": [{"name": k, "value": v} for k, v in master.config.flags.items()]
            },
            "GET_METRICS": lambda: {
                "metrics": [{"name": k, "value": v} for k, v in metrics_json(master).items()]
            },
            "GET_LOGGING_LEVEL": self.logging_level.get_call,
            "GET_STATE": lambda: v1.get_state(master),
            "GET_AGENTS": lambda: v1.get_agents(state),
            "GET_FRAMEWORKS": lambda: v1.get_frameworks(master),
            "GET_TASKS": lambda: v1.get_tasks(state),
            "GET_EXECUTORS": lambda: v1.get_executors(state),
            "GET_ROLES": lambda: v1.get_roles(state, master.weights.weights, master.quotas.quotas),
            "GET_MASTER": lambda: v1.get_master(master),
        }

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.master.elected:  # Master::Http::api redirects first
            raise await self.master.leadership.redirect_to_current_leader(request.path_qs)
        body = await read_call(request, "Call", "MasterCall")
        media_type = response_media_type(request)
        call_type = validated_type(body, "master")
        if call_type == "SUBSCRIBE":
            return await self._subscribe(request, media_type)
        if call_type == "GET_FLAGS" and not self.security.approved(request, "view_flags", None):
            return forbidden()
        if call_type == "TEARDOWN":
            return self._teardown_call(request, body)
        action = self.actions.get(call_type)
        if action is not None:
            response = action(request, body)
            if inspect.isawaitable(response):
                response = await response
            return in_media_type(response, media_type, "MasterResponse")
        query = self.queries.get(call_type)
        if query is None:
            raise not_implemented(call_type)
        result = query()
        if isinstance(result, dict):
            result = self._visible(request, call_type, result)
        response = {"type": call_type, call_type.lower(): result}
        return call_response(response, media_type, "MasterResponse")

    def _visible(
        self, request: web.Request, call_type: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        view = view_filter_for(self.master.state, self.security, request)
        return body if view is None else view.v1(call_type, body)

    # ----- TEARDOWN (also /master/teardown) -----
    def _teardown_call(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        teardown = body.get("teardown")
        framework_id = value_of(teardown, "framework_id") if isinstance(teardown, dict) else None
        if framework_id is None:
            raise CallError(
                400, "Failed to validate master::Call: Expecting 'teardown' to be present"
            )
        self.teardown(request, framework_id)
        return web.Response(status=200)

    def teardown(self, request: web.Request, framework_id: str) -> None:
        framework = self.master.state.frameworks.get(framework_id)
        if framework is None:
            raise CallError(400, "No framework found with specified ID")
        principal = framework.info.get("principal")
        if not self.security.approved(
            request, "teardown_frameworks", principal if isinstance(principal, str) else None
        ):
            raise CallError(403, "")
        logger.info("Tearing down framework %s on operator request", framework_id)
        self.master.framework_lifecycle.remove(framework)

    # ----- SUBSCRIBE -----
    async def _subscribe(self, request: web.Request, media_type: str) -> web.StreamResponse:
        """The operator event stream: SUBSCRIBED (with GET_STATE), then TASK_ADDED,
        TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_ADDED/UPDATED/REMOVED, HEARTBEAT."""
        stream = EventStream(request, None, media_type, "MasterEvent")
        state = self.master.state

        def listener(kind: str, payload: Any) -> None:
            event = self._event(kind, payload)
            view = view_filter_for(state, self.security, request)
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
                        "get_state": self._visible(request, "GET_STATE", v1.get_state(self.master)),
                        "heartbeat_interval_seconds": OPERATOR_HEARTBEAT_SECONDS,
                    },
                }
            )
            state.listeners.add(listener)
            beats.append(asyncio.get_running_loop().create_task(heartbeats()))

        beats: list[asyncio.Task[None]] = []
        try:
            return await stream.serve(on_open)
        finally:
            for beat in beats:
                beat.cancel()
            state.listeners.discard(listener)

    def _event(self, kind: str, payload: Any) -> dict[str, Any] | None:
        """The operator event for a change the master's state reports."""
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
            return {"type": "AGENT_ADDED", "agent_added": {"agent": v1.agent_v1(payload)}}
        if kind == "agent_removed":
            return {"type": "AGENT_REMOVED", "agent_removed": {"agent_id": wrap(payload)}}
        if kind in ("framework_added", "framework_updated"):
            return {
                "type": kind.upper(),
                kind: {"framework": v1.framework_v1(self.master, payload)},
            }
        if kind == "framework_removed":
            return {
                "type": "FRAMEWORK_REMOVED",
                "framework_removed": {"framework_info": payload.info},
            }
        return None
