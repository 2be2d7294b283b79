"""An agent being drained (Mesos's Slave::drain on a DrainSlaveMessage): every task is
killed, its kill policy's grace period capped by the drain's max_grace_period; with
mark_gone, the terminal updates of its tasks say TASK_GONE_BY_OPERATOR (the agent will be
marked gone, and frameworks must learn that rather than a kill they did not ask for)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mesos_lite.agent.state import AgentState
from mesos_lite.protocol import TERMINAL_STATES

if TYPE_CHECKING:  # task_lifecycle.py asks drained_state() of every update
    from mesos_lite.agent.task_lifecycle import TaskLifecycle

logger = logging.getLogger(__name__)


def drain(state: AgentState, tasks: TaskLifecycle, config: dict[str, Any]) -> None:
    """Starts (or, sent again after a re-registration, continues) draining."""
    logger.info("Received DrainConfig %s; draining", config)
    state.drain_config = config
    cap = _duration_nanoseconds(config.get("max_grace_period"))
    for framework in list(state.frameworks.values()):
        for run in list(framework.executors.values()):
            for task_id, task in [*run.queued_tasks.items(), *run.launched_tasks.items()]:
                if run.task_states.get(task_id) in TERMINAL_STATES:
                    continue
                tasks.kill_task(framework.id, task_id, _capped(task.get("kill_policy"), cap))


def drained_state(state: AgentState, task_state: str) -> str:
    """The state a task's update carries while the agent drains."""
    config = state.drain_config
    if config and config.get("mark_gone") and task_state in TERMINAL_STATES:
        return "TASK_GONE_BY_OPERATOR"
    return task_state


def _capped(kill_policy: Any, cap: int | None) -> dict[str, Any] | None:
    grace: int | None = None
    if isinstance(kill_policy, dict) and isinstance(kill_policy.get("grace_period"), dict):
        grace = int(kill_policy["grace_period"]["nanoseconds"])
    if cap is not None:
        grace = cap if grace is None else min(grace, cap)
    return None if grace is None else {"grace_period": {"nanoseconds": grace}}


def _duration_nanoseconds(duration: Any) -> int | None:
    """A google.protobuf.Duration ({seconds, nanos}) in nanoseconds."""
    if not isinstance(duration, dict):
        return None
    return int(duration.get("seconds", 0)) * 1_000_000_000 + int(duration.get("nanos", 0))
