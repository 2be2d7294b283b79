"""Leader failover under a running mesos-probe job, on a loopback HA mesos-lite cluster.

Each run starts a fresh cluster (ZooKeeper shared by all runs; N masters with --zk, --quorum
and a short --zk_session_timeout, each restarted by a supervisor when it exits; agents that
follow the leader through ZooKeeper), runs `mesos-probe submit --hold H` against the zk://
URL, SIGKILLs the leading master while every task runs, and measures:

  kill -> new leader elected       (a surviving master reports master/elected = 1)
  kill -> framework re-subscribed  (mesos-probe logs "re-registered with master")
  kill -> run finished             (the mesos-probe process exits)

and counts tasks lost (expected agents without TASK_FINISHED) and duplicated (executors
started beyond one per agent, from the agents' sandboxes). Exit 1 if any task was lost or
duplicated, or the median election took longer than 2 x the session timeout.

    python bench/ha_failover_bench.py [--runs 5] [--masters 3] [--agents 2]
                                      [--session-timeout 2] [--hold 4] [--keep]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from mesos_lite.testing import (
    HACluster,
    LeaderKillOutcome,
    SchedulerRun,
    ZooKeeperServer,
    cluster_available,
    kill_leader_during,
    zookeeper_missing,
)

RUN_TIMEOUT = 60.0  # mesos-probe's --timeout for each run


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than zero")
    return value


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="failovers to measure (default 5)")
    parser.add_argument("--masters", type=int, default=3, help="masters (default 3)")
    parser.add_argument("--agents", type=int, default=2, help="agents (default 2)")
    parser.add_argument(
        "--session-timeout",
        type=positive_float,
        default=2.0,
        help="--zk_session_timeout of masters and agents, seconds (default 2)",
    )
    parser.add_argument(
        "--hold", type=positive_float, default=4.0, help="seconds each probe task runs"
    )
    parser.add_argument("--verbose", action="store_true", help="log each step")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the runs' logs, reports and agent sandboxes (the directory is printed)",
    )
    arguments = parser.parse_args()
    if arguments.runs < 1 or arguments.masters < 2 or arguments.agents < 1:
        parser.error("need --runs >= 1, --masters >= 2 and --agents >= 1")
    return arguments


def probe_run(cluster: HACluster, directory: Path, hold: float) -> SchedulerRun:
    """`mesos-probe submit` against the cluster's zk:// URL, its tasks held `hold` seconds."""
    report_file = directory / "run-report.json"
    argv = [
        sys.executable, "-m", "mesos_probe", "submit", "--master", cluster.zk_url,
        "--timeout", f"{RUN_TIMEOUT:g}", "--json", "--report-file", str(report_file),
        "--hold", f"{hold:g}",
    ]
    return SchedulerRun(directory, "run", argv, report_file)


def describe(values: list[float]) -> str:
    return f"median {statistics.median(values):6.2f}s   max {max(values):6.2f}s"


def main() -> int:
    arguments = parse_arguments()
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not cluster_available():
        print("mesos-lite is not installed (pip install -e mesos-lite)", file=sys.stderr)
        return 2
    missing = zookeeper_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="ha-failover-bench-"))
    outcomes: list[LeaderKillOutcome] = []
    zookeeper = ZooKeeperServer(workdir / "zookeeper").start()
    try:
        for number in range(1, arguments.runs + 1):
            cluster = HACluster(
                zookeeper,
                masters=arguments.masters,
                agents=arguments.agents,
                session_timeout=arguments.session_timeout,
                workdir=workdir / f"run{number}" / "cluster",
            )
            try:
                cluster.start()
                outcome = kill_leader_during(
                    cluster, probe_run(cluster, workdir / f"run{number}", arguments.hold)
                )
            finally:
                cluster.close()
            outcomes.append(outcome)
            resubscribed_after = outcome.resubscribed_after
            print(
                f"run {number}: exit {outcome.exit_code}, elected {outcome.elected_after:.2f}s, "
                f"re-subscribed "
                + (f"{resubscribed_after:.2f}s" if resubscribed_after is not None else "never")
                + f", finished {outcome.finished_after:.2f}s, lost {outcome.lost}, "
                f"duplicated {outcome.duplicated}",
                flush=True,
            )
    finally:
        zookeeper.stop()
        if arguments.keep:
            print(f"logs, reports and sandboxes kept in {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    elected = [o.elected_after for o in outcomes]
    resubscribed = [o.resubscribed_after for o in outcomes if o.resubscribed_after is not None]
    finished = [o.finished_after for o in outcomes]
    lost = sum(o.lost for o in outcomes)
    duplicated = sum(o.duplicated for o in outcomes)
    target = 2 * arguments.session_timeout
    print()
    print(
        f"leader failover, {len(outcomes)} runs: {arguments.masters} masters, "
        f"{arguments.agents} agents, --zk_session_timeout={arguments.session_timeout:g}secs, "
        f"tasks held {arguments.hold:g}s"
    )
    print(f"  kill -> new leader elected       {describe(elected)}   (target <= {target:g}s)")
    if resubscribed:
        print(f"  kill -> framework re-subscribed  {describe(resubscribed)}")
    print(
        f"  kill -> run finished             {describe(finished)}"
        f"   (includes the rest of the {arguments.hold:g}s tasks)"
    )
    print(f"  runs without re-subscription     {len(outcomes) - len(resubscribed)}")
    print(f"  failed runs (exit != 0)          {sum(o.exit_code != 0 for o in outcomes)}")
    print(f"  tasks lost                       {lost}")
    print(f"  tasks duplicated                 {duplicated}")
    healthy = (
        lost == 0
        and duplicated == 0
        and statistics.median(elected) <= target
        and all(o.exit_code == 0 for o in outcomes)
    )
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
