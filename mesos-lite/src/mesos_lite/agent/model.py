"""What the agent keeps about frameworks, executors and their tasks."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any

from mesos_lite.agent.containers import AdoptedProcess, Process
from mesos_lite.httpd import EventStream
from mesos_lite.protocol import TERMINAL_STATES


@dataclass
class ExecutorRun:
    framework_id: str
    executor_id: str
    info: dict[str, Any]
    container_id: str
    directory: str
    is_command_executor: bool
    process: Process | AdoptedProcess | None = None
    stream: EventStream | None = None
    subscribed: bool = False
    terminating: bool = False
    # Why the executor is being terminated (reason, message), for its tasks' final updates.
    termination: tuple[str, str] | None = None
    queued_tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    queued_groups: list[list[dict[str, Any]]] = field(default_factory=list)
    launched_tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    task_states: dict[str, str] = field(default_factory=dict)
    completed_tasks: collections.deque[dict[str, Any]] = field(
        default_factory=lambda: collections.deque(maxlen=200)
    )

    def live_task_ids(self) -> list[str]:
        live = list(self.queued_tasks)
        live += [t for t in self.launched_tasks if self.task_states.get(t) not in TERMINAL_STATES]
        return live


@dataclass
class FrameworkRun:
    id: str
    info: dict[str, Any]
    executors: dict[str, ExecutorRun] = field(default_factory=dict)
    completed_executors: collections.deque[ExecutorRun] = field(
        default_factory=lambda: collections.deque(maxlen=150)
    )

    @property
    def checkpoint(self) -> bool:
        return bool(self.info.get("checkpoint", False))
