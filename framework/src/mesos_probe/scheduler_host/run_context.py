"""What the Scheduler's parts (offer handling, status bookkeeping) share: the plan, the
run's placement, the reconciliation list and the clocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mesos_probe.scheduler_host.placement import RunPlacement
from mesos_probe.scheduler_host.plan import RunPlan
from mesos_probe.scheduler_host.reconciliation import Reconciliation


@dataclass(frozen=True)
class RunContext:
    plan: RunPlan
    placement: RunPlacement
    reconciliation: Reconciliation
    clock: Callable[[], float]  # monotonic: timeouts
    wall_clock: Callable[[], float]  # wall time: when attempts start and end


class RunPart:
    """A part of the Scheduler: the shared context is at hand as its own attributes."""

    def __init__(self, context: RunContext) -> None:
        self.plan = context.plan
        self.placement = context.placement
        self.reconciliation = context.reconciliation
        self.clock = context.clock
        self.wall_clock = context.wall_clock
