"""Test doubles: a scheduler driver that records calls, offer/status builders, a plan."""

from __future__ import annotations

import itertools
from typing import Any

from pymesos import encode_data

from mesos_probe.scheduler_host.driver import executor_info
from mesos_probe.scheduler_host.leader_lookup import parse_master
from mesos_probe.scheduler_host.placement import RunPlacement
from mesos_probe.scheduler_host.plan import RunPlan
from mesos_probe.scheduler_host.scheduler import ProbeScheduler

_offer_numbers = itertools.count(1)
_uuid_numbers = itertools.count(1)


def offer(
    agent: str,
    cpus: float = 4.0,
    mem: float = 4096.0,
    hostname: str | None = None,
    offer_id: str | None = None,
    role: str = "*",
) -> dict[str, Any]:
    allocation = {"role": role}
    return {
        "id": {"value": offer_id or f"offer-{next(_offer_numbers)}"},
        "framework_id": {"value": "fw-1"},
        "agent_id": {"value": agent},
        "hostname": hostname or f"host-{agent}",
        "allocation_info": allocation,
        "resources": [
            {
                "name": "cpus",
                "type": "SCALAR",
                "scalar": {"value": cpus},
                "allocation_info": allocation,
            },
            {
                "name": "mem",
                "type": "SCALAR",
                "scalar": {"value": mem},
                "allocation_info": allocation,
            },
            {
                "name": "ports",
                "type": "RANGES",
                "ranges": {"range": [{"begin": 31000, "end": 32000}]},
                "allocation_info": allocation,
            },
        ],
    }


def status(
    task_id: str,
    state: str,
    agent: str,
    reason: str | None = None,
    message: str | None = None,
    data: str | None = None,
    with_uuid: bool = True,
) -> dict[str, Any]:
    update: dict[str, Any] = {
        "task_id": {"value": task_id},
        "state": state,
        "agent_id": {"value": agent},
        "source": "SOURCE_EXECUTOR",
    }
    if reason:
        update["reason"] = reason
    if message:
        update["message"] = message
    if data is not None:
        update["data"] = encode_data(data.encode())
    if with_uuid:
        update["uuid"] = encode_data(f"uuid-{next(_uuid_numbers)}".encode())
    return update


class FakeDriver:
    """Records every call the scheduler makes, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.fail_next: set[str] = set()

    def _record(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if name in self.fail_next:
            self.fail_next.discard(name)
            raise RuntimeError("Not connected yet")

    def launchTasks(self, offer_ids: Any, tasks: Any, filters: Any = None) -> None:
        self._record("launch", offer_ids, tasks, filters)

    def declineOffer(self, offer_ids: Any, filters: Any = None) -> None:
        self._record("decline", offer_ids, filters)

    def declineInverseOffer(self, offer_ids: Any, filters: Any = None) -> None:
        self._record("declineInverseOffer", offer_ids, filters)

    def suppressOffers(self, roles: Any = ()) -> None:
        self._record("suppress", roles)

    def reviveOffers(self, roles: Any = ()) -> None:
        self._record("revive", roles)

    def killTask(self, task_id: Any) -> None:
        self._record("kill", task_id)

    def acknowledgeStatusUpdate(self, update: Any) -> None:
        self._record("ack", update)

    def reconcileTasks(self, tasks: Any) -> None:
        self._record("reconcile", tasks)

    def stop(self, failover: bool = False) -> None:
        self._record("stop", failover)

    # -- helpers for assertions -------------------------------------------------------------
    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [args for call, args in self.calls if call == name]

    def launched_tasks(self) -> list[dict[str, Any]]:
        return [task for args in self.named("launch") for task in args[1]]

    def declined(self) -> list[tuple[str, float]]:
        """(offer id, refuse_seconds) for every declined offer."""
        return [
            (offer_id["value"], args[1]["refuse_seconds"])
            for args in self.named("decline")
            for offer_id in args[0]
        ]

    def stopped(self) -> bool:
        """Whether the scheduler stopped the driver (it does once every agent is finished)."""
        return bool(self.named("stop"))

    def clear(self) -> None:
        self.calls.clear()


def plan(**fields: Any) -> RunPlan:
    """A RunPlan for tests: a loopback master, the rest as given or the plan's defaults."""
    return RunPlan(master=parse_master("127.0.0.1:5050"), **fields)


def new_scheduler(
    run_plan: RunPlan, run_id: str, expected: int, clock: Any = None
) -> ProbeScheduler:
    """A scheduler as the Driver builds it, on a fake clock when one is given."""
    placement = RunPlacement(run_id, expected, run_plan.max_attempts)
    timing = {"clock": clock, "wall_clock": clock} if clock is not None else {}
    return ProbeScheduler(run_plan, placement, executor_info(run_plan), **timing)


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
