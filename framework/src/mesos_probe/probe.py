"""The default work of a probe task: describe the agent host it runs on."""

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
