"""mesos-probe benchmarks.

1. Scheduler cost per offer with 1,000 simulated agents (no network): offers handled per
   second while placing, time to place a task on every agent, offers declined per second
   once everything is placed, and status updates handled per second.
2. submit -> all finished on a loopback mesos-lite cluster of 1 master + 3 agents (median
   of --runs runs), when mesos-lite is installed (or against MESOS_MASTER_URL).

    python bench/framework_bench.py [--agents 1000] [--batch 100] [--runs 5] [--skip-cluster]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from mesos_probe.scheduler_host.driver import executor_info
from mesos_probe.scheduler_host.leader_lookup import parse_master
from mesos_probe.scheduler_host.placement import RunPlacement
from mesos_probe.scheduler_host.plan import RunPlan
from mesos_probe.scheduler_host.scheduler import ProbeScheduler


class NullDriver:
    """Accepts every call, as fast as possible: what is left is the scheduler's own cost."""

    launches = 0

    def launchTasks(self, offer_ids: Any, tasks: Any, filters: Any = None) -> None:  # noqa: N802
        self.launches += len(tasks)

    def declineOffer(self, offer_ids: Any, filters: Any = None) -> None:  # noqa: N802
        pass

    def declineInverseOffer(self, offer_ids: Any, filters: Any = None) -> None:  # noqa: N802
        pass

    def suppressOffers(self, roles: Any = ()) -> None:  # noqa: N802
        pass

    def reviveOffers(self, roles: Any = ()) -> None:  # noqa: N802
        pass

    def killTask(self, task_id: Any) -> None:  # noqa: N802
        pass

    def acknowledgeStatusUpdate(self, status: Any) -> None:  # noqa: N802
        pass

    def reconcileTasks(self, tasks: Any) -> None:  # noqa: N802
        pass

    stopped = False

    def stop(self, failover: bool = False) -> None:
        self.stopped = True


def make_offer(number: int, agent: int) -> dict[str, Any]:
    allocation = {"role": "*"}
    return {
        "id": {"value": f"o-{number}"},
        "agent_id": {"value": f"agent-{agent:05d}"},
        "hostname": f"host-{agent:05d}",
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 8.0},
             "allocation_info": allocation},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 16384.0},
             "allocation_info": allocation},
            {"name": "disk", "type": "SCALAR", "scalar": {"value": 100000.0},
             "allocation_info": allocation},
            {"name": "ports", "type": "RANGES",
             "ranges": {"range": [{"begin": 31000, "end": 32000}]},
             "allocation_info": allocation},
        ],
    }


def bench_scheduler(agents: int, batch: int) -> dict[str, float]:
    plan = RunPlan(master=parse_master("127.0.0.1:5050"))
    placement = RunPlacement("bench", agents, plan.max_attempts)
    scheduler = ProbeScheduler(plan, placement, executor_info(plan))
    driver = NullDriver()
    scheduler.registered(driver, {"value": "fw"}, {})
    offers = [make_offer(i, i) for i in range(agents)]

    started = time.perf_counter()
    for first in range(0, agents, batch):
        scheduler.resourceOffers(driver, offers[first : first + batch])
    place_seconds = time.perf_counter() - started
    assert driver.launches == agents, driver.launches

    # Everything placed: a second round of offers is all declines.
    again = [make_offer(agents + i, i) for i in range(agents)]
    started = time.perf_counter()
    for first in range(0, agents, batch):
        scheduler.resourceOffers(driver, again[first : first + batch])
    decline_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for slot in list(scheduler.placement.slots.values()):
        task_id = slot.attempts[0].task_id
        for state in ("TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"):
            scheduler.statusUpdate(driver, {
                "task_id": {"value": task_id}, "state": state,
                "agent_id": {"value": slot.agent_id}, "uuid": "dXVpZA==",
            })
    update_seconds = time.perf_counter() - started
    assert driver.stopped  # the scheduler stops the driver once every agent is finished
    return {
        "agents": agents,
        "place_all_seconds": place_seconds,
        "placing_offers_per_second": agents / place_seconds,
        "decline_offers_per_second": agents / decline_seconds,
        "status_updates_per_second": 3 * agents / update_seconds,
    }


def bench_cluster(runs: int) -> dict[str, Any] | None:
    try:
        from mesos_lite.testing import (  # noqa: PLC0415 - only this part needs mesos-lite
            LoopbackCluster,
            cluster_available,
        )
    except ImportError as error:
        print(f"cluster benchmark skipped: {error}")
        return None
    master_url = os.environ.get("MESOS_MASTER_URL")
    if not master_url and not cluster_available():
        print("cluster benchmark skipped: mesos-lite is not installed")
        return None
    durations: list[float] = []
    with LoopbackCluster.maybe(master_url, agents=3) as cluster:
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "mesos_probe", "submit", "--master", cluster.master,
                 "--expect-agents", str(cluster.agent_count), "--timeout", "60", "--json"],
                capture_output=True, text=True, timeout=120, check=False,
            )
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                print(done.stdout, done.stderr)
                raise SystemExit("submit failed during the benchmark")
            report = json.loads(done.stdout)
            assert report["summary"]["finished"] == cluster.agent_count
            durations.append(elapsed)
    return {
        "runs": runs,
        "median_seconds": statistics.median(durations),
        "min_seconds": min(durations),
        "max_seconds": max(durations),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100, help="offers per OFFERS event")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-cluster", action="store_true")
    arguments = parser.parse_args()

    figures = bench_scheduler(arguments.agents, arguments.batch)
    print(f"scheduler, {figures['agents']} simulated agents, offers in batches of "
          f"{arguments.batch}:")
    print(f"  time to place a task on every agent: {figures['place_all_seconds'] * 1000:.1f} ms")
    print(f"  offers handled while placing:        {figures['placing_offers_per_second']:,.0f}/s")
    print(f"  offers declined once all placed:     {figures['decline_offers_per_second']:,.0f}/s")
    print(f"  status updates handled:              {figures['status_updates_per_second']:,.0f}/s")
    if not arguments.skip_cluster:
        cluster = bench_cluster(arguments.runs)
        if cluster:
            print(f"submit -> all finished on 3 loopback agents, {cluster['runs']} runs: "
                  f"median {cluster['median_seconds']:.2f}s "
                  f"(min {cluster['min_seconds']:.2f}s, max {cluster['max_seconds']:.2f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
