"""Daemons as child processes: each in a session (process group) of its own, its output in a
log file, stopped with its group so nothing it started outlives the test."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

# The console scripts of this interpreter's environment (the venv may not be on PATH).
BIN = Path(sys.executable).parent
RESTART_DELAY = 0.5  # seconds; systemd's RestartSec, kept short for tests


def command_path(name: str) -> str | None:
    """The executable `name`: next to this interpreter first, then on PATH."""
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def resolve_command(argv: list[str]) -> list[str]:
    """`argv` with its program resolved by `command_path` (left as is when not found)."""
    return [command_path(argv[0]) or argv[0], *argv[1:]]


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send `signum` to the process group `process` leads (it was started in its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def wait_or_kill_group(process: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """Wait for `process` to exit; SIGKILL its group if it does not within `timeout`."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        return process.wait(timeout)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, as a service manager stops it, SIGKILL if it lingers."""
    if process.poll() is None:
        signal_group(process, signal.SIGTERM)
        wait_or_kill_group(process)


class Daemon:
    """One started process, its output appended to `log_path`, this interpreter's bin
    directory first on its PATH (so that the commands it runs are the venv's)."""

    def __init__(
        self, name: str, argv: list[str], log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        environment = {**os.environ, **(env or {})}
        environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def exit_reason(self) -> str | None:
        """Why the daemon cannot become ready any more (it exited), or None."""
        if self.alive():
            return None
        return f"{self.name} exited with status {self.process.returncode}:\n{self.tail()}"

    def resume_if_alive(self) -> None:
        """Undoes a test's SIGSTOP, so that cleanup can stop the daemon."""
        if self.alive():
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `sig` to the daemon alone (what it started in sessions of their own stays, as
        an agent's executors do); SIGKILL its group if it has not exited after `timeout`."""
        if self.alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                signal_group(self.process, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, characters: int = 3000) -> str:
        """The end of its log: enough to explain a failure."""
        return self.output()[-characters:]


class SupervisedProcess:
    """Restart a command whenever it exits, until closed: systemd's Restart=always."""

    def __init__(self, name: str, argv: list[str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.exits: list[tuple[float, int]] = []  # (wall time, exit status)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.daemon = Daemon(name, argv, log_path)
        self._thread = threading.Thread(target=self._watch, name=f"supervise-{name}", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        with self._lock:
            return self.daemon.pid

    def kill(self) -> float:
        """SIGKILL the current process group; return the wall time of the kill."""
        with self._lock:
            process = self.daemon.process
        killed_at = time.time()
        signal_group(process, signal.SIGKILL)
        return killed_at

    def close(self) -> None:
        self._closing.set()
        self._thread.join(5)
        with self._lock:
            process = self.daemon.process
        stop_group(process)

    def _watch(self) -> None:
        while not self._closing.wait(0.05):
            with self._lock:
                status = self.daemon.process.poll()
            if status is None:
                continue
            self.exits.append((time.time(), status))
            logger.info("%s exited with status %s; restarting it", self.name, status)
            if self._closing.wait(RESTART_DELAY):
                return
            with self._lock:
                self.daemon = Daemon(self.name, self.argv, self.log_path)


def kill_leftover_executors(marker: Path) -> None:
    """SIGKILL executors (processes with MESOS_EXECUTOR_ID in their environment) whose
    environment names `marker`, a cluster's work directory: what outlived the cluster."""
    needle = str(marker).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ and b"MESOS_EXECUTOR_ID" in environ:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(proc.name), signal.SIGKILL)
