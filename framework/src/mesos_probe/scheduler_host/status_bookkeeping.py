"""Status updates applied to the run's placement and logged, and the watch on agents whose
task is in doubt (lost or unreachable): asked about again, and given up on once they stay
away for --lost-agent-timeout."""

from __future__ import annotations

import logging
from typing import Any

from pymesos import decode_data

from mesos_probe.scheduler_host.placement import AppliedStatus, SlotPhase, StatusOutcome
from mesos_probe.scheduler_host.run_context import RunContext, RunPart
from mesos_probe.scheduler_host.task_states import (
    ACTIVE_STATES,
    DOUBTFUL_STATES,
    FINISHED,
    TERMINAL_STATES,
)

logger = logging.getLogger(__name__)


class StatusBookkeeping(RunPart):
    def __init__(self, context: RunContext) -> None:
        super().__init__(context)
        self.lost_agents: set[str] = set()
        self._doubtful_since: dict[str, float] = {}  # agent_id -> when its wait began

    # -- status updates ----------------------------------------------------------------------
    def apply(self, status: Any) -> AppliedStatus:
        """Record the update in the placement (and log what it changed)."""
        task_id = str(status["task_id"]["value"])
        state = str(status.get("state", ""))
        reason = status.get("reason")
        message = status.get("message")
        result = _decode_result(status.get("data")) if state in TERMINAL_STATES else None
        self.reconciliation.answered(task_id)
        applied = self.placement.apply_status(
            task_id,
            state,
            self.wall_clock(),
            reason=reason,
            message=message,
            source=status.get("source"),
            result=result,
        )
        if applied.outcome is StatusOutcome.IGNORED:
            logger.debug("ignoring %s for task %s: it already ended", state, task_id)
        elif applied.outcome is StatusOutcome.APPLIED:
            self._log(applied, state, reason, message)
        return applied

    def _log(
        self, applied: AppliedStatus, state: str, reason: str | None, message: str | None
    ) -> None:
        slot, attempt = applied.slot, applied.attempt
        assert slot is not None and attempt is not None
        where = f"agent {slot.agent_id} ({slot.hostname})"
        if state == FINISHED:
            logger.info(
                "%s finished on %s after %d attempt(s)", attempt.task_id, where, attempt.number
            )
        elif state in ACTIVE_STATES:
            logger.debug("%s is %s on %s", attempt.task_id, state, where)
        else:
            logger.warning(
                "%s %s on %s: reason %s, %s (attempt %d of %d, agent now %s)",
                attempt.task_id,
                state,
                where,
                reason or "-",
                message or "no message",
                attempt.number,
                self.plan.max_attempts,
                applied.phase.value if applied.phase else "?",
            )

    # -- agents and executors that go away ---------------------------------------------------
    def agent_lost(self, agent_id: str, hostname: str) -> None:
        self.lost_agents.add(agent_id)
        logger.warning("agent %s (%s) lost", agent_id, hostname or "?")
        slot = self.placement.slots.get(agent_id)
        if slot is not None:
            for attempt in slot.unresolved_attempts():
                self.reconciliation.ask_now(attempt.task_id, agent_id)

    def executor_lost(self, task_id: str, agent_id: str, status: Any) -> None:
        logger.info("executor %s on agent %s exited with status %s", task_id, agent_id, status)
        found = self.placement.find_task(task_id)
        if found is not None and found[1].state in ACTIVE_STATES:
            # The agent also sends the task's final state; reconcile in case it is delayed.
            self.reconciliation.ask_now(task_id, agent_id)

    def agent_back(self, agent_id: str) -> None:
        """The agent of a task in doubt offers again: ask what became of that task (its wait
        starts again)."""
        self._doubtful_since[agent_id] = self.clock()
        self.lost_agents.discard(agent_id)
        for attempt in self.placement.slots[agent_id].unresolved_attempts():
            self.reconciliation.ask_now(attempt.task_id, agent_id)

    def recheck_doubtful(self, now: float) -> None:
        """Ask again, now and then, about tasks in doubt."""
        if self.reconciliation.doubt_check_due(now):
            for slot, attempt in self.placement.unresolved_tasks():
                if attempt.state in DOUBTFUL_STATES:
                    self.reconciliation.recheck(attempt.task_id, slot.agent_id, now)

    def give_up_on_vanished_agents(self, now: float) -> bool:
        """Fail the agents whose task stayed in doubt for --lost-agent-timeout; whether any."""
        waiting = self.placement.agents_in(SlotPhase.AWAITING_RESOLUTION)
        for agent_id in set(self._doubtful_since) - waiting:
            del self._doubtful_since[agent_id]
        gave_up = False
        for agent_id in sorted(waiting):
            since = self._doubtful_since.setdefault(agent_id, now)
            if now - since < self.plan.lost_agent_timeout:
                continue
            slot = self.placement.slots[agent_id]
            latest = slot.latest
            assert latest is not None
            removed = " (removed by the master)" if agent_id in self.lost_agents else ""
            why = (
                f"agent lost{removed}: task {latest.state}"
                f" (reason {latest.reason or '-'}: {latest.message or 'no message'});"
                f" the agent did not come back within {self.plan.lost_agent_timeout:g}s"
            )
            logger.warning("giving up on agent %s (%s): %s", agent_id, slot.hostname, why)
            self.placement.give_up(agent_id, why)
            del self._doubtful_since[agent_id]
            gave_up = True
        return gave_up


def _decode_result(data: Any) -> str | None:
    if not data:
        return None
    try:
        return str(decode_data(data).decode("utf-8", errors="replace"))
    except (ValueError, TypeError):
        return None
