"""The master's registry: the agents it admitted, and those it marked unreachable or gone.

Apache Mesos keeps this in a replicated log across the masters; mesos-lite keeps the same
content as one JSON document shaped like Mesos's `Registry` message:

    {"master": {"info": MasterInfo of the last writer},
     "slaves": {"slaves": [{"info": AgentInfo, "drain_info": ..., "deactivated": true}, ...]},
     "unreachable": {"slaves": [{"id": {"value": ...}, "timestamp": {"nanoseconds": ...},
                                 "drain_info": ..., "deactivated": true}]},
     "gone": {"slaves": [{"id": {"value": ...}, "timestamp": {"nanoseconds": ...}}]},
     "machines": {"machines": [{"info": MachineInfo}]}, "schedules": [maintenance Schedule],
     "quota_configs": [QuotaConfig], "weights": [{"info": WeightInfo}]}

The last four (OTHER_SECTIONS) are kept by the master's parts that own them (maintenance.py,
quota.py, weights.py): the registrar stores and recovers them as they are.

Where it is stored: registry_store.py; who writes it, when: registrar.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Sections of Mesos's Registry message other than agents, owned by other parts of the master.
OTHER_SECTIONS = ("machines", "schedules", "quota_configs", "weights")


class RegistryError(Exception):
    """The registry cannot be read or written (the master must not go on leading)."""


class RegistryCorruptError(RegistryError):
    """The stored registry cannot be understood; retrying will not help."""


class RegistryConflictError(RegistryError):
    """Another master wrote the registry since this one last read it."""


@dataclass
class RegistryState:
    # agent id -> AgentInfo (id, hostname, port, resources, attributes) as JSON
    admitted: dict[str, dict[str, Any]] = field(default_factory=dict)
    # agent id -> time (seconds since the epoch) it was marked unreachable / gone
    unreachable: dict[str, float] = field(default_factory=dict)
    gone: dict[str, float] = field(default_factory=dict)
    # OTHER_SECTIONS, as stored
    sections: dict[str, Any] = field(default_factory=dict)
    # agent id -> what operators did to an admitted or unreachable agent (Mesos's
    # Registry.Slave drain_info / deactivated): {"drain_info": DrainInfo, "deactivated": true}
    operator_marks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Any) -> RegistryState:
        if not isinstance(body, dict):
            raise RegistryCorruptError("the registry is not a JSON object")
        state = cls()
        try:
            for entry in body.get("slaves", {}).get("slaves", []):
                info = entry["info"]
                state.admitted[str(info["id"]["value"])] = info
                _read_marks(state, str(info["id"]["value"]), entry)
            for entry in body.get("unreachable", {}).get("slaves", []):
                _read_marks(state, str(entry["id"]["value"]), entry)
            state.unreachable = _untimestamped(body.get("unreachable", {}))
            state.gone = _untimestamped(body.get("gone", {}))
            state.sections = {name: body[name] for name in OTHER_SECTIONS if name in body}
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise RegistryCorruptError(f"malformed registry entry: {error!r}") from None
        return state


def _read_marks(state: RegistryState, agent_id: str, entry: dict[str, Any]) -> None:
    marks = {key: entry[key] for key in OPERATOR_MARKS if entry.get(key)}
    if marks:
        state.operator_marks[agent_id] = marks


# The fields of an agent's registry entry that operator calls set (DRAIN_AGENT,
# DEACTIVATE_AGENT; REACTIVATE_AGENT clears them). Other marks live in memory only.
OPERATOR_MARKS = ("drain_info", "deactivated")


def encode_admitted(info: dict[str, Any], marks: dict[str, Any] | None = None) -> bytes:
    """One admitted agent's entry of the registry document (see `encode_registry`)."""
    return json.dumps({"info": info, **_persisted(marks)}, sort_keys=True).encode("utf-8")


def _persisted(marks: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (marks or {}).items() if key in OPERATOR_MARKS}


def encode_registry(
    admitted: list[bytes],
    unreachable: dict[str, float],
    gone: dict[str, float],
    master_info: dict[str, Any] | None = None,
    sections: dict[str, Any] | None = None,
    operator_marks: dict[str, dict[str, Any]] | None = None,
) -> bytes:
    """The registry document (shaped as this module's docstring shows, keys sorted) from
    entries encoded by `encode_admitted`: the registry keeper encodes an agent once per
    change of its AgentInfo, not once per write, so that writing a registry of 10,000 agents
    stays cheap."""

    def encoded(value: Any) -> bytes:
        return json.dumps(value, sort_keys=True).encode("utf-8")

    parts = {"gone": encoded({"slaves": _timestamped(gone)})}
    if master_info is not None:
        parts["master"] = encoded({"info": master_info})
    parts["slaves"] = b'{"slaves": [' + b", ".join(admitted) + b"]}"
    unreachable_entries = _timestamped(unreachable)
    for entry in unreachable_entries:
        entry.update(_persisted((operator_marks or {}).get(entry["id"]["value"])))
    parts["unreachable"] = encoded({"slaves": unreachable_entries})
    for name, value in (sections or {}).items():
        parts[name] = encoded(value)
    return b"{" + b", ".join(f'"{name}": '.encode() + parts[name] for name in sorted(parts)) + b"}"


def _timestamped(entries: dict[str, float]) -> list[dict[str, Any]]:
    return [
        {"id": {"value": agent_id}, "timestamp": {"nanoseconds": int(seconds * 1e9)}}
        for agent_id, seconds in entries.items()
    ]


def _untimestamped(section: dict[str, Any]) -> dict[str, float]:
    return {
        str(entry["id"]["value"]): int(entry["timestamp"]["nanoseconds"]) / 1e9
        for entry in section.get("slaves", [])
    }
