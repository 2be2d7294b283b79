"""The checkpoint of one task's status update stream, as Mesos's `task.updates`: a file of
records appended as they happen (an UPDATE with the status, an ACK with the acknowledged
uuid), never rewritten per update, so each costs one small write whatever the backlog.
Replaying it gives the updates still unacknowledged; a torn last record (the agent died
mid-write) is ignored. Once the file holds many more records than updates pending it is
compacted to the pending ones, which keeps it bounded for a task that lives long."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from typing import Any

logger = logging.getLogger(__name__)

FILE_NAME = "task.updates"
# Compaction: once this many records were appended and they are more than
# COMPACT_RATIO times the pending updates (amortised O(1) per record).
COMPACT_MIN_RECORDS = 64
COMPACT_RATIO = 4


def _record_line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, separators=(",", ":")) + "\n").encode()


def update_record(status: dict[str, Any]) -> dict[str, Any]:
    return {"type": "UPDATE", "update": status}


def ack_record(uuid: str) -> dict[str, Any]:
    return {"type": "ACK", "uuid": uuid}


class UpdateJournal:
    """Appends one task's records to `path` (whose directory exists or is made)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.records = 0

    def update(self, status: dict[str, Any]) -> None:
        self._append(update_record(status))

    def ack(self, uuid: str) -> None:
        self._append(ack_record(uuid))

    def maybe_compact(self, pending: list[dict[str, Any]]) -> None:
        if self.records >= COMPACT_MIN_RECORDS and self.records > COMPACT_RATIO * len(pending):
            self.rewrite(pending)

    def rewrite(self, pending: list[dict[str, Any]]) -> None:
        """Replaces the file by the pending updates alone (also drops a torn tail)."""
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        temporary = self.path + ".tmp"
        with open(temporary, "wb") as handle:
            handle.write(b"".join(_record_line(update_record(s)) for s in pending))
        os.replace(temporary, self.path)
        self.records = len(pending)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        self.records = 0

    def _append(self, record: dict[str, Any]) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        # One write of a whole line with O_APPEND: a crash leaves at most a torn last line.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC)
        try:
            os.write(descriptor, _record_line(record))
        finally:
            os.close(descriptor)
        self.records += 1


def replay(path: str) -> list[dict[str, Any]]:
    """The updates of the journal at `path` that were never acknowledged, in order."""
    try:
        with open(path, "rb") as handle:
            lines = handle.read().split(b"\n")
    except OSError:
        return []
    pending: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            if number == len(lines):  # the last line, without its newline: torn by a crash
                logger.warning("Ignoring the torn last record of %s", path)
                break
            logger.error("Ignoring unreadable record %d of %s", number, path)
            continue
        _apply(record, pending, path)
    return pending


def _apply(record: Any, pending: list[dict[str, Any]], path: str) -> None:
    kind = record.get("type") if isinstance(record, dict) else None
    if kind == "UPDATE" and isinstance(record.get("update"), dict):
        pending.append(record["update"])
    elif kind == "ACK" and pending and pending[0].get("uuid") == record.get("uuid"):
        pending.pop(0)
    else:
        logger.error("Ignoring unexpected record in %s: %.200r", path, record)
