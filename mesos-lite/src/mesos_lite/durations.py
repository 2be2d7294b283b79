"""Durations and byte sizes written the way Mesos flags write them ("15secs", "512MB")."""

from __future__ import annotations

import re

_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "ms": 1e-3,
    "secs": 1.0,
    "mins": 60.0,
    "hrs": 3600.0,
    "days": 86400.0,
    "weeks": 604800.0,
}
_BYTE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_NUMBER_AND_UNIT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]+)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in a Mesos duration such as "1secs", "100ms" or "2.5mins"."""
    match = _NUMBER_AND_UNIT.match(text)
    if not match or match.group(2) not in _DURATION_UNITS:
        raise ValueError(f"Invalid duration '{text}'")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_bytes(text: str) -> int:
    match = _NUMBER_AND_UNIT.match(text)
    if not match or match.group(2).upper() not in _BYTE_UNITS:
        raise ValueError(f"Invalid bytes '{text}'")
    return int(float(match.group(1)) * _BYTE_UNITS[match.group(2).upper()])


def format_duration(seconds: float) -> str:
    """The form Mesos prints durations in (e.g. in /master/flags): "15secs", "100ms"."""
    for unit, size in (
        ("weeks", 604800.0),
        ("days", 86400.0),
        ("hrs", 3600.0),
        ("mins", 60.0),
        ("secs", 1.0),
        ("ms", 1e-3),
        ("us", 1e-6),
    ):
        if seconds >= size:
            value = seconds / size
            return f"{value:g}{unit}"
    return f"{seconds * 1e9:g}ns"
