"""`mesos-probe submit` as a separate process, as users run it, plus the checks fault tests
make on what it left behind (the harness, mesos_lite.testing, does the generic part)."""

from __future__ import annotations

import logging
from pathlib import Path

from mesos_lite.testing import HACluster, LeaderKillOutcome, SchedulerRun, kill_leader_during
from probe_command import submit_argv

logger = logging.getLogger("fault_timings")

# (scenario, what, seconds) measured by fault tests; conftest prints them after the run.
TIMINGS: list[tuple[str, str, float]] = []


def record_timing(scenario: str, what: str, seconds: float) -> None:
    TIMINGS.append((scenario, what, seconds))
    logger.info("%s: %s %.2fs", scenario, what, seconds)


class ProbeRun(SchedulerRun):
    """One `mesos-probe submit` process with its report file and its stderr log."""

    def __init__(
        self, directory: Path, name: str, master: str, *flags: str, timeout: float = 60.0
    ) -> None:
        report_file = directory / f"{name}-report.json"
        argv = submit_argv(
            master, "--json", "--report-file", str(report_file), *flags, timeout=timeout
        )
        super().__init__(directory, name, argv, report_file)


def kill_leader_mid_run(
    cluster: HACluster,
    directory: Path,
    *probe_flags: str,
    run_timeout: float = 60.0,
    master: str | None = None,
) -> LeaderKillOutcome:
    """Run mesos-probe against `master` (default: the cluster's zk:// URL), SIGKILL the
    leading master once every agent runs its task, and wait for the run to end."""
    run = ProbeRun(directory, "run", master or cluster.zk_url, *probe_flags, timeout=run_timeout)
    return kill_leader_during(cluster, run, run_timeout)
