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
from mesos_lite.httpd import CallError, EventStream, read_call, response_media_type
from mesos_lite.protocol import TASK_STATES, now, value_of, wrap

logger = logging.getLogger(__name__)

PARSE = "Failed to convert JSON into Call protobuf: "
VALIDATE = "Failed to validate Executor::Call: "


def _validate(body: dict[str, Any]) -> str:
    """The checks of Mesos's JSON conversion and validateExecutorCall, in its order."""
    call_type = body.get("type")  # an unknown name was dropped by the validation layer
    for field in ("framework_id", "executor_id"):
        if body.get(field) is not None and value_of(body, field) is None:
            raise CallError(400, PARSE + f"Missing required fields: {field}.value")
    if call_type is None:
        raise CallError(400, VALIDATE + "Expecting 'type' to be present")
    for field in ("executor_id", "framework_id"):
        if value_of(body, field) is None:
            raise CallError(400, VALIDATE + f"Expecting '{field}' to be present")
    inner = str(call_type).lower()
    if call_type in ("SUBSCRIBE", "UPDATE", "MESSAGE") and not isinstance(body.get(inner), dict):
        raise CallError(400, VALIDATE + f"Expecting '{inner}' to be present")
    if call_type == "UPDATE":
        _validate_update(body)
    if call_type == "MESSAGE":
        data = body["message"].get("data")
        if not isinstance(data, str):
            raise CallError(400, PARSE + "Missing required fields: message.data")
        try:
            base64.b64decode(data, validate=True)
        except (ValueError, binascii.Error):
            raise CallError(400, PARSE + "Field 'message.data' is not valid base64") from None
    return str(call_type)


def _validate_update(body: dict[str, Any]) -> None:
    status = body["update"].get("status")
    if not isinstance(status, dict):
        raise CallError(400, PARSE + "Missing required fields: update.status")
    if value_of(status, "task_id") is None:
        raise CallError(400, PARSE + "Missing required fields: update.status.task_id")
    state = status.get("state")
    if state not in TASK_STATES:
        raise CallError(400, PARSE + f"Failed to find enum for '{state}'")
    data = status.get("data")
    if data is not None and not isinstance(data, str):
        raise CallError(400, PARSE + "Field 'update.status.data' must be base64 text")
    executor_id = value_of(body, "executor_id")
    framework_id = value_of(body, "framework_id")
    raw_uuid = status.get("uuid")
    if raw_uuid is None:
        raise CallError(400, VALIDATE + "Expecting 'uuid' to be present")
    try:
        if len(base64.b64decode(str(raw_uuid), validate=True)) != 16:
            raise ValueError("uuid is not 16 bytes")
    except (ValueError, binascii.Error):
        raise CallError(400, VALIDATE + "Not a valid UUID") from None
    status_executor = value_of(status, "executor_id")
    if status_executor is not None and status_executor != executor_id:
        raise CallError(
            400,
            VALIDATE + f"ExecutorID in Call: {executor_id} does not match "
            f"ExecutorID in TaskStatus: {status_executor}",
        )
    # An unset source reads as the enum's first value, SOURCE_MASTER.
    if status.get("source", "SOURCE_MASTER") != "SOURCE_EXECUTOR":
        raise CallError(
            400,
            VALIDATE + f"Received Call from executor {executor_id} of "
            f"framework {framework_id} with invalid source, expecting "
            "'SOURCE_EXECUTOR'",
        )
    if state == "TASK_STAGING":
        raise CallError(
            400,
            VALIDATE + f"Received TASK_STAGING from executor {executor_id} "
            f"of framework {framework_id} which is not allowed",
        )


class ExecutorApi:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await read_call(request, "Call", "ExecutorCall")
        call_type = _validate(body)
        if call_type == "HEARTBEAT":
            return web.Response(status=202)
        framework = self.agent.frameworks.get(value_of(body, "framework_id") or "")
        if framework is None:
            raise CallError(400, "Framework cannot be found")
        run = framework.executors.get(value_of(body, "executor_id") or "")
        if run is None:
            raise CallError(400, "Executor cannot be found")
        if call_type == "SUBSCRIBE":
            return await self._subscribe(request, run)
        if not run.subscribed:
            raise CallError(403, "Executor is not subscribed")
        if call_type == "UNKNOWN":
            logger.warning("Received 'UNKNOWN' call")
            return web.Response(status=501)
        if call_type == "UPDATE":
            self._update(run, body["update"]["status"])
        elif call_type == "MESSAGE":
            data = body["message"]["data"]
            asyncio.get_running_loop().create_task(self.agent.executor_message(run, data))
        return web.Response(status=202)

    async def _subscribe(self, request: web.Request, run: ExecutorRun) -> web.StreamResponse:
        media_type = response_media_type(request)
        if run.terminating and run.process is not None and run.subscribed is False:
            raise CallError(400, "Executor is terminating")
        stream = EventStream(request, None, media_type, "ExecutorEvent")
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

    def _update(self, run: ExecutorRun, status: dict[str, Any]) -> None:
        full = {
            **status,
            "source": "SOURCE_EXECUTOR",
            "agent_id": wrap(self.agent.id or ""),
            "executor_id": wrap(run.executor_id),
        }
        full.setdefault("timestamp", now())
        self.agent.handle_status(run.framework_id, full, run)
