"""The agent's settings, built once from its flags by `agent/main.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mesos_lite.credentials import Credential
from mesos_lite.resources import Resources


@dataclass
class AgentConfig:
    ip: str
    port: int
    advertise_ip: str
    advertise_port: int
    hostname: str
    work_dir: str
    resources: Resources
    attributes: list[dict[str, Any]]
    master: str
    executor_registration_timeout: float
    executor_shutdown_grace_period: float
    switch_user: bool
    registration_backoff_factor: float
    zk_session_timeout: float
    log_dir: str | None
    http_heartbeat_interval: float = 30.0
    recovery_timeout: float = 900.0
    executor_environment_variables: dict[str, str] | None = None
    executor_reregistration_timeout: float = 2.0
    flags: dict[str, str] = field(default_factory=dict)
    # --credential: presented (HTTP Basic) on every call to the master.
    credential: Credential | None = None
