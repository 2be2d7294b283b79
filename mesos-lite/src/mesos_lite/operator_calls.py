"""Call validation of the v1 operator API (`POST /api/v1` on master and agent), after the
schema check of validation.py: Mesos's `validation::master::call::validate` and
`validation::agent::call::validate`.

- `type` is an optional enum: stout's JSON conversion drops a value the enum does not know,
  so `{"type": "FOO"}` is a call without a type ("Expecting 'type' to be present").
- A call type that carries a message needs it ("Expecting 'read_file' to be present").
- `UNKNOWN` passes validation and is answered 501 Not Implemented with an empty body.
"""

from __future__ import annotations

from typing import Any

from mesos_lite.httpd import CallError
from mesos_lite.schema import ENUMS

# Call types whose message must be present (the lower-case field of the same name).
_MASTER_BODIES = frozenset(
    {
        "GET_METRICS",
        "SET_LOGGING_LEVEL",
        "LIST_FILES",
        "READ_FILE",
        "UPDATE_WEIGHTS",
        "RESERVE_RESOURCES",
        "UNRESERVE_RESOURCES",
        "CREATE_VOLUMES",
        "DESTROY_VOLUMES",
        "GROW_VOLUME",
        "SHRINK_VOLUME",
        "UPDATE_MAINTENANCE_SCHEDULE",
        "START_MAINTENANCE",
        "STOP_MAINTENANCE",
        "DRAIN_AGENT",
        "DEACTIVATE_AGENT",
        "REACTIVATE_AGENT",
        "UPDATE_QUOTA",
        "SET_QUOTA",
        "REMOVE_QUOTA",
        "TEARDOWN",
        "MARK_AGENT_GONE",
    }
)
_AGENT_BODIES = frozenset(
    {
        "GET_METRICS",
        "SET_LOGGING_LEVEL",
        "LIST_FILES",
        "READ_FILE",
        "LAUNCH_NESTED_CONTAINER",
        "WAIT_NESTED_CONTAINER",
        "KILL_NESTED_CONTAINER",
        "REMOVE_NESTED_CONTAINER",
        "LAUNCH_NESTED_CONTAINER_SESSION",
        "ATTACH_CONTAINER_INPUT",
        "ATTACH_CONTAINER_OUTPUT",
        "LAUNCH_CONTAINER",
        "WAIT_CONTAINER",
        "KILL_CONTAINER",
        "REMOVE_CONTAINER",
        "ADD_RESOURCE_PROVIDER_CONFIG",
        "UPDATE_RESOURCE_PROVIDER_CONFIG",
        "REMOVE_RESOURCE_PROVIDER_CONFIG",
        "MARK_RESOURCE_PROVIDER_GONE",
    }
)
_KINDS = {
    "master": ("master::Call", ENUMS["MasterCallType"], _MASTER_BODIES),
    "agent": ("agent::Call", ENUMS["AgentCallType"], _AGENT_BODIES),
}


def validated_type(body: dict[str, Any], kind: str) -> str:
    """The type of an operator call (`kind` "master" or "agent") that passed the schema
    check; 400 with Mesos's message when call validation fails, 501 for UNKNOWN."""
    name, types, bodies = _KINDS[kind]
    call_type = body.get("type")
    if call_type not in types:
        raise CallError(400, f"Failed to validate {name}: Expecting 'type' to be present")
    assert isinstance(call_type, str)
    if call_type in bodies and call_type.lower() not in body:
        raise CallError(
            400, f"Failed to validate {name}: Expecting '{call_type.lower()}' to be present"
        )
    if call_type == "UNKNOWN":
        raise CallError(501, "")
    return call_type


def not_implemented(call_type: str) -> CallError:
    """A call Mesos 1.11 implements and mesos-lite does not."""
    return CallError(501, f"Call type {call_type} is not implemented by mesos-lite")
