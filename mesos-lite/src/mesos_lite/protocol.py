"""Small helpers for the protobuf-JSON shapes both daemons read and write."""

from __future__ import annotations

import base64
import time
from typing import Any

TERMINAL_STATES = frozenset(
    {
        "TASK_FINISHED",
        "TASK_FAILED",
        "TASK_KILLED",
        "TASK_ERROR",
        "TASK_LOST",
        "TASK_DROPPED",
        "TASK_GONE",
        "TASK_GONE_BY_OPERATOR",
    }
)
TASK_STATES = frozenset(
    {
        "TASK_STAGING",
        "TASK_STARTING",
        "TASK_RUNNING",
        "TASK_KILLING",
        "TASK_UNREACHABLE",
        "TASK_UNKNOWN",
        *TERMINAL_STATES,
    }
)
# The capabilities a Mesos 1.11 agent declares (AgentInfo.Capability), in /state on both sides.
AGENT_CAPABILITIES = (
    "MULTI_ROLE",
    "HIERARCHICAL_ROLE",
    "RESERVATION_REFINEMENT",
    "RESOURCE_PROVIDER",
    "RESIZE_VOLUME",
    "AGENT_OPERATION_FEEDBACK",
    "AGENT_DRAINING",
    "TASK_RESOURCE_LIMITS",
)


def value_of(body: Any, field: str) -> str | None:
    """`body[field]["value"]` when it is a string, else None (for {"value": ...} ids)."""
    if not isinstance(body, dict):
        return None
    inner = body.get(field)
    if isinstance(inner, dict) and isinstance(inner.get("value"), str):
        return str(inner["value"])
    return None


def wrap(value: str) -> dict[str, str]:
    return {"value": value}


def now() -> float:
    return time.time()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def is_base64(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        base64.b64decode(text, validate=True)
    except ValueError:
        return False
    return True


def has_capability(framework_info: dict[str, Any], capability: str) -> bool:
    """Whether FrameworkInfo.capabilities lists `capability` (a Capability.Type name)."""
    return any(
        isinstance(c, dict) and c.get("type") == capability
        for c in framework_info.get("capabilities", []) or []
    )


def is_partition_aware(framework_info: dict[str, Any]) -> bool:
    return has_capability(framework_info, "PARTITION_AWARE")


def framework_roles(framework_info: dict[str, Any]) -> list[str]:
    """The roles a framework subscribes with: `roles` (MULTI_ROLE) or its single `role`."""
    multi = any(
        isinstance(c, dict) and c.get("type") == "MULTI_ROLE"
        for c in framework_info.get("capabilities", []) or []
    )
    if multi and isinstance(framework_info.get("roles"), list):
        return [str(r) for r in framework_info["roles"]] or ["*"]
    role = framework_info.get("role", "*")
    return [role if isinstance(role, str) and role else "*"]
