"""Mesos resources: parsing `--resources`, arithmetic, and their JSON forms.

A resource is one named quantity for one role: SCALAR (cpus, mem, disk, gpus), RANGES
(ports) or SET. `Resources` holds a bag of them keyed by (name, role).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Range = tuple[int, int]
_ENTRY = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(?:\(([^)]*)\))?\s*:\s*(.+?)\s*$")
# Scalar values are kept to three decimal places, as Mesos does (Value::Scalar precision).
_SCALAR_PRECISION = 1000


class ResourceError(ValueError):
    pass


def _round(value: float) -> float:
    return round(value * _SCALAR_PRECISION) / _SCALAR_PRECISION


def _normalize_ranges(ranges: Iterable[Range]) -> list[Range]:
    merged: list[Range] = []
    for begin, end in sorted(ranges):
        if merged and begin <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _subtract_ranges(have: list[Range], take: list[Range]) -> list[Range]:
    result = list(have)
    for t_begin, t_end in take:
        next_result: list[Range] = []
        for begin, end in result:
            if t_end < begin or t_begin > end:
                next_result.append((begin, end))
                continue
            if begin < t_begin:
                next_result.append((begin, t_begin - 1))
            if end > t_end:
                next_result.append((t_end + 1, end))
        result = next_result
    return _normalize_ranges(result)


def _ranges_contain(have: list[Range], want: list[Range]) -> bool:
    return all(any(b <= w_begin and w_end <= e for b, e in have) for w_begin, w_end in want)


# Mesos's resource formats (convertResourceFormat in src/common/resources_utils.cpp). The
# endpoints show both `role` and `reservations`; a framework gets the format it speaks: only
# `role` (static reservations need no `reservation`) without the RESERVATION_REFINEMENT
# capability, only `reservations` (none when unreserved) with it.
ENDPOINT = "ENDPOINT"
PRE_RESERVATION_REFINEMENT = "PRE_RESERVATION_REFINEMENT"
POST_RESERVATION_REFINEMENT = "POST_RESERVATION_REFINEMENT"


@dataclass(slots=True)
class Resource:
    name: str
    kind: str  # SCALAR | RANGES | SET
    role: str = "*"
    scalar: float = 0.0
    ranges: tuple[Range, ...] = ()
    items: frozenset[str] = frozenset()

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.role)

    def is_empty(self) -> bool:
        if self.kind == "SCALAR":
            return self.scalar <= 0
        if self.kind == "RANGES":
            return not self.ranges
        return not self.items

    def to_json(
        self, allocation_role: str | None = None, resource_format: str = ENDPOINT
    ) -> dict[str, Any]:
        """The protobuf JSON form in one of Mesos's resource formats (ResourceFormat in
        src/common/resources_utils.hpp)."""
        body: dict[str, Any] = {"name": self.name, "type": self.kind}
        if self.kind == "SCALAR":
            body["scalar"] = {"value": self.scalar}
        elif self.kind == "RANGES":
            body["ranges"] = {"range": [{"begin": b, "end": e} for b, e in self.ranges]}
        else:
            body["set"] = {"item": sorted(self.items)}
        if resource_format != POST_RESERVATION_REFINEMENT:
            body["role"] = self.role
        if self.role != "*" and resource_format != PRE_RESERVATION_REFINEMENT:
            body["reservations"] = [{"type": "STATIC", "role": self.role}]
        if allocation_role is not None:
            body["allocation_info"] = {"role": allocation_role}
        return body


def resource_from_json(body: Any) -> Resource:
    """A Resource from its protobuf JSON form; raises ResourceError naming the problem."""
    if not isinstance(body, dict):
        raise ResourceError("Resource must be a JSON object")
    name = body.get("name")
    kind = body.get("type")
    if not isinstance(name, str) or not name:
        raise ResourceError("Resource has no name")
    role = body.get("role", "*")
    reservations = body.get("reservations")
    if isinstance(reservations, list) and reservations and isinstance(reservations[-1], dict):
        role = reservations[-1].get("role", role)
    if not isinstance(role, str):
        raise ResourceError(f"Resource '{name}' has an invalid role")
    try:
        if kind == "SCALAR":
            value = float(body["scalar"]["value"])
            if value < 0 or math.isnan(value):
                raise ResourceError(f"Resource '{name}' has a negative or NaN scalar value")
            return Resource(name, "SCALAR", role, scalar=_round(value))
        if kind == "RANGES":
            ranges = [(int(r["begin"]), int(r["end"])) for r in body["ranges"].get("range", [])]
            if any(b > e for b, e in ranges):
                raise ResourceError(f"Resource '{name}' has a range with begin > end")
            return Resource(name, "RANGES", role, ranges=tuple(_normalize_ranges(ranges)))
        if kind == "SET":
            return Resource(name, "SET", role, items=frozenset(map(str, body["set"]["item"])))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        if isinstance(error, ResourceError):
            raise
        raise ResourceError(f"Resource '{name}' is malformed: {error!r}") from None
    raise ResourceError(f"Resource '{name}' has an unknown type {kind!r}")


class Resources:
    """A bag of resources; immutable-style arithmetic returns new bags. A bag is never
    changed once made, so arithmetic with an empty bag returns the other one itself, and
    its JSON forms are kept (the allocator offers 10,000 agents' bags every interval)."""

    __slots__ = ("_items", "_json")  # _json: shared_json's lists by (role, format)

    def __init__(self, items: Iterable[Resource] = ()) -> None:
        self._items: dict[tuple[str, str], Resource] = {}
        self._json: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
        for item in items:
            self._add_one(item)

    def _add_one(self, item: Resource) -> None:
        if item.is_empty():
            return
        current = self._items.get(item.key)
        if current is None:
            self._items[item.key] = Resource(
                item.name, item.kind, item.role, item.scalar, item.ranges, item.items
            )
            return
        if current.kind != item.kind:
            raise ResourceError(f"Resource '{item.name}' given with two different types")
        if item.kind == "SCALAR":
            current.scalar = _round(current.scalar + item.scalar)
        elif item.kind == "RANGES":
            current.ranges = tuple(_normalize_ranges([*current.ranges, *item.ranges]))
        else:
            current.items = current.items | item.items

    def __iter__(self) -> Any:
        return iter(self._items.values())

    def __bool__(self) -> bool:
        return bool(self._items)

    def __add__(self, other: Resources) -> Resources:
        if not other._items:
            return self
        if not self._items:
            return other
        return Resources([*self, *other])

    def __sub__(self, other: Resources) -> Resources:
        if other is self:
            return Resources()
        if not other._items or not self._items:
            return self
        result = Resources(self)
        for item in other:
            current = result._items.get(item.key)
            if current is None:
                continue
            if item.kind == "SCALAR":
                current.scalar = _round(max(0.0, current.scalar - item.scalar))
            elif item.kind == "RANGES":
                current.ranges = tuple(_subtract_ranges(list(current.ranges), list(item.ranges)))
            else:
                current.items = current.items - item.items
            if current.is_empty():
                del result._items[item.key]
        return result

    def contains(self, other: Resources) -> bool:
        for item in other:
            current = self._items.get(item.key)
            if current is None or current.kind != item.kind:
                return False
            if item.kind == "SCALAR" and current.scalar + 1e-9 < item.scalar:
                return False
            if item.kind == "RANGES" and not _ranges_contain(
                list(current.ranges), list(item.ranges)
            ):
                return False
            if item.kind == "SET" and not item.items <= current.items:
                return False
        return True

    def for_roles(self, roles: Iterable[str]) -> Resources:
        """The unreserved resources plus those reserved for one of `roles`."""
        allowed = {"*", *roles}
        if all(item.role in allowed for item in self._items.values()):
            return self
        return Resources(item for item in self if item.role in allowed)

    def scalar(self, name: str) -> float:
        return _round(
            sum(item.scalar for item in self if item.name == name and item.kind == "SCALAR")
        )

    def to_json(
        self, allocation_role: str | None = None, resource_format: str = ENDPOINT
    ) -> list[dict[str, Any]]:
        return [item.to_json(allocation_role, resource_format) for item in self]

    def shared_json(
        self, allocation_role: str | None = None, resource_format: str = ENDPOINT
    ) -> list[dict[str, Any]]:
        """`to_json`, made once per bag, role and format: for callers that only encode it
        (an OFFERS event), never change it."""
        key = (allocation_role, resource_format)
        rendered = self._json.get(key)
        if rendered is None:
            rendered = [item.to_json(allocation_role, resource_format) for item in self]
            self._json[key] = rendered
        return rendered

    def summary(self) -> dict[str, Any]:
        """The flat form /master/state uses: {"cpus": 1.0, "mem": 1024.0, "ports": "[...]"}."""
        body: dict[str, Any] = {"disk": 0.0, "mem": 0.0, "gpus": 0.0, "cpus": 0.0}
        ranges: dict[str, list[Range]] = {}
        for item in self:
            if item.kind == "SCALAR":
                body[item.name] = _round(body.get(item.name, 0.0) + item.scalar)
            elif item.kind == "RANGES":
                ranges.setdefault(item.name, []).extend(item.ranges)
            else:
                body[item.name] = "{" + ",".join(sorted(item.items)) + "}"
        for name, items in ranges.items():
            body[name] = "[" + ", ".join(f"{b}-{e}" for b, e in _normalize_ranges(items)) + "]"
        return body

    def text(self) -> str:
        """Mesos's text form, e.g. "cpus:1; mem:1024; ports:[31000-32000]"."""
        parts = []
        for item in self:
            name = item.name if item.role == "*" else f"{item.name}({item.role})"
            if item.kind == "SCALAR":
                parts.append(f"{name}:{item.scalar:g}")
            elif item.kind == "RANGES":
                parts.append(f"{name}:[" + ", ".join(f"{b}-{e}" for b, e in item.ranges) + "]")
            else:
                parts.append(f"{name}:{{" + ", ".join(sorted(item.items)) + "}")
        return "; ".join(parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resources) and self.contains(other) and other.contains(self)

    def __hash__(self) -> int:  # pragma: no cover - bags are not used as keys
        return hash(self.text())

    def __repr__(self) -> str:
        return f"Resources({self.text()!r})"


def parse_resources_json(body: Any) -> Resources:
    if not isinstance(body, list):
        raise ResourceError("Resources JSON must be an array")
    return Resources(resource_from_json(item) for item in body)


def _parse_value(name: str, role: str, value: str) -> Resource:
    value = value.strip()
    if value.startswith("["):
        if not value.endswith("]"):
            raise ResourceError(f"Bad value for resource {name}: '{value}'")
        ranges: list[Range] = []
        for raw_part in value[1:-1].split(","):
            part = raw_part.strip()
            if not part:
                continue
            begin, dash, end = part.partition("-")
            try:
                ranges.append((int(begin), int(end if dash else begin)))
            except ValueError:
                raise ResourceError(f"Bad value for resource {name}: '{value}'") from None
        return Resource(name, "RANGES", role, ranges=tuple(_normalize_ranges(ranges)))
    if value.startswith("{"):
        if not value.endswith("}"):
            raise ResourceError(f"Bad value for resource {name}: '{value}'")
        items = frozenset(i.strip() for i in value[1:-1].split(",") if i.strip())
        return Resource(name, "SET", role, items=items)
    try:
        number = float(value)
    except ValueError:
        raise ResourceError(f"Bad value for resource {name}: '{value}'") from None
    if number < 0 or math.isnan(number):
        raise ResourceError(f"Bad value for resource {name}: '{value}'")
    return Resource(name, "SCALAR", role, scalar=_round(number))


def parse_resources(text: str, default_role: str = "*") -> Resources:
    """Parse `--resources`: 'cpus:2;mem:1024;ports:[31000-32000];disk(role):10' or JSON."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            return parse_resources_json(json.loads(stripped))
        except json.JSONDecodeError as error:
            raise ResourceError(f"Failed to parse resources JSON: {error}") from None
    items = []
    for entry in stripped.split(";"):
        if not entry.strip():
            continue
        match = _ENTRY.match(entry)
        if not match:
            raise ResourceError(f"Bad value for resources: '{entry}'")
        name, role, value = match.group(1), match.group(2) or default_role, match.group(3)
        items.append(_parse_value(name, role, value))
    return Resources(items)


def parse_attributes(text: str) -> list[dict[str, Any]]:
    """`--attributes='rack:r1;zone:a;level:2;ports:[1-2]'` as Attribute JSON objects."""
    attributes: list[dict[str, Any]] = []
    for entry in text.split(";"):
        if not entry.strip():
            continue
        name, sep, value = entry.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise ResourceError(f"Invalid attribute '{entry}'")
        if value.startswith("[") or value.startswith("{"):
            parsed = _parse_value(name, "*", value)
            attributes.append(_attr(parsed))
            continue
        try:
            number = float(value)
            attributes.append({"name": name, "type": "SCALAR", "scalar": {"value": number}})
        except ValueError:
            attributes.append({"name": name, "type": "TEXT", "text": {"value": value}})
    return attributes


def _attr(resource: Resource) -> dict[str, Any]:
    body = resource.to_json()
    body.pop("role", None)
    body.pop("reservations", None)
    return body


def attributes_summary(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    """The flat form /master/state uses for attributes: {"rack": "r1", "level": 2.0}."""
    flat: dict[str, Any] = {}
    for attribute in attributes:
        kind = attribute.get("type")
        if kind == "TEXT":
            flat[attribute["name"]] = attribute["text"]["value"]
        elif kind == "SCALAR":
            flat[attribute["name"]] = attribute["scalar"]["value"]
        elif kind == "RANGES":
            flat[attribute["name"]] = (
                "["
                + ", ".join(f"{r['begin']}-{r['end']}" for r in attribute["ranges"]["range"])
                + "]"
            )
        elif kind == "SET":
            flat[attribute["name"]] = "{" + ", ".join(attribute["set"]["item"]) + "}"
    return flat
