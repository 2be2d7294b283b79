"""Agents going away: health checks (PING every --agent_ping_timeout, unreachable after
--max_agent_ping_timeouts unanswered, as Mesos's SlaveObserver), dropped connections, and
marking an agent unreachable."""

from __future__ import annotations

import logging

from mesos_lite.httpd import EventStream
from mesos_lite.master.allocator import Allocator
from mesos_lite.master.context import MasterContext, MasterPart
from mesos_lite.master.model import Agent
from mesos_lite.master.registry_keeper import RegistryKeeper
from mesos_lite.master.tasks import TaskLifecycle
from mesos_lite.protocol import now, wrap

logger = logging.getLogger(__name__)


class AgentHealth(MasterPart):
    def __init__(
        self,
        context: MasterContext,
        allocator: Allocator,
        tasks: TaskLifecycle,
        registry: RegistryKeeper,
    ) -> None:
        super().__init__(context)
        self.allocator = allocator
        self.tasks = tasks
        self.registry = registry

    def ping_due(self, agent: Agent, stream: EventStream) -> bool:
        """Before each PING (every --agent_ping_timeout): an agent that left
        --max_agent_ping_timeouts pings in a row unanswered is marked unreachable (as Mesos's
        SlaveObserver), even though its connection looks open. False: stop pinging."""
        if agent.stream is not stream or self.state.agents.get(agent.id) is not agent:
            return False
        if agent.ping_outstanding:
            agent.missed_pings += 1
            if agent.missed_pings >= self.config.max_agent_ping_timeouts:
                logger.warning(
                    "Agent %s (%s) did not answer %d pings (--agent_ping_timeout=%gsecs)",
                    agent.id,
                    agent.hostname,
                    agent.missed_pings,
                    self.config.agent_ping_timeout,
                )
                agent.stream = None
                stream.close()
                self.mark_unreachable(agent.id)
                return False
        agent.ping_outstanding = True
        return True

    def pong(self, agent: Agent) -> None:
        agent.ping_outstanding = False
        agent.missed_pings = 0

    def disconnected(self, agent: Agent, stream: EventStream) -> None:
        if agent.stream is not stream:
            return
        agent.stream = None
        agent.connected = False
        agent.active = False
        self.allocator.rescind_agent_offers(agent.id)
        grace = self.config.agent_ping_timeout * self.config.max_agent_ping_timeouts
        logger.warning(
            "Agent %s (%s) disconnected; marking it unreachable in %gs unless it re-registers",
            agent.id,
            agent.hostname,
            grace,
        )
        self.timers.set(f"agent:{agent.id}", grace, self.mark_unreachable, agent.id)

    def mark_unreachable(self, agent_id: str) -> None:
        agent = self.state.agents.pop(agent_id, None)
        if agent is None:
            return
        logger.warning("Agent %s (%s) is unreachable", agent.id, agent.hostname)
        self.state.unreachable_agents[agent_id] = now()
        self.registry.persist()
        self.state.emit("agent_removed", agent_id)
        for framework in self.state.frameworks.values():
            self.tasks.lose_agent_tasks(framework, agent_id)
            framework.send({"type": "FAILURE", "failure": {"agent_id": wrap(agent_id)}})
            for key in [k for k in framework.executors if k[0] == agent_id]:
                framework.executors.pop(key, None)
