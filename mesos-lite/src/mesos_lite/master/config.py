"""The master's settings, taken from its flags once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field


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
