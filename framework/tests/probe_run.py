"""`mesos-probe submit` as a separate process, as users run it, plus the checks fault tests
make on what it left behind: its report, the times in its log, and the tasks the agents
actually launched."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from cluster import LoopbackCluster

logger = logging.getLogger("fault_timings")

# (scenario, what, seconds) measured by fault tests; conftest prints them after the run.
TIMINGS: list[tuple[str, str, float]] = []

LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def record_timing(scenario: str, what: str, seconds: float) -> None:
    TIMINGS.append((scenario, what, seconds))
    logger.info("%s: %s %.2fs", scenario, what, seconds)


class ProbeRun:
    """One `mesos-probe submit` process with its report file and its stderr log."""

    def __init__(
        self, directory: Path, name: str, master: str, *flags: str, timeout: float = 60.0
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.report_file = directory / f"{name}-report.json"
        self.stderr_path = directory / f"{name}.stderr"
        self.stdout_path = directory / f"{name}.stdout"
        self.argv = [
            sys.executable,
            "-m",
            "mesos_probe",
            "submit",
            "--master",
            master,
            "--timeout",
            f"{timeout:g}",
            "--json",
            "--report-file",
            str(self.report_file),
            *flags,
        ]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                self.argv, stdout=out, stderr=err, start_new_session=True
            )
        self.started_at = time.time()

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"mesos-probe did not end within {timeout:g}s:\n{self.stderr()[-3000:]}"
            ) from None

    def kill(self) -> float:
        """SIGKILL the scheduler process (not its tasks); the wall time of the kill."""
        killed_at = time.time()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        return killed_at

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def report(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.report_file.read_text())
        except (OSError, ValueError) as error:
            raise AssertionError(
                f"no report from mesos-probe ({error}):\n{self.stderr()[-3000:]}"
            ) from None
        return data

    def log_times(self, text: str, after: float = 0.0) -> list[float]:
        """Wall times of the log lines containing `text`, logged at or after `after`."""
        times = []
        for line in self.stderr().splitlines():
            match = LOG_TIME.match(line)
            if match and text in line:
                logged = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                # Log times have millisecond resolution.
                if logged >= after - 0.001:
                    times.append(logged)
        return times


def wait_for_running_tasks(
    cluster: LoopbackCluster, count: int, timeout: float = 30.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    running: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            running = [
                task
                for framework in cluster.state().get("frameworks", [])
                for task in framework.get("tasks", [])
                if task.get("state") == "TASK_RUNNING"
            ]
            if len(running) >= count:
                return running
        time.sleep(0.1)
    raise AssertionError(f"{count} tasks were not running within {timeout:g}s: {running}")


def launched_executors(cluster: LoopbackCluster, framework_id: str) -> dict[str, list[str]]:
    """Executor (= task) ids each agent actually started for the framework, from the agents'
    sandboxes on disk: the ground truth for "no task launched twice", whatever any master
    remembers after a failover. Keyed by the agent's hostname."""
    launched: dict[str, list[str]] = {}
    for index in range(len(cluster.agent_ports)):
        work_dir = cluster.agent_work_dir(index)
        pattern = f"slaves/*/frameworks/{framework_id}/executors/*"
        launched[f"agent{index}.test"] = sorted(path.name for path in work_dir.glob(pattern))
    return launched


def master_tasks(cluster: LoopbackCluster, framework_id: str) -> list[dict[str, Any]]:
    """Every task the leading master knows for the framework (active, completed, unreachable)."""
    state = cluster.state()
    tasks: list[dict[str, Any]] = []
    for framework in state.get("frameworks", []) + state.get("completed_frameworks", []):
        if framework.get("id") == framework_id:
            for key in ("tasks", "completed_tasks", "unreachable_tasks"):
                tasks += framework.get(key, [])
    return tasks
