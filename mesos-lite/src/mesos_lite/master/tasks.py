"""The life of a task as the master sees it: launch (RUN_TASK to the agent), status updates
and their acknowledgement, master-generated updates, reconciliation and KILL."""

from __future__ import annotations

import logging
from typing import Any

from mesos_lite.agent_protocol import MasterToAgent
from mesos_lite.master.allocator import Allocator
from mesos_lite.master.context import MasterContext, MasterPart
from mesos_lite.master.executors import Executors
from mesos_lite.master.model import Agent, Framework, Task
from mesos_lite.protocol import TERMINAL_STATES, is_partition_aware, now, value_of, wrap

logger = logging.getLogger(__name__)

# The ContainerStatus fields /master/state shows in a task's statuses.
_CONTAINER_STATUS_MODEL = ("container_id", "network_infos", "cgroup_info")


class TaskLifecycle(MasterPart):
    def __init__(self, context: MasterContext, allocator: Allocator, executors: Executors) -> None:
        super().__init__(context)
        self.allocator = allocator
        self.executors = executors

    # ----- launch -----
    def launch(
        self,
        framework: Framework,
        agent: Agent,
        task: Task,
        executor_info: dict[str, Any] | None,
        task_group: list[dict[str, Any]] | None,
    ) -> None:
        self._add_staging_task(framework, agent, task)
        task.statuses = []
        if executor_info is not None:
            self.executors.add(framework, agent, executor_info)
        if agent.stream is None:
            return
        message: dict[str, Any] = {
            "framework_info": framework.info,
            "task": task.info,
        }
        if executor_info is not None:
            message["executor_info"] = executor_info
        if task_group is not None:
            message["type"] = MasterToAgent.RUN_TASK_GROUP
            message["task_group"] = {"tasks": task_group}
        else:
            message["type"] = MasterToAgent.RUN_TASK
        agent.stream.send(message)

    def launch_group(
        self, framework: Framework, agent: Agent, tasks: list[Task], executor_info: dict[str, Any]
    ) -> None:
        for task in tasks:
            self._add_staging_task(framework, agent, task)
        self.executors.add(framework, agent, executor_info)
        if agent.stream is not None:
            agent.stream.send(
                {
                    "type": MasterToAgent.RUN_TASK_GROUP,
                    "framework_info": framework.info,
                    "executor_info": executor_info,
                    "task_group": {"tasks": [t.info for t in tasks]},
                }
            )

    def _add_staging_task(self, framework: Framework, agent: Agent, task: Task) -> None:
        """Book a task being launched: known to its framework, its resources in use."""
        framework.tasks[task.id] = task
        self.state.emit("task_added", task)
        agent.used = agent.used + task.resources
        framework.allocated = framework.allocated + task.resources
        self.state.count_state("TASK_STAGING")

    def _recover_resources(self, task: Task) -> None:
        if task.resources_recovered:
            return
        task.resources_recovered = True
        agent = self.state.agents.get(task.agent_id)
        if agent is not None:
            agent.used = agent.used - task.resources
        framework = self.state.frameworks.get(task.framework_id)
        if framework is not None:
            framework.allocated = framework.allocated - task.resources
        self.allocator.request_allocation()

    # ----- status updates -----
    def apply_status(
        self, framework: Framework, task: Task, status: dict[str, Any], latest_state: str
    ) -> None:
        if latest_state != task.state:
            entry = {"state": latest_state, "timestamp": status.get("timestamp", now())}
            container = status.get("container_status")
            if isinstance(container, dict):
                # model(ContainerStatus) in src/common/http.cpp: no executor_pid.
                entry["container_status"] = {
                    k: v for k, v in container.items() if k in _CONTAINER_STATUS_MODEL
                }
            task.statuses.append(entry)
            self.state.count_state(latest_state)
        task.state = latest_state
        task.latest_status = status
        if latest_state in TERMINAL_STATES:
            self._recover_resources(task)
        self.state.emit("task_updated", (framework.id, status, latest_state))

    def status_update(
        self, agent: Agent, framework_id: str, status: dict[str, Any], latest_state: str | None
    ) -> None:
        """An update the agent forwards (carrying a uuid, retried until acknowledged)."""
        framework = self.state.frameworks.get(framework_id)
        if framework is None:
            logger.info("Dropping status update for unknown framework %s", framework_id)
            return
        task_id = value_of(status, "task_id") or ""
        task = framework.tasks.get(task_id)
        state = str(status.get("state", ""))
        if task is not None:
            self.apply_status(framework, task, status, latest_state or state)
            if state in TERMINAL_STATES:
                task.terminal_uuid = status.get("uuid")
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def acknowledge(self, framework: Framework, agent_id: str, task_id: str, uuid: str) -> None:
        task = framework.tasks.get(task_id)
        if task is not None and task.terminal_uuid is not None and task.terminal_uuid == uuid:
            framework.tasks.pop(task_id, None)
            framework.completed_tasks.append(task)
        self.state.send_to_agent(
            agent_id,
            {
                "type": MasterToAgent.ACKNOWLEDGE,
                "framework_id": wrap(framework.id),
                "task_id": wrap(task_id),
                "uuid": uuid,
            },
        )

    def send_master_update(
        self,
        framework: Framework,
        task_id: str,
        state: str,
        reason: str,
        message: str,
        agent_id: str | None = None,
    ) -> None:
        """An update the master itself generates (no uuid, no acknowledgement)."""
        status = master_status(None, state, reason, message, task_id, agent_id)
        self.state.count_state(state)
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def lose_agent_tasks(self, framework: Framework, agent_id: str) -> None:
        """The agent is unreachable: its tasks go TASK_UNREACHABLE (partition-aware
        frameworks) or TASK_LOST, and lost ones are complete."""
        aware = is_partition_aware(framework.info)
        for task in [t for t in framework.tasks.values() if t.agent_id == agent_id]:
            state = "TASK_UNREACHABLE" if aware else "TASK_LOST"
            status = master_status(
                task, state, "REASON_AGENT_REMOVED", "Agent " + agent_id + " is unreachable"
            )
            self.apply_status(framework, task, status, state)
            framework.send({"type": "UPDATE", "update": {"status": status}})
            if not aware:
                framework.tasks.pop(task.id, None)
                framework.completed_tasks.append(task)

    def remove_agent_tasks(self, framework: Framework, agent_id: str, message: str) -> None:
        """An operator removed the agent (Machine DOWN): its tasks go TASK_GONE_BY_OPERATOR
        (partition-aware frameworks) or TASK_LOST, and are complete (Master::__removeSlave
        without an unreachable time)."""
        aware = is_partition_aware(framework.info)
        state = "TASK_GONE_BY_OPERATOR" if aware else "TASK_LOST"
        reason = "REASON_SLAVE_REMOVED_BY_OPERATOR" if aware else "REASON_SLAVE_REMOVED"
        for task in [t for t in framework.tasks.values() if t.agent_id == agent_id]:
            status = master_status(task, state, reason, message)
            self.apply_status(framework, task, status, state)
            framework.send({"type": "UPDATE", "update": {"status": status}})
            framework.tasks.pop(task.id, None)
            framework.completed_tasks.append(task)

    def complete_all(self, framework: Framework) -> None:
        """The framework is removed: its running tasks count as killed, all are complete."""
        for task in list(framework.tasks.values()):
            if task.state not in TERMINAL_STATES:
                task.state = "TASK_KILLED"
                task.statuses.append({"state": "TASK_KILLED", "timestamp": now()})
                self.state.count_state("TASK_KILLED")
            self._recover_resources(task)
            framework.completed_tasks.append(task)
        framework.tasks.clear()

    # ----- reconciliation -----
    def reconcile(self, framework: Framework, tasks: list[tuple[str, str | None]]) -> None:
        if not tasks:
            for task in framework.tasks.values():
                self._send_reconciled(framework, task)
            return
        recovered_agents = self.state.recovered_agents
        for task_id, agent_id in tasks:
            known = framework.tasks.get(task_id) or next(
                (t for t in framework.completed_tasks if t.id == task_id), None
            )
            if known is not None:
                self._send_reconciled(framework, known)
                continue
            if (agent_id is not None and agent_id in recovered_agents) or (
                agent_id is None and recovered_agents
            ):
                # As Mesos: no answer while the task may be on an agent that has not
                # re-registered since the failover; the framework retries.
                logger.info(
                    "Dropping reconciliation of task %s of framework %s: %s",
                    task_id,
                    framework.id,
                    f"agent {agent_id} has" if agent_id else "some agents have",
                )
                continue
            self._send_unknown_task(framework, task_id, agent_id)

    def _send_unknown_task(self, framework: Framework, task_id: str, agent_id: str | None) -> None:
        """Explicit reconciliation of a task the master does not know (Mesos's cases 3-6)."""
        unreachable_since: float | None = None
        if agent_id is not None and agent_id in self.state.agents:
            state, message = "TASK_GONE", "Reconciliation: Task is unknown to the agent"
        elif agent_id is not None and agent_id in self.state.unreachable_agents:
            state, message = "TASK_UNREACHABLE", "Reconciliation: Task is unreachable"
            unreachable_since = self.state.unreachable_agents[agent_id]
        elif agent_id is not None and agent_id in self.state.gone_agents:
            state, message = "TASK_GONE_BY_OPERATOR", "Reconciliation: Task is gone"
        else:
            state, message = "TASK_UNKNOWN", "Reconciliation: Task is unknown"
        if not is_partition_aware(framework.info):
            state = "TASK_LOST"
        status = master_status(None, state, "REASON_RECONCILIATION", message, task_id, agent_id)
        if unreachable_since is not None:
            status["unreachable_time"] = {"nanoseconds": int(unreachable_since * 1e9)}
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def _send_reconciled(self, framework: Framework, task: Task) -> None:
        status = master_status(
            task, task.state, "REASON_RECONCILIATION", "Reconciliation: Latest task state"
        )
        # As Master::_reconcileTasks: health, check status and container status of the
        # latest update, never its data or labels (createStatusUpdate gets None for those).
        if task.latest_status is not None:
            for key in ("healthy", "check_status", "container_status"):
                if key in task.latest_status:
                    status[key] = task.latest_status[key]
        framework.send({"type": "UPDATE", "update": {"status": status}})

    # ----- kill -----
    def kill(
        self,
        framework: Framework,
        task_id: str,
        agent_id: str | None,
        kill_policy: dict[str, Any] | None,
    ) -> None:
        task = framework.tasks.get(task_id)
        if task is None:
            logger.info(
                "Cannot kill task %s of framework %s because it is unknown; "
                "performing reconciliation",
                task_id,
                framework.id,
            )
            self.reconcile(framework, [(task_id, agent_id)])
            return
        message: dict[str, Any] = {
            "type": MasterToAgent.KILL_TASK,
            "framework_id": wrap(framework.id),
            "task_id": wrap(task_id),
        }
        if kill_policy:
            message["kill_policy"] = kill_policy
        self.state.send_to_agent(task.agent_id, message)


def master_status(
    task: Task | None,
    state: str,
    reason: str,
    message: str,
    task_id: str | None = None,
    agent_id: str | None = None,
) -> dict[str, Any]:
    """A TaskStatus the master writes itself (SOURCE_MASTER)."""
    status: dict[str, Any] = {
        "task_id": wrap(task.id if task else task_id or ""),
        "state": state,
        "source": "SOURCE_MASTER",
        "reason": reason,
        "message": message,
        "timestamp": now(),
    }
    chosen_agent = task.agent_id if task else agent_id
    if chosen_agent:
        status["agent_id"] = wrap(chosen_agent)
    if task is not None and task.executor_id:
        status["executor_id"] = wrap(task.executor_id)
    return status
