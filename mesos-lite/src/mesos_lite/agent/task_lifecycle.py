"""Tasks on the agent, from the master's RUN_TASK to their last acknowledged status update:
delivering them to executors (started by the containerizer), killing them, taking the
executors' status updates, and cleaning up after an executor or a framework ends."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from mesos_lite.agent.checkpoint import Checkpointer
from mesos_lite.agent.containerizer import Containerizer, command_executor_info
from mesos_lite.agent.draining import drained_status
from mesos_lite.agent.master_link import MasterLink
from mesos_lite.agent.model import ExecutorRun, FrameworkRun
from mesos_lite.agent.state import AgentState
from mesos_lite.agent.status_updates import StatusUpdateManager
from mesos_lite.agent_protocol import AgentToMaster
from mesos_lite.httpd import EventStream
from mesos_lite.protocol import TERMINAL_STATES, b64, is_partition_aware, now, value_of, wrap

logger = logging.getLogger(__name__)


class TaskLifecycle:
    def __init__(
        self,
        state: AgentState,
        containerizer: Containerizer,
        checkpointer: Checkpointer,
        updates: StatusUpdateManager,
        link: MasterLink,
    ) -> None:
        self._state = state
        self._containerizer = containerizer
        self._checkpointer = checkpointer
        self._updates = updates
        self._link = link

    # ----- from the master -----
    async def run_task(
        self,
        framework_info: dict[str, Any],
        task: dict[str, Any],
        executor_info: dict[str, Any] | None,
    ) -> None:
        framework = self._state.framework(framework_info)
        task_id = value_of(task, "task_id") or ""
        is_command = executor_info is None
        info = executor_info or command_executor_info(framework.id, task)
        run = await self._executor_for(framework, info, is_command, [task_id])
        if run is None:
            return
        if run.subscribed and run.stream is not None:
            run.launched_tasks[task_id] = task
            run.stream.send({"type": "LAUNCH", "launch": {"task": task}})
        else:
            run.queued_tasks[task_id] = task
        self._checkpointer.save_run(framework, run)

    async def run_task_group(
        self,
        framework_info: dict[str, Any],
        executor_info: dict[str, Any],
        tasks: list[dict[str, Any]],
    ) -> None:
        framework = self._state.framework(framework_info)
        task_ids = [value_of(t, "task_id") or "" for t in tasks]
        run = await self._executor_for(framework, executor_info, False, task_ids)
        if run is None:
            return
        if run.subscribed and run.stream is not None:
            for task in tasks:
                run.launched_tasks[value_of(task, "task_id") or ""] = task
            run.stream.send(
                {"type": "LAUNCH_GROUP", "launch_group": {"task_group": {"tasks": tasks}}}
            )
        else:
            run.queued_groups.append(tasks)

    async def _executor_for(
        self, framework: FrameworkRun, info: dict[str, Any], is_command: bool, task_ids: list[str]
    ) -> ExecutorRun | None:
        """The running executor of `info`, else a new one; None if it cannot be started (its
        tasks then fail)."""
        executor_id = value_of(info, "executor_id") or ""
        run = framework.executors.get(executor_id)
        if run is not None and not run.terminating:
            return run
        run = await self._containerizer.launch(framework, info, is_command)
        if run is None:
            for task_id in task_ids:
                self._agent_update(
                    framework,
                    task_id,
                    executor_id,
                    "TASK_FAILED",
                    "REASON_CONTAINER_LAUNCH_FAILED",
                    "Failed to launch container",
                )
            return None
        self._checkpointer.save_run(framework, run)
        self.watch(framework, run)
        return run

    def kill_task(
        self, framework_id: str, task_id: str, kill_policy: dict[str, Any] | None
    ) -> None:
        framework = self._state.frameworks.get(framework_id)
        runs = list(framework.executors.values()) if framework else []
        for run in runs:
            if task_id in run.queued_tasks:
                run.queued_tasks.pop(task_id)
                assert framework is not None
                self._agent_update(
                    framework,
                    task_id,
                    run.executor_id,
                    "TASK_KILLED",
                    "REASON_TASK_KILLED_DURING_LAUNCH",
                    "Killed before delivery to the executor",
                    run,
                )
                if not run.live_task_ids() and not run.subscribed:
                    self.shutdown_executor(run)
                return
            if task_id in run.launched_tasks:
                if run.stream is not None:
                    kill: dict[str, Any] = {"task_id": wrap(task_id)}
                    if kill_policy:
                        kill["kill_policy"] = kill_policy
                    run.stream.send({"type": "KILL", "kill": kill})
                else:
                    self._state.spawn(self._containerizer.shutdown(run, "KILLED", "Task killed"))
                return
        logger.warning(
            "Cannot kill task %s of framework %s: no executor runs it", task_id, framework_id
        )
        if framework is not None:
            state = "TASK_DROPPED" if is_partition_aware(framework.info) else "TASK_LOST"
            self._agent_update(
                framework, task_id, "", state, "REASON_EXECUTOR_TERMINATED", "Cannot find executor"
            )

    def shutdown_executor(self, run: ExecutorRun) -> None:
        self._state.spawn(
            self._containerizer.shutdown(run, "REASON_EXECUTOR_TERMINATED", "Executor terminated")
        )

    async def shutdown_framework(self, framework_id: str) -> None:
        framework = self._state.frameworks.pop(framework_id, None)
        self._updates.drop_framework(framework_id)
        if framework is None:
            return
        logger.info("Shutting down framework %s", framework_id)
        await asyncio.gather(
            *(
                self._containerizer.shutdown(run, "REASON_EXECUTOR_TERMINATED", "Framework removed")
                for run in list(framework.executors.values())
            ),
            return_exceptions=True,
        )
        self._state.completed_frameworks.append(framework)

    def acknowledge(self, framework_id: str, task_id: str, uuid: str) -> None:
        acknowledged = self._updates.acknowledge(framework_id, task_id, uuid)
        if acknowledged is None:
            return
        executor_id = value_of(acknowledged, "executor_id")
        run = self._state.executor(framework_id, executor_id)
        if run is not None and run.stream is not None:
            run.stream.send(
                {"type": "ACKNOWLEDGED", "acknowledged": {"task_id": wrap(task_id), "uuid": uuid}}
            )
        framework = self._state.frameworks.get(framework_id)
        if (
            framework is not None
            and not framework.executors
            and not self._updates.pending_of(framework_id)
        ):
            self._state.complete_framework(framework)

    def deliver_message(self, framework_id: str | None, executor_id: str | None, data: str) -> None:
        """A framework message for one of the agent's executors."""
        run = self._state.executor(framework_id, executor_id)
        if run is None or run.stream is None:
            logger.warning(
                "Dropping framework message for executor %s: not subscribed", executor_id
            )
            return
        self._state.count("messages_received")
        run.stream.send({"type": "MESSAGE", "message": {"data": data}})

    # ----- from executors -----
    def executor_subscribed(self, run: ExecutorRun, stream: EventStream) -> None:
        framework = self._state.frameworks[run.framework_id]
        if run.stream is not None and run.stream is not stream:
            run.stream.close()
        run.stream = stream
        run.subscribed = True
        stream.send(
            {
                "type": "SUBSCRIBED",
                "subscribed": {
                    "executor_info": run.info,
                    "framework_info": framework.info,
                    "agent_info": self._state.agent_info(),
                    "container_id": wrap(run.container_id),
                },
            }
        )
        for task_id, task in list(run.queued_tasks.items()):
            run.launched_tasks[task_id] = run.queued_tasks.pop(task_id)
            stream.send({"type": "LAUNCH", "launch": {"task": task}})
        for group in run.queued_groups:
            for task in group:
                run.launched_tasks[value_of(task, "task_id") or ""] = task
            stream.send({"type": "LAUNCH_GROUP", "launch_group": {"task_group": {"tasks": group}}})
        run.queued_groups.clear()
        logger.info("Executor '%s' of framework %s subscribed", run.executor_id, framework.id)

    def executor_unsubscribed(self, run: ExecutorRun, stream: EventStream) -> None:
        if run.stream is stream:
            run.stream = None

    async def executor_message(self, run: ExecutorRun, data: str) -> None:
        self._state.count("messages_sent")
        await self._link.post(
            {
                "type": AgentToMaster.MESSAGE,
                "framework_id": wrap(run.framework_id),
                "executor_id": wrap(run.executor_id),
                "data": data,
            }
        )

    def handle_status(
        self, framework_id: str, status: dict[str, Any], run: ExecutorRun | None
    ) -> None:
        """An update from an executor (or the agent itself), to deliver reliably."""
        status = drained_status(self._state, framework_id, status)
        task_id = value_of(status, "task_id") or ""
        state = str(status.get("state", ""))
        if run is not None and task_id not in run.queued_tasks:
            status = self._with_container_status(status, run)
        if run is not None:
            if task_id in run.queued_tasks:
                run.launched_tasks[task_id] = run.queued_tasks.pop(task_id)
            run.task_states[task_id] = state
            if state in TERMINAL_STATES and task_id in run.launched_tasks:
                task = run.launched_tasks.pop(task_id)
                run.completed_tasks.append({**task, "state": state})
            framework = self._state.frameworks.get(framework_id)
            if framework is not None:
                self._checkpointer.save_run(framework, run)
        self._state.count("status_updates")
        self._updates.update(framework_id, status)

    def _with_container_status(
        self, status: dict[str, Any], run: ExecutorRun
    ) -> dict[str, Any]:
        """The update with its container's status merged in (Slave::statusUpdate): unless
        the executor named a (nested) container of its own, which mesos-lite has not."""
        given = status.get("container_status") or {}
        if "container_id" in given:
            return status
        current = self._containerizer.status(run)
        if current is None:
            return status
        return {**status, "container_status": {**current, **given}}

    # ----- executors ending -----
    def watch(self, framework: FrameworkRun, run: ExecutorRun) -> None:
        """Cleans up after the executor once it exits."""

        async def wait_for_exit() -> None:
            status = await self._containerizer.wait(run)
            self.executor_terminated(framework, run, status)

        self._state.spawn(wait_for_exit())

    def executor_terminated(
        self, framework: FrameworkRun, run: ExecutorRun, status: int | None
    ) -> None:
        """Fails (or kills) the tasks the executor left, tells the master, and completes the
        framework when nothing of it is left."""
        stopping = self._state.stopping
        if run.stream is not None:
            run.stream.close()
            run.stream = None
        framework_gone = framework.id not in self._state.frameworks
        reason, message = run.termination or ("REASON_EXECUTOR_TERMINATED", "Executor terminated")
        state = (
            "TASK_KILLED" if run.termination and run.termination[0] == "KILLED" else "TASK_FAILED"
        )
        if state == "TASK_KILLED":
            reason = "REASON_EXECUTOR_TERMINATED"
        report = not framework_gone and not stopping
        if report:
            for task_id in run.live_task_ids():
                self._agent_update(framework, task_id, run.executor_id, state, reason, message, run)
            for group in run.queued_groups:
                for task in group:
                    task_id = value_of(task, "task_id") or ""
                    self._agent_update(
                        framework, task_id, run.executor_id, state, reason, message, run
                    )
        run.queued_tasks.clear()
        run.queued_groups.clear()
        if not stopping:
            self._checkpointer.forget_run(framework, run)
        if framework.executors.get(run.executor_id) is run:
            del framework.executors[run.executor_id]
        framework.completed_executors.append(run)
        if report:
            self._state.spawn(
                self._link.post(
                    {
                        "type": AgentToMaster.EXECUTOR_EXITED,
                        "framework_id": wrap(framework.id),
                        "executor_id": wrap(run.executor_id),
                        **({} if status is None else {"status": status}),
                    }
                )
            )
        if (
            not framework.executors
            and framework.id in self._state.frameworks
            and not self._updates.pending_of(framework.id)
        ):
            self._state.complete_framework(framework)

    def _agent_update(
        self,
        framework: FrameworkRun,
        task_id: str,
        executor_id: str,
        state: str,
        reason: str,
        message: str,
        run: ExecutorRun | None = None,
    ) -> None:
        """A status update the agent itself generates for a task."""
        status = {
            "task_id": wrap(task_id),
            "state": state,
            "source": "SOURCE_AGENT",
            "reason": reason,
            "message": message,
            "agent_id": wrap(self._state.id or ""),
            "executor_id": wrap(executor_id),
            "timestamp": now(),
            "uuid": b64(os.urandom(16)),
        }
        self.handle_status(framework.id, status, run)
