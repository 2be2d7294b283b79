"""Recovery after an agent restart (--recover=reconnect): the executors of checkpointing
frameworks that outlived the last agent are adopted, and their tasks' unacknowledged status
updates are queued again. What is read here was written by `checkpoint.Checkpointer`."""

from __future__ import annotations

import logging
from typing import Any

from mesos_lite.agent import checkpoint
from mesos_lite.agent.containerizer import Containerizer
from mesos_lite.agent.containers import adopt
from mesos_lite.agent.model import ExecutorRun
from mesos_lite.agent.state import AgentState
from mesos_lite.agent.status_updates import StatusUpdateManager
from mesos_lite.agent.task_lifecycle import TaskLifecycle

logger = logging.getLogger(__name__)


def recover(
    state: AgentState,
    updates: StatusUpdateManager,
    containerizer: Containerizer,
    tasks: TaskLifecycle,
) -> None:
    """Executors that do not re-subscribe within --executor_reregistration_timeout are
    killed; those already gone have their tasks failed."""
    if state.id is None:
        return
    work_dir = state.config.work_dir
    for framework_info, task_id, pending in checkpoint.checkpointed_updates(work_dir, state.id):
        framework = state.framework(framework_info)
        updates.recover(framework.id, task_id, pending)
    for framework_info, record in checkpoint.checkpointed_runs(work_dir, state.id):
        framework = state.framework(framework_info)
        run = _executor_run(framework.id, record)
        process = adopt(int(record["pid"]), run.directory)
        if process is None:
            logger.info(
                "Executor '%s' of framework %s terminated while the agent was down",
                run.executor_id,
                framework.id,
            )
            tasks.executor_terminated(framework, run, None)
            continue
        run.process = process
        framework.executors[run.executor_id] = run
        logger.info(
            "Recovered executor '%s' of framework %s (pid %d)",
            run.executor_id,
            framework.id,
            process.pid,
        )
        tasks.watch(framework, run)
        containerizer.expect_reregistration(run)


def _executor_run(framework_id: str, record: dict[str, Any]) -> ExecutorRun:
    run = ExecutorRun(
        framework_id,
        str(record["executor_id"]),
        record["info"],
        str(record["container_id"]),
        str(record["directory"]),
        bool(record.get("command_executor")),
    )
    for task_id, entry in record.get("tasks", {}).items():
        run.launched_tasks[task_id] = entry["task"]
        run.task_states[task_id] = entry["state"]
    return run
