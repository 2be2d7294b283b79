"""`POST /api/v1/executor` on the agent: SUBSCRIBE, UPDATE and MESSAGE from executors."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from typing import Any

from aiohttp import web

from mesos_lite.agent.core import Agent
from mesos_lite.agent.model import ExecutorRun
from mesos_lite.httpd import CallError, EventStream, accepts_json, read_json_call
from mesos_lite.protocol import TASK_STATES, now, value_of, wrap

logger = logging.getLogger(__name__)

CALL_TYPES = ("SUBSCRIBE", "UPDATE", "MESSAGE", "UNKNOWN")
PARSE = "Failed to parse body into Call protobuf: "
VALIDATE = "Failed to validate executor::Call: "


def _validate(body: dict[str, Any]) -> str:
    call_type = body.get("type")
    if call_type is None:
        raise CallError(400, VALIDATE + "Expecting 'type' to be present")
    if call_type not in CALL_TYPES:
        raise CallError(400, PARSE + f"Failed to find enum for '{call_type}'")
    if call_type == "UNKNOWN":
        raise CallError(400, VALIDATE + "Expecting 'type' to be present")
    for field in ("framework_id", "executor_id"):
        if value_of(body, field) is None:
            if body.get(field) is not None:
                raise CallError(400, PARSE + f"Missing required field '{field}.value'")
            raise CallError(400, VALIDATE + f"Expecting '{field}' to be present")
    inner = call_type.lower()
    if call_type != "SUBSCRIBE" and not isinstance(body.get(inner), dict):
        raise CallError(400, VALIDATE + f"Expecting '{inner}' to be present")
    return str(call_type)


class ExecutorApi:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await read_json_call(request, "Call")
        call_type = _validate(body)
        framework = self.agent.frameworks.get(value_of(body, "framework_id") or "")
        if framework is None:
            raise CallError(400, "Framework cannot be found")
        run = framework.executors.get(value_of(body, "executor_id") or "")
        if run is None:
            raise CallError(400, "Executor cannot be found")
        if call_type == "SUBSCRIBE":
            return await self._subscribe(request, run)
        if call_type == "UPDATE":
            self._update(run, body["update"])
        else:
            data = body["message"].get("data")
            if not isinstance(data, str):
                raise CallError(400, PARSE + "Missing required field 'message.data'")
            try:
                base64.b64decode(data, validate=True)
            except (ValueError, binascii.Error):
                raise CallError(400, PARSE + "Field 'message.data' is not valid base64") from None
            asyncio.get_running_loop().create_task(self.agent.executor_message(run, data))
        return web.Response(status=202)

    async def _subscribe(self, request: web.Request, run: ExecutorRun) -> web.StreamResponse:
        if not accepts_json(request):
            raise CallError(
                406, "Expecting 'Accept' to allow application/json or application/x-protobuf"
            )
        if run.terminating and run.process is not None and run.subscribed is False:
            raise CallError(400, "Executor is terminating")
        stream = EventStream(request)
        heartbeat_interval = self.agent.config.http_heartbeat_interval

        async def heartbeats() -> None:
            while True:
                await asyncio.sleep(heartbeat_interval)
                stream.send({"type": "HEARTBEAT"})

        async def on_open() -> None:
            self.agent.executor_subscribed(run, stream)

        beat = asyncio.get_running_loop().create_task(heartbeats())
        try:
            return await stream.serve(on_open)
        finally:
            beat.cancel()
            self.agent.executor_unsubscribed(run, stream)

    def _update(self, run: ExecutorRun, update: dict[str, Any]) -> None:
        status = update.get("status")
        if not isinstance(status, dict):
            raise CallError(400, PARSE + "Missing required field 'update.status'")
        task_id = value_of(status, "task_id")
        if task_id is None:
            raise CallError(400, PARSE + "Missing required field 'update.status.task_id'")
        state = status.get("state")
        if state not in TASK_STATES:
            raise CallError(400, PARSE + f"Failed to find enum for '{state}'")
        if state == "TASK_STAGING":
            raise CallError(
                400,
                VALIDATE + "Received TASK_STAGING from executor "
                f"{run.executor_id} which is not allowed",
            )
        raw_uuid = status.get("uuid")
        if raw_uuid is None:
            raise CallError(400, VALIDATE + "Expecting 'uuid' to be present")
        try:
            if len(base64.b64decode(str(raw_uuid), validate=True)) != 16:
                raise ValueError("uuid is not 16 bytes")
        except (ValueError, binascii.Error):
            raise CallError(400, VALIDATE + "Failed to parse UUID") from None
        source = status.get("source", "SOURCE_EXECUTOR")
        if source != "SOURCE_EXECUTOR":
            raise CallError(
                400, VALIDATE + f"Received Call from executor {run.executor_id} with invalid source"
            )
        data = status.get("data")
        if data is not None and not isinstance(data, str):
            raise CallError(400, PARSE + "Field 'update.status.data' must be base64 text")
        full = {
            **status,
            "source": "SOURCE_EXECUTOR",
            "agent_id": wrap(self.agent.id or ""),
            "executor_id": wrap(run.executor_id),
        }
        full.setdefault("timestamp", now())
        self.agent.handle_status(run.framework_id, full, run)
