"""Taking scalar resources (cpus, mem) out of a Mesos offer.

Offered resources can be split over several entries (unreserved and reserved for a role,
each with its allocation_info). A launch must name resources exactly as offered, so the
needed amounts are carved out of the offered entries, keeping their role fields.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

# Mesos compares scalars with a fixed precision of three decimal places.
_EPSILON = 0.0005


def scalar_totals(resources: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for resource in resources:
        if resource.get("type", "SCALAR") != "SCALAR" or "scalar" not in resource:
            continue
        name = str(resource.get("name"))
        totals[name] = totals.get(name, 0.0) + float(resource["scalar"].get("value", 0.0))
    return totals


def carve(
    offered: Iterable[Mapping[str, Any]], needs: Mapping[str, float]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """(entries covering `needs`, what is left of `offered`), or None when `needs` do not fit."""
    remaining = {name: amount for name, amount in needs.items() if amount > 0}
    taken: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    for resource in offered:
        entry = copy.deepcopy(dict(resource))
        name = entry.get("name")
        usable = (
            name in remaining
            and entry.get("type", "SCALAR") == "SCALAR"
            and entry.get("revocable") is None
            and entry.get("shared") is None
        )
        available = float(entry.get("scalar", {}).get("value", 0.0)) if usable else 0.0
        amount = min(available, remaining.get(str(name), 0.0))
        if amount <= _EPSILON:
            left.append(entry)
            continue
        piece = copy.deepcopy(entry)
        piece["scalar"] = {"value": round(amount, 3)}
        taken.append(piece)
        if available - amount > _EPSILON:
            entry["scalar"] = {"value": round(available - amount, 3)}
            left.append(entry)
        remaining[str(name)] -= amount
        if remaining[str(name)] <= _EPSILON:
            del remaining[str(name)]
    return None if remaining else (taken, left)


def scalar(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "type": "SCALAR", "scalar": {"value": round(value, 3)}}


def describe(totals: Mapping[str, float], names: Iterable[str] = ("cpus", "mem")) -> str:
    return ", ".join(f"{name} {totals.get(name, 0.0):g}" for name in names)
