"""The daemon's verbose logging level, as libprocess's `Logging` process keeps glog's FLAGS_v:
GET_LOGGING_LEVEL reads it, SET_LOGGING_LEVEL and `/logging/toggle` raise it for a while,
after which it reverts to the level the daemon started with (0).

glog's verbose levels map onto Python's below DEBUG: level 1 logs DEBUG, level 2 also
level 9 messages, and so on; level 0 is the daemon's --logging_level. The same object
serves the master and the agent (both have these calls and the endpoint).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity, forbidden
from mesos_lite.durations import format_duration, parse_duration
from mesos_lite.httpd import CallError

logger = logging.getLogger(__name__)

TOGGLE_PATH = "/logging/toggle"


class LoggingLevel:
    def __init__(self, security: HttpSecurity) -> None:
        self.security = security
        # FLAGS_v at start-up: what a toggle reverts to, and the lowest it may set.
        self.original = 0
        self.level = self.original
        self._base = logging.getLogger().level
        self._revert: asyncio.TimerHandle | None = None

    def set_level(self, level: int, seconds: float) -> None:
        """Sets the verbose level; unless it is the original one, it reverts after
        `seconds` (a later call replaces the pending revert, as libprocess's timeout does)."""
        self._apply(level)
        if self._revert is not None:
            self._revert.cancel()
            self._revert = None
        if level != self.original:
            loop = asyncio.get_running_loop()
            self._revert = loop.call_later(max(seconds, 0.0), self._apply, self.original)

    def _apply(self, level: int) -> None:
        if level == self.level:
            return
        logger.info("Setting verbose logging level to %d", level)
        self.level = level
        root = logging.getLogger()
        root.setLevel(self._base if level == 0 else max(1, logging.DEBUG - (level - 1)))

    # ----- v1 operator API -----
    def get_call(self) -> dict[str, Any]:
        return {"level": self.level}

    def set_call(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        """SET_LOGGING_LEVEL (validated by the schema: level uint32, duration present);
        needs the set_log_level ACL."""
        if not self.security.approved(request, "set_log_level", None):
            raise CallError(403, "")
        call = body["set_logging_level"]
        self.set_level(int(call["level"]), int(call["duration"]["nanoseconds"]) / 1e9)
        return web.Response(status=200)

    # ----- /logging/toggle -----
    async def toggle(self, request: web.Request) -> web.Response:
        """libprocess's /logging/toggle?level=N&duration=D (get_endpoints ACL on its path);
        without parameters it answers the current level."""
        if not self.security.approved(request, "get_endpoints", TOGGLE_PATH):
            return forbidden()
        level_text = request.query.get("level")
        duration_text = request.query.get("duration")
        if level_text is None and duration_text is None:
            return web.Response(text=f"{self.level}\n")
        if duration_text is None:
            raise CallError(400, "Expecting 'duration=value' in query.\n")
        if level_text is None:
            raise CallError(400, "Expecting 'level=value' in query.\n")
        try:
            level = int(level_text.strip())
        except ValueError:
            raise CallError(400, f"Failed to convert '{level_text}' to number.\n") from None
        if level < 0:
            raise CallError(400, f"Invalid level '{level}'.\n")
        if level < self.original:
            raise CallError(400, f"'{level}' < original level.\n")
        try:
            seconds = parse_duration(duration_text)
        except ValueError as error:
            raise CallError(400, f"{error}.\n") from None
        logger.info(
            "Verbose logging level %d for %s (/logging/toggle)", level, format_duration(seconds)
        )
        self.set_level(level, seconds)
        return web.Response(status=200)

    def route(self) -> web.RouteDef:
        return web.route("*", TOGGLE_PATH, self.toggle)
