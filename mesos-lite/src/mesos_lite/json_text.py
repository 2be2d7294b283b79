"""Compact JSON text (as `json.dumps(..., separators=(",", ":"))` writes it) assembled from
parts encoded earlier: /master/state of 10,000 agents is 15 MiB, and encoding every agent
again on each request was most of its time. A part that has not changed keeps its text."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    """The one compact JSON encoding the master's read-only endpoints use."""
    return json.dumps(value, separators=(",", ":"))


class Encoded(str):
    """A value already encoded with `dumps`: `assemble` writes it as it is."""


class EncodedItems(list[str]):
    """A JSON array whose items are already encoded with `dumps`."""


class Parts(dict[str, Any]):
    """A JSON object some of whose values (at any depth of Parts, lists of Parts,
    EncodedItems and Encoded) are already encoded; every other value is encoded here."""


def assemble(value: Any) -> str:
    """`dumps` of the value the parts stand for, byte for byte."""
    if isinstance(value, Encoded):
        return str(value)
    if isinstance(value, EncodedItems):
        return "[" + ",".join(value) + "]"
    if isinstance(value, Parts):
        return (
            "{" + ",".join(dumps(key) + ":" + assemble(item) for key, item in value.items()) + "}"
        )
    if isinstance(value, list) and value and all(isinstance(i, Parts) for i in value):
        return "[" + ",".join(assemble(item) for item in value) + "]"
    return dumps(value)
