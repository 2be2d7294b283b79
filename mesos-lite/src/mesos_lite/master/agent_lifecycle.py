"""What operators do to agents (Mesos's Master::deactivate, markGone and the draining
transitions): deactivation, reactivation, draining and marking an agent gone.

A deactivated agent gets no offers (its outstanding ones are rescinded) but keeps running
its tasks. A drained agent is deactivated and kills its tasks (agent/draining.py: kill
grace periods capped by max_grace_period); once no task is left on it, it is DRAINED, or, with
mark_gone, gone. A gone agent is removed for good: its tasks are TASK_GONE_BY_OPERATOR
(TASK_LOST for frameworks that are not partition-aware), it is told to shut down, and it is
refused if it comes back. All of it is kept in the registry (state.operator_marks,
state.gone_agents), so a master that fails over keeps it.
"""

from __future__ import annotations

import logging
from typing import Any

from mesos_lite.agent_protocol import MasterToAgent
from mesos_lite.master.allocator import Allocator
from mesos_lite.master.model import Agent
from mesos_lite.master.registry_keeper import RegistryKeeper
from mesos_lite.master.state import MasterState
from mesos_lite.master.tasks import TaskLifecycle, master_status
from mesos_lite.master.timers import Timers
from mesos_lite.protocol import is_partition_aware, now, wrap

logger = logging.getLogger(__name__)

GONE_MESSAGE = "Agent has been marked gone"
# How often a DRAINING agent is checked for tasks left (Mesos checks on every update/ack).
DRAIN_CHECK_SECONDS = 0.25


class AgentLifecycle:
    def __init__(
        self,
        state: MasterState,
        timers: Timers,
        allocator: Allocator,
        tasks: TaskLifecycle,
        registry: RegistryKeeper,
    ) -> None:
        self.state = state
        self.timers = timers
        self.allocator = allocator
        self.tasks = tasks
        self.registry = registry

    # ----- what the master knows -----
    def is_known(self, agent_id: str) -> bool:
        """Registered, recovered from the registry, or unreachable."""
        state = self.state
        return (
            agent_id in state.agents
            or agent_id in state.recovered_agents
            or agent_id in state.unreachable_agents
        )

    def is_deactivated(self, agent_id: str) -> bool:
        return bool(self.state.operator_marks.get(agent_id, {}).get("deactivated"))

    def drain_info(self, agent_id: str) -> dict[str, Any] | None:
        info = self.state.operator_marks.get(agent_id, {}).get("drain_info")
        return info if isinstance(info, dict) else None

    # ----- deactivation -----
    def deactivate(self, agent_id: str) -> None:
        marks = self.state.operator_marks
        # Replaced, never mutated: renderers remember an agent's JSON while its marks stay
        # the same object.
        marks[agent_id] = {**marks.get(agent_id, {}), "deactivated": True}
        self.registry.persist()
        agent = self.state.agents.get(agent_id)
        if agent is not None:
            self._deactivate(agent)

    def _deactivate(self, agent: Agent) -> None:
        logger.info("Deactivating agent %s (%s)", agent.id, agent.hostname)
        agent.active = False
        self.allocator.rescind_agent_offers(agent.id)

    def reactivate(self, agent_id: str) -> bool:
        """False when the agent is not registered (any more)."""
        self.state.operator_marks.pop(agent_id, None)
        self.timers.cancel(f"drain:{agent_id}")
        self.registry.persist()
        agent = self.state.agents.get(agent_id)
        if agent is None:
            return False
        if agent.connected:
            logger.info("Reactivating agent %s (%s)", agent.id, agent.hostname)
            agent.active = True
            self.allocator.request_allocation()
        else:
            logger.info("Disconnected agent %s will be reactivated upon re-registration", agent_id)
        return True

    # ----- draining -----
    def drain(
        self, agent_id: str, max_grace_period: dict[str, Any] | None, mark_gone: bool
    ) -> None:
        config: dict[str, Any] = {"mark_gone": mark_gone}
        if max_grace_period is not None:
            config["max_grace_period"] = max_grace_period
        self.state.operator_marks[agent_id] = {
            "drain_info": {"state": "DRAINING", "config": config},
            "deactivated": True,
        }
        self.registry.persist()
        agent = self.state.agents.get(agent_id)
        if agent is not None:
            logger.info("Transitioning agent %s to the DRAINING state", agent_id)
            self._deactivate(agent)
            self._note_drain_start(agent_id)
            self._send_drain(agent, config)
            self._check_drained(agent_id)

    def _note_drain_start(self, agent_id: str) -> None:
        """Mesos's estimated drain start time (kept in memory only, as in Mesos)."""
        marks = self.state.operator_marks
        if "drain_started" not in marks.get(agent_id, {}):
            marks[agent_id] = {**marks.get(agent_id, {}), "drain_started": now()}

    def _send_drain(self, agent: Agent, config: dict[str, Any]) -> None:
        """The agent kills its tasks, grace periods capped by max_grace_period (Mesos's
        DrainSlaveMessage; sent again when a draining agent re-registers)."""
        self.state.send_to_agent(agent.id, {"type": MasterToAgent.DRAIN, "config": config})

    def _check_drained(self, agent_id: str) -> None:
        """DRAINING → DRAINED (or gone, with mark_gone) once no task is left on the agent
        (terminal ones leave when their update is acknowledged, as Mesos's slave->tasks)."""
        info = self.drain_info(agent_id)
        if info is None or info.get("state") != "DRAINING" or agent_id not in self.state.agents:
            return
        if any(
            task.agent_id == agent_id
            for framework in self.state.frameworks.values()
            for task in framework.tasks.values()
        ):
            self.timers.set(f"drain:{agent_id}", DRAIN_CHECK_SECONDS, self._check_drained, agent_id)
            return
        if info.get("config", {}).get("mark_gone"):
            logger.info("Marking agent %s in the DRAINED state as gone", agent_id)
            self.mark_gone(agent_id)
            return
        logger.info("Agent %s successfully marked as DRAINED", agent_id)
        marks = self.state.operator_marks
        marks[agent_id] = {**marks[agent_id], "drain_info": {**info, "state": "DRAINED"}}
        self.registry.persist()

    # ----- (re-)registration -----
    def admitted(self, agent: Agent) -> None:
        """After an agent (re-)registers: a deactivated one stays so, a draining one is told
        to drain again (Mesos resends the DrainSlaveMessage in either drain state)."""
        if self.is_deactivated(agent.id):
            self._deactivate(agent)
        info = self.drain_info(agent.id)
        if info is not None:
            # No estimated drain start time here: Mesos sets it only on DRAIN_AGENT.
            self._send_drain(agent, info.get("config", {}))
            self._check_drained(agent.id)

    # ----- gone -----
    def mark_gone(self, agent_id: str) -> None:
        """Removes the agent for good (Mesos's Master::markGone)."""
        state = self.state
        logger.info("Marking agent %s as gone", agent_id)
        state.gone_agents[agent_id] = now()
        state.operator_marks.pop(agent_id, None)
        state.recovered_agents.pop(agent_id, None)
        state.unreachable_agents.pop(agent_id, None)
        self.timers.cancel(f"drain:{agent_id}")
        self.timers.cancel(f"agent:{agent_id}")
        agent = state.agents.pop(agent_id, None)
        self.registry.persist()
        if agent is not None:
            self.allocator.rescind_agent_offers(agent_id)
            if agent.stream is not None:
                agent.stream.send({"type": MasterToAgent.SHUTDOWN, "message": GONE_MESSAGE})
                agent.stream.close()
                agent.stream = None
            # No AGENT_REMOVED operator event: Mesos 1.11 sends it only when an agent
            # unregisters (Master::_removeSlave), not for gone or unreachable ones.
        for framework in state.frameworks.values():
            aware = is_partition_aware(framework.info)
            for task in [t for t in framework.tasks.values() if t.agent_id == agent_id]:
                if aware:
                    task_state, reason = "TASK_GONE_BY_OPERATOR", "REASON_AGENT_REMOVED_BY_OPERATOR"
                else:
                    task_state, reason = "TASK_LOST", "REASON_AGENT_REMOVED"
                status = master_status(task, task_state, reason, GONE_MESSAGE)
                self.tasks.apply_status(framework, task, status, task_state)
                framework.send({"type": "UPDATE", "update": {"status": status}})
                framework.tasks.pop(task.id, None)
                framework.completed_tasks.append(task)
            for key in [k for k in framework.executors if k[0] == agent_id]:
                framework.executors.pop(key, None)
            if agent is not None:
                framework.send({"type": "FAILURE", "failure": {"agent_id": wrap(agent_id)}})
