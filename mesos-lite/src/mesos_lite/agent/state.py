"""What the agent knows about itself and the work it runs, shared by the agent's parts
(master link, containerizer, task lifecycle, checkpointing)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from mesos_lite.agent.config import AgentConfig
from mesos_lite.agent.model import ExecutorRun, FrameworkRun
from mesos_lite.protocol import now, value_of, wrap

# How many completed frameworks the agent remembers (for /state).
MAX_COMPLETED_FRAMEWORKS = 50


class AgentState:
    def __init__(self, config: AgentConfig, agent_id: str | None) -> None:
        self.config = config
        # None until the first master registers the agent (or recovered from the checkpoint).
        self.id = agent_id
        self.start_time = now()
        self.master_info: dict[str, Any] | None = None
        self.frameworks: dict[str, FrameworkRun] = {}
        self.completed_frameworks: list[FrameworkRun] = []
        self.counters: dict[str, int] = {}
        # Set while the master drains this agent (DrainConfig: max_grace_period, mark_gone).
        self.drain_config: dict[str, Any] | None = None
        # Set when the agent shuts down: its executors' ends are then not reported.
        self.stopping = False
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def pid(self) -> str:
        return f"slave(1)@{self.config.advertise_ip}:{self.config.advertise_port}"

    @property
    def endpoint(self) -> str:
        return f"{self.config.advertise_ip}:{self.config.advertise_port}"

    def agent_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "hostname": self.config.hostname,
            "port": self.config.advertise_port,
            "resources": self.config.resources.to_json(),
            "attributes": self.config.attributes,
        }
        if self.id is not None:
            info["id"] = wrap(self.id)
        return info

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Runs `coroutine` in the background, keeping a reference until it is done."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def executor(self, framework_id: str | None, executor_id: str | None) -> ExecutorRun | None:
        framework = self.frameworks.get(framework_id or "")
        return framework.executors.get(executor_id or "") if framework else None

    def framework(self, info: dict[str, Any]) -> FrameworkRun:
        """The framework of `info` (its info refreshed), added if the agent has none yet."""
        framework_id = value_of(info, "id") or ""
        framework = self.frameworks.get(framework_id)
        if framework is None:
            framework = self.frameworks[framework_id] = FrameworkRun(framework_id, info)
            self.completed_frameworks = [
                f for f in self.completed_frameworks if f.id != framework_id
            ]
        else:
            framework.info = info
        return framework

    def complete_framework(self, framework: FrameworkRun) -> None:
        self.frameworks.pop(framework.id, None)
        self.completed_frameworks.append(framework)
        del self.completed_frameworks[:-MAX_COMPLETED_FRAMEWORKS]
