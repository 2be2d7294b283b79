"""Scheduler calls checked as Apache Mesos checks them, after the validation layer
(validation.py over schema.py, run first by httpd.read_json_call) made sure the JSON converts
into the Call protobuf: every known field has its proto type, required ones are present, ids
and roles are valid. What is left here is scheduler::call::validate's part that depends on
the call's type (its body present, framework_id given) and on other fields (ids that must
agree): "Failed to validate scheduler::Call: ...", a 400."""

from __future__ import annotations

import logging
from typing import Any

from mesos_lite.httpd import CallError
from mesos_lite.master.allocator import DEFAULT_REFUSE_SECONDS
from mesos_lite.protocol import value_of

logger = logging.getLogger(__name__)

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
VALIDATE_PREFIX = "Failed to validate scheduler::Call: "

# One LAUNCH or LAUNCH_GROUP: its task infos, the group's executor, whether it is a group.
Launch = tuple[list[dict[str, Any]], dict[str, Any] | None, bool]


def validate_error(message: str) -> CallError:
    return CallError(400, VALIDATE_PREFIX + message)


def id_value(body: dict[str, Any], field: str) -> str:
    """The value of the id `field` of `body`, required by the call's schema."""
    return str(body[field]["value"])


def parse_call(body: dict[str, Any]) -> str:
    """The call's type after scheduler::call::validate's checks of its type, body and
    framework_id (the schema has typed them already)."""
    call_type = body.get("type")
    if call_type is None:
        raise validate_error("Expecting 'type' to be present")
    field = CALL_BODIES.get(call_type)
    if field is not None and field not in body:
        raise validate_error(f"Expecting '{field}' to be present")
    if call_type != "SUBSCRIBE" and "framework_id" not in body:
        raise validate_error("Expecting 'framework_id' to be present")
    return str(call_type)


def principal_mismatch(principal: str, info: dict[str, Any]) -> str:
    return (
        f"Authenticated principal '{principal}' does not match principal "
        f"'{info.get('principal', '')}' set in `FrameworkInfo`"
    )


def validate_framework_info(subscribe: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """SUBSCRIBE's FrameworkInfo, whose id must be the call's framework_id."""
    info: dict[str, Any] = subscribe["framework_info"]
    info_id = value_of(info, "id")
    call_id = value_of(body, "framework_id")
    if info_id != call_id:
        raise validate_error("'framework_id' differs from 'subscribe.framework_info.id'")
    return info


def offer_ids(call_body: dict[str, Any]) -> list[str]:
    """The `offer_ids` of an ACCEPT or DECLINE."""
    return [str(item["value"]) for item in call_body.get("offer_ids", [])]


def refuse_seconds(call_body: dict[str, Any]) -> float:
    """`filters.refuse_seconds` of an ACCEPT or DECLINE (Mesos's default: 5)."""
    filters = call_body.get("filters", {})
    return float(filters.get("refuse_seconds", DEFAULT_REFUSE_SECONDS))


def parse_operations(operations: list[dict[str, Any]]) -> list[Launch]:
    """The launches among an ACCEPT's operations."""
    launches: list[Launch] = []
    for operation in operations:
        kind = operation.get("type")
        if kind == "LAUNCH":
            launch = operation.get("launch")
            if launch is None:
                raise validate_error("Expecting 'launch' to be present")
            launches.append((launch.get("task_infos", []), None, False))
        elif kind == "LAUNCH_GROUP":
            group = operation.get("launch_group")
            if group is None:
                raise validate_error("Expecting 'launch_group' to be present")
            launches.append((group["task_group"].get("tasks", []), group["executor"], True))
        elif kind in UNSUPPORTED_OPERATIONS:
            logger.warning("Dropping unsupported offer operation %s", kind)
        else:
            # No type (or UNKNOWN): Master::accept logs and ignores it.
            logger.warning("Ignoring unknown operation")
    return launches
