"""The protobuf messages mesos-lite reads and writes, as field lists (from Mesos 1.11's v1
protos: include/mesos/v1/mesos.proto, scheduler/scheduler.proto, executor/executor.proto,
master/master.proto, agent/agent.proto; each entry names its proto message).

One table for both content types: the validation layer (validation.py) checks JSON calls
against it, and the protobuf codec (protobuf_wire.py) turns bytes into the same dicts and
events back into bytes with it. `MESSAGES[name][field] = "<type> <number>"`, where the type
is a scalar (`string`, `bool`, `double`, `int32`, `uint32`, `int64`, `uint64`, `bytes`),
`enum:<Name>` (values and their numbers in `ENUMS`), `map:<Message>` (a proto map from
strings to that message: a JSON object), or another message name; a leading `*`
marks a repeated field and a trailing `!` a proto2 `required` one; the number is the proto
field number (fields without one exist in JSON only). Fields a message has but mesos-lite
never reads or writes are left out: as in Mesos's JSON-to-protobuf conversion, unknown keys
are ignored (and unknown protobuf fields skipped), known ones are typed. IDs whose values
Mesos checks with validateID when it parses the call are `id:<Message>`; those of tasks and
executors in a LAUNCH are checked per task (task_validation.py: TASK_ERROR, not a 400, as
Mesos's master does). `scalar` is Value.Scalar's double (range-checked as Mesos's fixed-point
value), `role` a string checked as a role name.
"""

from __future__ import annotations

from typing import NamedTuple

from mesos_lite.schema import agent_link, common, executor, operator, scheduler

_MODULES = (common, scheduler, executor, operator, agent_link)

ENUMS: dict[str, dict[str, int]] = {}
MESSAGES: dict[str, dict[str, str]] = {}
for _module in _MODULES:
    ENUMS.update(getattr(_module, "ENUMS", {}))
    MESSAGES.update(_module.MESSAGES)


class FieldSpec(NamedTuple):
    """One `MESSAGES` entry, read."""

    # a scalar name, "enum", "message", "id" (a message validated by id), "map" or "role"
    kind: str
    target: str  # the enum or message name (the scalar's for scalars)
    repeated: bool
    required: bool
    number: int | None  # None: a JSON-only field


def field_spec(described: str) -> FieldSpec:
    spec, _, number = described.partition(" ")
    repeated, required = spec.startswith("*"), spec.endswith("!")
    core = spec.strip("*!")
    if core.startswith("enum:"):
        kind, target = "enum", core[5:]
    elif core.startswith("id:"):
        kind, target = "id", core[3:]
    elif core.startswith("map:"):
        kind, target = "map", core[4:]
    elif core in MESSAGES:
        kind, target = "message", core
    else:
        kind, target = core, core
    return FieldSpec(kind, target, repeated, required, int(number) if number else None)
