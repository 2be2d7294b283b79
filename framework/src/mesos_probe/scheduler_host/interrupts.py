"""SIGINT/SIGTERM and pymesos' I/O-thread failures, as flags the Driver's wait loop reads."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import pymesos.process


class Interrupts:
    """SIGINT/SIGTERM and pymesos' I/O-thread failures, turned into flags for the main loop.

    pymesos reports a dead I/O thread by interrupting the main thread and re-raising the
    thread's exception from its SIGINT handler; taking that handler over lets the run stop
    cleanly and name the cause instead of unwinding from an arbitrary line.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.user_interrupt = False
        self.driver_failure: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        failure = getattr(pymesos.process, "_exc_info", None)
        if signum == signal.SIGINT and failure is not None:
            pymesos.process._exc_info = None
            self.driver_failure = str(failure[1]) or type(failure[1]).__name__
        else:
            self.user_interrupt = True
        self.stop.set()
