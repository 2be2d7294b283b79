"""Scheduler calls checked as Apache Mesos checks them: the JSON must convert into the Call
protobuf (else "Failed to convert JSON into Call protobuf: ...") and pass
scheduler::call::validate (else "Failed to validate scheduler::Call: ..."); both are 400."""

from __future__ import annotations

import logging
from typing import Any

from mesos_lite.httpd import CallError
from mesos_lite.master.allocator import DEFAULT_REFUSE_SECONDS
from mesos_lite.protocol import framework_roles, value_of

logger = logging.getLogger(__name__)

CALL_TYPES = frozenset(
    {
        "SUBSCRIBE",
        "TEARDOWN",
        "ACCEPT",
        "DECLINE",
        "ACCEPT_INVERSE_OFFERS",
        "DECLINE_INVERSE_OFFERS",
        "REVIVE",
        "KILL",
        "SHUTDOWN",
        "ACKNOWLEDGE",
        "ACKNOWLEDGE_OPERATION_STATUS",
        "RECONCILE",
        "RECONCILE_OPERATIONS",
        "MESSAGE",
        "REQUEST",
        "SUPPRESS",
        "UPDATE_FRAMEWORK",
        "UNKNOWN",
    }
)
# Call type -> the field that must carry its body (scheduler::call::validate).
CALL_BODIES = {
    "SUBSCRIBE": "subscribe",
    "ACCEPT": "accept",
    "DECLINE": "decline",
    "ACCEPT_INVERSE_OFFERS": "accept_inverse_offers",
    "DECLINE_INVERSE_OFFERS": "decline_inverse_offers",
    "KILL": "kill",
    "SHUTDOWN": "shutdown",
    "ACKNOWLEDGE": "acknowledge",
    "ACKNOWLEDGE_OPERATION_STATUS": "acknowledge_operation_status",
    "RECONCILE": "reconcile",
    "RECONCILE_OPERATIONS": "reconcile_operations",
    "MESSAGE": "message",
    "REQUEST": "request",
    "UPDATE_FRAMEWORK": "update_framework",
}
# Offer operations Mesos knows and mesos-lite drops (with a warning) rather than refuses.
UNSUPPORTED_OPERATIONS = frozenset(
    {
        "RESERVE",
        "UNRESERVE",
        "CREATE",
        "DESTROY",
        "GROW_VOLUME",
        "SHRINK_VOLUME",
        "CREATE_DISK",
        "DESTROY_DISK",
    }
)
PARSE_PREFIX = "Failed to convert JSON into Call protobuf: "
VALIDATE_PREFIX = "Failed to validate scheduler::Call: "

# One LAUNCH or LAUNCH_GROUP: its task infos, the group's executor, whether it is a group.
Launch = tuple[list[dict[str, Any]], dict[str, Any] | None, bool]


def parse_error(message: str) -> CallError:
    return CallError(400, PARSE_PREFIX + message)


def validate_error(message: str) -> CallError:
    return CallError(400, VALIDATE_PREFIX + message)


def require_id(body: Any, field: str, where: str) -> str:
    value = value_of(body, field)
    if value is None:
        raise parse_error(f"Missing required field '{where}{field}'")
    return value


def _require_dict(body: dict[str, Any], field: str) -> dict[str, Any]:
    inner = body.get(field)
    if inner is None:
        raise validate_error(f"Expecting '{field}' to be present")
    if not isinstance(inner, dict):
        raise parse_error(f"Field '{field}' must be a JSON object")
    return inner


def list_field(body: dict[str, Any], field: str) -> list[Any]:
    inner = body.get(field, [])
    if not isinstance(inner, list):
        raise parse_error(f"Field '{field}' must be a JSON array")
    return inner


def parse_call(body: dict[str, Any]) -> str:
    """The call's type after the checks Mesos's JSON parsing and validation make."""
    call_type = body.get("type")
    if call_type is None:
        raise validate_error("Expecting 'type' to be present")
    if not isinstance(call_type, str) or call_type not in CALL_TYPES:
        raise parse_error(f"Failed to find enum for '{call_type}'")
    field = CALL_BODIES.get(call_type)
    if field is not None:
        _require_dict(body, field)
    if call_type != "SUBSCRIBE":
        if body.get("framework_id") is None:
            raise validate_error("Expecting 'framework_id' to be present")
        require_id(body, "framework_id", "")
    return call_type


def principal_mismatch(principal: str, info: dict[str, Any]) -> str:
    return (
        f"Authenticated principal '{principal}' does not match principal "
        f"'{info.get('principal', '')}' set in `FrameworkInfo`"
    )


def validate_framework_info(subscribe: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    info = subscribe.get("framework_info")
    if not isinstance(info, dict):
        raise parse_error("Missing required field 'subscribe.framework_info'")
    for required in ("user", "name"):
        if not isinstance(info.get(required), str):
            raise parse_error(f"Missing required field 'subscribe.framework_info.{required}'")
    if "failover_timeout" in info and not isinstance(info["failover_timeout"], int | float):
        raise parse_error("Field 'failover_timeout' must be a number")
    info_id = value_of(info, "id")
    call_id = value_of(body, "framework_id")
    if call_id is not None and info_id != call_id:
        raise validate_error("'framework_id' differs from 'subscribe.framework_info.id'")
    if info_id is not None and call_id is None:
        raise validate_error("'framework_id' differs from 'subscribe.framework_info.id'")
    for role in framework_roles(info):
        if role in (".", "..") or role.startswith("-") or any(c.isspace() for c in role):
            raise validate_error(f"Role '{role}' is invalid")
    return info


def offer_ids(call_body: dict[str, Any]) -> list[str]:
    """The `offer_ids` of an ACCEPT or DECLINE."""
    ids = []
    for item in list_field(call_body, "offer_ids"):
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise parse_error('Offer ids must be {"value": string}')
        ids.append(item["value"])
    return ids


def refuse_seconds(call_body: dict[str, Any]) -> float:
    """`filters.refuse_seconds` of an ACCEPT or DECLINE (Mesos's default: 5)."""
    filters = call_body.get("filters") or {}
    if not isinstance(filters, dict):
        raise parse_error("Field 'filters' must be a JSON object")
    value = filters.get("refuse_seconds", DEFAULT_REFUSE_SECONDS)
    if not isinstance(value, int | float):
        raise parse_error("Field 'refuse_seconds' must be a number")
    return float(value)


def parse_operations(operations: list[Any]) -> list[Launch]:
    """The launches among an ACCEPT's operations."""
    launches: list[Launch] = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise parse_error("Operations must be JSON objects")
        kind = operation.get("type")
        if kind == "LAUNCH":
            launch = operation.get("launch")
            if not isinstance(launch, dict):
                raise validate_error("Expecting 'launch' to be present")
            tasks = list_field(launch, "task_infos")
            for position, task in enumerate(tasks):
                _check_task_fields(
                    task, f"accept.operations[{index}].launch.task_infos[{position}]."
                )
            launches.append((tasks, None, False))
        elif kind == "LAUNCH_GROUP":
            group = operation.get("launch_group")
            if not isinstance(group, dict) or not isinstance(group.get("executor"), dict):
                raise validate_error("Expecting 'launch_group' with an executor")
            task_group = group.get("task_group")
            if not isinstance(task_group, dict):
                raise parse_error("Missing required field 'launch_group.task_group'")
            tasks = list_field(task_group, "tasks")
            for position, task in enumerate(tasks):
                _check_task_fields(
                    task,
                    f"accept.operations[{index}].launch_group.task_group.tasks[{position}].",
                )
            launches.append((tasks, group["executor"], True))
        elif kind in UNSUPPORTED_OPERATIONS:
            logger.warning("Dropping unsupported offer operation %s", kind)
        else:
            raise parse_error(f"Failed to find enum for '{kind}'")
    return launches


def _check_task_fields(task: Any, where: str) -> None:
    if not isinstance(task, dict):
        raise parse_error("Tasks must be JSON objects")
    if not isinstance(task.get("name"), str):
        raise parse_error(f"Missing required field '{where}name'")
    require_id(task, "task_id", where)
    require_id(task, "agent_id", where)
