"""Progress while a run goes on: a redrawn status line on a terminal, log lines otherwise."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TextIO

logger = logging.getLogger("mesos_probe.progress")

REDRAW_SECONDS = 0.5


@dataclass(frozen=True)
class Progress:
    expected: int
    placed: int
    running: int
    finished: int
    failed_agents: int
    failed_attempts: int
    connected: bool
    registrations: int


def describe(progress: Progress) -> str:
    text = (
        f"placed {progress.placed} / running {progress.running} / "
        f"finished {progress.finished} of {progress.expected}"
    )
    if progress.failed_attempts:
        text += f", failed attempts {progress.failed_attempts}"
    if progress.failed_agents:
        text += f", agents given up {progress.failed_agents}"
    if not progress.connected:
        text += ", connecting to master" if progress.registrations == 0 else ", reconnecting"
    return text


class ProgressDisplay:
    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self.stream = stream
        self.interactive = interactive
        self._last_text: str | None = None
        self._last_drawn = 0.0
        self._line_open = False

    def update(self, progress: Progress, elapsed: float) -> None:
        text = describe(progress)
        if self.interactive:
            if text == self._last_text and elapsed - self._last_drawn < REDRAW_SECONDS:
                return
            self.stream.write(f"\r\x1b[K[{elapsed:5.1f}s] {text}")
            self.stream.flush()
            self._line_open = True
            self._last_drawn = elapsed
        elif text != self._last_text:
            logger.info("progress: %s", text)
        self._last_text = text

    def close(self) -> None:
        if self.interactive and self._line_open:
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False


class LineClearingHandler(logging.StreamHandler):
    """Log records on a terminal start by wiping the progress line, which is then redrawn."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream.write("\r\x1b[K")
        super().emit(record)
