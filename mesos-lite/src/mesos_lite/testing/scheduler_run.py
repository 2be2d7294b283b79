"""A framework's scheduler run as a process of its own (as users run it) against a loopback
cluster, and what fault tests and benchmarks measure around it: its report, the times in
its log, the tasks the agents really launched when the leading master was killed mid-run."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .cluster import ExternalCluster
from .ha_cluster import HACluster

LOG_TAIL = 3000  # characters of a log that explain a failed assertion
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
# What pymesos logs when its driver has subscribed again after a failover.
RESUBSCRIBED = "re-registered with master"


class SchedulerRun:
    """One scheduler process: `argv`, which writes a JSON report to `report_file`; its
    stdout and stderr kept in `directory`/`name`.stdout / .stderr."""

    def __init__(self, directory: Path, name: str, argv: list[str], report_file: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.report_file = report_file
        self.stderr_path = directory / f"{name}.stderr"
        self.stdout_path = directory / f"{name}.stdout"
        self.argv = argv
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(argv, stdout=out, stderr=err, start_new_session=True)
        self.started_at = time.time()

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"the scheduler did not end within {timeout:g}s:\n{self.stderr_tail()}"
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

    def stderr_tail(self) -> str:
        """The end of its log: enough to explain a failed assertion."""
        return self.stderr()[-LOG_TAIL:]

    def report(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.report_file.read_text())
        except (OSError, ValueError) as error:
            raise AssertionError(
                f"no report from the scheduler ({error}):\n{self.stderr_tail()}"
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
    cluster: ExternalCluster, count: int, timeout: float = 30.0, run: SchedulerRun | None = None
) -> list[dict[str, Any]]:
    """The leading master's running tasks, once there are `count` (fails early if `run`
    ends first, showing its log)."""
    deadline = time.monotonic() + timeout
    running: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        if run is not None and run.process.poll() is not None:
            raise AssertionError(
                f"the scheduler exited ({run.process.returncode}) before {count} tasks ran:\n"
                f"{run.stderr_tail()}"
            )
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
    log = run.stderr_tail() if run is not None else ""
    raise AssertionError(f"{count} tasks were not running within {timeout:g}s: {running}\n{log}")


@dataclass
class LeaderKillOutcome:
    """What happened when the leading master was killed while the scheduler's tasks ran."""

    exit_code: int
    report: dict[str, Any]
    stderr: str
    killed_at: float
    elected_at: float
    resubscribed_at: float | None
    ended_at: float
    launched: dict[str, list[str]]  # agent hostname -> executors started on it

    @property
    def stderr_tail(self) -> str:
        return self.stderr[-LOG_TAIL:]

    @property
    def elected_after(self) -> float:
        return self.elected_at - self.killed_at

    @property
    def resubscribed_after(self) -> float | None:
        if self.resubscribed_at is None:
            return None
        return self.resubscribed_at - self.killed_at

    @property
    def finished_after(self) -> float:
        return self.ended_at - self.killed_at

    @property
    def lost(self) -> int:
        """Expected agents without a finished task (from the report's summary)."""
        summary = self.report.get("summary", {})
        return int(summary.get("expected", 0)) - int(summary.get("finished", 0))

    @property
    def duplicated(self) -> int:
        """Tasks started beyond one per agent, counted in the agents' sandboxes."""
        return sum(max(0, len(ids) - 1) for ids in self.launched.values())


def kill_leader_during(
    cluster: HACluster, run: SchedulerRun, run_timeout: float = 60.0
) -> LeaderKillOutcome:
    """SIGKILL the leading master once every agent runs a task of `run`, and wait for the
    run to end (its report names its framework_id)."""
    wait_for_running_tasks(cluster, cluster.wanted_agents, run=run)
    old_leader, killed_at = cluster.kill_leader()
    _, elected_at = cluster.wait_for_leader(exclude=old_leader)
    code = run.wait(run_timeout + 30)
    ended_at = time.time()
    report = run.report()
    resubscribed = run.log_times(RESUBSCRIBED, after=killed_at)
    return LeaderKillOutcome(
        exit_code=code,
        report=report,
        stderr=run.stderr(),
        killed_at=killed_at,
        elected_at=elected_at,
        resubscribed_at=resubscribed[0] if resubscribed else None,
        ended_at=ended_at,
        launched=cluster.launched_executors(str(report.get("framework_id"))),
    )
