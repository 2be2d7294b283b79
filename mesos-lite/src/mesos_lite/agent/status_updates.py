"""Reliable status updates: one stream per task, in order, retried until acknowledged."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mesos_lite.protocol import value_of

logger = logging.getLogger(__name__)

# Mesos's STATUS_UPDATE_RETRY_INTERVAL_MIN / _MAX.
RETRY_INTERVAL_MIN = 10.0
RETRY_INTERVAL_MAX = 600.0

Forward = Callable[[str, dict[str, Any], str], Awaitable[bool]]
# Called with (framework id, task id, pending updates) whenever a task's stream changes.
Persist = Callable[[str, str, list[dict[str, Any]]], None]


@dataclass
class _Stream:
    framework_id: str
    task_id: str
    pending: deque[dict[str, Any]] = field(default_factory=deque)
    retry: asyncio.TimerHandle | None = None
    interval: float = RETRY_INTERVAL_MIN


class StatusUpdateManager:
    def __init__(
        self,
        forward: Forward,
        retry_interval_min: float = RETRY_INTERVAL_MIN,
        persist: Persist | None = None,
    ) -> None:
        self._forward = forward
        self._persist = persist
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._retry_min = retry_interval_min
        self.paused = True
        self._sending: set[asyncio.Task[None]] = set()

    def update(self, framework_id: str, status: dict[str, Any]) -> None:
        task_id = value_of(status, "task_id") or ""
        key = (framework_id, task_id)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(framework_id, task_id, interval=self._retry_min)
        stream.pending.append(status)
        self._save(stream)
        if len(stream.pending) == 1:
            self._send_head(stream)

    def _save(self, stream: _Stream) -> None:
        if self._persist is None:
            return
        try:
            self._persist(stream.framework_id, stream.task_id, list(stream.pending))
        except ValueError as error:  # ids.UnsafePathError: an id that is no path component
            logger.error("Not checkpointing updates of task %r: %s", stream.task_id, error)

    def acknowledge(self, framework_id: str, task_id: str, uuid: str) -> dict[str, Any] | None:
        """Pops the acknowledged update (returns it) and sends the next one of the task."""
        stream = self._streams.get((framework_id, task_id))
        if stream is None or not stream.pending:
            logger.info("Ignoring acknowledgement for unknown update of task %s", task_id)
            return None
        head = stream.pending[0]
        if head.get("uuid") != uuid:
            logger.info("Ignoring unexpected acknowledgement of task %s (uuid %s)", task_id, uuid)
            return None
        stream.pending.popleft()
        self._save(stream)
        if stream.retry is not None:
            stream.retry.cancel()
            stream.retry = None
        stream.interval = self._retry_min
        if stream.pending:
            self._send_head(stream)
        else:
            del self._streams[(framework_id, task_id)]
        return head

    def pending_of(self, framework_id: str) -> list[dict[str, Any]]:
        return [
            s
            for stream in self._streams.values()
            if stream.framework_id == framework_id
            for s in stream.pending
        ]

    def has_pending(self, framework_id: str, task_id: str) -> bool:
        return (framework_id, task_id) in self._streams

    def drop_framework(self, framework_id: str) -> None:
        for key in [k for k in self._streams if k[0] == framework_id]:
            stream = self._streams.pop(key)
            stream.pending.clear()
            self._save(stream)
            if stream.retry is not None:
                stream.retry.cancel()

    def resume(self) -> None:
        """The master (re)registered us: send every stream's head again now."""
        self.paused = False
        for stream in self._streams.values():
            if stream.retry is not None:
                stream.retry.cancel()
                stream.retry = None
            self._send_head(stream)

    def pause(self) -> None:
        self.paused = True

    def _send_head(self, stream: _Stream) -> None:
        if not stream.pending:
            return
        loop = asyncio.get_running_loop()
        if stream.retry is not None:
            stream.retry.cancel()
        stream.retry = loop.call_later(stream.interval, self._retry, stream)
        if self.paused:
            return
        latest_state = str(stream.pending[-1].get("state", ""))
        sending = loop.create_task(self._send(stream.framework_id, stream.pending[0], latest_state))
        self._sending.add(sending)
        sending.add_done_callback(self._sending.discard)

    async def _send(self, framework_id: str, status: dict[str, Any], latest_state: str) -> None:
        await self._forward(framework_id, status, latest_state)

    def _retry(self, stream: _Stream) -> None:
        stream.retry = None
        if self._streams.get((stream.framework_id, stream.task_id)) is not stream:
            return
        stream.interval = min(stream.interval * 2, RETRY_INTERVAL_MAX)
        logger.info(
            "Resending status update %s of task %s (not acknowledged yet)",
            stream.pending[0].get("state") if stream.pending else "?",
            stream.task_id,
        )
        self._send_head(stream)
