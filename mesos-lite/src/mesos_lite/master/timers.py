"""Named one-shot timers on the event loop (failover timeouts, offer expiry, agent grace)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class Timers:
    """At most one pending timer per key: setting a key again replaces its timer."""

    def __init__(self) -> None:
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._stopped = False

    def set(self, key: str, delay: float, callback: Callable[..., None], *args: Any) -> None:
        self.cancel(key)
        if self._stopped:
            return
        loop = asyncio.get_running_loop()
        self._handles[key] = loop.call_later(delay, self._fire, key, callback, args)

    def _fire(self, key: str, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        self._handles.pop(key, None)
        callback(*args)

    def cancel(self, key: str) -> None:
        handle = self._handles.pop(key, None)
        if handle is not None:
            handle.cancel()

    def stop(self) -> None:
        """The master is exiting: cancels every timer and sets no more. Streams closed on the
        way out must not start failover or agent grace timeouts (with thousands of streams,
        those would remove frameworks and kill their tasks while the master exits)."""
        self._stopped = True
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
