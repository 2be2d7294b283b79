"""Loopback ports and readiness polling: wait for a condition by asking, never by sleeping
a fixed time."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.05


def free_port() -> int:
    """A TCP port nothing listens on at the moment, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unused_address() -> str:
    """A loopback host:port nothing listens on (a master that is down)."""
    return f"127.0.0.1:{free_port()}"


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """Whether GET `url` answers 2xx now (False while nothing listens or it answers 4xx/5xx)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(200 <= response.status < 300)
    except (OSError, urllib.error.URLError):
        return False


def wait_until(
    check: Callable[[], T],
    timeout: float,
    what: str,
    *,
    poll: float = POLL_SECONDS,
    abort: Callable[[], str | None] | None = None,
) -> T:
    """Call `check` until it returns something true, and return that. Raise TimeoutError
    naming `what` after `timeout` seconds, or RuntimeError at once when `abort` returns a
    reason (a daemon that exited will never become ready)."""
    deadline = time.monotonic() + timeout
    problem = "not yet"
    while True:
        if abort is not None:
            reason = abort()
            if reason:
                raise RuntimeError(f"{what}: {reason}")
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError) as error:
            problem = str(error)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not within {timeout:g}s ({problem})")
        time.sleep(poll)


def wait_http_ok(
    port: int,
    path: str = "/health",
    timeout: float = 15.0,
    abort: Callable[[], str | None] | None = None,
) -> None:
    """Wait until http://127.0.0.1:`port``path` answers 2xx."""
    url = f"http://127.0.0.1:{port}{path}"
    wait_until(lambda: http_ok(url), timeout, f"an answer from {url}", abort=abort)
