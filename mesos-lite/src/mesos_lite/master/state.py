"""What the master knows of the cluster: frameworks, agents (registered, recovered from the
registry, unreachable, gone), counters, and who listens to changes. Every other part of the
master reads and updates this one object."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from mesos_lite.master.config import MasterConfig
from mesos_lite.master.model import Agent, Framework

logger = logging.getLogger(__name__)


class MasterState:
    def __init__(self, config: MasterConfig) -> None:
        self.agents: dict[str, Agent] = {}
        # Registry state (see master/registry_keeper.py): agents admitted before a failover
        # that have not re-registered yet (id -> AgentInfo), and agents marked unreachable
        # or gone (id -> time).
        self.recovered_agents: dict[str, dict[str, Any]] = {}
        self.unreachable_agents: dict[str, float] = {}
        self.gone_agents: dict[str, float] = {}
        # Admitted or unreachable agents an operator deactivated or drained (registry
        # entries' drain_info / deactivated, see master/agent_lifecycle.py).
        self.operator_marks: dict[str, dict[str, Any]] = {}
        self.recovery_agent_removals = 0
        self.frameworks: dict[str, Framework] = {}
        self.completed_frameworks: deque[Framework] = deque(maxlen=config.max_completed_frameworks)
        self.task_counters: dict[str, int] = {}
        self.messages_counter: dict[str, int] = {}
        # Observers of cluster changes (the operator API's SUBSCRIBE streams).
        self.listeners: set[Callable[[str, Any], None]] = set()

    def emit(self, kind: str, payload: Any) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, payload)
            except Exception:
                logger.exception("Operator event listener failed")

    def count_state(self, state: str) -> None:
        self.task_counters[state] = self.task_counters.get(state, 0) + 1

    def count_message(self, direction: str) -> None:
        self.messages_counter[direction] = self.messages_counter.get(direction, 0) + 1

    def is_completed_framework(self, framework_id: str) -> bool:
        return any(f.id == framework_id for f in self.completed_frameworks)

    def send_to_agent(self, agent_id: str, message: dict[str, Any]) -> bool:
        """Writes `message` on the agent's stream; False when the agent is not connected."""
        agent = self.agents.get(agent_id)
        if agent is None or agent.stream is None:
            return False
        agent.stream.send(message)
        return True
