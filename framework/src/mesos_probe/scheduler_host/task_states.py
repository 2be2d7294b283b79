"""Mesos task states grouped by what they mean for one attempt of a probe task."""

from __future__ import annotations

FINISHED = "TASK_FINISHED"

# The task may still be alive: the scheduler waits for it before placing anything new.
ACTIVE_STATES = frozenset({"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING"})

# Failed for certain: the task is not running and will not come back.
FAILED_STATES = frozenset(
    {
        "TASK_FAILED",
        "TASK_ERROR",
        "TASK_DROPPED",
        "TASK_GONE",
        "TASK_GONE_BY_OPERATOR",
        "TASK_KILLED",
    }
)

# Failed as far as this run is concerned, but the agent may re-register with the task still
# running (partitions, master failover). The attempt counts as failed; a new attempt on that
# agent waits until the old task is known to be gone, so two tasks never share an agent.
DOUBTFUL_STATES = frozenset({"TASK_LOST", "TASK_UNREACHABLE", "TASK_UNKNOWN"})

# The master refused the task itself (invalid, or not authorized): the same task would be
# refused again, so the agent gets no further attempt.
NOT_RETRIED_STATES = frozenset({"TASK_ERROR"})

TERMINAL_STATES = FAILED_STATES | DOUBTFUL_STATES | {FINISHED}
KNOWN_STATES = TERMINAL_STATES | ACTIVE_STATES


def is_failure(state: str) -> bool:
    return state in FAILED_STATES or state in DOUBTFUL_STATES
