"""Agents joining: registration of new agents, re-registration (after an agent restart, a
dropped connection or a master failover), and adoption of the frameworks, executors and tasks
a re-registering agent still runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mesos_lite.agent_protocol import MasterToAgent
from mesos_lite.httpd import EventStream
from mesos_lite.ids import IdSequence
from mesos_lite.master.allocator import Allocator
from mesos_lite.master.context import MasterContext, MasterPart
from mesos_lite.master.executors import book_on_agent
from mesos_lite.master.model import Agent, Framework, Task
from mesos_lite.master.registry_keeper import RegistryKeeper
from mesos_lite.master.tasks import master_status
from mesos_lite.protocol import (
    AGENT_CAPABILITIES,
    TERMINAL_STATES,
    framework_roles,
    now,
    value_of,
    wrap,
)
from mesos_lite.resources import ResourceError, Resources, parse_resources_json

logger = logging.getLogger(__name__)


class AgentRegistration(MasterPart):
    def __init__(
        self, context: MasterContext, allocator: Allocator, registry: RegistryKeeper
    ) -> None:
        super().__init__(context)
        self.allocator = allocator
        self.registry = registry
        # Mesos derives agent ids from the master's id ("<id>-S0").
        self._agent_ids = IdSequence(self.leadership.id, "S")
        # Called with every agent (re-)registered (agent_lifecycle.py keeps deactivated and
        # draining agents so).
        self.on_admitted: Callable[[Agent], None] = lambda agent: None

    def register(
        self,
        info: dict[str, Any],
        ip: str,
        version: str,
        stream: EventStream,
        recovered: dict[str, Any],
    ) -> Agent:
        """Admits an agent (new, or re-registering with the id it checkpointed)."""
        total = parse_resources_json(info.get("resources", []))
        agent_id = value_of(info, "id")
        existing = self.state.agents.get(agent_id) if agent_id else None
        admitted_info = existing.info_json() if existing is not None else None
        # Mesos tells frameworks the state of every task an unreachable or unknown agent
        # brings back (REASON_AGENT_REREGISTERED: v1's name of v0's REASON_SLAVE_REREGISTERED);
        # None for registered/recovered agents.
        reregistered: str | None = None
        if existing is not None:
            agent = self._reconnect(existing, info, total, stream)
        else:
            # An agent that brings its id re-registers (Mesos's ReregisterSlaveMessage), even
            # with a master that has never seen it: it gets a reregistered_time.
            timestamp = now()
            reregistered_time = timestamp if agent_id is not None else None
            if agent_id is None:
                agent_id = self._agent_ids.next()
            elif agent_id in self.state.recovered_agents:
                admitted_info = self.state.recovered_agents.pop(agent_id)
                logger.info("Re-admitting agent %s recovered from the registry", agent_id)
            elif agent_id in self.state.unreachable_agents:
                logger.info("Agent %s was unreachable and re-registers", agent_id)
                reregistered = "Unreachable agent re-reregistered"
                self._forget_unreachable_tasks(agent_id)
            else:
                logger.info("Admitting re-registering agent %s unknown to the registry", agent_id)
                reregistered = "Unknown agent reregistered"
            self.state.unreachable_agents.pop(agent_id, None)
            agent = Agent(
                id=agent_id,
                hostname=str(info.get("hostname", ip)),
                ip=ip,
                port=int(info.get("port", 5051)),
                total=total,
                attributes=list(info.get("attributes", [])),
                registered_time=timestamp,
                reregistered_time=reregistered_time,
                version=version,
                stream=stream,
                capabilities=list(AGENT_CAPABILITIES),
            )
            self.state.agents[agent_id] = agent
            self.state.emit("agent_added", agent)
            logger.info("Agent %s (%s) registered with %s", agent.id, agent.hostname, total.text())
        self._adopt_recovered_state(agent, recovered)
        if reregistered is not None:
            self._announce_reregistered_tasks(agent, recovered, reregistered)
        if agent.info_json() != admitted_info:
            self.registry.persist()
        stream.send(
            {
                "type": MasterToAgent.REGISTERED,
                "agent_id": wrap(agent.id),
                "master_info": self.leadership.master_info(),
            }
        )
        self.on_admitted(agent)
        self.allocator.request_allocation()
        return agent

    def _reconnect(
        self, agent: Agent, info: dict[str, Any], total: Resources, stream: EventStream
    ) -> Agent:
        """A registered agent registers again (new connection, maybe new resources)."""
        if agent.stream is not None and agent.stream is not stream:
            agent.stream.close()
        agent.stream = stream
        agent.connected = True
        agent.active = True
        agent.reregistered_time = now()
        agent.total = total
        agent.hostname = str(info.get("hostname", agent.hostname))
        agent.attributes = list(info.get("attributes", []))
        self.timers.cancel(f"agent:{agent.id}")
        logger.info("Agent %s (%s) re-registered", agent.id, agent.hostname)
        return agent

    def _adopt_recovered_state(self, agent: Agent, recovered: dict[str, Any]) -> None:
        """Tasks and executors a re-registering agent still runs (after a master restart)."""
        for info in recovered.get("frameworks", []):
            self._adopt_framework(agent, info)
        for executor in recovered.get("executors", []):
            framework_id = value_of(executor, "framework_id") or ""
            executor_id = value_of(executor, "executor_id") or ""
            book_on_agent(agent, framework_id, executor_id, executor)
        for entry in recovered.get("tasks", []):
            self._adopt_task(agent, entry)

    def _adopt_framework(self, agent: Agent, info: dict[str, Any]) -> None:
        framework_id = value_of(info, "id")
        if (
            not framework_id
            or framework_id in self.state.frameworks
            or self.state.is_completed_framework(framework_id)
        ):
            return
        self.state.frameworks[framework_id] = Framework(
            id=framework_id,
            info=info,
            registered_time=now(),
            connected=False,
            active=False,
            recovered=True,
        )
        logger.info(
            "Recovered framework %s (%s) from agent %s",
            framework_id,
            info.get("name", ""),
            agent.id,
        )

    def _adopt_task(self, agent: Agent, entry: dict[str, Any]) -> None:
        framework_id = value_of(entry, "framework_id") or ""
        framework = self.state.frameworks.get(framework_id)
        task_info = entry.get("task_info", {})
        task_id = value_of(task_info, "task_id")
        if framework is None or task_id is None or task_id in framework.tasks:
            return
        try:
            resources = parse_resources_json(task_info.get("resources", []))
        except ResourceError:
            resources = Resources()
        task = Task(
            info=task_info,
            framework_id=framework_id,
            agent_id=agent.id,
            executor_id=value_of(entry, "executor_id") or "",
            resources=resources,
            role=framework_roles(framework.info)[0],
            state=str(entry.get("state", "TASK_STAGING")),
        )
        framework.tasks[task_id] = task
        if task.state in TERMINAL_STATES:
            # Ended, its terminal update not yet acknowledged (Mesos keeps such a task among
            # the framework's tasks until then): it is known, but holds no resources.
            task.resources_recovered = True
        else:
            agent.used = agent.used + resources

    def _forget_unreachable_tasks(self, agent_id: str) -> None:
        """An unreachable agent re-registers: the tasks it reports replace what the master kept
        (TASK_UNREACHABLE tasks, or TASK_LOST ones among the completed), as in Mesos."""
        for framework in self.state.frameworks.values():
            for task in [t for t in framework.tasks.values() if t.agent_id == agent_id]:
                del framework.tasks[task.id]
            kept = [t for t in framework.completed_tasks if t.agent_id != agent_id]
            if len(kept) != len(framework.completed_tasks):
                framework.completed_tasks.clear()
                framework.completed_tasks.extend(kept)

    def _announce_reregistered_tasks(
        self, agent: Agent, recovered: dict[str, Any], message: str
    ) -> None:
        for entry in recovered.get("tasks", []):
            framework = self.state.frameworks.get(value_of(entry, "framework_id") or "")
            if framework is None:
                continue
            task = framework.tasks.get(value_of(entry.get("task_info"), "task_id") or "")
            if task is None or task.agent_id != agent.id:
                continue
            status = master_status(task, task.state, "REASON_AGENT_REREGISTERED", message)
            framework.send({"type": "UPDATE", "update": {"status": status}})
