"""Hypothesis strategies drawn from mesos-lite's protobuf schema (mesos_lite.schema): valid
calls, and calls with exactly one known field made hostile (wrong JSON type, out-of-range
number, hostile id or role, deep nesting), which Mesos answers with a 400."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import strategies as st

from mesos_lite.schema import ENUMS
from mesos_lite.validation import _SCHEMA, MAX_DEPTH, _Field

INTEGER_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}
HOSTILE_IDS = [
    "",
    ".",
    "..",
    "../../../../tmp/x",
    "a/b",
    "/etc",
    "a\\b",
    "a\nb",
    "a\x00b",
    "x" * 256,
]
HOSTILE_ROLES = ["", ".", "..", "../x", "/x", "x/", "a//b", "-x", "a b", "a/*", "a\tb"]
WRONG_TYPES = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.just({"value": "x"}),
)


def deep(depth: int = MAX_DEPTH + 5) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def valid_value(field: _Field, depth: int) -> st.SearchStrategy[Any]:
    kind = field.kind
    if kind in ("message", "id"):
        if kind == "id" or field.target.endswith("ID"):
            return st.builds(
                lambda v: {"value": v}, st.from_regex(r"[a-z0-9.-]{1,12}", fullmatch=True)
            )
        return valid_message(field.target, depth + 1)
    if kind == "map":
        return st.dictionaries(
            st.sampled_from(["cpus", "mem", "gpus"]), valid_message(field.target, depth + 1),
            max_size=2,
        )
    if kind == "string":
        return st.text(max_size=8)
    if kind == "role":
        return st.sampled_from(["*", "web", "eng/web"])
    if kind == "bool":
        return st.booleans()
    if kind == "enum":
        return st.sampled_from(sorted(ENUMS[field.target]))
    if kind == "bytes":
        return st.binary(max_size=8).map(lambda b: base64.b64encode(b).decode())
    if kind in ("double", "float"):
        return st.floats(-1e6, 1e6, allow_nan=False)
    if kind == "scalar":
        return st.floats(0, 1000, allow_nan=False)
    low, high = INTEGER_RANGES[kind]
    return st.integers(low, high)


def valid_message(name: str, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A valid instance of message `name`: required fields always, optional ones sometimes
    (none below depth 4, to keep bodies small)."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field in _SCHEMA[name].fields.values():
        if not field.required and (depth > 3 or (field.kind == "message" and depth > 2)):
            continue
        value = valid_value(field, depth)
        if field.repeated:
            value = st.lists(value, max_size=2)
        (fields if field.required else optional)[field.name] = value
    return st.fixed_dictionaries(fields, optional=optional)


def hostile_value(field: _Field) -> st.SearchStrategy[Any]:
    """A value of `field` that Mesos's JSON conversion or validation refuses."""
    kind = field.kind
    nested = st.just(deep())
    if kind == "id":
        return st.one_of(st.sampled_from(HOSTILE_IDS).map(lambda v: {"value": v}), nested)
    if kind == "role":
        return st.one_of(st.sampled_from(HOSTILE_ROLES), st.integers(), nested)
    if kind == "message":
        return st.one_of(st.integers(), st.text(max_size=5), st.booleans(), nested)
    if kind == "map":
        return st.one_of(st.integers(), st.just({"cpus": 5}), st.just({"cpus": "x"}), nested)
    if kind == "string":
        return st.one_of(st.integers(), st.booleans(), st.just({"a": 1}), nested)
    if kind == "bool":
        return st.one_of(st.just("yes please"), st.integers(0, 1), nested)
    if kind == "enum":
        # An optional enum's unknown name is dropped (a field left unset), not refused.
        if not field.required:
            return st.one_of(st.integers(), nested)
        return st.one_of(st.just("NOT_AN_ENUM_VALUE"), st.integers(), nested)
    if kind == "bytes":
        return st.one_of(st.just("not base64!"), st.integers(), nested)
    if kind in ("double", "float"):
        return st.one_of(st.sampled_from(["NaN", "Infinity", "soon"]), st.booleans(), nested)
    if kind == "scalar":
        return st.one_of(st.sampled_from([1e300, -1e300, "Infinity"]), st.booleans(), nested)
    low, high = INTEGER_RANGES[kind]
    return st.one_of(st.sampled_from([low - 1, high + 1, 10**400, "soon"]), st.booleans(), nested)


def _locations(body: dict[str, Any], name: str) -> list[tuple[Any, Any, _Field]]:
    """Every (container, key, field) of a known field present in `body`."""
    found: list[tuple[Any, Any, _Field]] = []
    for field in _SCHEMA[name].fields.values():
        if field.name not in body:
            continue
        found.append((body, field.name, field))
        values = body[field.name] if field.repeated else [body[field.name]]
        if field.kind in ("message", "id"):
            for value in values:
                if isinstance(value, dict):
                    found.extend(_locations(value, field.target))
    return found


@st.composite
def hostile_calls(draw: st.DrawFn, message: str, base: dict[str, Any]) -> dict[str, Any]:
    """A valid `message` merged over `base`, with one of its known fields made hostile."""
    body = {**draw(valid_message(message)), **base}
    container, key, field = draw(st.sampled_from(_locations(body, message)))
    bad = draw(hostile_value(field))
    if field.repeated and draw(st.booleans()):
        bad = [bad]
    container[key] = bad
    return body
