"""What the master keeps about agents, frameworks, tasks and offers."""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from mesos_lite.httpd import EventStream
from mesos_lite.protocol import wrap
from mesos_lite.resources import Resources

T = TypeVar("T")


@dataclass
class Task:
    info: dict[str, Any]
    framework_id: str
    agent_id: str
    executor_id: str  # "" for tasks run by the command executor
    resources: Resources
    role: str
    state: str = "TASK_STAGING"
    statuses: list[dict[str, Any]] = field(default_factory=list)
    latest_status: dict[str, Any] | None = None
    # uuid of the terminal update, once received; the task leaves `tasks` when it is acked.
    terminal_uuid: str | None = None
    resources_recovered: bool = False

    @property
    def id(self) -> str:
        return str(self.info["task_id"]["value"])

    def to_json(self) -> dict[str, Any]:
        """A task as /master/state lists it."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.info.get("name", ""),
            "framework_id": self.framework_id,
            "executor_id": self.executor_id,
            "slave_id": self.agent_id,
            "state": self.state,
            "resources": self.resources.summary(),
            "role": self.role,
            "statuses": self.statuses,
        }
        for key in ("labels", "discovery", "container", "health_check", "kill_policy"):
            if key in self.info:
                if key == "labels":
                    body["labels"] = self.info["labels"].get("labels", [])
                else:
                    body[key] = self.info[key]
        return body

    def to_v1(self) -> dict[str, Any]:
        """A task in the operator API's v1 form."""
        body: dict[str, Any] = {
            "name": self.info.get("name", ""),
            "task_id": wrap(self.id),
            "framework_id": wrap(self.framework_id),
            "agent_id": wrap(self.agent_id),
            "state": self.state,
            "resources": self.resources.to_json(self.role),
            "statuses": [s for s in ([self.latest_status] if self.latest_status else [])],
        }
        if self.executor_id:
            body["executor_id"] = wrap(self.executor_id)
        return body


@dataclass
class Offer:
    id: str
    framework_id: str
    agent_id: str
    resources: Resources
    role: str
    created: float
    # Its /master/state form as JSON text (see state_json._offer_text).
    rendered: str | None = field(default=None, repr=False, compare=False)


@dataclass
class Agent:
    id: str
    hostname: str
    ip: str
    port: int
    total: Resources
    attributes: list[dict[str, Any]]
    registered_time: float
    version: str
    stream: EventStream | None = None
    connected: bool = True
    active: bool = True
    reregistered_time: float | None = None
    # (framework id, executor id) -> resources of custom executors running there.
    executors: dict[tuple[str, str], Resources] = field(default_factory=dict)
    executor_infos: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    offered: Resources = field(default_factory=Resources)
    used: Resources = field(default_factory=Resources)
    capabilities: list[str] = field(default_factory=list)
    # Health checks: a PING not answered yet, and how many in a row went unanswered.
    ping_outstanding: bool = False
    missed_pings: int = 0
    # Derived values kept while what they are made of stays the same objects (the master
    # replaces an agent's resources, never mutates them): the allocator asks every agent for
    # what is available every interval, /master/state renders every agent.
    memo: dict[str, tuple[tuple[Any, ...], Any]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def pid(self) -> str:
        return f"slave(1)@{self.ip}:{self.port}"

    def available(self) -> Resources:
        return self.remembered(
            "available",
            (self.total, self.used, self.offered),
            lambda: self.total - self.used - self.offered,
        )

    def remembered(self, name: str, parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()`, computed again only when one of `parts` is another object."""
        kept = self.memo.get(name)
        if kept is not None and all(a is b for a, b in zip(kept[0], parts, strict=True)):
            return cast(T, kept[1])
        value = compute()
        self.memo[name] = (parts, value)
        return value

    def info_json(self) -> dict[str, Any]:
        return {
            "hostname": self.hostname,
            "port": self.port,
            "resources": self.total.to_json(),
            "attributes": self.attributes,
            "id": wrap(self.id),
        }


@dataclass
class Framework:
    id: str
    info: dict[str, Any]
    registered_time: float
    stream: EventStream | None = None
    stream_id: str | None = None
    connected: bool = True
    active: bool = True
    recovered: bool = False
    reregistered_time: float | None = None
    unregistered_time: float | None = None
    tasks: dict[str, Task] = field(default_factory=dict)
    completed_tasks: collections.deque[Task] = field(
        default_factory=lambda: collections.deque(maxlen=1000)
    )
    offers: dict[str, Offer] = field(default_factory=dict)
    # agent id -> (resources refused, monotonic expiry)
    filters: dict[str, tuple[Resources, float]] = field(default_factory=dict)
    suppressed_roles: set[str] = field(default_factory=set)
    # (agent id, executor id) -> ExecutorInfo of custom executors launched for it.
    executors: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    allocated: Resources = field(default_factory=Resources)

    @property
    def name(self) -> str:
        return str(self.info.get("name", ""))

    def send(self, event: dict[str, Any]) -> None:
        if self.stream is not None and self.connected:
            self.stream.send(event)
