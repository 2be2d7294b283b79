"""The run plan: every setting of one `submit`, decided once, before the run starts.

The CLI builds exactly one `RunPlan` from the command line and the config file; the
Driver, the Scheduler and the report read it and never copy it. Each field's default here
is *the* default (the CLI shows these in --help; a field left unset on the command line and
in the config file keeps it), so a default is written in one place only.
"""

from __future__ import annotations

import getpass
import socket
import sys
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from mesos_probe.scheduler_host.leader_lookup import MasterSpec


@dataclass(frozen=True)
class RunPlan:
    # Field names are the CLI's long option names (and the config file's keys).
    master: MasterSpec
    expect_agents: int | None = None  # None: the agents the master reports active at start
    timeout: float = 300.0
    cpus: float = 0.1
    mem: float = 32.0
    command: str | None = None  # None: the built-in probe
    command_timeout: float | None = None
    hold: float = 0.0
    name: str = "mesos-probe"
    role: str = "*"
    user: str = field(default_factory=getpass.getuser)
    principal: str | None = None
    # Read from --secret-file by the CLI; never shown (repr) nor written anywhere.
    secret: str | None = field(default=None, repr=False)
    max_attempts: int = 3
    executor_python: str = field(default_factory=lambda: sys.executable)
    state_file: Path | None = None
    failover_timeout: float = 600.0
    lost_agent_timeout: float = 60.0
    # Not options: fixed behaviour, kept here so tests and the benchmark can tune them.
    hostname: str = field(default_factory=socket.gethostname)
    # Declined offers we will not need again for this run stay away this long; REVIVE undoes it.
    refuse_seconds: float = 120.0
    # Offers we cannot use yet (resources short, agent still resolving) come back soon.
    retry_refuse_seconds: float = 2.0
    reconcile_backoff_max: float = 30.0
    extra_capabilities: tuple[str, ...] = ()

    @property
    def roles(self) -> tuple[str, ...]:
        return (self.role,)


def plan_default(name: str) -> Any:
    """The default of RunPlan field `name` (None where it is computed at run time)."""
    for item in fields(RunPlan):
        if item.name == name:
            return None if item.default is MISSING else item.default
    raise KeyError(name)
