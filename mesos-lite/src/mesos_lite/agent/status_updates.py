"""Reliable status updates: one stream per task, in order, retried until acknowledged.

As Mesos's task status update manager: an update whose uuid the stream already received or
saw acknowledged is ignored; the stream ends when its terminal update is acknowledged; each
update and acknowledgement of a checkpointing framework is appended to the task's journal
(`update_journal`). A stream holds at most MAX_PENDING_PER_TASK unacknowledged updates:
an executor that floods a task's stream while nobody acknowledges is refused past that."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mesos_lite.agent.update_journal import UpdateJournal
from mesos_lite.protocol import TERMINAL_STATES, value_of

logger = logging.getLogger(__name__)

# Mesos's STATUS_UPDATE_RETRY_INTERVAL_MIN / _MAX.
RETRY_INTERVAL_MIN = 10.0
RETRY_INTERVAL_MAX = 600.0
MAX_PENDING_PER_TASK = 1000
# Acknowledged uuids a stream remembers to ignore duplicates (Mesos keeps them all; an
# executor resends only its unacknowledged updates, and the latest acknowledged ones).
REMEMBERED_UUIDS = 128

Forward = Callable[[str, dict[str, Any], str], Awaitable[bool]]
# Opens the journal of (framework id, task id); None when its updates are not checkpointed.
OpenJournal = Callable[[str, str], "UpdateJournal | None"]


@dataclass
class _Stream:
    framework_id: str
    task_id: str
    journal: UpdateJournal | None = None
    pending: deque[dict[str, Any]] = field(default_factory=deque)
    pending_uuids: set[str] = field(default_factory=set)
    acknowledged: dict[str, None] = field(default_factory=dict)  # ordered: oldest first
    retry: asyncio.TimerHandle | None = None
    interval: float = RETRY_INTERVAL_MIN

    def has(self, uuid: Any) -> bool:
        return uuid in self.pending_uuids or uuid in self.acknowledged

    def push(self, status: dict[str, Any]) -> None:
        self.pending.append(status)
        if isinstance(status.get("uuid"), str):
            self.pending_uuids.add(status["uuid"])

    def pop(self) -> dict[str, Any]:
        head = self.pending.popleft()
        uuid = head.get("uuid")
        if isinstance(uuid, str):
            self.pending_uuids.discard(uuid)
            self.acknowledged[uuid] = None
            if len(self.acknowledged) > REMEMBERED_UUIDS:
                del self.acknowledged[next(iter(self.acknowledged))]
        return head


class StatusUpdateManager:
    def __init__(
        self,
        forward: Forward,
        retry_interval_min: float = RETRY_INTERVAL_MIN,
        journals: OpenJournal | None = None,
    ) -> None:
        self._forward = forward
        self._journals = journals
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._retry_min = retry_interval_min
        self.paused = True
        self._sending: set[asyncio.Task[None]] = set()

    def _stream(self, framework_id: str, task_id: str) -> _Stream:
        key = (framework_id, task_id)
        stream = self._streams.get(key)
        if stream is None:
            journal = None if self._journals is None else self._journals(framework_id, task_id)
            stream = _Stream(framework_id, task_id, journal, interval=self._retry_min)
            self._streams[key] = stream
        return stream

    def update(self, framework_id: str, status: dict[str, Any]) -> bool:
        """Queues `status` on its task's stream; False when it is refused (a duplicate, or
        the stream is full)."""
        stream = self._stream(framework_id, value_of(status, "task_id") or "")
        if stream.has(status.get("uuid")):
            logger.warning(
                "Ignoring duplicate status update %s of task %s",
                status.get("state"),
                stream.task_id,
            )
            return False
        if len(stream.pending) >= MAX_PENDING_PER_TASK:
            logger.error(
                "Refusing status update %s of task %s of framework %s: %d updates are "
                "already waiting for acknowledgement",
                status.get("state"),
                stream.task_id,
                framework_id,
                len(stream.pending),
            )
            return False
        stream.push(status)
        self._journal(stream, lambda journal: journal.update(status))
        if len(stream.pending) == 1:
            self._send_head(stream)
        return True

    def recover(self, framework_id: str, task_id: str, pending: list[dict[str, Any]]) -> None:
        """Queues the updates replayed from a journal again (the journal is compacted to
        them, which also drops a torn last record)."""
        stream = self._stream(framework_id, task_id)
        for status in pending[:MAX_PENDING_PER_TASK]:
            stream.push(status)
        self._journal(stream, lambda journal: journal.rewrite(list(stream.pending)))
        if stream.pending:
            self._send_head(stream)

    def _journal(self, stream: _Stream, write: Callable[[UpdateJournal], None]) -> None:
        if stream.journal is None:
            return
        try:
            write(stream.journal)
        except OSError as error:
            logger.error(
                "Failed to checkpoint status updates of task %s: %s", stream.task_id, error
            )

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
        stream.pop()
        if stream.retry is not None:
            stream.retry.cancel()
            stream.retry = None
        stream.interval = self._retry_min
        if head.get("state") in TERMINAL_STATES:
            if stream.pending:
                logger.warning(
                    "Acknowledged the terminal status update of task %s but %d updates are "
                    "still pending",
                    task_id,
                    len(stream.pending),
                )
            self._end(stream)
            return head
        self._journal(stream, lambda journal: journal.ack(uuid))
        self._journal(stream, lambda journal: journal.maybe_compact(list(stream.pending)))
        if stream.pending:
            self._send_head(stream)
        return head

    def _end(self, stream: _Stream) -> None:
        self._streams.pop((stream.framework_id, stream.task_id), None)
        if stream.retry is not None:
            stream.retry.cancel()
            stream.retry = None
        stream.pending.clear()
        if stream.journal is not None:
            stream.journal.remove()

    def pending_of(self, framework_id: str) -> list[dict[str, Any]]:
        return [
            s
            for stream in self._streams.values()
            if stream.framework_id == framework_id
            for s in stream.pending
        ]

    def has_pending(self, framework_id: str, task_id: str) -> bool:
        """Whether the task has updates not yet acknowledged (its stream has not ended)."""
        stream = self._streams.get((framework_id, task_id))
        return stream is not None and bool(stream.pending)

    def drop_framework(self, framework_id: str) -> None:
        for stream in [s for key, s in self._streams.items() if key[0] == framework_id]:
            self._end(stream)

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
