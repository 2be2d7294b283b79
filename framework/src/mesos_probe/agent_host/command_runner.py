"""Running an operator's --command inside the task sandbox, killable as a process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from dataclasses import dataclass

OUTPUT_LIMIT = 64 * 1024
STDERR_TAIL = 2048
KILL_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class CommandOutcome:
    exit_code: int
    stdout: str
    stderr: str
    killed: bool
    timed_out: bool


class CommandRunner:
    def __init__(self, command: str, cwd: str | None, timeout: float | None) -> None:
        self.command = command
        self.cwd = cwd if cwd and os.path.isdir(cwd) else None
        self.timeout = timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._killed = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> CommandOutcome:
        with self._lock:
            if self._killed.is_set():
                return CommandOutcome(-signal.SIGTERM, "", "", killed=True, timed_out=False)
            self._process = subprocess.Popen(
                ["/bin/sh", "-c", self.command],
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, so a kill reaches children
            )
        process = self._process
        timed_out = False
        try:
            out, err = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            self._signal_group(signal.SIGKILL)
            out, err = process.communicate()
        return CommandOutcome(
            exit_code=process.returncode,
            stdout=out[:OUTPUT_LIMIT].decode("utf-8", errors="replace"),
            stderr=err[-STDERR_TAIL:].decode("utf-8", errors="replace"),
            killed=self._killed.is_set(),
            timed_out=timed_out,
        )

    def kill(self) -> None:
        """SIGTERM the command's process group, SIGKILL after a grace period."""
        with self._lock:
            self._killed.set()
            process = self._process
        if process is None or process.poll() is not None:
            return
        self._signal_group(signal.SIGTERM)
        timer = threading.Timer(KILL_GRACE_SECONDS, self._signal_group, (signal.SIGKILL,))
        timer.daemon = True
        timer.start()

    def _signal_group(self, signum: int) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
