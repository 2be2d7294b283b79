"""An agent being drained (Mesos's Slave::drain on a DrainSlaveMessage): every task is
killed, its kill policy's grace period capped by the drain's max_grace_period; the kills
are reported with REASON_AGENT_DRAINING and, with mark_gone, to partition-aware frameworks
as TASK_GONE_BY_OPERATOR (the agent is about to be marked gone). Draining ends once the
agent has no framework left."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mesos_lite.agent.state import AgentState
from mesos_lite.protocol import TERMINAL_STATES, is_partition_aware

if TYPE_CHECKING:  # task_lifecycle.py asks drained_status() of every update
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


def drained_status(state: AgentState, framework_id: str, status: dict[str, Any]) -> dict[str, Any]:
    """A task's update as a draining agent sends it (Mesos's Slave::statusUpdate): a kill
    says REASON_AGENT_DRAINING, and, when the agent will be marked gone, a partition-aware
    framework hears TASK_GONE_BY_OPERATOR."""
    config = state.drain_config
    if config and not state.frameworks:
        logger.info("Agent finished draining")
        state.drain_config = config = None
    if not config or status.get("state") not in ("TASK_KILLING", "TASK_KILLED"):
        return status
    status = {**status, "reason": "REASON_AGENT_DRAINING"}
    framework = state.frameworks.get(framework_id)
    if config.get("mark_gone") and framework is not None and is_partition_aware(framework.info):
        status["state"] = "TASK_GONE_BY_OPERATOR"
    return status


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
