"""Maintenance primitives (Mesos's master/maintenance.cpp and the maintenance half of
master/http.cpp): the schedule, machines and their modes, kept in the registry.

A machine is a MachineID {hostname, ip}; an agent runs on the machine of its hostname (not
case-sensitive) and IP, both of which must match. The schedule is a list of windows, each
some machines and an Unavailability {start, duration}. A scheduled machine is DRAINING: its
agents' offers carry the unavailability and their frameworks get inverse offers
(inverse_offers.py). START_MAINTENANCE brings DRAINING machines DOWN: their agents are shut
down and removed (tasks TASK_LOST, or TASK_GONE_BY_OPERATOR for partition-aware frameworks),
and agents on a DOWN machine are refused. STOP_MAINTENANCE brings DOWN machines UP and takes
them out of the schedule. The registry keeps the machines not UP and the schedule, as Mesos's
registrar does (Registry.machines, Registry.schedules).
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import Any

from mesos_lite.agent_protocol import MasterToAgent
from mesos_lite.master.allocator import Allocator
from mesos_lite.master.inverse_offers import InverseOffers
from mesos_lite.master.model import Agent
from mesos_lite.master.registry_keeper import RegistryKeeper
from mesos_lite.master.state import MasterState
from mesos_lite.master.tasks import TaskLifecycle
from mesos_lite.master.timers import Timers
from mesos_lite.protocol import wrap

logger = logging.getLogger(__name__)

MachineKey = tuple[str, str]
UP, DRAINING, DOWN = "UP", "DRAINING", "DOWN"
MACHINE_DOWN_MESSAGE = "Operator initiated 'Machine DOWN'"
REFUSED_MESSAGE = "Machine is `DOWN`"


class MaintenanceError(ValueError):
    """A call Mesos answers with 400; the message is Mesos's."""


def machine_key(machine_id: dict[str, Any]) -> MachineKey:
    """MachineIDs are equal when their IPs are and their hostnames are but for case."""
    return (str(machine_id.get("hostname", "")).lower(), str(machine_id.get("ip", "")))


def agent_machine(agent: Agent) -> MachineKey:
    return (agent.hostname.lower(), agent.ip)


def machine_text(machine_id: dict[str, Any]) -> str:
    """A MachineID as Mesos's messages show it (its JSON)."""
    shown = {name: machine_id[name] for name in ("hostname", "ip") if name in machine_id}
    return json.dumps(shown, separators=(",", ":"))


# ----- maintenance::validation -----
def validate_machine(machine_id: dict[str, Any]) -> None:
    hostname, ip = machine_id.get("hostname", ""), machine_id.get("ip", "")
    if not hostname and not ip:
        raise MaintenanceError("Both 'hostname' and 'ip' for a machine are empty")
    if ip:
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            raise MaintenanceError(f"Failed to parse IPv4: {ip}") from None


def _validate_once(machine_id: dict[str, Any], seen: set[MachineKey]) -> None:
    """A valid machine not among those `seen` (which it joins)."""
    validate_machine(machine_id)
    if machine_key(machine_id) in seen:
        raise MaintenanceError(
            f"Machine '{machine_text(machine_id)}' appears more than once in the schedule"
        )
    seen.add(machine_key(machine_id))


def validate_machines(machine_ids: list[dict[str, Any]]) -> None:
    if not machine_ids:
        raise MaintenanceError("List of machines is empty")
    seen: set[MachineKey] = set()
    for machine_id in machine_ids:
        _validate_once(machine_id, seen)


def validate_schedule(schedule: dict[str, Any], machines: dict[MachineKey, Machine]) -> None:
    updated: set[MachineKey] = set()
    for window in schedule.get("windows", []):
        machine_ids = window.get("machine_ids", [])
        if not machine_ids:
            raise MaintenanceError("List of machines in the maintenance window is empty")
        duration = window["unavailability"].get("duration", {}).get("nanoseconds", 0)
        if duration < 0:
            raise MaintenanceError("Unavailability 'duration' is negative")
        for machine_id in machine_ids:
            _validate_once(machine_id, updated)
    for key, machine in machines.items():
        if machine.mode == DOWN and key not in updated:
            raise MaintenanceError(
                f"Machine '{machine_text(machine.id)}' is deactivated and cannot be removed "
                "from the schedule"
            )


def _without_empty_windows(schedule: dict[str, Any]) -> dict[str, Any]:
    """A schedule as Mesos shows it (validation refuses empty windows; none is `{}`)."""
    windows = [w for w in schedule.get("windows", []) if w.get("machine_ids")]
    return {"windows": windows} if windows else {}


@dataclass
class Machine:
    id: dict[str, Any]
    mode: str
    unavailability: dict[str, Any] | None

    def info_json(self) -> dict[str, Any]:
        """Its MachineInfo."""
        info: dict[str, Any] = {"id": self.id, "mode": self.mode}
        if self.unavailability is not None:
            info["unavailability"] = self.unavailability
        return info


class Maintenance:
    def __init__(
        self,
        state: MasterState,
        timers: Timers,
        allocator: Allocator,
        registry: RegistryKeeper,
        tasks: TaskLifecycle,
        inverse_offers: InverseOffers,
    ) -> None:
        self.state = state
        self.timers = timers
        self.allocator = allocator
        self.registry = registry
        self.tasks = tasks
        self.inverse_offers = inverse_offers
        # Machines not UP (Mesos tracks UP machines only while agents run on them).
        self.machines: dict[MachineKey, Machine] = {}
        # Mesos keeps one schedule (its registry has room for more).
        self.schedule: dict[str, Any] = {}
        registry.parts.append(self)
        state.listeners.add(self._on_change)

    # ----- the registry -----
    def registry_sections(self) -> dict[str, Any]:
        return {
            "machines": {"machines": [{"info": m.info_json()} for m in self.machines.values()]},
            "schedules": [self.schedule] if self.schedule.get("windows") else [],
        }

    def recover_sections(self, sections: dict[str, Any]) -> None:
        self.machines = {}
        for entry in sections.get("machines", {}).get("machines", []):
            info = entry["info"]
            machine = Machine(info["id"], info["mode"], info.get("unavailability"))
            self.machines[machine_key(machine.id)] = machine
        schedules = sections.get("schedules", [])
        self.schedule = schedules[0] if schedules else {}
        for agent in list(self.state.agents.values()):
            self._agent_added(agent)

    # ----- what agents see -----
    def mode_of(self, machine_id: dict[str, Any]) -> str:
        machine = self.machines.get(machine_key(machine_id))
        return machine.mode if machine is not None else UP

    def refuses(self, hostname: str, ip: str) -> bool:
        """Agents may not register while their machine is DOWN."""
        machine = self.machines.get((hostname.lower(), ip))
        return machine is not None and machine.mode == DOWN

    def _agents_on(self, key: MachineKey) -> list[Agent]:
        return [a for a in self.state.agents.values() if agent_machine(a) == key]

    def _on_change(self, kind: str, payload: Any) -> None:
        if kind == "agent_added":
            self._agent_added(payload)

    def _agent_added(self, agent: Agent) -> None:
        machine = self.machines.get(agent_machine(agent))
        if machine is not None and machine.unavailability is not None:
            self.inverse_offers.set_unavailability(agent.id, machine.unavailability)

    # ----- UPDATE_MAINTENANCE_SCHEDULE -----
    def check_schedule(self, schedule: dict[str, Any]) -> None:
        validate_schedule(schedule, self.machines)

    async def update_schedule(self, schedule: dict[str, Any]) -> None:
        """Replaces the schedule (checked by check_schedule): newly scheduled machines are
        DRAINING, machines left out are UP again, the others get their new unavailability."""
        scheduled: dict[MachineKey, tuple[dict[str, Any], dict[str, Any]]] = {}
        for window in schedule.get("windows", []):
            for machine_id in window["machine_ids"]:
                scheduled[machine_key(machine_id)] = (machine_id, window["unavailability"])
        for key in list(self.machines):
            if key not in scheduled:
                del self.machines[key]
                self._set_unavailability(key, None)
        for key, (machine_id, unavailability) in scheduled.items():
            existing = self.machines.get(key)
            if existing is None:
                self.machines[key] = Machine(machine_id, DRAINING, unavailability)
            else:
                existing.unavailability = unavailability
            self._set_unavailability(key, unavailability)
        self.schedule = _without_empty_windows(schedule)
        logger.info("Updated the maintenance schedule: %d machines scheduled", len(scheduled))
        await self.registry.persist_now()

    def _set_unavailability(self, key: MachineKey, unavailability: dict[str, Any] | None) -> None:
        for agent in self._agents_on(key):
            self.inverse_offers.set_unavailability(agent.id, unavailability)

    # ----- START_MAINTENANCE / STOP_MAINTENANCE -----
    def check_transition(self, machine_id: dict[str, Any], to_mode: str) -> None:
        """That `machine_id` (one of a validated list) may go DOWN (to_mode DOWN) or UP."""
        key = machine_key(machine_id)
        if key not in self.machines and not self._agents_on(key):
            raise MaintenanceError(
                f"Machine '{machine_text(machine_id)}' is not part of a maintenance schedule"
            )
        mode = self.mode_of(machine_id)
        if to_mode == DOWN and mode != DRAINING:
            raise MaintenanceError(
                f"Machine '{machine_text(machine_id)}' is not in DRAINING mode and cannot be "
                "brought down"
            )
        if to_mode == UP and mode != DOWN:
            raise MaintenanceError(
                f"Machine '{machine_text(machine_id)}' is not in DOWN mode and cannot be brought up"
            )

    async def start(self, machine_ids: list[dict[str, Any]]) -> None:
        """The machines (checked by check_transition) go DOWN: each agent on them is told to
        shut down and removed at once, as Mesos does to guard against a lost message."""
        for machine_id in machine_ids:
            key = machine_key(machine_id)
            self.machines[key].mode = DOWN
            for agent in self._agents_on(key):
                self._remove_agent(agent, MACHINE_DOWN_MESSAGE)
        logger.info("Machines %s are DOWN", ", ".join(machine_text(m) for m in machine_ids))
        await self.registry.persist_now()

    async def stop(self, machine_ids: list[dict[str, Any]]) -> None:
        """The machines (checked by check_transition) are UP and leave the schedule."""
        keys = {machine_key(m) for m in machine_ids}
        for key in keys:
            self.machines.pop(key, None)
        windows = []
        for window in self.schedule.get("windows", []):
            kept = [m for m in window["machine_ids"] if machine_key(m) not in keys]
            if kept:
                windows.append({**window, "machine_ids": kept})
        self.schedule = _without_empty_windows({"windows": windows})
        logger.info("Machines %s are UP", ", ".join(machine_text(m) for m in machine_ids))
        await self.registry.persist_now()

    def _remove_agent(self, agent: Agent, message: str) -> None:
        logger.warning("Removing agent %s (%s): %s", agent.id, agent.hostname, message)
        stream, agent.stream = agent.stream, None
        if stream is not None:
            stream.send({"type": MasterToAgent.SHUTDOWN, "message": message})
            stream.close()
        agent.connected = agent.active = False
        self.timers.cancel(f"agent:{agent.id}")
        self.allocator.rescind_agent_offers(agent.id)
        del self.state.agents[agent.id]
        self.state.emit("agent_removed", agent.id)
        for framework in self.state.frameworks.values():
            self.tasks.remove_agent_tasks(framework, agent.id, message)
            framework.send({"type": "FAILURE", "failure": {"agent_id": wrap(agent.id)}})
            for key in [k for k in framework.executors if k[0] == agent.id]:
                framework.executors.pop(key, None)

    # ----- GET_MAINTENANCE_SCHEDULE / GET_MAINTENANCE_STATUS -----
    def cluster_status(self) -> dict[str, Any]:
        """ClusterStatus: DRAINING machines with their frameworks' inverse offer answers,
        DOWN machines."""
        draining, down = [], []
        for key, machine in self.machines.items():
            if machine.mode == DOWN:
                down.append(machine.id)
            elif machine.mode == DRAINING:
                entry: dict[str, Any] = {"id": machine.id}
                statuses = [
                    status
                    for agent in self._agents_on(key)
                    for status in self.inverse_offers.statuses_of(agent.id)
                ]
                if statuses:
                    entry["statuses"] = statuses
                draining.append(entry)
        status: dict[str, Any] = {}
        if draining:
            status["draining_machines"] = draining
        if down:
            status["down_machines"] = down
        return status
