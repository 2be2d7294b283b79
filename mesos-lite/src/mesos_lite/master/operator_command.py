"""What the operator API's calls that change the cluster (maintenance_calls.py,
quota_calls.py) have in common: their handler type and the message their type requires."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mesos_lite.httpd import CallError

OperatorCommand = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]


def required(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The call's `field` message, which Mesos's call validation requires for its type."""
    value = body.get(field)
    if not isinstance(value, dict):
        raise CallError(400, f"Failed to validate master::Call: Expecting '{field}' to be present")
    return value
