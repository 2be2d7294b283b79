"""Bookkeeping of one run: which agent holds which attempt, in which state.

Pure data and rules, no I/O, so the scheduler's decisions can be tested without Mesos.
An agent gets a *slot* when the run first places a task on it; the slot keeps every attempt.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from mesos_probe.scheduler_host.task_states import (
    ACTIVE_STATES,
    DOUBTFUL_STATES,
    FAILED_STATES,
    FINISHED,
    NOT_RETRIED_STATES,
    TERMINAL_STATES,
)


class SlotPhase(enum.Enum):
    NEEDS_LAUNCH = "needs launch"
    ACTIVE = "active"
    # The last attempt was lost/unreachable: no new attempt until the old task is known gone.
    AWAITING_RESOLUTION = "awaiting resolution"
    FINISHED = "finished"
    FAILED = "failed"


DONE_PHASES = frozenset({SlotPhase.FINISHED, SlotPhase.FAILED})


@dataclass
class Attempt:
    number: int
    task_id: str
    launched_at: float
    state: str = "TASK_STAGING"
    ended_at: float | None = None
    reason: str | None = None
    message: str | None = None
    source: str | None = None
    result: str | None = None

    @property
    def duration(self) -> float | None:
        if self.ended_at is None:
            return None
        return max(0.0, self.ended_at - self.launched_at)

    def failure_record(self) -> dict[str, Any]:
        return {
            "attempt": self.number,
            "task_id": self.task_id,
            "state": self.state,
            "reason": self.reason,
            "message": self.message,
            "source": self.source,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "task_id": self.task_id,
            "launched_at": self.launched_at,
            "state": self.state,
            "ended_at": self.ended_at,
            "reason": self.reason,
            "message": self.message,
            "source": self.source,
            "result": self.result,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attempt:
        fields: dict[str, Any] = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        return cls(**fields)


@dataclass
class AgentSlot:
    agent_id: str
    hostname: str
    index: int
    attempts: list[Attempt] = field(default_factory=list)
    # Why the run stopped waiting for this agent's lost task to be resolved, if it did.
    given_up: str | None = None

    def phase(self, max_attempts: int) -> SlotPhase:
        states = [attempt.state for attempt in self.attempts]
        if FINISHED in states:
            return SlotPhase.FINISHED
        if any(state in ACTIVE_STATES for state in states):
            return SlotPhase.ACTIVE
        refused = any(state in NOT_RETRIED_STATES for state in states)
        if len(self.attempts) >= max_attempts or self.given_up or refused:
            return SlotPhase.FAILED
        if any(state in DOUBTFUL_STATES for state in states):
            return SlotPhase.AWAITING_RESOLUTION
        return SlotPhase.NEEDS_LAUNCH

    @property
    def latest(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def finished_attempt(self) -> Attempt | None:
        return next((a for a in self.attempts if a.state == FINISHED), None)

    def unresolved_attempts(self) -> list[Attempt]:
        """Attempts whose task may still exist on the agent."""
        return [a for a in self.attempts if a.state in ACTIVE_STATES or a.state in DOUBTFUL_STATES]

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "hostname": self.hostname,
            "index": self.index,
            "attempts": [attempt.to_dict() for attempt in self.attempts],
            "given_up": self.given_up,
        }


class StatusOutcome(enum.Enum):
    UNKNOWN_TASK = "unknown task"
    IGNORED = "ignored"  # an update after a definitive end; the first end wins
    APPLIED = "applied"


@dataclass
class AppliedStatus:
    outcome: StatusOutcome
    slot: AgentSlot | None = None
    attempt: Attempt | None = None
    previous_phase: SlotPhase | None = None
    phase: SlotPhase | None = None


class RunPlacement:
    """All slots of one run, with phase buckets kept current so each decision is O(1)."""

    def __init__(self, run_id: str, expected_agents: int, max_attempts: int) -> None:
        if expected_agents < 1:
            raise ValueError("expected_agents must be at least 1")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.run_id = run_id
        self.expected_agents = expected_agents
        self.max_attempts = max_attempts
        self.slots: dict[str, AgentSlot] = {}
        self._tasks: dict[str, tuple[AgentSlot, Attempt]] = {}
        self._phases: dict[str, SlotPhase] = {}
        self._buckets: dict[SlotPhase, set[str]] = {phase: set() for phase in SlotPhase}

    # -- queries -------------------------------------------------------------------------
    def count(self, phase: SlotPhase) -> int:
        return len(self._buckets[phase])

    def agents_in(self, phase: SlotPhase) -> set[str]:
        return set(self._buckets[phase])

    def phase_of(self, agent_id: str) -> SlotPhase | None:
        return self._phases.get(agent_id)

    def has_room(self) -> bool:
        return len(self.slots) < self.expected_agents

    def all_placed(self) -> bool:
        """Every expected agent has a slot and none waits for a launch."""
        return not self.has_room() and not self._buckets[SlotPhase.NEEDS_LAUNCH]

    def is_complete(self) -> bool:
        done = self.count(SlotPhase.FINISHED) + self.count(SlotPhase.FAILED)
        return not self.has_room() and done == len(self.slots)

    def find_task(self, task_id: str) -> tuple[AgentSlot, Attempt] | None:
        return self._tasks.get(task_id)

    def unresolved_tasks(self) -> list[tuple[AgentSlot, Attempt]]:
        return [
            (slot, attempt)
            for slot in self.slots.values()
            for attempt in slot.unresolved_attempts()
        ]

    def results_awaited(self) -> list[Attempt]:
        """Finished attempts known only from the master (a reconciliation answer, which
        carries no data): their result is still to come with the agent's own update."""
        return [
            attempt
            for slot in self.slots.values()
            if (attempt := slot.finished_attempt) is not None
            and attempt.source == "SOURCE_MASTER"
            and not attempt.result
        ]

    def failed_attempt_count(self) -> int:
        return sum(
            1
            for slot in self.slots.values()
            for attempt in slot.attempts
            if attempt.state in FAILED_STATES or attempt.state in DOUBTFUL_STATES
        )

    # -- changes -------------------------------------------------------------------------
    def add_slot(self, agent_id: str, hostname: str) -> AgentSlot:
        if agent_id in self.slots:
            raise ValueError(f"agent {agent_id} already has a slot in run {self.run_id}")
        slot = AgentSlot(agent_id=agent_id, hostname=hostname, index=len(self.slots))
        self.slots[agent_id] = slot
        self._refresh(slot)
        return slot

    def next_task_id(self, agent_id: str) -> tuple[str, int]:
        """(task id, attempt number) the next attempt on this agent will get."""
        slot = self.slots.get(agent_id)
        index = slot.index if slot else len(self.slots)
        number = len(slot.attempts) + 1 if slot else 1
        return f"{self.run_id}.{index}.{number}", number

    def new_attempt(self, agent_id: str, now: float) -> Attempt:
        slot = self.slots[agent_id]
        phase = self._phases[agent_id]
        if phase is not SlotPhase.NEEDS_LAUNCH:
            # The invariant behind "never two tasks of one run on one agent".
            raise RuntimeError(f"agent {agent_id} is {phase.value}; refusing a new attempt")
        task_id, number = self.next_task_id(agent_id)
        attempt = Attempt(number=number, task_id=task_id, launched_at=now)
        slot.attempts.append(attempt)
        self._tasks[attempt.task_id] = (slot, attempt)
        self._refresh(slot)
        return attempt

    def apply_status(
        self,
        task_id: str,
        state: str,
        now: float,
        reason: str | None = None,
        message: str | None = None,
        source: str | None = None,
        result: str | None = None,
    ) -> AppliedStatus:
        found = self._tasks.get(task_id)
        if found is None:
            return AppliedStatus(StatusOutcome.UNKNOWN_TASK)
        slot, attempt = found
        previous_phase = self._phases[slot.agent_id]
        definitive_end = attempt.state == FINISHED or attempt.state in FAILED_STATES
        if definitive_end:
            if state == FINISHED == attempt.state and result is not None and not attempt.result:
                # The agent's own TASK_FINISHED after the master's reconciliation answer,
                # which carries no data: the result comes with this one.
                attempt.result = result
                attempt.source = source
            return AppliedStatus(
                StatusOutcome.IGNORED, slot, attempt, previous_phase, previous_phase
            )
        attempt.state = state
        if state in TERMINAL_STATES:
            attempt.ended_at = now
            attempt.reason = reason
            attempt.message = message
            attempt.source = source
        else:
            attempt.ended_at = None
        if result is not None:
            attempt.result = result
        self._refresh(slot)
        return AppliedStatus(
            StatusOutcome.APPLIED, slot, attempt, previous_phase, self._phases[slot.agent_id]
        )

    def record_result(self, task_id: str, result: str) -> bool:
        """A result that arrived as a framework message, before or after the final status."""
        found = self._tasks.get(task_id)
        if found is None:
            return False
        _, attempt = found
        if attempt.result is None:
            attempt.result = result
        return True

    def give_up(self, agent_id: str, why: str) -> None:
        """Stop waiting for an agent whose task is lost and that did not come back: the
        slot fails (a later update saying the task runs or finished still counts)."""
        slot = self.slots[agent_id]
        slot.given_up = why
        self._refresh(slot)

    def restore_slot(self, data: dict[str, Any]) -> AgentSlot:
        slot = AgentSlot(
            agent_id=str(data["agent_id"]),
            hostname=str(data.get("hostname", "")),
            index=int(data["index"]),
            attempts=[Attempt.from_dict(item) for item in data.get("attempts", [])],
            given_up=data.get("given_up"),
        )
        self.slots[slot.agent_id] = slot
        for attempt in slot.attempts:
            self._tasks[attempt.task_id] = (slot, attempt)
        self._refresh(slot)
        return slot

    def _refresh(self, slot: AgentSlot) -> None:
        old = self._phases.get(slot.agent_id)
        new = slot.phase(self.max_attempts)
        if old is not None:
            self._buckets[old].discard(slot.agent_id)
        self._buckets[new].add(slot.agent_id)
        self._phases[slot.agent_id] = new
