"""The master's behaviour: frameworks, agents, the allocator, offers and task status."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mesos_lite import MESOS_VERSION
from mesos_lite.httpd import CallError, EventStream
from mesos_lite.ids import IdSequence, new_uuid
from mesos_lite.master.model import Agent, Framework, Offer, Task
from mesos_lite.master.registry import Registrar, RegistryState
from mesos_lite.protocol import (
    AGENT_CAPABILITIES,
    TERMINAL_STATES,
    framework_roles,
    is_partition_aware,
    now,
    value_of,
    wrap,
)
from mesos_lite.resources import (
    ResourceError,
    Resources,
    parse_resources_json,
)

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_SECONDS = 15.0
DEFAULT_REFUSE_SECONDS = 5.0
# Mesos does not offer an agent's leftovers below these (--min_allocatable_resources).
MIN_ALLOCATABLE_CPUS = 0.01
MIN_ALLOCATABLE_MEM = 32.0


@dataclass
class MasterConfig:
    ip: str
    port: int
    hostname: str
    advertise_ip: str
    advertise_port: int
    cluster: str | None
    work_dir: str | None
    log_dir: str | None
    allocation_interval: float
    offer_timeout: float | None
    agent_ping_timeout: float
    max_agent_ping_timeouts: int
    max_completed_frameworks: int
    max_completed_tasks_per_framework: int
    flags: dict[str, str] = field(default_factory=dict)
    agent_reregister_timeout: float = 600.0
    registry_max_agent_age: float = 14 * 86400.0
    registry_max_agent_count: int = 102400


class Master:
    def __init__(self, config: MasterConfig) -> None:
        self.config = config
        self.id = new_uuid()
        self.start_time = now()
        self.elected_time: float | None = None
        self.leader_info: dict[str, Any] | None = None
        self.agents: dict[str, Agent] = {}
        self.unreachable_agents: dict[str, float] = {}
        # Registry state (see master/registry.py): agents admitted before a failover that have
        # not re-registered yet (id -> AgentInfo), and agents marked gone (id -> time).
        self.recovered_agents: dict[str, dict[str, Any]] = {}
        self.gone_agents: dict[str, float] = {}
        self.registrar: Registrar | None = None
        self.recovery_agent_removals = 0
        # Elected, but the registry is not recovered yet (calls get 503, as in Mesos).
        self.recovering = False
        # With ZooKeeper: does the leader in `leader_info` still hold its node right now?
        # (Watches arrive late; a client may already have seen the change.)
        self.leader_check: Callable[[], Awaitable[bool]] | None = None
        self.frameworks: dict[str, Framework] = {}
        self.completed_frameworks: deque[Framework] = deque(maxlen=config.max_completed_frameworks)
        # Mesos derives agent and offer ids from the master's id ("<id>-S0", "<id>-O1").
        self._agent_ids = IdSequence(self.id, "S")
        self._offer_ids = IdSequence(self.id, "O", start=1)
        self._framework_counter = 0
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._allocation_pending = False
        self.task_counters: dict[str, int] = {}
        self.messages_counter: dict[str, int] = {}
        self._loop_task: asyncio.Task[None] | None = None
        # Observers of cluster changes (the operator API's SUBSCRIBE streams).
        self.listeners: set[Callable[[str, Any], None]] = set()

    def _emit(self, kind: str, payload: Any) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, payload)
            except Exception:
                logger.exception("Operator event listener failed")

    # ----- identity -----
    @property
    def pid(self) -> str:
        return f"master@{self.config.advertise_ip}:{self.config.advertise_port}"

    def master_info(self) -> dict[str, Any]:
        ip = self.config.advertise_ip
        try:
            packed = struct.unpack("<I", socket.inet_aton(ip))[0]
        except OSError:
            packed = 0
        return {
            "id": self.id,
            "ip": packed,
            "port": self.config.advertise_port,
            "pid": self.pid,
            "hostname": self.config.hostname,
            "version": MESOS_VERSION,
            "address": {
                "hostname": self.config.hostname,
                "ip": ip,
                "port": self.config.advertise_port,
            },
            "capabilities": [
                {"type": "AGENT_UPDATE"},
                {"type": "AGENT_DRAINING"},
                {"type": "QUOTA_V2"},
            ],
        }

    @property
    def elected(self) -> bool:
        return self.elected_time is not None

    def leader_location(self) -> str | None:
        """`//<leader hostname>:<port>`, the base of Mesos's redirects; None without a leader."""
        leader = self.leader_info
        if leader is None:
            return None
        address = leader.get("address") or {}
        return f"//{leader.get('hostname') or address.get('ip')}:{leader.get('port')}"

    def redirect_to_leader(self, path_qs: str) -> CallError:
        """What a non-leading master answers: 307 to the leader, or 503 without one."""
        base = self.leader_location()
        if base is None:
            return CallError(503, "No leader elected")
        return CallError(307, "", {"Location": base + path_qs})

    async def current_leader_location(self) -> str | None:
        """leader_location(), but None when that leader has just lost its ZooKeeper node
        (this master's watch has not fired yet): a redirect there would send clients such
        as pymesos to a dead master they never leave."""
        location = self.leader_location()
        if location is None or self.elected or self.leader_check is None:
            return location
        if await self.leader_check():
            return location
        logger.info("The leader %s has just left ZooKeeper; answering 503", location)
        return None

    async def redirect_to_current_leader(self, path_qs: str) -> CallError:
        """What a master that does not lead (yet) answers: 503 while it recovers the
        registry, 307 to a leader that still holds its node, else 503."""
        if self.recovering:
            return CallError(503, "Master has not finished recovery")
        base = await self.current_leader_location()
        if base is None:
            return CallError(503, "No leader elected")
        return CallError(307, "", {"Location": base + path_qs})

    def become_leader(self) -> None:
        if self.elected_time is None:
            self.elected_time = now()
            self.leader_info = self.master_info()
            self.recovering = False
            logger.info("Elected as the leading master: %s", self.pid)

    def resign(self) -> None:
        """On SIGTERM, before the streams close: from now on every scheduler and agent call
        gets 503, so no client re-attaches to a master that is going away."""
        self.elected_time = None
        self.leader_info = None
        self.recovering = False

    # ----- registry -----
    def registry_state(self) -> RegistryState:
        admitted = dict(self.recovered_agents)
        admitted.update((agent.id, agent.info_json()) for agent in self.agents.values())
        return RegistryState(
            admitted=admitted,
            unreachable=dict(self.unreachable_agents),
            gone=dict(self.gone_agents),
        )

    def persist_registry(self) -> None:
        """Hands the registry to the registrar (only the leader writes it)."""
        if self.registrar is not None and self.elected:
            self._prune_removed_agents()
            self.registrar.save(self.registry_state(), self.master_info())

    def _prune_removed_agents(self) -> None:
        """Mesos's registry GC: unreachable and gone agents are forgotten once older than
        --registry_max_agent_age, and beyond --registry_max_agent_count (oldest first)."""
        oldest_kept = now() - self.config.registry_max_agent_age
        for removed in (self.unreachable_agents, self.gone_agents):
            expired = [agent_id for agent_id, since in removed.items() if since < oldest_kept]
            by_age = sorted(removed, key=removed.__getitem__)
            expired += by_age[: max(0, len(by_age) - self.config.registry_max_agent_count)]
            for agent_id in set(expired):
                logger.info("Forgetting agent %s removed from the cluster long ago", agent_id)
                del removed[agent_id]

    def recover_registry(self, state: RegistryState) -> None:
        """On election: agents the previous leader admitted must re-register within
        --agent_reregister_timeout; until then they are `recovered`."""
        self.recovered_agents = {
            agent_id: info
            for agent_id, info in state.admitted.items()
            if agent_id not in self.agents
        }
        self.unreachable_agents.update(state.unreachable)
        self.gone_agents.update(state.gone)
        if self.recovered_agents:
            timeout = self.config.agent_reregister_timeout
            logger.info(
                "Waiting %gs (--agent_reregister_timeout) for %d agents recovered from the "
                "registry to re-register",
                timeout,
                len(self.recovered_agents),
            )
            self._set_timer("recovered-agents", timeout, self._recovered_agents_timeout)

    def _recovered_agents_timeout(self) -> None:
        """Agents recovered from the registry that did not re-register become unreachable.
        The master knows none of their tasks (only re-registering agents report them), so
        frameworks learn it from FAILURE and from reconciliation, as with Mesos."""
        if not self.recovered_agents:
            return
        timestamp = now()
        for agent_id, info in list(self.recovered_agents.items()):
            logger.warning(
                "Agent %s (%s) did not re-register within %gs after master failover; "
                "marking it unreachable",
                agent_id,
                info.get("hostname", ""),
                self.config.agent_reregister_timeout,
            )
            del self.recovered_agents[agent_id]
            self.unreachable_agents[agent_id] = timestamp
            self.recovery_agent_removals += 1
            self._emit("agent_removed", agent_id)
            for framework in self.frameworks.values():
                framework.send({"type": "FAILURE", "failure": {"agent_id": wrap(agent_id)}})
        self.persist_registry()

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._allocation_loop())

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
        for framework in self.frameworks.values():
            if framework.stream is not None:
                framework.stream.close()
        for agent in self.agents.values():
            if agent.stream is not None:
                agent.stream.close()
        for handle in self._timers.values():
            handle.cancel()

    # ----- timers -----
    def _set_timer(self, key: str, delay: float, callback: Any, *args: Any) -> None:
        self._cancel_timer(key)
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(delay, self._fire_timer, key, callback, args)

    def _fire_timer(self, key: str, callback: Any, args: tuple[Any, ...]) -> None:
        self._timers.pop(key, None)
        callback(*args)

    def _cancel_timer(self, key: str) -> None:
        handle = self._timers.pop(key, None)
        if handle is not None:
            handle.cancel()

    # ----- frameworks -----
    def next_framework_id(self) -> str:
        framework_id = f"{self.id}-{self._framework_counter:04d}"
        self._framework_counter += 1
        return framework_id

    def is_completed_framework(self, framework_id: str) -> bool:
        return any(f.id == framework_id for f in self.completed_frameworks)

    def subscribe(self, framework_info: dict[str, Any], stream: EventStream) -> Framework:
        """Adds or re-subscribes a framework; the caller has validated `framework_info`."""
        framework_id = value_of(framework_info, "id")
        timestamp = now()
        stream_id = stream_id_of(stream)
        existing = self.frameworks.get(framework_id) if framework_id else None
        if existing is not None:
            if existing.stream is not None and existing.stream is not stream:
                existing.stream.send(error_event("Framework failed over"))
                existing.stream.close()
            existing.info = {**framework_info, "id": wrap(existing.id)}
            existing.stream = stream
            existing.stream_id = stream_id
            existing.connected = True
            existing.active = True
            existing.reregistered_time = timestamp
            existing.unregistered_time = None
            existing.recovered = False
            self._cancel_timer(f"failover:{existing.id}")
            framework = existing
            self._emit("framework_updated", framework)
            logger.info("Framework %s (%s) re-subscribed", framework.id, framework.name)
        else:
            if framework_id is None:
                framework_id = self.next_framework_id()
            framework = Framework(
                id=framework_id,
                info={**framework_info, "id": wrap(framework_id)},
                registered_time=timestamp,
                stream=stream,
                stream_id=stream_id,
            )
            self.frameworks[framework_id] = framework
            self._emit("framework_added", framework)
            logger.info("Framework %s (%s) subscribed", framework.id, framework.name)
        stream.send(
            {
                "type": "SUBSCRIBED",
                "subscribed": {
                    "framework_id": wrap(framework.id),
                    "heartbeat_interval_seconds": HEARTBEAT_INTERVAL_SECONDS,
                    "master_info": self.master_info(),
                },
            }
        )
        stream.send({"type": "HEARTBEAT"})
        self._update_framework_on_agents(framework)
        self.request_allocation()
        return framework

    def _update_framework_on_agents(self, framework: Framework) -> None:
        for agent in self.agents.values():
            if agent.stream is not None and any(key[0] == framework.id for key in agent.executors):
                agent.stream.send({"type": "UPDATE_FRAMEWORK", "framework_info": framework.info})

    def framework_disconnected(self, framework: Framework, stream: EventStream) -> None:
        """The SUBSCRIBE stream of `framework` ended: keep it for its failover_timeout."""
        if framework.stream is not stream or framework.id not in self.frameworks:
            return
        framework.stream = None
        framework.connected = False
        framework.active = False
        framework.unregistered_time = now()
        self._rescind_framework_offers(framework, notify=False)
        timeout = float(framework.info.get("failover_timeout", 0.0) or 0.0)
        logger.info(
            "Framework %s (%s) disconnected; failover timeout %gs",
            framework.id,
            framework.name,
            timeout,
        )
        self._set_timer(f"failover:{framework.id}", timeout, self._failover_expired, framework.id)

    def _failover_expired(self, framework_id: str) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is not None and not framework.connected:
            logger.info("Framework %s failover timeout expired; removing it", framework_id)
            self.remove_framework(framework)

    def remove_framework(self, framework: Framework) -> None:
        """TEARDOWN or failover timeout: kill its tasks, forget its offers, complete it."""
        self._rescind_framework_offers(framework, notify=False)
        for agent in self.agents.values():
            if agent.stream is not None:
                agent.stream.send(
                    {"type": "SHUTDOWN_FRAMEWORK", "framework_id": wrap(framework.id)}
                )
        for task in list(framework.tasks.values()):
            if task.state not in TERMINAL_STATES:
                task.state = "TASK_KILLED"
                task.statuses.append({"state": "TASK_KILLED", "timestamp": now()})
                self._count_state("TASK_KILLED")
            self._recover_task_resources(task)
            framework.completed_tasks.append(task)
        framework.tasks.clear()
        for agent_id, executor_id in list(framework.executors):
            self._forget_executor(agent_id, framework.id, executor_id)
        framework.active = False
        framework.connected = False
        framework.unregistered_time = now()
        if framework.stream is not None:
            framework.stream.close()
            framework.stream = None
        self._cancel_timer(f"failover:{framework.id}")
        self.frameworks.pop(framework.id, None)
        self.completed_frameworks.append(framework)
        self._emit("framework_removed", framework)
        logger.info("Framework %s (%s) removed", framework.id, framework.name)
        self.request_allocation()

    # ----- agents -----
    def register_agent(
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
        timestamp = now()
        existing = self.agents.get(agent_id) if agent_id else None
        admitted_info = existing.info_json() if existing is not None else None
        # Mesos tells frameworks the state of every task an unreachable or unknown agent
        # brings back (REASON_SLAVE_REREGISTERED); None for registered/recovered agents.
        reregistered: str | None = None
        if existing is not None:
            if existing.stream is not None and existing.stream is not stream:
                existing.stream.close()
            existing.stream = stream
            existing.connected = True
            existing.active = True
            existing.reregistered_time = timestamp
            existing.total = total
            existing.hostname = str(info.get("hostname", existing.hostname))
            existing.attributes = list(info.get("attributes", []))
            agent = existing
            self._cancel_timer(f"agent:{agent.id}")
            logger.info("Agent %s (%s) re-registered", agent.id, agent.hostname)
        else:
            # An agent that brings its id re-registers (Mesos's ReregisterSlaveMessage), even
            # with a master that has never seen it: it gets a reregistered_time.
            reregistered_time = timestamp if agent_id is not None else None
            if agent_id is None:
                agent_id = self._agent_ids.next()
            elif agent_id in self.recovered_agents:
                admitted_info = self.recovered_agents.pop(agent_id)
                logger.info("Re-admitting agent %s recovered from the registry", agent_id)
            elif agent_id in self.unreachable_agents:
                logger.info("Agent %s was unreachable and re-registers", agent_id)
                reregistered = "Unreachable agent re-reregistered"
                self._forget_unreachable_tasks(agent_id)
            else:
                logger.info("Admitting re-registering agent %s unknown to the registry", agent_id)
                reregistered = "Unknown agent reregistered"
            self.unreachable_agents.pop(agent_id, None)
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
            self.agents[agent_id] = agent
            self._emit("agent_added", agent)
            logger.info("Agent %s (%s) registered with %s", agent.id, agent.hostname, total.text())
        self._adopt_recovered_state(agent, recovered)
        if reregistered is not None:
            self._announce_reregistered_tasks(agent, recovered, reregistered)
        if agent.info_json() != admitted_info:
            self.persist_registry()
        stream.send(
            {"type": "REGISTERED", "agent_id": wrap(agent.id), "master_info": self.master_info()}
        )
        self.request_allocation()
        return agent

    def _adopt_recovered_state(self, agent: Agent, recovered: dict[str, Any]) -> None:
        """Tasks and executors a re-registering agent still runs (after a master restart)."""
        for info in recovered.get("frameworks", []):
            framework_id = value_of(info, "id")
            if (
                framework_id
                and framework_id not in self.frameworks
                and not self.is_completed_framework(framework_id)
            ):
                self.frameworks[framework_id] = Framework(
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
        for executor in recovered.get("executors", []):
            framework_id = value_of(executor, "framework_id") or ""
            executor_id = value_of(executor, "executor_id") or ""
            try:
                resources = parse_resources_json(executor.get("resources", []))
            except ResourceError:
                resources = Resources()
            key = (framework_id, executor_id)
            if key not in agent.executors:
                agent.executors[key] = resources
                agent.executor_infos[key] = executor
                agent.used = agent.used + resources
        for entry in recovered.get("tasks", []):
            framework_id = value_of(entry, "framework_id") or ""
            framework = self.frameworks.get(framework_id)
            task_info = entry.get("task_info", {})
            task_id = value_of(task_info, "task_id")
            if framework is None or task_id is None or task_id in framework.tasks:
                continue
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
            agent.used = agent.used + resources

    def _forget_unreachable_tasks(self, agent_id: str) -> None:
        """An unreachable agent re-registers: the tasks it reports replace what the master kept
        (TASK_UNREACHABLE tasks, or TASK_LOST ones among the completed), as in Mesos."""
        for framework in self.frameworks.values():
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
            framework = self.frameworks.get(value_of(entry, "framework_id") or "")
            if framework is None:
                continue
            task = framework.tasks.get(value_of(entry.get("task_info"), "task_id") or "")
            if task is None or task.agent_id != agent.id:
                continue
            status = self._master_status(task, task.state, "REASON_SLAVE_REREGISTERED", message)
            framework.send({"type": "UPDATE", "update": {"status": status}})

    def agent_ping_due(self, agent: Agent, stream: EventStream) -> bool:
        """Before each PING (every --agent_ping_timeout): an agent that left
        --max_agent_ping_timeouts pings in a row unanswered is marked unreachable (as Mesos's
        SlaveObserver), even though its connection looks open. False: stop pinging."""
        if agent.stream is not stream or self.agents.get(agent.id) is not agent:
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
                self._mark_unreachable(agent.id)
                return False
        agent.ping_outstanding = True
        return True

    def agent_pong(self, agent: Agent) -> None:
        agent.ping_outstanding = False
        agent.missed_pings = 0

    def agent_disconnected(self, agent: Agent, stream: EventStream) -> None:
        if agent.stream is not stream:
            return
        agent.stream = None
        agent.connected = False
        agent.active = False
        for framework in self.frameworks.values():
            for offer in [o for o in framework.offers.values() if o.agent_id == agent.id]:
                self.rescind_offer(offer)
        grace = self.config.agent_ping_timeout * self.config.max_agent_ping_timeouts
        logger.warning(
            "Agent %s (%s) disconnected; marking it unreachable in %gs unless it re-registers",
            agent.id,
            agent.hostname,
            grace,
        )
        self._set_timer(f"agent:{agent.id}", grace, self._mark_unreachable, agent.id)

    def _mark_unreachable(self, agent_id: str) -> None:
        agent = self.agents.pop(agent_id, None)
        if agent is None:
            return
        logger.warning("Agent %s (%s) is unreachable", agent.id, agent.hostname)
        self.unreachable_agents[agent_id] = now()
        self.persist_registry()
        self._emit("agent_removed", agent_id)
        for framework in self.frameworks.values():
            aware = is_partition_aware(framework.info)
            for task in [t for t in framework.tasks.values() if t.agent_id == agent_id]:
                state = "TASK_UNREACHABLE" if aware else "TASK_LOST"
                status = self._master_status(
                    task, state, "REASON_AGENT_REMOVED", "Agent " + agent_id + " is unreachable"
                )
                self._apply_status(framework, task, status, state)
                framework.send({"type": "UPDATE", "update": {"status": status}})
                if not aware:
                    framework.tasks.pop(task.id, None)
                    framework.completed_tasks.append(task)
            framework.send({"type": "FAILURE", "failure": {"agent_id": wrap(agent_id)}})
            for key in [k for k in framework.executors if k[0] == agent_id]:
                framework.executors.pop(key, None)

    # ----- allocation -----
    def request_allocation(self) -> None:
        """Allocate soon (Mesos allocates as a framework or agent is added, then periodically)."""
        if self._allocation_pending:
            return
        self._allocation_pending = True
        asyncio.get_running_loop().call_soon(self._allocate_now)

    def _allocate_now(self) -> None:
        self._allocation_pending = False
        try:
            self.allocate()
        except Exception:
            logger.exception("Allocation failed")

    async def _allocation_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.allocation_interval)
            try:
                self.allocate()
            except Exception:
                logger.exception("Allocation failed")

    def _cluster_totals(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for agent in self.agents.values():
            for name in ("cpus", "mem", "disk"):
                totals[name] = totals.get(name, 0.0) + agent.total.scalar(name)
        return totals

    def _dominant_share(self, framework: Framework, totals: dict[str, float]) -> float:
        return max(
            (framework.allocated.scalar(name) / total for name, total in totals.items() if total),
            default=0.0,
        )

    def allocate(self) -> None:
        if not self.elected:
            return
        candidates = [
            f
            for f in self.frameworks.values()
            if f.connected and f.active and not set(framework_roles(f.info)) <= f.suppressed_roles
        ]
        if not candidates:
            return
        totals = self._cluster_totals()
        clock = time.monotonic()
        new_offers: dict[str, list[Offer]] = {}
        agents = [a for a in self.agents.values() if a.active and a.connected]
        random.shuffle(agents)
        for agent in agents:
            available = agent.available()
            if not available:
                continue
            for framework in sorted(candidates, key=lambda f: self._dominant_share(f, totals)):
                offer = self._offer_for(framework, agent, available, clock)
                if offer is None:
                    continue
                new_offers.setdefault(framework.id, []).append(offer)
                available = available - offer.resources
                if not available:
                    break
        for framework_id, offers in new_offers.items():
            framework = self.frameworks[framework_id]
            framework.send(
                {"type": "OFFERS", "offers": {"offers": [self.offer_json(o) for o in offers]}}
            )

    def _offer_for(
        self, framework: Framework, agent: Agent, available: Resources, clock: float
    ) -> Offer | None:
        for role in framework_roles(framework.info):
            if role in framework.suppressed_roles:
                continue
            usable = available.for_roles([role])
            if not usable or (
                usable.scalar("cpus") < MIN_ALLOCATABLE_CPUS
                and usable.scalar("mem") < MIN_ALLOCATABLE_MEM
            ):
                continue
            refused = framework.filters.get(agent.id)
            if refused is not None:
                resources, expiry = refused
                if clock < expiry and resources.contains(usable):
                    continue
                if clock >= expiry:
                    framework.filters.pop(agent.id, None)
            offer = Offer(
                id=self._offer_ids.next(),
                framework_id=framework.id,
                agent_id=agent.id,
                resources=usable,
                role=role,
                created=now(),
            )
            framework.offers[offer.id] = offer
            framework.allocated = framework.allocated + usable
            agent.offered = agent.offered + usable
            if self.config.offer_timeout:
                self._set_timer(
                    f"offer:{offer.id}",
                    self.config.offer_timeout,
                    self._offer_expired,
                    framework.id,
                    offer.id,
                )
            return offer
        return None

    def offer_json(self, offer: Offer) -> dict[str, Any]:
        agent = self.agents[offer.agent_id]
        executor_ids = [wrap(e) for (f, e) in agent.executors if f == offer.framework_id]
        return {
            "id": wrap(offer.id),
            "framework_id": wrap(offer.framework_id),
            "agent_id": wrap(offer.agent_id),
            "hostname": agent.hostname,
            "url": {
                "scheme": "http",
                "address": {"hostname": agent.hostname, "ip": agent.ip, "port": agent.port},
                "path": "/slave(1)",
            },
            "resources": offer.resources.to_json(offer.role),
            "attributes": agent.attributes,
            "executor_ids": executor_ids,
            "allocation_info": {"role": offer.role},
        }

    def _offer_expired(self, framework_id: str, offer_id: str) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is not None and offer_id in framework.offers:
            logger.info(
                "Offer %s of framework %s expired (--offer_timeout)", offer_id, framework_id
            )
            self.rescind_offer(framework.offers[offer_id])

    def take_offer(self, framework: Framework, offer_id: str) -> Offer | None:
        offer = framework.offers.pop(offer_id, None)
        if offer is None:
            return None
        self._cancel_timer(f"offer:{offer_id}")
        agent = self.agents.get(offer.agent_id)
        if agent is not None:
            agent.offered = agent.offered - offer.resources
        framework.allocated = framework.allocated - offer.resources
        return offer

    def rescind_offer(self, offer: Offer, notify: bool = True) -> None:
        framework = self.frameworks.get(offer.framework_id)
        if framework is None or self.take_offer(framework, offer.id) is None:
            return
        if notify:
            framework.send({"type": "RESCIND", "rescind": {"offer_id": wrap(offer.id)}})
        self.request_allocation()

    def _rescind_framework_offers(self, framework: Framework, notify: bool) -> None:
        for offer in list(framework.offers.values()):
            self.rescind_offer(offer, notify=notify)

    def add_filter(
        self, framework: Framework, agent_id: str, resources: Resources, refuse_seconds: float
    ) -> None:
        if refuse_seconds <= 0 or not resources:
            return
        expiry = time.monotonic() + refuse_seconds
        previous = framework.filters.get(agent_id)
        if previous is not None and previous[1] > time.monotonic():
            resources = previous[0] + resources
            expiry = max(expiry, previous[1])
        framework.filters[agent_id] = (resources, expiry)

    def revive(self, framework: Framework, roles: list[str]) -> None:
        framework.filters.clear()
        if roles:
            framework.suppressed_roles -= set(roles)
        else:
            framework.suppressed_roles.clear()
        self.request_allocation()

    def suppress(self, framework: Framework, roles: list[str]) -> None:
        framework.suppressed_roles |= set(roles or framework_roles(framework.info))

    # ----- tasks -----
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
            self._add_executor(framework, agent, executor_info)
        if agent.stream is None:
            return
        message: dict[str, Any] = {
            "framework_info": framework.info,
            "task": task.info,
        }
        if executor_info is not None:
            message["executor_info"] = executor_info
        if task_group is not None:
            message["type"] = "RUN_TASK_GROUP"
            message["task_group"] = {"tasks": task_group}
        else:
            message["type"] = "RUN_TASK"
        agent.stream.send(message)

    def launch_group(
        self, framework: Framework, agent: Agent, tasks: list[Task], executor_info: dict[str, Any]
    ) -> None:
        for task in tasks:
            self._add_staging_task(framework, agent, task)
        self._add_executor(framework, agent, executor_info)
        if agent.stream is not None:
            agent.stream.send(
                {
                    "type": "RUN_TASK_GROUP",
                    "framework_info": framework.info,
                    "executor_info": executor_info,
                    "task_group": {"tasks": [t.info for t in tasks]},
                }
            )

    def _add_staging_task(self, framework: Framework, agent: Agent, task: Task) -> None:
        """Book a task being launched: known to its framework, its resources in use."""
        framework.tasks[task.id] = task
        self._emit("task_added", task)
        agent.used = agent.used + task.resources
        framework.allocated = framework.allocated + task.resources
        self._count_state("TASK_STAGING")

    def _add_executor(
        self, framework: Framework, agent: Agent, executor_info: dict[str, Any]
    ) -> None:
        """Book the executor a launch names, and its resources, the first time it is seen."""
        executor_id = value_of(executor_info, "executor_id") or ""
        key = (framework.id, executor_id)
        if key not in agent.executors:
            try:
                executor_resources = parse_resources_json(executor_info.get("resources", []))
            except ResourceError:
                executor_resources = Resources()
            agent.executors[key] = executor_resources
            agent.executor_infos[key] = executor_info
            agent.used = agent.used + executor_resources
            framework.executors[(agent.id, executor_id)] = executor_info

    def _count_state(self, state: str) -> None:
        self.task_counters[state] = self.task_counters.get(state, 0) + 1

    def _recover_task_resources(self, task: Task) -> None:
        if task.resources_recovered:
            return
        task.resources_recovered = True
        agent = self.agents.get(task.agent_id)
        if agent is not None:
            agent.used = agent.used - task.resources
        framework = self.frameworks.get(task.framework_id)
        if framework is not None:
            framework.allocated = framework.allocated - task.resources
        self.request_allocation()

    def _apply_status(
        self, framework: Framework, task: Task, status: dict[str, Any], latest_state: str
    ) -> None:
        if latest_state != task.state:
            task.statuses.append(
                {"state": latest_state, "timestamp": status.get("timestamp", now())}
            )
            self._count_state(latest_state)
        task.state = latest_state
        task.latest_status = status
        if latest_state in TERMINAL_STATES:
            self._recover_task_resources(task)
        self._emit("task_updated", (framework.id, status, latest_state))

    def status_update(
        self, agent: Agent, framework_id: str, status: dict[str, Any], latest_state: str | None
    ) -> None:
        """An update the agent forwards (carrying a uuid, retried until acknowledged)."""
        framework = self.frameworks.get(framework_id)
        if framework is None:
            logger.info("Dropping status update for unknown framework %s", framework_id)
            return
        task_id = value_of(status, "task_id") or ""
        task = framework.tasks.get(task_id)
        state = str(status.get("state", ""))
        if task is not None:
            self._apply_status(framework, task, status, latest_state or state)
            if state in TERMINAL_STATES:
                task.terminal_uuid = status.get("uuid")
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def acknowledge(self, framework: Framework, agent_id: str, task_id: str, uuid: str) -> None:
        task = framework.tasks.get(task_id)
        if task is not None and task.terminal_uuid is not None and task.terminal_uuid == uuid:
            framework.tasks.pop(task_id, None)
            framework.completed_tasks.append(task)
        agent = self.agents.get(agent_id)
        if agent is not None and agent.stream is not None:
            agent.stream.send(
                {
                    "type": "ACKNOWLEDGE",
                    "framework_id": wrap(framework.id),
                    "task_id": wrap(task_id),
                    "uuid": uuid,
                }
            )

    def _master_status(
        self,
        task: Task | None,
        state: str,
        reason: str,
        message: str,
        task_id: str | None = None,
        agent_id: str | None = None,
    ) -> dict[str, Any]:
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
        status = self._master_status(None, state, reason, message, task_id, agent_id)
        self._count_state(state)
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def reconcile(self, framework: Framework, tasks: list[tuple[str, str | None]]) -> None:
        if not tasks:
            for task in framework.tasks.values():
                self._send_reconciled(framework, task)
            return
        for task_id, agent_id in tasks:
            known = framework.tasks.get(task_id) or next(
                (t for t in framework.completed_tasks if t.id == task_id), None
            )
            if known is not None:
                self._send_reconciled(framework, known)
                continue
            if (agent_id is not None and agent_id in self.recovered_agents) or (
                agent_id is None and self.recovered_agents
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
        if agent_id is not None and agent_id in self.agents:
            state, message = "TASK_GONE", "Reconciliation: Task is unknown to the agent"
        elif agent_id is not None and agent_id in self.unreachable_agents:
            state, message = "TASK_UNREACHABLE", "Reconciliation: Task is unreachable"
            unreachable_since = self.unreachable_agents[agent_id]
        elif agent_id is not None and agent_id in self.gone_agents:
            state, message = "TASK_GONE_BY_OPERATOR", "Reconciliation: Task is gone"
        else:
            state, message = "TASK_UNKNOWN", "Reconciliation: Task is unknown"
        if not is_partition_aware(framework.info):
            state = "TASK_LOST"
        status = self._master_status(
            None, state, "REASON_RECONCILIATION", message, task_id, agent_id
        )
        if unreachable_since is not None:
            status["unreachable_time"] = {"nanoseconds": int(unreachable_since * 1e9)}
        framework.send({"type": "UPDATE", "update": {"status": status}})

    def _send_reconciled(self, framework: Framework, task: Task) -> None:
        status = self._master_status(
            task, task.state, "REASON_RECONCILIATION", "Reconciliation: Latest task state"
        )
        if task.latest_status is not None:
            for key in ("data", "healthy", "labels", "container_status"):
                if key in task.latest_status:
                    status[key] = task.latest_status[key]
        framework.send({"type": "UPDATE", "update": {"status": status}})

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
        agent = self.agents.get(task.agent_id)
        if agent is None or agent.stream is None:
            return
        message: dict[str, Any] = {
            "type": "KILL_TASK",
            "framework_id": wrap(framework.id),
            "task_id": wrap(task_id),
        }
        if kill_policy:
            message["kill_policy"] = kill_policy
        agent.stream.send(message)

    def shutdown_executor(self, framework: Framework, agent_id: str, executor_id: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is not None and agent.stream is not None:
            agent.stream.send(
                {
                    "type": "SHUTDOWN_EXECUTOR",
                    "framework_id": wrap(framework.id),
                    "executor_id": wrap(executor_id),
                }
            )

    def framework_message_to_executor(
        self, framework: Framework, agent_id: str, executor_id: str, data: str
    ) -> None:
        agent = self.agents.get(agent_id)
        if agent is None or agent.stream is None:
            logger.warning(
                "Dropping message for executor %s on unknown agent %s", executor_id, agent_id
            )
            return
        self.messages_counter["framework_to_executor"] = (
            self.messages_counter.get("framework_to_executor", 0) + 1
        )
        agent.stream.send(
            {
                "type": "MESSAGE",
                "framework_id": wrap(framework.id),
                "executor_id": wrap(executor_id),
                "data": data,
            }
        )

    def executor_message_to_framework(
        self, agent: Agent, framework_id: str, executor_id: str, data: str
    ) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return
        self.messages_counter["executor_to_framework"] = (
            self.messages_counter.get("executor_to_framework", 0) + 1
        )
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

    def executor_exited(
        self, agent: Agent, framework_id: str, executor_id: str, status: int | None
    ) -> None:
        self._forget_executor(agent.id, framework_id, executor_id)
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return
        failure: dict[str, Any] = {"agent_id": wrap(agent.id), "executor_id": wrap(executor_id)}
        if status is not None:
            failure["status"] = status
        framework.send({"type": "FAILURE", "failure": failure})

    def _forget_executor(self, agent_id: str, framework_id: str, executor_id: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is not None:
            resources = agent.executors.pop((framework_id, executor_id), None)
            agent.executor_infos.pop((framework_id, executor_id), None)
            if resources is not None:
                agent.used = agent.used - resources
                self.request_allocation()
        framework = self.frameworks.get(framework_id)
        if framework is not None:
            framework.executors.pop((agent_id, executor_id), None)


def stream_id_of(stream: EventStream) -> str | None:
    return getattr(stream, "stream_id", None)


def error_event(message: str) -> dict[str, Any]:
    return {"type": "ERROR", "error": {"message": message}}
