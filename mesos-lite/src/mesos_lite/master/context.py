"""What every part of the master shares: its flags, what it knows of the cluster, its
leadership and its timers (in Mesos, the one master process owns them all). Each part is
built from this context plus the other parts it calls, which it names explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from mesos_lite.master.config import MasterConfig
from mesos_lite.master.leadership import Leadership
from mesos_lite.master.state import MasterState
from mesos_lite.master.timers import Timers


@dataclass(frozen=True)
class MasterContext:
    config: MasterConfig
    state: MasterState
    leadership: Leadership
    timers: Timers


class MasterPart:
    """A part of the master (allocator, registry keeper, task lifecycle, ...): the shared
    context is at hand as its own attributes."""

    def __init__(self, context: MasterContext) -> None:
        self.config = context.config
        self.state = context.state
        self.leadership = context.leadership
        self.timers = context.timers
