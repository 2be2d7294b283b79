"""Frameworks coming and going: SUBSCRIBE (new or re-subscribing), a dropped connection and
its failover timeout, and removal (TEARDOWN or failover expiry)."""

from __future__ import annotations

import logging
from typing import Any

from mesos_lite.agent_protocol import MasterToAgent
from mesos_lite.httpd import EventStream
from mesos_lite.master.allocator import Allocator
from mesos_lite.master.context import MasterContext, MasterPart
from mesos_lite.master.executors import Executors
from mesos_lite.master.model import Framework
from mesos_lite.master.tasks import TaskLifecycle
from mesos_lite.protocol import now, value_of, wrap

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_SECONDS = 15.0


class FrameworkLifecycle(MasterPart):
    def __init__(
        self,
        context: MasterContext,
        allocator: Allocator,
        tasks: TaskLifecycle,
        executors: Executors,
    ) -> None:
        super().__init__(context)
        self.allocator = allocator
        self.tasks = tasks
        self.executors = executors
        self._framework_counter = 0

    def next_framework_id(self) -> str:
        framework_id = f"{self.leadership.id}-{self._framework_counter:04d}"
        self._framework_counter += 1
        return framework_id

    def subscribe(self, framework_info: dict[str, Any], stream: EventStream) -> Framework:
        """Adds or re-subscribes a framework; the caller has validated `framework_info`."""
        framework_id = value_of(framework_info, "id")
        existing = self.state.frameworks.get(framework_id) if framework_id else None
        if existing is not None:
            framework = self._resubscribe(existing, framework_info, stream)
        else:
            if framework_id is None:
                framework_id = self.next_framework_id()
            framework = Framework(
                id=framework_id,
                info={**framework_info, "id": wrap(framework_id)},
                registered_time=now(),
                stream=stream,
                stream_id=stream_id_of(stream),
            )
            self.state.frameworks[framework_id] = framework
            self.state.emit("framework_added", framework)
            logger.info("Framework %s (%s) subscribed", framework.id, framework.name)
        stream.send(
            {
                "type": "SUBSCRIBED",
                "subscribed": {
                    "framework_id": wrap(framework.id),
                    "heartbeat_interval_seconds": HEARTBEAT_INTERVAL_SECONDS,
                    "master_info": self.leadership.master_info(),
                },
            }
        )
        stream.send({"type": "HEARTBEAT"})
        self._update_framework_on_agents(framework)
        self.allocator.request_allocation()
        return framework

    def _resubscribe(
        self, framework: Framework, framework_info: dict[str, Any], stream: EventStream
    ) -> Framework:
        if framework.stream is not None and framework.stream is not stream:
            framework.stream.send(error_event("Framework failed over"))
            framework.stream.close()
        framework.info = {**framework_info, "id": wrap(framework.id)}
        framework.stream = stream
        framework.stream_id = stream_id_of(stream)
        framework.connected = True
        framework.active = True
        framework.reregistered_time = now()
        framework.unregistered_time = None
        framework.recovered = False
        self.timers.cancel(f"failover:{framework.id}")
        self.state.emit("framework_updated", framework)
        logger.info("Framework %s (%s) re-subscribed", framework.id, framework.name)
        return framework

    def _update_framework_on_agents(self, framework: Framework) -> None:
        for agent in self.state.agents.values():
            if agent.stream is not None and any(key[0] == framework.id for key in agent.executors):
                agent.stream.send(
                    {"type": MasterToAgent.UPDATE_FRAMEWORK, "framework_info": framework.info}
                )

    def disconnected(self, framework: Framework, stream: EventStream) -> None:
        """The SUBSCRIBE stream of `framework` ended: keep it for its failover_timeout."""
        if framework.stream is not stream or framework.id not in self.state.frameworks:
            return
        framework.stream = None
        framework.connected = False
        framework.active = False
        framework.unregistered_time = now()
        self.allocator.rescind_framework_offers(framework, notify=False)
        timeout = float(framework.info.get("failover_timeout", 0.0) or 0.0)
        logger.info(
            "Framework %s (%s) disconnected; failover timeout %gs",
            framework.id,
            framework.name,
            timeout,
        )
        self.timers.set(f"failover:{framework.id}", timeout, self._failover_expired, framework.id)

    def _failover_expired(self, framework_id: str) -> None:
        framework = self.state.frameworks.get(framework_id)
        if framework is not None and not framework.connected:
            logger.info("Framework %s failover timeout expired; removing it", framework_id)
            self.remove(framework)

    def remove(self, framework: Framework) -> None:
        """TEARDOWN or failover timeout: kill its tasks, forget its offers, complete it."""
        self.allocator.rescind_framework_offers(framework, notify=False)
        for agent in self.state.agents.values():
            if agent.stream is not None:
                agent.stream.send(
                    {"type": MasterToAgent.SHUTDOWN_FRAMEWORK, "framework_id": wrap(framework.id)}
                )
        self.tasks.complete_all(framework)
        for agent_id, executor_id in list(framework.executors):
            self.executors.forget(agent_id, framework.id, executor_id)
        framework.active = False
        framework.connected = False
        framework.unregistered_time = now()
        if framework.stream is not None:
            framework.stream.close()
            framework.stream = None
        self.timers.cancel(f"failover:{framework.id}")
        self.state.frameworks.pop(framework.id, None)
        self.state.completed_frameworks.append(framework)
        self.state.emit("framework_removed", framework)
        logger.info("Framework %s (%s) removed", framework.id, framework.name)
        self.allocator.request_allocation()


def stream_id_of(stream: EventStream) -> str | None:
    return getattr(stream, "stream_id", None)


def error_event(message: str) -> dict[str, Any]:
    return {"type": "ERROR", "error": {"message": message}}
