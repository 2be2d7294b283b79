"""Explicit task reconciliation: which tasks to ask the master about, and when.

Mesos answers a RECONCILE with a status update per task; a task that got no answer is
asked about again, with backoff (Mesos's recommended reconciliation algorithm). The
Scheduler decides what is in doubt; this keeps the list and the timing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

BACKOFF_START = 2.0
# While an agent's old task is lost/unreachable, ask the master about it this often.
DOUBT_RECHECK_SECONDS = 5.0


class Reconciliation:
    def __init__(self, clock: Callable[[], float], backoff_max: float) -> None:
        self.clock = clock
        self.backoff_max = backoff_max
        self.pending: dict[str, str] = {}  # task_id -> agent_id
        self._next_at: float | None = None
        self._backoff = BACKOFF_START
        self._next_doubt_check_at = 0.0

    def ask_now(self, task_id: str, agent_id: str) -> None:
        """Ask about this task at the next tick."""
        self.pending[task_id] = agent_id
        self._next_at = self.clock()

    def ask(self, task_id: str, agent_id: str) -> None:
        """Ask about this task with the next RECONCILE, whenever that goes."""
        self.pending[task_id] = agent_id

    def answered(self, task_id: str) -> None:
        self.pending.pop(task_id, None)

    def restart_backoff(self) -> None:
        self._backoff = BACKOFF_START

    def doubt_check_due(self, now: float) -> bool:
        """True every DOUBT_RECHECK_SECONDS: time to ask again about doubtful tasks."""
        if now < self._next_doubt_check_at:
            return False
        self._next_doubt_check_at = now + DOUBT_RECHECK_SECONDS
        return True

    def recheck(self, task_id: str, agent_id: str, now: float) -> None:
        """A doubtful task: ask about it, without pushing back a RECONCILE already planned."""
        self.pending.setdefault(task_id, agent_id)
        if self._next_at is None:
            self._next_at = now

    def due(self, now: float) -> bool:
        return bool(self.pending) and self._next_at is not None and now >= self._next_at

    def send(self, reconcile: Callable[[list[dict[str, Any]]], Any], explicit_only: bool) -> None:
        """RECONCILE the pending tasks (and, unless `explicit_only`, every task: implicit)."""
        tasks = [
            {"task_id": {"value": task_id}, "agent_id": {"value": agent_id}}
            for task_id, agent_id in sorted(self.pending.items())
        ]
        if tasks:
            logger.info("reconciling %d task(s)", len(tasks))
            reconcile(tasks)
        if not explicit_only:
            # Implicit reconciliation: the master reports every task it knows for us, which
            # catches tasks of this framework that we have no record of.
            reconcile([])
        if self.pending:
            self._next_at = self.clock() + self._backoff
            self._backoff = min(self._backoff * 2, self.backoff_max)
        else:
            self._next_at = None
