"""The id checks Mesos's master makes on each task of a LAUNCH / LAUNCH_GROUP
(master/validation.cpp task::internal::validateTaskID, validateUniqueTaskID and
executor::internal::validateExecutorID): a task that fails them gets TASK_ERROR with
REASON_TASK_INVALID and the message returned here; the call itself is still 202."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from mesos_lite.ids import id_problem
from mesos_lite.protocol import value_of


def launch_id_problem(
    task_info: dict[str, Any],
    group_executor: dict[str, Any] | None,
    framework_task_ids: Container[str],
    launched_task_ids: Container[str] = (),
) -> str | None:
    """Why the task's ids refuse it, in Mesos's words, or None.

    `group_executor` is LAUNCH_GROUP's executor (None for LAUNCH: the task's own executor is
    checked); `framework_task_ids` the framework's known tasks; `launched_task_ids` the ids
    of the tasks accepted earlier in the same operation (Mesos adds each task to the
    framework before validating the next one, so a repeated id is a duplicate too): both
    are looked up, never walked, as one ACCEPT may launch 10,000 tasks."""
    task_id = value_of(task_info, "task_id") or ""
    problem = id_problem(task_id)
    if problem is not None:
        return problem
    if task_id in framework_task_ids or task_id in launched_task_ids:
        return f"Task has duplicate ID: {task_id}"
    executor = group_executor if group_executor is not None else task_info.get("executor")
    if isinstance(executor, dict):
        executor_id = value_of(executor, "executor_id")
        if executor_id is not None:
            return id_problem(executor_id)
    return None
