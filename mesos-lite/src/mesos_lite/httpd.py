"""HTTP plumbing shared by master and agent: JSON bodies, Mesos-style errors, event streams."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mesos_lite import protobuf_wire, recordio, validation
from mesos_lite.json_text import dumps
from mesos_lite.routing import endpoint_path

logger = logging.getLogger(__name__)

JSON = "application/json"
PROTOBUF = "application/x-protobuf"
RECORDIO = "application/recordio"


class CallError(Exception):
    """A call that Mesos answers with an HTTP error status and a plain-text message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self) -> web.Response:
        return web.Response(
            status=self.status, text=self.message, content_type="text/plain", headers=self.headers
        )


def json_response(body: Any, status: int = 200) -> web.Response:
    return json_text_response(dumps(body), status)


def json_text_response(text: str, status: int = 200) -> web.Response:
    """A body already encoded as JSON text."""
    return web.Response(status=status, text=text, content_type=JSON)


NOT_ACCEPTABLE = f"Expecting 'Accept' to allow '{PROTOBUF}' or '{JSON}'"


async def read_json_call(request: web.Request, what: str) -> dict[str, Any]:
    """The body of a call on an endpoint that speaks JSON only (the agent link)."""
    return await read_call(request, what, None)


async def read_call(request: web.Request, what: str, wire: str | None) -> dict[str, Any]:
    """The body of a v1 API call, JSON or (when `wire` names the endpoint's protobuf
    message) protobuf, checked as Mesos checks it (method, content type, the message), as
    the JSON-shaped dict the handlers read."""
    if request.method != "POST":
        raise CallError(405, f"Expecting one of {{ 'POST' }}, but received '{request.method}'")
    content_type = request.headers.get("Content-Type")
    if content_type is None:
        raise CallError(400, "Expecting 'Content-Type' to be present")
    # Mesos compares the header exactly (no parameters, case-sensitive).
    if content_type == PROTOBUF and wire is None:
        raise CallError(415, f"Expecting 'Content-Type' of {JSON}")
    if content_type not in (JSON, PROTOBUF):
        raise CallError(415, f"Expecting 'Content-Type' of {JSON} or {PROTOBUF}")
    try:
        raw = await request.read()
    except web.HTTPException:
        raise
    except Exception as error:  # aiohttp's decoders (a Content-Encoding that lies) raise many
        logger.info("Refusing %s body: %r", request.path, error)
        raise CallError(400, f"Failed to decode body: {error}") from None
    kind = validation.call_kind(endpoint_path(request))
    if content_type == PROTOBUF and wire is not None:
        return _protobuf_call(raw, what, wire, kind, request.path)
    try:
        body = validation.parse_json_object(raw, what)
        validation.check_call(body, kind, what)
    except (validation.ParseError, validation.ValidateError) as problem:
        raise CallError(400, str(problem)) from None
    return body


def _protobuf_call(raw: bytes, what: str, wire: str, kind: str, path: str) -> dict[str, Any]:
    """As Mesos: a body ParseFromString refuses (malformed, or a required field missing) is
    "Failed to parse body into Call protobuf"; then the same validation as JSON calls."""
    try:
        body = protobuf_wire.decode(raw, wire)
        validation.check_call(body, kind, what)
    except (protobuf_wire.WireError, validation.ParseError) as problem:
        logger.info("Refusing protobuf %s body: %s", path, problem)
        raise CallError(400, f"Failed to parse body into {what} protobuf") from None
    except validation.ValidateError as problem:
        raise CallError(400, str(problem)) from None
    return body


def accepts_media_type(request: web.Request, media_type: str) -> bool:
    """libprocess's Request::acceptsMediaType: no Accept header accepts everything; else
    the first of 'type/subtype', 'type/*', '*/*' listed decides, by its q value (> 0)."""
    accept = request.headers.get("Accept")
    if accept is None:
        return True
    accept = accept.replace(" ", "").replace("\t", "").replace("\n", "")
    major = media_type.split("/", maxsplit=1)[0]
    for candidate in (media_type, f"{major}/*", "*/*"):
        for entry in (e for e in accept.split(",") if e):
            tokens = [t for t in entry.split(";") if t]
            if not tokens or tokens[0].lower() != candidate:
                continue
            pairs = [p.split("=") for p in tokens[1:]]
            q = [p[1] for p in pairs if len(p) == 2 and p[0] == "q"]
            if len(q) != 1:
                return True
            try:
                return float(q[0]) > 0
            except ValueError:
                return False
    return False


def response_media_type(request: web.Request) -> str:
    """The content type of the answer: JSON if the client accepts it, else protobuf, else
    406 (Mesos's order, in its scheduler, executor and operator handlers)."""
    if accepts_media_type(request, JSON):
        return JSON
    if accepts_media_type(request, PROTOBUF):
        return PROTOBUF
    raise CallError(406, NOT_ACCEPTABLE)


def call_response(body: dict[str, Any], media_type: str, wire: str) -> web.Response:
    """A v1 API response (`wire` names its protobuf message) in `media_type`."""
    if media_type == PROTOBUF:
        return web.Response(body=protobuf_wire.encode(body, wire), content_type=PROTOBUF)
    return json_response(body)


def in_media_type(response: web.StreamResponse, media_type: str, wire: str) -> web.StreamResponse:
    """A handler's JSON answer in the negotiated `media_type`: call handlers build JSON
    bodies (their tests read them), the API answers in what the client accepts."""
    if (
        media_type == PROTOBUF
        and isinstance(response, web.Response)
        and response.status == 200
        and response.content_type == JSON
        and isinstance(response.body, bytes)
    ):
        return call_response(json.loads(response.body), media_type, wire)
    return response


# How often dropped connections of open event streams are noticed.
DISCONNECT_CHECK_SECONDS = 0.5
# A subscriber that does not read its events is dropped (its connection closed), as Mesos drops
# a stream it cannot write to; the master then treats it as any closed connection (a
# framework's failover timeout starts). Not reading: more than MAX_BACKLOG_BYTES of events wait
# for it and its last write has been blocked (the socket full) for STALL_SECONDS. A burst to a
# client that keeps reading (10,000 RUN_TASKs to one agent) may queue more, up to
# HARD_MAX_BACKLOG_BYTES; one event larger than the backlog bound is still sent whole.
MAX_BACKLOG_BYTES = 8 * 1024 * 1024
STALL_SECONDS = 10.0
HARD_MAX_BACKLOG_BYTES = 16 * MAX_BACKLOG_BYTES


class EventStream:
    """A long-lived chunked response carrying RecordIO-framed events: JSON, or protobuf
    (`wire` names the event message) when `media_type` is protobuf."""

    def __init__(
        self,
        request: web.Request,
        headers: dict[str, str] | None = None,
        media_type: str = JSON,
        wire: str | None = None,
        max_backlog_bytes: int = MAX_BACKLOG_BYTES,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        self.request = request
        self._headers = headers or {}
        self.media_type = media_type
        self._wire = wire if media_type == PROTOBUF else None
        self._pending: deque[bytes] = deque()
        self._backlog = 0
        self._max_backlog = max_backlog_bytes
        self._stall_seconds = stall_seconds
        # When the write in progress started (None: no write is waiting for the socket).
        self._writing_since: float | None = None
        self._wakeup = asyncio.Event()
        self._ending = False
        self.dropped = False
        self.closed = asyncio.Event()

    def send(self, event: dict[str, Any]) -> None:
        if self.closed.is_set() or self._ending:
            return
        if self._wire is None:
            chunk = recordio.encode_json(event)
        else:
            chunk = recordio.encode(protobuf_wire.encode(event, self._wire))
        backlog = self._backlog + len(chunk)
        over = self._pending and backlog > self._max_backlog
        if over and (backlog > HARD_MAX_BACKLOG_BYTES or self._stalled()):
            self._drop()
            return
        self._pending.append(chunk)
        self._backlog += len(chunk)
        self._wakeup.set()

    def close(self) -> None:
        """Ends the stream after the events already queued."""
        self._ending = True
        self._wakeup.set()

    def connection_lost(self) -> bool:
        transport = self.request.transport
        return transport is None or transport.is_closing()

    def _stalled(self) -> bool:
        since = self._writing_since
        return since is not None and time.monotonic() - since >= self._stall_seconds

    def _drop(self) -> None:
        logger.warning(
            "Dropping the event stream to %s: %d bytes of events are waiting for a client "
            "that does not read them",
            self.request.remote,
            self._backlog,
        )
        self.dropped = True
        self._pending.clear()
        self._backlog = 0
        self.close()
        transport = self.request.transport
        if transport is not None:
            transport.abort()  # wakes a write blocked on the full socket

    async def serve(
        self, on_open: Callable[[], Awaitable[None]] | None = None
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200, headers={"Content-Type": self.media_type, **self._headers}
        )
        response.enable_chunked_encoding()
        watch = _DisconnectWatch.of_running_loop()
        watch.streams.add(self)
        try:
            await response.prepare(self.request)
            if on_open is not None:
                await on_open()
            while True:
                if not self._pending:
                    if self._ending:
                        break
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                if self.connection_lost():
                    break
                chunk = self._pending.popleft()
                self._backlog -= len(chunk)
                self._writing_since = time.monotonic()
                await response.write(chunk)
                self._writing_since = None
            if not self.dropped:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await response.write_eof()
        except (ConnectionError, asyncio.CancelledError, RuntimeError) as error:
            logger.debug("Event stream ended: %r", error)
        finally:
            watch.streams.discard(self)
            self.closed.set()
            self._pending.clear()
        return response


class _DisconnectWatch:
    """Ends the event streams whose client went away: one check of every open stream each
    DISCONNECT_CHECK_SECONDS, rather than each stream waking up on a timeout of its own (with
    10,000 agents connected, those wake-ups alone kept the event loop busy)."""

    def __init__(self) -> None:
        self.streams: set[EventStream] = set()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of_running_loop(cls) -> _DisconnectWatch:
        loop = asyncio.get_running_loop()
        watch = _WATCHES.setdefault(loop, cls())
        if watch._task is None or watch._task.done():
            watch._task = loop.create_task(watch._check())
        return watch

    async def _check(self) -> None:
        while self.streams:
            await asyncio.sleep(DISCONNECT_CHECK_SECONDS)
            for stream in [s for s in self.streams if s.connection_lost()]:
                stream.close()


_WATCHES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _DisconnectWatch] = (
    weakref.WeakKeyDictionary()
)


def error_middleware_factory() -> Any:
    """Turns CallError into its response and any other exception into a 500, never a crash."""

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except CallError as error:
            return error.response()
        except web.HTTPException:
            raise
        except Exception as error:
            logger.exception("Internal error serving %s %s", request.method, request.path)
            return web.Response(status=500, text=f"Internal error: {error}")

    return middleware
