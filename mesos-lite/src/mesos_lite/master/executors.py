"""Custom executors as the master sees them: their resources on agents, SHUTDOWN, framework
messages both ways, and FAILURE when one exits."""

from __future__ import annotations

import logging
from typing import Any

from mesos_lite.agent_protocol import MasterToAgent
from mesos_lite.master.allocator import Allocator
from mesos_lite.master.context import MasterContext, MasterPart
from mesos_lite.master.model import Agent, Framework
from mesos_lite.protocol import value_of, wrap
from mesos_lite.resources import ResourceError, Resources, parse_resources_json

logger = logging.getLogger(__name__)


class Executors(MasterPart):
    def __init__(self, context: MasterContext, allocator: Allocator) -> None:
        super().__init__(context)
        self.allocator = allocator

    def add(self, framework: Framework, agent: Agent, executor_info: dict[str, Any]) -> None:
        """Book the executor a launch names, and its resources, the first time it is seen."""
        executor_id = value_of(executor_info, "executor_id") or ""
        if book_on_agent(agent, framework.id, executor_id, executor_info):
            framework.executors[(agent.id, executor_id)] = executor_info

    def shutdown(self, framework: Framework, agent_id: str, executor_id: str) -> None:
        self.state.send_to_agent(
            agent_id,
            {
                "type": MasterToAgent.SHUTDOWN_EXECUTOR,
                "framework_id": wrap(framework.id),
                "executor_id": wrap(executor_id),
            },
        )

    def message_to_executor(
        self, framework: Framework, agent_id: str, executor_id: str, data: str
    ) -> None:
        agent = self.state.agents.get(agent_id)
        if agent is None or agent.stream is None:
            logger.warning(
                "Dropping message for executor %s on unknown agent %s", executor_id, agent_id
            )
            return
        self.state.count_message("framework_to_executor")
        agent.stream.send(
            {
                "type": MasterToAgent.MESSAGE,
                "framework_id": wrap(framework.id),
                "executor_id": wrap(executor_id),
                "data": data,
            }
        )

    def message_to_framework(
        self, agent: Agent, framework_id: str, executor_id: str, data: str
    ) -> None:
        framework = self.state.frameworks.get(framework_id)
        if framework is None:
            return
        self.state.count_message("executor_to_framework")
        framework.send(
            {
                "type": "MESSAGE",
                "message": {
                    "agent_id": wrap(agent.id),
                    "executor_id": wrap(executor_id),
                    "data": data,
                },
            }
        )

    def exited(self, agent: Agent, framework_id: str, executor_id: str, status: int | None) -> None:
        self.forget(agent.id, framework_id, executor_id)
        framework = self.state.frameworks.get(framework_id)
        if framework is None:
            return
        failure: dict[str, Any] = {"agent_id": wrap(agent.id), "executor_id": wrap(executor_id)}
        if status is not None:
            failure["status"] = status
        framework.send({"type": "FAILURE", "failure": failure})

    def forget(self, agent_id: str, framework_id: str, executor_id: str) -> None:
        agent = self.state.agents.get(agent_id)
        if agent is not None:
            resources = agent.executors.pop((framework_id, executor_id), None)
            agent.executor_infos.pop((framework_id, executor_id), None)
            if resources is not None:
                agent.used = agent.used - resources
                self.allocator.request_allocation()
        framework = self.state.frameworks.get(framework_id)
        if framework is not None:
            framework.executors.pop((agent_id, executor_id), None)


def book_on_agent(
    agent: Agent, framework_id: str, executor_id: str, executor_info: dict[str, Any]
) -> bool:
    """Counts an executor's resources as used on `agent`; False if it was booked already."""
    key = (framework_id, executor_id)
    if key in agent.executors:
        return False
    try:
        resources = parse_resources_json(executor_info.get("resources", []))
    except ResourceError:
        resources = Resources()
    agent.executors[key] = resources
    agent.executor_infos[key] = executor_info
    agent.used = agent.used + resources
    return True
