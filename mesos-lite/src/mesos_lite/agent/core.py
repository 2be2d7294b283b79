"""The agent: its state, composed with its parts, and the routing of the master's events.

- `state.AgentState`: identity, frameworks and executors, counters (what `/state` shows);
- `master_link.MasterLink`: registration with the leading master, ping/pong, calls to it;
- `status_updates.StatusUpdateManager`: status updates retried until acknowledged;
- `containerizer.Containerizer`: executors started in sandboxes, shut down, waited for;
- `task_lifecycle.TaskLifecycle`: tasks from RUN_TASK to their last acknowledged update;
- `checkpoint.Checkpointer` and `recovery.recover`: what survives an agent restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from mesos_lite.agent import checkpoint, draining
from mesos_lite.agent.config import AgentConfig
from mesos_lite.agent.containerizer import Containerizer
from mesos_lite.agent.master_link import MasterLink
from mesos_lite.agent.model import ExecutorRun
from mesos_lite.agent.recovery import recover
from mesos_lite.agent.state import AgentState
from mesos_lite.agent.status_updates import StatusUpdateManager
from mesos_lite.agent.task_lifecycle import TaskLifecycle
from mesos_lite.agent_protocol import MasterToAgent
from mesos_lite.httpd import EventStream
from mesos_lite.protocol import value_of

logger = logging.getLogger(__name__)


class Agent(AgentState):
    """The agent is its state plus the parts that act on it; the parts see only the state."""

    def __init__(self, config: AgentConfig, agent_id: str | None) -> None:
        super().__init__(config, agent_id)
        self.link = MasterLink(self, listener=self)
        self.checkpointer = checkpoint.Checkpointer(self)
        self.updates = StatusUpdateManager(
            self.link.forward_update, journals=self.checkpointer.update_journal
        )
        self.containerizer = Containerizer(self)
        self.tasks = TaskLifecycle(
            self, self.containerizer, self.checkpointer, self.updates, self.link
        )

    @property
    def registered(self) -> bool:
        return self.link.registered

    # ----- lifecycle -----
    def recover(self) -> None:
        recover(self, self.updates, self.containerizer, self.tasks)

    def start(self) -> None:
        self.link.start()

    def set_master(self, address: str | None) -> None:
        self.link.set_master(address)

    def on_fatal_error(self, message: str) -> None:
        """Replaced by the daemon with one that logs and exits 1."""
        logger.error(message)

    def on_shutdown_requested(self) -> None:
        """Replaced by the daemon with one that shuts down and exits 0."""

    async def stop(self) -> None:
        """Shut every executor down (grace period, then kill), then close the master link."""
        self.stopping = True
        runs = [run for fw in self.frameworks.values() for run in fw.executors.values()]
        await asyncio.gather(
            *(
                self.containerizer.shutdown(
                    run, "REASON_EXECUTOR_TERMINATED", "Agent is shutting down"
                )
                for run in runs
            ),
            return_exceptions=True,
        )
        await self.link.stop()

    # ----- what the master link reports -----
    def on_registered(self, agent_id: str, master_info: dict[str, Any] | None) -> None:
        first = self.id is None
        self.id = agent_id
        self.master_info = master_info
        checkpoint.checkpoint_info(self.config.work_dir, agent_id, self.agent_info())
        logger.info(
            "%s with master %s as agent %s",
            "Registered" if first else "Re-registered",
            self.link.address,
            agent_id,
        )
        self.updates.resume()

    def on_disconnected(self) -> None:
        self.updates.pause()

    def awaits_acknowledgement(self, framework_id: str, task_id: str) -> bool:
        return self.updates.has_pending(framework_id, task_id)

    def on_master_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        tasks = self.tasks
        if kind == MasterToAgent.RUN_TASK:
            self.spawn(
                tasks.run_task(event["framework_info"], event["task"], event.get("executor_info"))
            )
        elif kind == MasterToAgent.RUN_TASK_GROUP:
            self.spawn(
                tasks.run_task_group(
                    event["framework_info"], event["executor_info"], event["task_group"]["tasks"]
                )
            )
        elif kind == MasterToAgent.KILL_TASK:
            tasks.kill_task(
                value_of(event, "framework_id") or "",
                value_of(event, "task_id") or "",
                event.get("kill_policy"),
            )
        elif kind == MasterToAgent.SHUTDOWN_EXECUTOR:
            run = self.executor(value_of(event, "framework_id"), value_of(event, "executor_id"))
            if run is not None:
                tasks.shutdown_executor(run)
        elif kind == MasterToAgent.SHUTDOWN_FRAMEWORK:
            self.spawn(tasks.shutdown_framework(value_of(event, "framework_id") or ""))
        elif kind == MasterToAgent.ACKNOWLEDGE:
            tasks.acknowledge(
                value_of(event, "framework_id") or "",
                value_of(event, "task_id") or "",
                str(event.get("uuid", "")),
            )
        elif kind == MasterToAgent.MESSAGE:
            tasks.deliver_message(
                value_of(event, "framework_id"),
                value_of(event, "executor_id"),
                event.get("data", ""),
            )
        elif kind == MasterToAgent.UPDATE_FRAMEWORK:
            info = event.get("framework_info", {})
            framework = self.frameworks.get(value_of(info, "id") or "")
            if framework is not None:
                framework.info = info
        elif kind == MasterToAgent.DRAIN:
            draining.drain(self, tasks, event.get("config") or {})
        elif kind == MasterToAgent.SHUTDOWN:
            self._shut_down_by_master(str(event.get("message", "")))
        else:
            logger.warning("Ignoring unknown master event %r", kind)

    def _shut_down_by_master(self, message: str) -> None:
        """The master marked this agent gone: like Mesos's agent, it forgets its id (the next
        start registers a new agent), shuts its executors down and exits."""
        logger.info(
            "Agent asked to shut down by master %s because '%s'", self.link.address, message
        )
        latest = checkpoint.latest_link(self.config.work_dir)
        if os.path.lexists(latest):
            os.unlink(latest)
        self.on_shutdown_requested()

    # ----- what the executor API reports (`executor_api.py`) -----
    def executor_subscribed(self, run: ExecutorRun, stream: EventStream) -> None:
        self.tasks.executor_subscribed(run, stream)

    def executor_unsubscribed(self, run: ExecutorRun, stream: EventStream) -> None:
        self.tasks.executor_unsubscribed(run, stream)

    async def executor_message(self, run: ExecutorRun, data: str) -> None:
        await self.tasks.executor_message(run, data)

    def handle_status(
        self, framework_id: str, status: dict[str, Any], run: ExecutorRun | None
    ) -> None:
        self.tasks.handle_status(framework_id, status, run)
