"""The default work of a probe task: describe the agent host it runs on.

Besides the agent's own name for itself (`hostname`, as in its offers) and the agent id the
task was launched with (`agent_id`), the probe reports what only the host it runs on can
tell: `os_hostname`, `machine_id` (/etc/machine-id), `boot_id` (the kernel's), the agent
id the agent put in the executor's environment (`env_agent_id`) and the `sandbox` path.
The Driver's report rejects a result whose `env_agent_id` or `hostname` is not the agent's
the task was placed on; the testinfra checks compare the rest with the hosts themselves.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _meminfo(path: Path = Path("/proc/meminfo")) -> dict[str, int]:
    """MemTotal/MemAvailable in MiB, when the kernel exposes them."""
    values: dict[str, int] = {}
    try:
        for line in path.read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("MemTotal", "MemAvailable"):
                values[key] = int(rest.split()[0]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return values


MACHINE_ID = Path("/etc/machine-id")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _read_stripped(path: Path) -> str | None:
    """The file's content, stripped; None when it is missing, unreadable or empty."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return text or None


def env_agent_id(environ: Mapping[str, str] = os.environ) -> str | None:
    """The agent's id as the agent gave it to its executor (Mesos sets MESOS_SLAVE_ID)."""
    return environ.get("MESOS_AGENT_ID") or environ.get("MESOS_SLAVE_ID") or None


def agent_probe(agent_info: Mapping[str, Any] | None, agent_id: str | None) -> dict[str, Any]:
    """Facts about this host. `hostname` is the agent's own name for itself, as in its offers."""
    info = agent_info or {}
    memory = _meminfo()
    try:
        load: list[float] | None = [round(value, 2) for value in os.getloadavg()]
    except OSError:
        load = None
    try:
        usable_cpus: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable_cpus = None
    uname = platform.uname()
    return {
        "hostname": str(info.get("hostname") or socket.getfqdn()),
        "os_hostname": socket.gethostname(),
        "agent_id": agent_id or str(info.get("id", {}).get("value", "")),
        "env_agent_id": env_agent_id(),
        "machine_id": _read_stripped(MACHINE_ID),
        "boot_id": _read_stripped(BOOT_ID),
        "cpus": os.cpu_count(),
        "usable_cpus": usable_cpus,
        "memory": {
            "total_mib": memory.get("MemTotal"),
            "available_mib": memory.get("MemAvailable"),
        },
        "load": load,
        "kernel": f"{uname.system} {uname.release}",
        "machine": uname.machine,
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "sandbox": os.environ.get("MESOS_SANDBOX") or os.environ.get("MESOS_DIRECTORY"),
    }


def agent_probe_json(agent_info: Mapping[str, Any] | None, agent_id: str | None) -> str:
    return json.dumps(agent_probe(agent_info, agent_id), sort_keys=True)
